"""Chart inputs built from analysis results (bars, points, cells): shared by the
dashboard and the management report so both draw the same figures."""

from __future__ import annotations

import math
from typing import Any

from b2bcx.report import charts


def template_globals() -> dict[str, Any]:
    """What every template (dashboard and report) draws with: the SVG chart
    functions, their output marked safe for autoescaping, and the chart value types."""
    from markupsafe import Markup

    def svg(func: Any) -> Any:
        return lambda *a, **k: Markup(func(*a, **k))

    return {
        "bar_chart": svg(charts.bar_chart),
        "line_chart": svg(charts.line_chart),
        "heatmap": svg(charts.heatmap),
        "strategy_matrix": svg(charts.strategy_matrix),
        "scatter": svg(charts.scatter),
        "Bar": charts.Bar,
        "Cell": charts.Cell,
    }


def num(value: Any, digits: int = 0) -> str:
    """A number for people: thousands separated, ``–`` when missing."""
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(f):
        return "–"
    text = f"{f:,.{digits}f}"
    # a value that rounds to zero is zero, not "-0.0"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def points(rows: Any, x: str, y: str) -> list[tuple[str, float | None]]:
    """(label, value) pairs of a list of dicts (or a frame): months shown as YYYY-MM."""
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    out = []
    for r in rows:
        label = str(r[x])[:7] if x == "month" else str(r[x])
        value = r.get(y)
        out.append((label, None if value is None or value != value else float(value)))
    return out


def cells(frame: Any, row: str, col: str, value: str = "score") -> dict[tuple[str, str], Any]:
    """Heatmap cells from rows with ``row``, ``col``, ``value`` and ``n_interactions``."""
    if hasattr(frame, "to_dict"):
        frame = frame.to_dict("records")
    out = {}
    for r in frame:
        n = r.get("n_interactions") or r.get("n_stakeholders") or 0
        score = r.get(value)
        score = None if score is None or score != score or not n else float(score)
        out[(str(r[row]), str(r[col]))] = charts.Cell(score, f"n={int(n):,}" if n else "")
    return out


def challenge_bars(counts: dict[str, int], names: dict[str, str]) -> list[charts.Bar]:
    """One bar per challenge: its number of findings."""
    return [
        charts.Bar(f"{c} {names[c]}", float(n), href=f"#challenge-{c}") for c, n in counts.items()
    ]


def risk_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    """Accounts by CX, noted with their risk, linked to their page."""
    return [
        charts.Bar(
            str(r.get("name") or r["account_id"]),
            r.get("cx"),
            note=f"risk {r['risk'] * 100:.0f}%" if r.get("risk") is not None else "",
            href=f"/accounts/{r['account_id']}",
        )
        for r in rows
    ]


def _known(value: Any, missing: str) -> str:
    """``value`` as a label, or ``missing`` for None/NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return missing
    return str(value)


def controller_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    """CX per touchpoint controller, noted with NPS and count."""
    return [
        charts.Bar(
            _known(r["controller"], "no touchpoint recorded"),
            r.get("score"),
            note=f"NPS {num(r.get('nps'))}, n={num(r.get('n_rated'))}",
        )
        for r in rows
    ]


def driver_points(rows: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """Key drivers as (label, share, performance)."""
    return [
        (str(r.get("label") or r["driver"]), float(r["share"]), float(r["performance"]))
        for r in rows
        if r.get("share") is not None and r.get("performance") is not None
    ]


def driver_guides(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The quadrant guides of an importance × performance scatter: equal
    importance (a share of 1/k of k drivers) and the median performance (the split
    the quadrants use), with the quadrants' names."""
    from statistics import median

    from b2bcx.measures.keydrivers import FIX_FIRST, KEEP_UP, LOWER_PRIORITY, POSSIBLE_OVERKILL

    perf = [float(r["performance"]) for r in rows if r.get("performance") is not None]
    shares = [float(r["share"]) for r in rows if r.get("share") is not None]
    top = max([*shares, 0.01]) * 1.15
    return {
        "x_guide": 1 / len(shares) if shares else None,
        "y_guide": median(perf) if perf else None,
        "x_range": (0.0, max(top, 1.2 / len(shares)) if shares else top),
        "y_range": nice_y(perf),
        # top left, top right, bottom left, bottom right
        "quadrants": (POSSIBLE_OVERKILL, KEEP_UP, LOWER_PRIORITY, FIX_FIRST),
    }


def nice_y(values: list[float]) -> tuple[float, float]:
    """A 0–100 axis range scaled to ``values`` (:func:`charts.nice_range`)."""
    return charts.nice_range(values, 0.0, 100.0, step=10.0)


def partner_bars(card: dict[str, Any]) -> list[charts.Bar]:
    """A partner's touchpoints by performance."""
    return [
        charts.Bar(
            str(t["name"]),
            t.get("performance"),
            note=f"{t['quadrant']}" if t.get("quadrant") else "no ratings",
        )
        for t in card["touchpoints"]
    ]


def share_bars(rows: list[dict[str, Any]], key: str) -> list[charts.Bar]:
    """Shares (0–1) as percentages."""
    return [charts.Bar(str(r[key]), float(r["share"]) * 100) for r in rows]


def vp_bars(values: dict[str, float]) -> list[charts.Bar]:
    """Value propositions (0–1) as percentages."""
    return [charts.Bar(k, float(v) * 100) for k, v in values.items()]


def stage_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    """Sentiment per journey stage."""
    return [
        charts.Bar(str(r["stage"]), r.get("sentiment"), note=f"n={num(r.get('comments'))}")
        for r in rows
    ]


def gap_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    """Importance − rating per goal: red where under-served."""
    return [
        charts.Bar(
            f"{r['goal']} ({r['value_proposition']})",
            r.get("gap"),
            colour=charts.BAD if (r.get("gap") or 0) > 0 else charts.GOOD,
        )
        for r in rows
    ]


def topic_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    """Topics by their share of comments (%), noted with mean sentiment."""
    return [
        charts.Bar(
            str(r["label"]), float(r["share"]) * 100, note=f"sentiment {num(r.get('sentiment'), 2)}"
        )
        for r in rows
    ]
