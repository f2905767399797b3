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


#: Average advance of a character of the charts' sans-serif font, in ems: wide
#: enough that text measured with it is never wider in the browser (tested there).
_EM = 0.62


def text_width(text: str, size: float = 12) -> float:
    """How wide ``text`` is drawn at font ``size`` (a safe upper estimate, px).

    Examples
    --------
    >>> round(text_width("2025-09"), 1)
    52.1
    """
    return len(text) * size * _EM


def fit(text: str, width: float, size: float = 12) -> str:
    """``text`` cut to fit ``width`` px at ``size``, with an ellipsis when cut.

    Examples
    --------
    >>> fit("Service visit (ProService Technik)", 120)
    'Service visit (…'
    >>> fit("short", 120)
    'short'
    """
    if text_width(text, size) <= width:
        return text
    keep = max(0, int(width / (size * _EM)) - 1)
    return text[:keep].rstrip() + "…"


def _label(text: str, width: float, size: float = 12) -> str:
    """Escaped ``text`` cut to ``width``, with the whole text as a tooltip when cut."""
    shown = fit(text, width, size)
    tip = f"<title>{escape(text)}</title>" if shown != text else ""
    return f"{tip}{escape(shown)}"


def nice_range(
    values: Sequence[float | None], low: float, high: float, *, step: float = 5.0
) -> tuple[float, float]:
    """An axis range around ``values`` (a margin, rounded to ``step``), kept within
    the scale ``low``–``high``; the whole scale when there are no values.

    Examples
    --------
    >>> nice_range([66.2, 58.1, 61.0], 0, 100)
    (55.0, 70.0)
    >>> nice_range([], 0, 100)
    (0.0, 100.0)
    """
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return float(low), float(high)
    lo, hi = min(known), max(known)
    pad = max((hi - lo) * 0.15, step / 2)
    lo = max(low, math.floor((lo - pad) / step) * step)
    hi = min(high, math.ceil((hi + pad) / step) * step)
    if hi - lo < 2 * step:  # a flat series still gets an axis
        hi, lo = min(high, hi + step), max(low, lo - step)
    return float(lo), float(hi)


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
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Horizontal bars from ``low`` to ``high`` (e.g. CX 0–100 per account).

    Labels longer than ``label_w`` are cut with an ellipsis (the whole label is
    the tooltip); the value column is as wide as its longest value and note (up
    to a third of the chart; longer notes are cut the same way). ``reference``
    draws a dashed line at that value (e.g. the portfolio's score).
    """
    row = 22
    texts = [_fmt(b.value, digits) + (f" {b.note}" if b.note else "") for b in bars]
    value_w = int(min(width / 3, max([text_width(t) for t in texts] + [40.0]) + 12))
    height = max(row * len(bars) + 24, 40)
    span = (high - low) or 1.0
    plot = width - label_w - value_w

    def at(v: float) -> float:
        return label_w + plot * (min(high, max(low, v)) - low) / span

    body = [
        f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{height - 18}" stroke="{GRID}"/>',
        f'<text x="{label_w}" y="{height - 4}" fill="{MUTED}">{_fmt(low, digits)}</text>',
        f'<text x="{label_w + plot}" y="{height - 4}" fill="{MUTED}" text-anchor="end">'
        f"{_fmt(high, digits)}</text>",
    ]
    zero = at(0.0) if low < 0 < high else None
    if zero is not None:
        body.append(
            f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 18}" '
            f'stroke="{MUTED}" stroke-dasharray="2 2"/>'
        )
    if reference is not None and math.isfinite(reference) and low <= reference <= high:
        x = at(reference)
        body.append(
            f'<line class="reference" x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 18}" '
            f'stroke="{INK}" stroke-dasharray="4 3"><title>{escape(reference_label)} '
            f"{_fmt(reference, digits)}</title></line>"
        )
    for i, bar in enumerate(bars):
        y = 4 + i * row
        value = bar.value if bar.value is not None and math.isfinite(bar.value) else None
        start = zero if zero is not None else label_w
        end = at(value) if value is not None else start
        x0, w = (min(start, end), abs(end - start))
        colour = bar.colour or (score_colour(value) if colour_by_score else ACCENT)
        label = _label(bar.label, label_w - 10)
        if bar.href:
            label = f'<a href="{escape(bar.href)}">{label}</a>'
        shown = _fmt(value, digits)
        note = fit(bar.note, value_w - 8 - text_width(shown + " ")) if bar.note else ""
        body.append(
            f'<g class="mark" data-label="{escape(bar.label)}" data-value="{_fmt(value, 3)}">'
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{label}</text>'
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{colour}" rx="2"><title>{escape(bar.label)}: {shown}'
            f"{' — ' + escape(bar.note) if bar.note else ''}</title></rect>"
            f'<text x="{label_w + plot + 6}" y="{y + 14}" fill="{INK}">'
            f"{'<title>' + escape(bar.note) + '</title>' if note != bar.note else ''}{shown}"
            f'<tspan fill="{MUTED}"> {escape(note)}</tspan></text></g>'
        )
    return _svg("bars", title, width, height, body)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    low: float | None = None,
    high: float | None = None,
    scale: tuple[float, float] = (0.0, 100.0),
    reference: float | None = None,
    reference_label: str = "mean",
    width: int = 640,
    height: int = 220,
) -> str:
    """A line over labelled points (e.g. CX by month); gaps where a value is missing.

    The value axis spans ``low``–``high``; left out, it is scaled to the data
    (:func:`nice_range` within ``scale``), so a fall from 66 to 58 shows. A
    dashed reference line marks ``reference`` (default: the mean of the points).
    Point labels are thinned so that none overlaps the next, counted back from
    the last (always shown).
    """
    values = [v for _, v in points if v is not None and math.isfinite(v)]
    auto_lo, auto_hi = nice_range(values, *scale)
    low = auto_lo if low is None else low
    high = auto_hi if high is None else high
    labels_w = max([text_width(label) for label, _ in points] + [0.0])
    left, right, top, bottom = 40, max(12, int(labels_w / 2) + 4), 12, 30
    left = max(left, int(labels_w / 2) + 4)
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (high - low) or 1.0
    n = max(len(points) - 1, 1)

    def y_of(v: float) -> float:
        return top + plot_h * (1 - (min(high, max(low, v)) - low) / span)

    body = []
    for tick in (low, (low + high) / 2, high):
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{_fmt(tick)}</text>'
        )
    if reference is None and values:
        reference = sum(values) / len(values)
    if reference is not None and math.isfinite(reference) and low <= reference <= high:
        y = y_of(reference)
        body.append(
            f'<line class="reference" x1="{left}" y1="{y:.1f}" x2="{width - right}" '
            f'y2="{y:.1f}" stroke="{MUTED}" stroke-dasharray="5 4"><title>'
            f"{escape(reference_label)} {_fmt(reference, 1)}</title></line>"
        )
    path: list[str] = []
    marks = []
    gap = plot_w / n  # px between points
    step = max(1, math.ceil((labels_w + 8) / gap)) if len(points) > 1 else 1
    last = len(points) - 1
    for i, (label, value) in enumerate(points):
        x = left + plot_w * i / n
        if (last - i) % step == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
        if value is None or not math.isfinite(value):
            path.append("")
            continue
        y = y_of(value)
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
            f'text-anchor="middle" fill="{INK}" font-weight="600">'
            f"{_label(col.replace('_', '-'), (cell_w - 6) / 1.1)}</text>"
        )
    for i, row in enumerate(rows):
        y = 24 + cell_h * i
        body.append(
            f'<text x="{label_w - 8}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end" '
            f'fill="{INK}">{_label(row.replace("_", "-"), label_w - 12)}</text>'
        )
        for j, col in enumerate(columns):
            cell = cells.get((row, col), Cell(None))
            x = label_w + cell_w * j
            fill = score_colour(cell.score)
            text_fill = INK if cell.score is None or 35 < cell.score < 75 else "#ffffff"
            inner = (
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" '
                f'fill="{fill}" rx="3"><title>{escape(row.replace("_", "-"))} × '
                f"{escape(col.replace('_', '-'))}: "
                f"{_fmt(cell.score, 1)} {escape(cell.note)}</title></rect>"
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2:.0f}" text-anchor="middle" '
                f'fill="{text_fill}" font-weight="600">{_fmt(cell.score)}</text>'
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 13:.0f}" '
                f'text-anchor="middle" fill="{text_fill}" font-size="10">'
                f"{_label(cell.note, cell_w - 8, 10)}</text>"
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
            f'<circle class="mark" data-label="as-is" data-value="{impact:.3f},'
            f'{scope:.3f}" cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{ACCENT}"><title>'
            f"the firm: impact {impact:.2f}, scope {scope:.2f}</title></circle>"
        )
    elif scope is not None:
        x = pad + plot * scope  # scope is on 0–1, like the circle's
        body.append(
            f'<line class="mark" data-label="scope-only" x1="{x:.1f}" y1="12" '
            f'x2="{x:.1f}" y2="{12 + plot}" stroke="{ACCENT}" stroke-width="3" '
            f'stroke-dasharray="6 4"><title>scope {scope:.2f}; impact not assessed'
            "</title></line>"
        )
    return _svg("matrix", title, size, size, body)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


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
    x_guide: float | None = None,
    y_guide: float | None = None,
    quadrants: tuple[str, str, str, str] | None = None,
    x_percent: bool = False,
) -> str:
    """Labelled points (e.g. key drivers: importance × performance).

    Axes carry ticks; ``x_guide``/``y_guide`` draw dashed quadrant guides, and
    ``quadrants`` names the quadrants (top left, top right, bottom left, bottom
    right). A point's label is placed right, left, above or below it where it
    collides with no other label, point or quadrant name and stays inside the
    plot; otherwise it is left out (the point's tooltip names it).
    """
    left, right, top, bottom = 52, 16, 12, 40
    pw, ph = width - left - right, height - top - bottom
    (x0, x1), (y0, y1) = x_range, y_range

    def px(xv: float) -> float:
        return left + pw * (xv - x0) / ((x1 - x0) or 1)

    def py(yv: float) -> float:
        return top + ph * (1 - (yv - y0) / ((y1 - y0) or 1))

    def tick(v: float) -> str:
        return f"{v * 100:.0f}%" if x_percent else f"{v:.3g}"

    body = [
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#f8fafc" stroke="{GRID}"/>',
        f'<text x="{left + pw / 2:.0f}" y="{height - 4}" text-anchor="middle" fill="{INK}">'
        f"{_label(x_label, pw)}</text>",
        f'<text x="12" y="{top + ph / 2:.0f}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 12 {top + ph / 2:.0f})">{_label(y_label, ph)}</text>',
    ]
    for k in range(5):
        xv, yv = x0 + (x1 - x0) * k / 4, y0 + (y1 - y0) * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        body.append(
            f'<text x="{px(xv):.1f}" y="{top + ph + 14}" text-anchor="{anchor}" '
            f'font-size="10" fill="{MUTED}">{tick(xv)}</text>'
            f'<text x="{left - 4}" y="{py(yv) + 3:.1f}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">{yv:.3g}</text>'
        )
    taken: list[tuple[float, float, float, float]] = []
    if x_guide is not None and x0 <= x_guide <= x1:
        gx = px(x_guide)
        body.append(
            f'<line class="guide" x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{top + ph}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
    if y_guide is not None and y0 <= y_guide <= y1:
        gy = py(y_guide)
        body.append(
            f'<line class="guide" x1="{left}" y1="{gy:.1f}" x2="{left + pw}" y2="{gy:.1f}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
    if quadrants is not None:
        spots = [
            (left + 4, top + 12, "start"),
            (left + pw - 4, top + 12, "end"),
            (left + 4, top + ph - 6, "start"),
            (left + pw - 4, top + ph - 6, "end"),
        ]
        for name, (qx, qy, anchor) in zip(quadrants, spots, strict=True):
            shown = fit(name, pw / 2 - 8, 11)
            w = text_width(shown, 11)
            bx = qx if anchor == "start" else qx - w
            taken.append((bx, qy - 11, bx + w, qy + 3))
            body.append(
                f'<text class="quadrant" x="{qx}" y="{qy}" text-anchor="{anchor}" '
                f'font-size="11" fill="{MUTED}">{escape(shown)}</text>'
            )
    placed = []
    for label, xv, yv in points:
        if not (math.isfinite(xv) and math.isfinite(yv)):
            continue
        x, y = px(xv), py(yv)
        taken.append((x - 5, y - 5, x + 5, y + 5))
        placed.append((label, xv, yv, x, y))
    marks = []
    for label, xv, yv, x, y in placed:
        shown = fit(label, 130, 10)
        w, h = text_width(shown, 10), 11.0
        text = ""
        for tx, ty in ((x + 7, y + 4), (x - 7 - w, y + 4), (x - w / 2, y - 8), (x - w / 2, y + 16)):
            box = (tx, ty - h + 2, tx + w, ty + 2)
            inside = box[0] >= left + 1 and box[2] <= left + pw - 1
            inside = inside and box[1] >= top + 1 and box[3] <= top + ph - 1
            own = (x - 5, y - 5, x + 5, y + 5)
            if inside and not any(_overlaps(box, t) for t in taken if t != own):
                taken.append(box)
                text = (
                    f'<text x="{tx:.1f}" y="{ty:.1f}" font-size="10" fill="{INK}">'
                    f"{escape(shown)}</text>"
                )
                break
        labelled = "true" if text else "false"
        marks.append(
            f'<g class="mark" data-label="{escape(label)}" data-labelled="{labelled}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{ACCENT}" opacity="0.8"><title>'
            f"{escape(label)}: {xv:.3g}, {yv:.3g}</title></circle>{text}</g>"
        )
    return _svg("scatter", title, width, height, body + marks)
