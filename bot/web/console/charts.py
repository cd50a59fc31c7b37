"""Bar charts drawn on the server as SVG geometry (the template draws the shapes): no
chart library, no script, nothing fetched from elsewhere.

The chart scales with its card, so on a phone its user units shrink to about half a pixel:
the stylesheet enlarges the labels there and hides every other date (`minor`). The scale's one
label (the top value) sits above the plot rather than beside it, so no amount is too long
for it; a date near either edge is anchored to that edge, so none is cut off.
"""
from __future__ import annotations

import math
from typing import Callable

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 190, 4, 4, 30, 32
EDGE = 44  # room a centred date needs at the phone's label size, in user units


def bars(points: list[tuple[str, float, float]], *, describe: Callable[[float], str] | None = None) -> dict:
    """Daily bars: (label, value, highlighted part of the value), oldest first. `describe`
    words a value for the tooltips and the scale (money: integer minor units, formatted)."""
    describe = describe or _number
    top = max((value for _, value, _ in points), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points), 1)
    width = max(step * 0.7, 1)
    shapes, every = [], max(1, math.ceil(len(points) / 6))  # about six dates; a phone shows every other one
    for index, (label, value, part) in enumerate(points):
        x = LEFT + index * step + (step - width) / 2
        height, part_height = plot_h * value / top, plot_h * part / top
        centre = x + width / 2
        anchor, label_x = ("start", x) if centre < EDGE else ("end", x + width) if centre > WIDTH - EDGE \
            else ("middle", centre)
        shapes.append({"x": round(x, 1), "w": round(width, 1), "y": round(TOP + plot_h - height, 1),
                       "h": round(height, 1), "part_y": round(TOP + plot_h - part_height, 1),
                       "part_h": round(part_height, 1), "title": f"{label}: {describe(value)}",
                       "label": label if index % every == 0 else "", "minor": index // every % 2 == 1,
                       "label_x": round(label_x, 1), "anchor": anchor})
    return {"width": WIDTH, "height": HEIGHT, "bars": shapes, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "base": HEIGHT - BOTTOM, "label_y": HEIGHT - 6, "top_label": describe(top)}


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
