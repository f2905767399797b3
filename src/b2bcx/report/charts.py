"""Charts as inline SVG: made on the server, no JavaScript, no network.

Every chart is an ``<svg class="chart" data-chart="KIND" role="img">`` with a
``<title>`` (for screen readers and tests) and one mark per data point
(``class="mark"``), so a test can check a chart was drawn with its data. The
dashboard and the management report use the same functions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Colours: a diverging scale for 0–100 scores, and accents.
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#2563eb"
BAD = "#c2410c"
GOOD = "#15803d"


def score_colour(score: float | None) -> str:
    """A colour for a 0–100 score: red (low) through amber to green (high); grey if none."""
    if score is None or not math.isfinite(score):
        return "#f1f5f9"
    s = max(0.0, min(100.0, score)) / 100.0
    # red (194,65,12) → amber (217,163,33) → green (21,128,61)
    stops = [(0.0, (194, 65, 12)), (0.5, (217, 163, 33)), (1.0, (21, 128, 61))]
    for (x0, c0), (x1, c1) in itertools.pairwise(stops):
        if s <= x1:
            t = (s - x0) / (x1 - x0)
            r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#15803d"


def _svg(kind: str, title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(kind)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
        f'font-size="12"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, an optional note and link."""

    label: str
    value: float | None
    note: str = ""
    href: str | None = None
    colour: str | None = None


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    low: float = 0.0,
    high: float = 100.0,
    digits: int = 0,
    width: int = 640,
    colour_by_score: bool = True,
    label_w: int = 190,
) -> str:
    """Horizontal bars from ``low`` to ``high`` (e.g. CX 0–100 per account)."""
    row, value_w = 22, 90
    height = max(row * len(bars) + 24, 40)
    span = (high - low) or 1.0
    plot = width - label_w - value_w
    body = [
        f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{height - 18}" stroke="{GRID}"/>',
        f'<text x="{label_w}" y="{height - 4}" fill="{MUTED}">{_fmt(low, digits)}</text>',
        f'<text x="{label_w + plot}" y="{height - 4}" fill="{MUTED}" text-anchor="end">'
        f"{_fmt(high, digits)}</text>",
    ]
    zero = label_w + plot * (max(low, min(high, 0.0)) - low) / span if low < 0 < high else None
    if zero is not None:
        body.append(
            f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 18}" '
            f'stroke="{MUTED}" stroke-dasharray="2 2"/>'
        )
    for i, bar in enumerate(bars):
        y = 4 + i * row
        value = bar.value if bar.value is not None and math.isfinite(bar.value) else None
        start = zero if zero is not None else label_w
        end = (
            label_w + plot * ((min(high, max(low, value)) - low) / span)
            if value is not None
            else start
        )
        x0, w = (min(start, end), abs(end - start))
        colour = bar.colour or (score_colour(value) if colour_by_score else ACCENT)
        label = escape(bar.label[: max(12, label_w // 6)])
        if bar.href:
            label = f'<a href="{escape(bar.href)}">{label}</a>'
        body.append(
            f'<g class="mark" data-label="{escape(bar.label)}" data-value="{_fmt(value, 3)}">'
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{label}</text>'
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{colour}" rx="2"><title>{escape(bar.label)}: {_fmt(value, digits)}'
            f"{' — ' + escape(bar.note) if bar.note else ''}</title></rect>"
            f'<text x="{label_w + plot + 6}" y="{y + 14}" fill="{INK}">{_fmt(value, digits)}'
            f'<tspan fill="{MUTED}"> {escape(bar.note)}</tspan></text></g>'
        )
    return _svg("bars", title, width, height, body)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    low: float = 0.0,
    high: float = 100.0,
    width: int = 640,
    height: int = 220,
) -> str:
    """A line over labelled points (e.g. CX by month); gaps where a value is missing."""
    left, right, top, bottom = 40, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (high - low) or 1.0
    n = max(len(points) - 1, 1)
    body = []
    for tick in (low, (low + high) / 2, high):
        y = top + plot_h * (1 - (tick - low) / span)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{_fmt(tick)}</text>'
        )
    path: list[str] = []
    marks = []
    step = max(1, len(points) // 8)
    for i, (label, value) in enumerate(points):
        x = left + plot_w * i / n
        if i % step == 0 or i == len(points) - 1:
            body.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
        if value is None or not math.isfinite(value):
            path.append("")
            continue
        y = top + plot_h * (1 - (min(high, max(low, value)) - low) / span)
        path.append(f"{x:.1f},{y:.1f}")
        marks.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}" '
            f'data-label="{escape(label)}" data-value="{value:.3f}"><title>'
            f"{escape(label)}: {value:.1f}</title></circle>"
        )
    segments, current = [], []
    for p in path:
        if p:
            current.append(p)
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    for seg in segments:
        body.append(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
        )
    return _svg("line", title, width, height, body + marks)


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: its score (0–100) and a note (e.g. a count)."""

    score: float | None
    note: str = ""
    href: str | None = None


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: dict[tuple[str, str], Cell],
    *,
    title: str,
    cell_w: int = 120,
    cell_h: int = 44,
    label_w: int = 150,
) -> str:
    """A grid of 0–100 scores (e.g. stage × controller, function × level)."""
    width = label_w + cell_w * len(columns) + 4
    height = 24 + cell_h * len(rows) + 4
    body = []
    for j, col in enumerate(columns):
        body.append(
            f'<text x="{label_w + cell_w * j + cell_w / 2:.0f}" y="16" '
            f'text-anchor="middle" fill="{INK}" font-weight="600">{escape(col)}</text>'
        )
    for i, row in enumerate(rows):
        y = 24 + cell_h * i
        body.append(
            f'<text x="{label_w - 8}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end" '
            f'fill="{INK}">{escape(row)}</text>'
        )
        for j, col in enumerate(columns):
            cell = cells.get((row, col), Cell(None))
            x = label_w + cell_w * j
            fill = score_colour(cell.score)
            text_fill = INK if cell.score is None or 35 < cell.score < 75 else "#ffffff"
            inner = (
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" '
                f'fill="{fill}" rx="3"><title>{escape(row)} × {escape(col)}: '
                f"{_fmt(cell.score, 1)} {escape(cell.note)}</title></rect>"
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2:.0f}" text-anchor="middle" '
                f'fill="{text_fill}" font-weight="600">{_fmt(cell.score)}</text>'
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 13:.0f}" '
                f'text-anchor="middle" fill="{text_fill}" font-size="10">{escape(cell.note)}</text>'
            )
            if cell.href:
                inner = f'<a href="{escape(cell.href)}">{inner}</a>'
            empty = "true" if cell.score is None else "false"
            body.append(
                f'<g class="mark" data-row="{escape(row)}" data-column="{escape(col)}" '
                f'data-empty="{empty}">{inner}</g>'
            )
    return _svg("heatmap", title, width, height, body)


def strategy_matrix(
    impact: float | None,
    scope: float | None,
    *,
    title: str,
    boundary: float = 0.5,
    to_be: tuple[float, float] | None = None,
    size: int = 360,
) -> str:
    """The CXM impact × scope matrix (Wirtz et al. 2025, Fig. 1) with the firm's position.

    ``impact`` and ``scope`` lie in 0–1 (as :func:`b2bcx.strategy.assess` gives them).
    Quadrants: Champion (high impact, broad scope), Cherry Picker (high impact,
    narrow scope), Fashionista (low impact, broad scope), Minimalist (low, narrow).
    """
    pad = 44
    plot = size - pad - 12
    b = pad + plot * boundary

    def xy(imp: float, sco: float) -> tuple[float, float]:
        return pad + plot * sco, 12 + plot * (1 - imp)

    by = 12 + plot * (1 - boundary)
    quads = [
        ("Cherry Picker", pad, 12, b - pad, by - 12),
        ("Champion", b, 12, pad + plot - b, by - 12),
        ("Minimalist", pad, by, b - pad, 12 + plot - by),
        ("Fashionista", b, by, pad + plot - b, 12 + plot - by),
    ]
    body = []
    for name, x, y, w, h in quads:
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="#f8fafc" stroke="{GRID}"/><text x="{x + w / 2:.1f}" '
            f'y="{y + h / 2:.1f}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="13">{name}</text>'
        )
    body.append(
        f'<text x="{pad + plot / 2:.0f}" y="{size - 8}" text-anchor="middle" '
        f'fill="{INK}">CXM scope →</text>'
    )
    body.append(
        f'<text x="14" y="{12 + plot / 2:.0f}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 14 {12 + plot / 2:.0f})">CXM impact →</text>'
    )
    if to_be is not None:
        tx, ty = xy(*to_be)
        body.append(
            f'<circle class="mark" data-label="to-be" cx="{tx:.1f}" cy="{ty:.1f}" r="8" '
            f'fill="none" stroke="{GOOD}" stroke-width="2" stroke-dasharray="3 2">'
            "<title>recommended (to-be)</title></circle>"
        )
    if impact is not None and scope is not None:
        x, y = xy(impact, scope)
        body.append(
            f'<circle class="mark" data-label="as-is" data-value="{impact:.1f},'
            f'{scope:.1f}" cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{ACCENT}"><title>'
            f"the firm: impact {impact:.0f}, scope {scope:.0f}</title></circle>"
        )
    elif scope is not None:
        x = pad + plot * scope / 100
        body.append(
            f'<line class="mark" data-label="scope-only" x1="{x:.1f}" y1="12" '
            f'x2="{x:.1f}" y2="{12 + plot}" stroke="{ACCENT}" stroke-width="3" '
            f'stroke-dasharray="6 4"><title>scope {scope:.2f}; impact not assessed'
            "</title></line>"
        )
    return _svg("matrix", title, size, size, body)


def scatter(
    points: Sequence[tuple[str, float, float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    width: int = 560,
    height: int = 320,
) -> str:
    """Labelled points (e.g. key drivers: importance × performance)."""
    left, right, top, bottom = 48, 16, 12, 36
    pw, ph = width - left - right, height - top - bottom
    (x0, x1), (y0, y1) = x_range, y_range
    body = [
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#f8fafc" stroke="{GRID}"/>',
        f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle" fill="{INK}">'
        f"{escape(x_label)}</text>",
        f'<text x="12" y="{top + ph / 2:.0f}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 12 {top + ph / 2:.0f})">{escape(y_label)}</text>',
    ]
    for label, xv, yv in points:
        if not (math.isfinite(xv) and math.isfinite(yv)):
            continue
        x = left + pw * (xv - x0) / ((x1 - x0) or 1)
        y = top + ph * (1 - (yv - y0) / ((y1 - y0) or 1))
        body.append(
            f'<g class="mark" data-label="{escape(label)}"><circle cx="{x:.1f}" '
            f'cy="{y:.1f}" r="5" fill="{ACCENT}" opacity="0.8"><title>{escape(label)}: '
            f'{xv:.3g}, {yv:.3g}</title></circle><text x="{x + 7:.1f}" '
            f'y="{y + 4:.1f}" font-size="10" fill="{INK}">{escape(label[:22])}</text></g>'
        )
    return _svg("scatter", title, width, height, body)
