"""Charts as geometry: numbers in, rectangles, paths and labels out; a template draws them as inline SVG.

Nothing here writes markup, so every label goes through the template's autoescaping, and colours
come from CSS classes (s0, s1, ...) because the page's CSP forbids inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 40
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str


@dataclass(frozen=True, slots=True)
class Line:
    d: str
    cls: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    cls: str = "axis"


@dataclass
class Chart:
    width: int
    height: int
    title: str
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, name)

    @property
    def empty(self) -> bool:
        return not self.rects and not any(line.cls.startswith("s") for line in self.lines)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (axis tops that read well)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power


def _frame(chart: Chart, top_value: float, fmt: Callable[[float], str], x_labels: Sequence[str], slot: float) -> None:
    plot_h = chart.height - TOP - BOTTOM
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        chart.lines.append(Line(f"M{LEFT} {y:.1f}H{chart.width - RIGHT}", "grid"))
        chart.labels.append(Label(LEFT - 6, y + 4, fmt(value), "end"))
    every = max(1, math.ceil(len(x_labels) / MAX_X_LABELS))
    for i, text in enumerate(x_labels):
        if i % every == 0:
            chart.labels.append(Label(LEFT + slot * (i + 0.5), chart.height - BOTTOM + 16, text))


def stacked_bars(
    title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], fmt: Callable[[float], str],
    width: int = 900, height: int = 260,
) -> Chart:  # fmt: skip
    """One bar per x label, each series stacked on the previous ones."""
    chart = Chart(width, height, title, legend=[(f"s{i}", name) for i, (name, _) in enumerate(series)])
    totals = [sum(values[i] for _, values in series) for i in range(len(x_labels))]
    top = nice_ceiling(max(totals, default=0))
    plot_h, slot = height - TOP - BOTTOM, (width - LEFT - RIGHT) / max(len(x_labels), 1)
    _frame(chart, top, fmt, x_labels, slot)
    for i, label in enumerate(x_labels):
        base = 0.0
        for k, (name, values) in enumerate(series):
            v = values[i]
            if v <= 0:
                continue
            h = plot_h * v / top
            y = TOP + plot_h - plot_h * (base + v) / top
            chart.rects.append(Rect(round(LEFT + slot * i + slot * 0.15, 1), round(y, 1), round(slot * 0.7, 1), round(h, 1), f"s{k}",
                                    f"{label} · {name}: {fmt(v)}"))  # fmt: skip
            base += v
    return chart


def line_chart(
    title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]], fmt: Callable[[float], str],
    split_at: int | None = None, width: int = 900, height: int = 260,
) -> Chart:  # fmt: skip
    """Lines over x labels; a None breaks a line; `split_at` draws a divider (history | forecast)."""
    chart = Chart(width, height, title, legend=[(cls, name) for name, _, cls in series])
    top = nice_ceiling(max((v for _, values, _ in series for v in values if v is not None), default=0))
    plot_h, slot = height - TOP - BOTTOM, (width - LEFT - RIGHT) / max(len(x_labels), 1)
    _frame(chart, top, fmt, x_labels, slot)
    if split_at is not None:
        x = LEFT + slot * split_at
        chart.lines.append(Line(f"M{x:.1f} {TOP}V{height - BOTTOM}", "divider"))
    for name, values, cls in series:
        parts, pen_down = [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * v / top
            parts.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
        if parts:
            chart.lines.append(Line("".join(parts), cls, name))
    return chart


def paired_hbars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], fmt: Callable[[float], str],
    width: int = 900, row: int = 34,
) -> Chart:  # fmt: skip
    """Horizontal bars, one group per label (e.g. median and p90 of each stage)."""
    left = 230
    height = TOP + row * len(labels) + BOTTOM
    chart = Chart(width, height, title, legend=[(f"s{i}", name) for i, (name, _) in enumerate(series)])
    top = nice_ceiling(max((v for _, vs in series for v in vs if v is not None), default=0))
    plot_w = width - left - RIGHT
    for i in range(5):
        x = left + plot_w * i / 4
        chart.lines.append(Line(f"M{x:.1f} {TOP}V{height - BOTTOM}", "grid"))
        chart.labels.append(Label(x, height - BOTTOM + 16, fmt(top * i / 4)))
    bar = (row - 8) / max(len(series), 1)
    for i, label in enumerate(labels):
        y0 = TOP + row * i + 4
        chart.labels.append(Label(left - 8, y0 + row / 2, label, "end", "axis name"))
        for k, (name, values) in enumerate(series):
            v = values[i]
            if v:
                chart.rects.append(Rect(left, round(y0 + bar * k, 1), round(plot_w * v / top, 1), round(bar - 2, 1), f"s{k}",
                                        f"{label} · {name}: {fmt(v)}"))  # fmt: skip
    return chart
