"""An MCP server over a trace file, so a coding agent can read what the app's requests did, step by step.

    tracer mcp traces.jsonl              # what the agent starts; it speaks MCP on stdin/stdout

    from tracer.mcp_server import build_server
    build_server("traces.jsonl").run("stdio")

Four read-only tools: ``list_requests`` (one line per request, with the
list's filter language), ``show_request`` (the `tracer show` text or
markdown of one request), ``check_requests`` (the protocol findings, with
rule ids) and ``compare_requests`` (the `tracer diff` report of two
requests). The file is scanned again on every call, so a file the app is
still writing is current; only what was appended since the last call is
read. Built on the official MCP Python SDK (``pip install 'tracer[mcp]'``),
imported only when a server is built.
"""

from __future__ import annotations

import io
import os
import threading
from typing import TYPE_CHECKING, Any, Literal

from .checks import Finding
from .commands._trace_ref import find_summary
from .commands.check import describe
from .commands.diff import write_comparison
from .commands.show import matching
from .compare import DEFAULT_IGNORED_HEADERS, compare
from .errors import TraceFileError, TracerError
from .filters import help_rows
from .index import TraceIndex
from .model import Trace
from .payload import MAX_BODY
from .reader import open_problem
from .show import count_findings, request_line, safe_findings, show_trace
from .summary import TraceSummary

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

SERVER_NAME = "tracer"
LIST_LIMIT = 50
"""Requests `list_requests` shows by default (the most recent)."""
CHECK_LIMIT = 30
"""Requests with findings `check_requests` prints in full; the rest are counted."""

INSTRUCTIONS = (
    "tracer records every WSGI/ASGI protocol event of each request an app served: the environ or scope, each "
    "read of the request body, start_response or each ASGI message, every body chunk, close(), exceptions. "
    "Use list_requests to find a request (filters such as '~c 5xx', '~m POST ~u /api', '~err', '~violation'), "
    "show_request to read one step by step with what each step means and the protocol state after it, "
    "check_requests for protocol mistakes (rule ids with explanations), and compare_requests to see what differs "
    "between two requests (before and after a change, WSGI against ASGI)."
)


def filter_help() -> str:
    """The filter language in a few lines, built from the operator table itself."""
    return "\n".join(f"  {syntax}: {meaning}" for syntax, meaning in help_rows())


