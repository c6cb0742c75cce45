"""Server-side SVG charts: no scripts, no external assets, accessible names.

Each chart is an `<svg class="chart" role="img">` (the console's stylesheet fits it to
its box, keeping its proportions) named by `aria-label` and `<title>`, with a
`<desc>` listing every value for screen readers (an image's children are hidden
from them). Labels are escaped; long ones are shortened on screen and kept whole in
the tooltip of their row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

Formatter = Callable[[float], str]

_CHAR_WIDTH = 7  # average width of a 12px sans-serif character
_PADDING = 8
_VALUE_WIDTH = 64
_BAR_COLOUR = "#2f6fb0"
_TEXT_COLOUR = "#222222"
_EMPTY_HEIGHT = 40


def format_number(value: float) -> str:
    """A number the Indonesian way: `1.234` for whole numbers, `12,5` otherwise."""
    if not math.isfinite(value):
        return "-"
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def bar_chart(
    data: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    bar_height: int = 22,
    gap: int = 8,
    value_format: Formatter = format_number,
    empty_text: str = "Tidak ada data",
) -> Markup:
    """A horizontal bar chart of `(label, value)` pairs, in the order given."""
    if not data:
        return _empty(title, width, empty_text)
    label_width = _label_width(data, width)
    bar_room = max(1, width - label_width - _VALUE_WIDTH - 2 * _PADDING)
    scale = _scale([value for _, value in data])
    rows = []
    for index, (label, value) in enumerate(data):
        top = _PADDING + index * (bar_height + gap)
        length = _length(value, scale, bar_room)
        rows.append(_bar_row(label, value, value_format, top, label_width, length, bar_height))
    height = 2 * _PADDING + len(data) * (bar_height + gap) - gap
    return _svg(title, width, height, _description(data, value_format), Markup("").join(rows))


def funnel_chart(
    steps: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    step_height: int = 32,
    gap: int = 6,
    value_format: Formatter = format_number,
    empty_text: str = "Tidak ada data",
) -> Markup:
    """A funnel: one centred bar per step, sized against the first, with its share of it."""
    if not steps:
        return _empty(title, width, empty_text)
    label_width = _label_width(steps, width)
    bar_room = max(1, width - label_width - 2 * _VALUE_WIDTH - 2 * _PADDING)
    first = _finite(steps[0][1])
    scale = _scale([value for _, value in steps])
    rows = []
    for index, (label, value) in enumerate(steps):
        top = _PADDING + index * (step_height + gap)
        length = _length(value, scale, bar_room)
        caption = value_format(value)
        if first > 0:
            caption += f" ({format_number(round(100 * _finite(value) / first, 1))}%)"
        rows.append(_funnel_row(label, caption, top, label_width, bar_room, length, step_height))
    height = 2 * _PADDING + len(steps) * (step_height + gap) - gap
    return _svg(title, width, height, _description(steps, value_format), Markup("").join(rows))


def _bar_row(
    label: str,
    value: float,
    value_format: Formatter,
    top: int,
    label_width: int,
    length: float,
    bar_height: int,
) -> Markup:
    middle = top + bar_height / 2
    shown = value_format(value)
    return Markup("<g><title>{}: {}</title>{}{}{}</g>").format(
        label,
        shown,
        _text(label_width - _PADDING, middle, _shorten(label, label_width), "end", "chart-label"),
        _rect(label_width, top, length, bar_height),
        _text(label_width + length + 4, middle, shown, "start", "chart-value"),
    )


def _funnel_row(
    label: str,
    caption: str,
    top: int,
    label_width: int,
    bar_room: int,
    length: float,
    step_height: int,
) -> Markup:
    middle = top + step_height / 2
    left = label_width + (bar_room - length) / 2
    return Markup("<g><title>{}: {}</title>{}{}{}</g>").format(
        label,
        caption,
        _text(label_width - _PADDING, middle, _shorten(label, label_width), "end", "chart-label"),
        _rect(left, top, length, step_height),
        _text(label_width + bar_room + _PADDING, middle, caption, "start", "chart-value"),
    )


def _svg(title: str, width: int, height: int, description: str, body: Markup) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" '
        'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">'
        "<title>{title}</title><desc>{description}</desc>{body}</svg>"
    ).format(title=title, width=width, height=height, description=description, body=body)


def _empty(title: str, width: int, empty_text: str) -> Markup:
    text = _text(width / 2, _EMPTY_HEIGHT / 2, empty_text, "middle", "chart-empty")
    return _svg(title, width, _EMPTY_HEIGHT, empty_text, text)


def _rect(x: float, y: float, length: float, height: int) -> Markup:
    return Markup(
        '<rect class="chart-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{}" fill="{}"/>'
    ).format(x, y, length, height, _BAR_COLOUR)


def _text(x: float, y: float, content: str, anchor: str, css_class: str) -> Markup:
    return Markup(
        '<text class="{}" x="{:.1f}" y="{:.1f}" text-anchor="{}" '
        'dominant-baseline="middle" fill="{}">{}</text>'
    ).format(css_class, x, y, anchor, _TEXT_COLOUR, content)


def _description(data: Sequence[tuple[str, float]], value_format: Formatter) -> str:
    return "; ".join(f"{label}: {value_format(value)}" for label, value in data)


def _label_width(data: Sequence[tuple[str, float]], width: int) -> int:
    longest = max(len(label) for label, _ in data)
    return int(min(longest * _CHAR_WIDTH + 2 * _PADDING, width * 0.4))


def _shorten(label: str, label_width: int) -> str:
    room = max(1, (label_width - 2 * _PADDING) // _CHAR_WIDTH)
    return label if len(label) <= room else label[: max(1, room - 1)] + "…"


def _finite(value: float) -> float:
    """The value as a bar length source: non-numbers and negatives count as 0."""
    return value if math.isfinite(value) and value > 0 else 0.0


def _scale(values: Sequence[float]) -> float:
    return max((_finite(value) for value in values), default=0.0)


def _length(value: float, scale: float, room: int) -> float:
    return room * _finite(value) / scale if scale > 0 else 0.0
