"""A recorded traceback on screen: the app's own frame first and marked, library frames dimmed and their paths shortened.

What is the app's, a library's or tracer's is `tracer.app_frames`' to say
(`tracer show` says the same); this only gives each line its look.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from tracer.app_frames import APP, CODE, EXCEPTION, FRAME, HEADING, OMITTED, read_traceback

from .. import format as fmt

YOURS = "▶ "
"""The gutter mark of the lines of the *your code* frame."""


def traceback_view(text: str) -> list[RenderableType]:
    """The *your code* frame (where and its line), then the traceback, tracer's frames left out, exception last."""
    read = read_traceback(text, shorten=True)
    parts: list[RenderableType] = []
    if read.yours is not None:
        parts.append(Text.assemble((YOURS + "your code  ", "bold green"), (fmt.line(read.yours.where), "bold")))
        if read.yours.code:
            parts.append(Text("    " + fmt.line(read.yours.code)))
        parts.append(Text(""))
    body = Text()
    for index, item in enumerate(read.lines):
        if index:
            body.append("\n")
        gutter = YOURS if item.yours else "  "
        if item.yours:
            style = "bold green" if item.role == FRAME else "bold"
        elif item.role in (FRAME, CODE) and item.frame is not None:
            style = "" if item.frame.origin == APP else "dim"
        else:
            style = {EXCEPTION: "bold red", HEADING: "bold", OMITTED: "dim italic"}.get(item.role, "red")
        body.append(gutter, style="bold green" if item.yours else "")
        body.append(fmt.line(item.text), style=style)
    parts.append(body)
    return parts
