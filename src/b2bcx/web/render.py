"""Templates: one Jinja2 environment, autoescaped, with the chart functions."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from b2bcx.model.enums import STAGE_ORDER, Controller
from b2bcx.report import charts, figures


def _pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


@functools.cache
def environment() -> Environment:
    """The dashboard's template environment."""
    env = Environment(
        loader=PackageLoader("b2bcx.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = figures.num
    env.filters["pct"] = _pct
    env.filters["points"] = figures.points
    env.filters["cells"] = figures.cells
    env.globals.update(figures.template_globals())
    env.globals.update(
        score_colour=charts.score_colour,
        challenge_bars=figures.challenge_bars,
        risk_bars=figures.risk_bars,
        controller_bars=figures.controller_bars,
        driver_points=figures.driver_points,
        driver_guides=figures.driver_guides,
        partner_bars=figures.partner_bars,
        share_bars=figures.share_bars,
        vp_bars=figures.vp_bars,
        stage_bars=figures.stage_bars,
        gap_bars=figures.gap_bars,
        topic_bars=figures.topic_bars,
        STAGES=[s.value for s in STAGE_ORDER],
        CONTROLLERS=[c.value for c in Controller],
    )
    return env


def shown_metric(state: Any) -> str:
    """The name of what the pages' scores measure, e.g. "collective CX", or
    "collective NPS" where the workspace has no cx ratings and the analyses fall
    back to NPS (the measured accounts' ``metric_label``)."""
    from b2bcx.measures.individual import metric_label
    from b2bcx.server.results import Unavailable

    measured = state.results.get("accounts") if state is not None else None
    if measured is None or isinstance(measured, Unavailable):
        return "collective CX"
    label: str = measured.metric_label or metric_label(measured.metric)
    return label


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: ``template`` with ``context`` and what every page shows (who, CSRF)."""
    principal = getattr(request.state, "principal", None)
    state = getattr(request.app.state, "b2bcx", None)
    refreshing = state is not None and state.results.is_refreshing()
    session = getattr(request.state, "session", None)
    if "metric_label" not in context and principal is not None:
        context["metric_label"] = shown_metric(state)
    label = str(context.get("metric_label") or "collective CX")
    context.setdefault("metric_name", label.split(" ", 1)[-1])  # "CX", "NPS", ...
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            csrf=session.csrf if session is not None else None,
            path=request.url.path,
            refreshing=refreshing,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)
