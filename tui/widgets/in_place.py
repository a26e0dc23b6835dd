"""`update_in_place`: give a `Static` new content without laying out the screen when its size stays.

A `Static.update` lays out the whole screen, in case the new content is taller
or shorter. Stepping through a long trace, the detail and state panes often
keep their height: a content shorter than the pane fills it (``min-height:
100%``), and a step is as tall as the one before. Measuring the new content at
the width it has (the measure the layout would take) tells whether a layout is
needed, and it is asked for only then.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


def update_in_place(widget: Static, content: VisualType) -> bool:
    """Show `content` in `widget` (whose height is ``auto``); lay out only if its height changes.

    Returns:
        Whether a layout was asked for.
    """
    size = widget.size
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
    if least is not None:
        wanted = max(wanted, int(least.resolve(container, viewport)))
    if wanted == size.height:
        return False
    widget.refresh(layout=True)
    return True
