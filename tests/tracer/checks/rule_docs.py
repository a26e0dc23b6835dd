"""The rule tables and broken examples of docs/checks.md, written from the rule catalog.

    python -m tests.tracer.checks.rule_docs

rewrites the part of docs/checks.md between the markers below; the test
suite fails while that part and `tracer.checks.rules.RULES` disagree.
"""

from __future__ import annotations

from pathlib import Path

from tracer.checks.rules import RULES, Example, Rule

DOCS = Path(__file__).parents[3] / "docs" / "checks.md"
BEGIN = "<!-- rules: written from tracer/checks/rules.py by `python -m tests.tracer.checks.rule_docs` -->"
END = "<!-- end of rules -->"

GROUPS = (
    ("wsgi", "WSGI (PEP 3333)"),
    ("asgi", "ASGI: messages, scope and HTTP"),
    ("ws", "ASGI: WebSocket"),
    ("lifespan", "ASGI: Lifespan"),
    ("http", "HTTP semantics (both protocols)"),
    ("trace", "The recording (both protocols)"),
)


def render() -> str:
    """The generated part of docs/checks.md, markers included."""
    lines = [BEGIN]
    for prefix, title in GROUPS:
        rules = [rule for rule in RULES.values() if rule.id.split("-")[0] == prefix]
        lines += ["", f"### {title}", "", "| rule | severity | what | hint | source |", "|---|---|---|---|---|"]
        lines += [f"| `{r.id}` | {r.severity} | {r.summary} | {r.hint} | {r.source} |" for r in rules]
        lines += ["", "<details><summary>A broken example of each rule</summary>"]
        for rule in rules:
            for example in rule.examples:
                lines += ["", _caption(rule, example), "", "```python", example.app.rstrip("\n"), "```"]
        lines += ["", "</details>"]
    lines += ["", END]
    return "\n".join(lines) + "\n"


def current() -> str:
    """The generated part as it stands in docs/checks.md."""
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return ""
    return text[start : end + len(END)] + "\n"


def write() -> None:
    """Replace the generated part of docs/checks.md (or append it, when the markers are missing)."""
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        text = text.rstrip("\n") + "\n\n" + render()
    else:
        text = text[:start] + render() + text[end + len(END) + 1 :]
    DOCS.write_text(text, encoding="utf-8")


def _caption(rule: Rule, example: Example) -> str:
    conditions = _conditions(example)
    how = f", {', '.join(conditions)}" if conditions else ""
    return f"`{rule.id}` ({example.protocol.upper()}{how}), reported at `{example.at}`:"


def _conditions(example: Example) -> list[str]:
    """How the server calls the example, in words."""
    server = example.server
    out = []
    if "method" in server or "data" in server:
        body = f" with a {len(server['data'])}-byte body" if "data" in server else ""
        out.append(f"a {server.get('method', 'GET')} request{body}")
    for key, value in server.get("environ", {}).items():
        out.append(f"an environ without {key}" if value is None else f"environ[{key!r}] = {value!r}")
    if server.get("close") is False:
        out.append("close() never called")
    if server.get("iterate_after_close"):
        out.append("one more chunk asked for after close()")
    if server.get("crash"):
        out.append("the server stops before iterating the body")
    for key, value in server.get("tracer_options", {}).items():
        out.append(f"traced with {key}={value!r}")
    for key, value in server.get("scope", {}).items():
        out.append(f"a {value} scope" if key == "type" else f"scope[{key!r}] = {value!r}")
    if "inputs" in server:
        out.append("receive() returning " + ", then ".join(repr(message) for message in server["inputs"]))
    return out


if __name__ == "__main__":
    write()