class TraceFile:
    """A trace file read again on each call: what was appended since the last is scanned; a replaced file anew.

    Args:
        path: The trace file; it need not exist yet (the app may not have run).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._index: TraceIndex | None = None
        self._identity: tuple[int, int, bytes] | None = None
        self._lock = threading.Lock()

    def index(self) -> TraceIndex:
        """The file's index, brought up to date.

        Raises:
            TraceFileError: The file is missing, unreadable, or not a trace file.
        """
        with self._lock:
            try:
                stat = os.stat(self.path)
            except OSError as exc:
                raise TraceFileError(open_problem(self.path, exc)) from None
            # A file replaced under the same name (a new session) may even get the old inode back: its header,
            # which holds the time it was created, tells the two apart.
            identity = (stat.st_dev, stat.st_ino, _first_line(self.path))
            index = self._index
            if index is None or identity != self._identity:
                index = self._fresh(identity)
            index.scan()
            if index.truncated:
                # Truncated in place (a new session over the old file): read it from the start.
                index = self._fresh(identity)
                index.scan()
            return index

    def _fresh(self, identity: tuple[int, int, bytes]) -> TraceIndex:
        if self._index is not None:
            self._index.close()
        index = TraceIndex(self.path, live=True)
        index.yield_seconds = None
        self._index, self._identity = index, identity
        return index

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            if self._index is not None:
                self._index.close()


def _first_line(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.readline(4096)
    except OSError:
        return b""


class Tools:
    """What each tool does, as plain methods returning text (the server wraps them; tests may call them).

    Args:
        source: The trace file.
    """

    def __init__(self, source: TraceFile) -> None:
        self.source = source

    def list_requests(self, filter: str = "", limit: int = LIST_LIMIT) -> str:
        """One line per request: id, status, duration, findings, METHOD /path; the most recent `limit` of them."""
        index = self.source.index()
        summaries = list(matching(index, filter))
        total = len(index.summaries)
        if not summaries:
            if filter.strip():
                return f"No request in {index.path} matches {filter!r} ({_plural(total, 'request')} in all)."
            return f"{index.path} holds no requests yet."
        limit = max(1, limit)
        shown = summaries[-limit:]
        head = (f"{len(summaries)} of {_plural(total, 'request')} in {index.path} match {filter!r}"
                if filter.strip() else f"{_plural(total, 'request')} in {index.path}")
        if len(shown) < len(summaries):
            head += f"; the last {len(shown)} shown (start order)"
        width = max(len(summary.id) for summary in shown)
        lines = [head + ". Columns: trace id, status, duration, findings, request."]
        for summary in shown:
            lines.append(request_line(summary, safe_findings(self._trace(index, summary)), id_width=width))
        lines.append("")
        lines.append("show_request(trace_id) shows one step by step; a unique prefix of the id will do.")
        return "\n".join(lines)

    def show_request(
        self, trace_id: str, format: Literal["text", "markdown"] = "text", spec: bool = False, max_body: int = MAX_BODY
    ) -> str:
        """The `tracer show` text of one request."""
        index = self.source.index()
        summary = _one(index, trace_id)
        return show_trace(self._trace(index, summary), format=format, spec=spec, max_body=max(0, max_body))

    def check_requests(self, trace_id: str = "", filter: str = "") -> str:
        """The protocol findings of one request, or of every request the filter matches (all without one)."""
        index = self.source.index()
        if trace_id.strip():
            if filter.strip():
                raise TracerError("give trace_id or filter, not both")
            summaries = [_one(index, trace_id)]
        else:
            summaries = list(matching(index, filter))
        if not summaries:
            return f"No request in {index.path} matches {filter!r}." if filter.strip() else f"{index.path} holds no requests yet."
        flagged: list[tuple[Trace, list[Finding]]] = []
        counts: list[Finding] = []
        for summary in summaries:
            trace = self._trace(index, summary)
            findings = safe_findings(trace)
            counts += findings
            if findings:
                flagged.append((trace, findings))
        lines = []
        for trace, findings in flagged[:CHECK_LIMIT]:
            lines.append(describe(trace))
            lines += [f"  step {f.seq:<3} {f.severity:<7} {f.rule}: {f.message}" for f in findings]
            lines.append("")
        if len(flagged) > CHECK_LIMIT:
            lines += [f"… and {len(flagged) - CHECK_LIMIT} more requests with findings (narrow the filter to see them)", ""]
        lines.append(f"{_plural(len(summaries), 'request')} checked, {len(flagged)} with findings: "
                     f"{count_findings(counts) or 'none'}.")
        if flagged:
            lines.append("show_request(trace_id, spec=True) shows each finding at its step, with the spec behind it.")
        return "\n".join(lines)

    def compare_requests(self, a: str, b: str) -> str:
        """The `tracer diff` report of two requests, phase by phase."""
        index = self.source.index()
        left, right = self._trace(index, _one(index, a)), self._trace(index, _one(index, b))
        out = io.StringIO()
        write_comparison(compare(left, right, ignore_headers=DEFAULT_IGNORED_HEADERS), out)
        return out.getvalue()

    @staticmethod
    def _trace(index: TraceIndex, summary: TraceSummary) -> Trace:
        return index.read_trace(summary)


def _one(index: TraceIndex, trace_id: str) -> TraceSummary:
    trace_id = trace_id.strip().removeprefix("#")
    if not trace_id:
        raise TracerError("name a request by its trace id (list_requests shows them; a unique prefix will do)")
    return find_summary(index, trace_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def build_server(path: str) -> MCPServer:
    """The MCP server over the trace file at `path` (it need not exist yet).

    Raises:
        ImportError: The MCP SDK (``pip install 'tracer[mcp]'``) is not installed.
    """
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from .__about__ import __version__

    tools = Tools(TraceFile(path))
    server: MCPServer = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=False, open_world_hint=False)

    def tool(fn: Any, description: str) -> None:
        def run(*args: Any, **kwargs: Any) -> str:
            try:
                return fn(*args, **kwargs)
            except TracerError as exc:
                # The agent sees the same one line the command line prints.
                raise ToolError(str(exc)) from None

        _copy_signature(run, fn)
        server.add_tool(run, name=fn.__name__, description=description, annotations=read_only, structured_output=False)

    tool(tools.list_requests, (
        f"List the requests recorded in {path}, in the order they started, most recent last: one line each with the "
        "trace id, status, duration, the protocol findings by severity, and METHOD /path. `filter` narrows the "
        f"list (empty: every request); `limit` keeps the most recent ones (default {LIST_LIMIT}). Filter language:\n"
        + filter_help()
    ))
    tool(tools.show_request, (
        "Show one request step by step, as `tracer show` prints it: the status, sizes and timings, then every "
        "protocol event (environ or scope, body reads, start_response or ASGI messages, body chunks, close(), "
        "exceptions with their traceback) with a one-sentence explanation, what it carried (headers, bodies cut "
        "to `max_body` bytes, binary as hex), the protocol state after it and the findings at it with rule ids. "
        "`trace_id`: an id from list_requests, or a unique prefix of it. `format`: text or markdown. "
        "`spec`: add the PEP 3333 / ASGI sections behind each step and finding, with links."
    ))
    tool(tools.check_requests, (
        "Check requests against the WSGI (PEP 3333) and ASGI rules and list each finding with its step, severity, "
        "rule id and a hint: for one request (`trace_id`, or a unique prefix) or for every request a `filter` "
        "matches (every request when both are empty)."
    ))
    tool(tools.compare_requests, (
        "Compare two requests phase by phase (request, body read, response started, body sent, end), as "
        "`tracer diff` does: status, headers (volatile ones such as date left out), bodies with a diff, the pieces "
        "bodies came in, event counts, websocket messages and time per phase. `a` and `b`: trace ids or unique "
        "prefixes; WSGI and ASGI requests compare with each other."
    ))
    return server


def _copy_signature(wrapper: Any, fn: Any) -> None:
    """Give `wrapper` the name, signature and annotations of `fn`, so the SDK builds the same input schema."""
    import inspect

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)
