"""`update_in_place`: give a `Static` new content without laying out the screen when its size stays.

A `Static.update` lays out the whole screen, in case the new content is taller
or shorter. Stepping through a long trace, the detail and state panes often
keep their height: a content shorter than the pane fills it (``min-height:
100%``), and a step is as tall as the one before. Measuring the new content at
the width it has (the measure the layout would take) tells whether a layout is
needed, and it is asked for only then. A pane whose contents differ only a
little in height from step to step (the protocol state) can also keep the
height it has when the new content is shorter but still scrolls: it then
lays out only when a content is taller than any before it, or fits.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import Visual, VisualType
from textual.widgets import Static

from .rendered_once import RenderedOnce


def update_in_place(widget: Static, content: VisualType, *, shrink: bool = True) -> bool:
    """Show `content` in `widget` (whose height is ``auto``); lay out only if its height changes.

    With `shrink` False, a shorter content that still does not fit its pane keeps the widget's height (blank
    below it, the pane scrolls either way): only a taller one, or one that fits, lays out.

    Returns:
        Whether a layout was asked for.
    """
    size = widget.size
    if not isinstance(content, (str, Text, Visual)) and hasattr(content, "__rich_console__"):
        content = RenderedOnce(widget, content)  # Measured, then drawn, from one rendering.
    widget.update(content, layout=False)
    parent = widget.parent
    height = widget.styles.height
    if (not widget.is_mounted or not widget.display or not size.width or parent is None or height is None
            or not height.is_auto or widget.styles.gutter.height):
        widget.refresh(layout=True)
        return True
    container = parent.scrollable_content_region.size  # type: ignore[attr-defined]
    viewport = widget.app.size
    wanted = widget.get_content_height(container, viewport, size.width)
    least = widget.styles.min_height
    fits = int(least.resolve(container, viewport)) if least is not None else 0
    wanted = max(wanted, fits)
    if wanted == size.height or (not shrink and container.height < wanted < size.height):
        return False
    widget.refresh(layout=True)
    return True
