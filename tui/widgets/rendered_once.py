"""`RenderedOnce`: a Rich renderable shown by a `Static`, rendered once for its height and its lines.

Textual measures a Rich renderable's height by rendering it, then renders it
again to draw it. The step detail and state panes hold groups of tables that
are rendered anew at every step, and showing one in place
(`update_in_place`) asks for its height first: kept here, the lines rendered
for the height are the lines drawn, at the same width.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RichVisual
from textual.widget import Widget


class RenderedOnce(RichVisual):
    """A `RichVisual` that keeps the lines it last rendered, for one width."""

    def __init__(self, widget: Widget, renderable: RenderableType) -> None:
        super().__init__(widget, renderable)
        self._lines: tuple[int, list[list[Segment]]] | None = None

    def _render(self, width: int) -> list[list[Segment]]:
        if self._lines is None or self._lines[0] != width:
            app = self._widget.app
            options = app.console_options.update(highlight=False).update_width(width)
            self._lines = (width, app.console.render_lines(self._renderable, options, pad=False))
        return self._lines[1]

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self._render(width))

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        lines = self._render(width)
        if height is not None:
            lines = lines[:height]
        base = style.rich_style
        # What Textual's own post_render does: the widget's style under each segment's own.
        return [Strip(line).apply_style(base) if base else Strip(line) for line in lines]
