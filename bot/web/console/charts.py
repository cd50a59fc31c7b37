"""Bar charts drawn on the server as SVG geometry (the template draws the shapes): no
chart library, no script, nothing fetched from elsewhere."""
from __future__ import annotations

from typing import Callable

WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM = 640, 170, 44, 22, 22


def bars(points: list[tuple[str, float, float]], *, describe: Callable[[float], str] | None = None) -> dict:
    """Daily bars: (label, value, highlighted part of the value), oldest first. `describe`
    words a value for the tooltips and the scale (money: integer minor units, formatted)."""
    describe = describe or _number
    top = max((value for _, value, _ in points), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - 6
    step = plot_w / max(len(points), 1)
    width = max(step * 0.7, 1)
    shapes, every = [], max(1, len(points) // 8)  # a date under about eight bars
    for index, (label, value, part) in enumerate(points):
        x = LEFT + index * step + (step - width) / 2
        height, part_height = plot_h * value / top, plot_h * part / top
        shapes.append({"x": round(x, 1), "w": round(width, 1), "y": round(6 + plot_h - height, 1),
                       "h": round(height, 1), "part_y": round(6 + plot_h - part_height, 1),
                       "part_h": round(part_height, 1), "title": f"{label}: {describe(value)}",
                       "label": label if index % every == 0 else "", "label_x": round(x + width / 2, 1)})
    return {"width": WIDTH, "height": HEIGHT, "bars": shapes, "left": LEFT, "base": HEIGHT - BOTTOM,
            "top_label": describe(top)}


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
