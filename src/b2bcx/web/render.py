"""Templates: one Jinja2 environment, autoescaped, with the chart functions."""

from __future__ import annotations

import functools
import math
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from b2bcx.model.enums import STAGE_ORDER, Controller
from b2bcx.report import charts


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(f):
        return "–"
    return f"{f:,.{digits}f}"


def _pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def _svg(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Markup:
        return Markup(func(*args, **kwargs))

    return wrapper


def _points(rows: Any, x: str, y: str) -> list[tuple[str, float | None]]:
    """(label, value) pairs of a list of dicts (or a frame): months shown as YYYY-MM."""
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    out = []
    for r in rows:
        label = str(r[x])[:7] if x == "month" else str(r[x])
        value = r.get(y)
        out.append((label, None if value is None or value != value else float(value)))
    return out


def _cells(frame: Any, row: str, col: str, value: str = "score") -> dict[tuple[str, str], Any]:
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


def _challenge_bars(counts: dict[str, int], names: dict[str, str]) -> list[charts.Bar]:
    return [
        charts.Bar(f"{c} {names[c]}", float(n), href=f"#challenge-{c}") for c, n in counts.items()
    ]


def _risk_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    return [
        charts.Bar(
            str(r.get("name") or r["account_id"]),
            r.get("cx"),
            note=f"risk {r['risk'] * 100:.0f}%" if r.get("risk") is not None else "",
            href=f"/accounts/{r['account_id']}",
        )
        for r in rows
    ]


def _controller_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    return [
        charts.Bar(
            str(r["controller"]),
            r.get("score"),
            note=f"NPS {_num(r.get('nps'))}, n={_num(r.get('n_rated'))}",
        )
        for r in rows
    ]


def _driver_points(rows: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    return [
        (str(r.get("label") or r["driver"]), float(r["share"]), float(r["performance"]))
        for r in rows
        if r.get("share") is not None and r.get("performance") is not None
    ]


def _partner_bars(card: dict[str, Any]) -> list[charts.Bar]:
    return [
        charts.Bar(
            str(t["name"]),
            t.get("performance"),
            note=f"{t['quadrant']}" if t.get("quadrant") else "no ratings",
        )
        for t in card["touchpoints"]
    ]


def _share_bars(rows: list[dict[str, Any]], key: str) -> list[charts.Bar]:
    return [charts.Bar(str(r[key]), float(r["share"]) * 100) for r in rows]


def _vp_bars(values: dict[str, float]) -> list[charts.Bar]:
    return [charts.Bar(k, float(v) * 100) for k, v in values.items()]


def _stage_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    return [
        charts.Bar(str(r["stage"]), r.get("sentiment"), note=f"n={_num(r.get('comments'))}")
        for r in rows
    ]


def _gap_bars(rows: list[dict[str, Any]]) -> list[charts.Bar]:
    return [
        charts.Bar(
            f"{r['goal']} ({r['value_proposition']})",
            r.get("gap"),
            colour=charts.BAD if (r.get("gap") or 0) > 0 else charts.GOOD,
        )
        for r in rows
    ]


@functools.cache
def environment() -> Environment:
    """The dashboard's template environment."""
    env = Environment(
        loader=PackageLoader("b2bcx.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["points"] = _points
    env.filters["cells"] = _cells
    env.globals.update(
        bar_chart=_svg(charts.bar_chart),
        line_chart=_svg(charts.line_chart),
        heatmap=_svg(charts.heatmap),
        strategy_matrix=_svg(charts.strategy_matrix),
        scatter=_svg(charts.scatter),
        Bar=charts.Bar,
        Cell=charts.Cell,
        score_colour=charts.score_colour,
        challenge_bars=_challenge_bars,
        risk_bars=_risk_bars,
        controller_bars=_controller_bars,
        driver_points=_driver_points,
        partner_bars=_partner_bars,
        share_bars=_share_bars,
        vp_bars=_vp_bars,
        stage_bars=_stage_bars,
        gap_bars=_gap_bars,
        STAGES=[s.value for s in STAGE_ORDER],
        CONTROLLERS=[c.value for c in Controller],
    )
    return env


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: ``template`` with ``context`` and what every page shows (who, CSRF)."""
    principal = getattr(request.state, "principal", None)
    session = getattr(request.state, "session", None)
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            csrf=session.csrf if session is not None else None,
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)
