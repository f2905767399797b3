"""The management report: one self-contained HTML page (inline CSS and SVG, no
scripts, no network) that follows the four-step playbook of Wirtz et al. (2025,
7.2) and shows the evidence behind each statement.

:func:`gather` runs the analyses (each one library call); :func:`render_report`
turns their results into HTML; :func:`write_report` writes it (and a PDF).
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b2bcx.errors import B2bcxError
from b2bcx.report import charts, figures
from b2bcx.report.insights import text_insights
from b2bcx.storage import Backend

log = logging.getLogger("b2bcx.report")


@dataclass
class ReportData:
    """The results a report shows, and why any is missing (``missing[name]``)."""

    generated: _dt.datetime
    workspace: str
    results: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """A result, or ``None`` when it could not be computed."""
        return self.results.get(name)


def _records(frame: Any) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in out]


def _steps(backend: Backend, answers: Any) -> dict[str, Callable[[], Any]]:
    from b2bcx.diagnose import DiagnoseOptions, diagnose
    from b2bcx.measures.breakdowns import monthly_trend, split
    from b2bcx.measures.collective import measure_units
    from b2bcx.measures.individual import default_metric
    from b2bcx.measures.keydrivers import key_drivers
    from b2bcx.measures.maps import stage_control_map
    from b2bcx.strategy import assess, plan, profile
    from b2bcx.strategy.saved import resolve_answers

    metric = default_metric(backend)
    # the answers given, else the latest saved in the workspace (and the one before)
    resolved = resolve_answers(backend, answers)
    return {
        "metric": lambda: metric,
        "accounts": lambda: measure_units(backend, metric=metric),
        "trend": lambda: _records(monthly_trend(backend, metric=metric)),
        "map": lambda: _records(stage_control_map(backend, metric=metric).cells),
        "controllers": lambda: _records(split(backend, by="controller", metric=metric)),
        "drivers": lambda: _records(key_drivers(backend, drivers="touchpoints", n_boot=0).table),
        "diagnosis": lambda: diagnose(backend, DiagnoseOptions(metric=metric)).to_json(),
        "profile": lambda: profile(backend).to_json(),
        "assessment": lambda: assess(backend, resolved.answers).to_json(),
        "plan": lambda: plan(backend, resolved.answers, previous=resolved.previous).to_json(),
        "answers": lambda: _answers_line(resolved.answers),
        "text": lambda: text_insights(backend),
    }


def _answers_line(answers: Any) -> str:
    """Where the strategy answers came from, for the report."""
    if answers is None:
        return "none: impact is unknown and the archetype is not called"
    when = f"{answers.answered_on:%Y-%m-%d}" if answers.answered_on else "undated"
    who = f" by {answers.respondent}" if answers.respondent else ""
    return f"{len(answers.values)} items answered {when}{who} ({answers.source})"


def gather(backend: Backend, *, answers: Any = None) -> ReportData:
    """Run every analysis the report shows; a failing one is recorded, not raised."""
    data = ReportData(
        generated=_dt.datetime.now(_dt.UTC).replace(microsecond=0), workspace=backend.url
    )
    for name, step in _steps(backend, answers).items():
        try:
            value = step()
        except B2bcxError as exc:
            data.missing[name] = str(exc)
            continue
        except Exception as exc:  # one failing analysis must not lose the whole report
            log.exception("report: %s failed", name)
            data.missing[name] = f"the analysis failed ({type(exc).__name__}: {exc})"
            continue
        if value is None:
            data.missing[name] = "no comment has been analysed: run `b2bcx text analyze`"
        else:
            data.results[name] = value
    return data


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("b2bcx.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = figures.num
    env.globals.update(figures.template_globals())
    env.globals.update(
        gap_bars=figures.gap_bars,
        share_bars=figures.share_bars,
        controller_bars=figures.controller_bars,
    )
    return env


def _view(data: ReportData) -> dict[str, Any]:
    """What the template needs, derived from the results (no new statistics)."""
    from b2bcx.diagnose import CHALLENGES
    from b2bcx.model.enums import STAGE_ORDER, Controller

    measured = data.get("accounts")
    accounts = _records(measured.units) if measured is not None else []
    diagnosis = data.get("diagnosis") or {"findings": [], "at_risk": [], "priorities": []}
    at_risk = diagnosis["at_risk"][:10]
    by_challenge = {
        c: [f for f in diagnosis["findings"] if f["challenge"] == c] for c in CHALLENGES
    }
    cells = {
        (str(c["stage"]), str(c["controller"])): charts.Cell(
            c["score"] if c.get("n_interactions") else None, f"n={c.get('n_interactions') or 0:,}"
        )
        for c in data.get("map") or []
    }
    return {
        "data": data,
        "portfolio": measured.portfolio if measured is not None else {},
        "accounts": accounts,
        "n_aligned": sum(a["verdict"] == "collective & aligned" for a in accounts),
        "at_risk": at_risk,
        "by_challenge": by_challenge,
        "challenges": CHALLENGES,
        "priorities": diagnosis["priorities"][:10],
        "map_cells": cells,
        "stages": [s.value for s in STAGE_ORDER],
        "controllers": [c.value for c in Controller],
        "trend_points": [(str(r["month"])[:7], r.get("score")) for r in data.get("trend") or []],
        "profile": data.get("profile"),
        "assessment": data.get("assessment"),
        "plan": data.get("plan"),
        "text": data.get("text"),
        "controllers_split": data.get("controllers") or [],
        "drivers": data.get("drivers") or [],
    }


def render_report(data: ReportData) -> str:
    """The report as one HTML document."""
    return str(_environment().get_template("report.html").render(**_view(data)))


def build_report(backend: Backend, *, answers: Any = None) -> str:
    """Run the analyses and render the report (HTML)."""
    return render_report(gather(backend, answers=answers))


def write_report(
    backend: Backend, out: str | Path, *, answers: Any = None, pdf: bool = False
) -> list[Path]:
    """Write the report to ``out`` (HTML) and, with ``pdf``, beside it as ``.pdf``."""
    path = Path(out)
    if path.parent and not path.parent.exists():
        from b2bcx.errors import NotFound

        raise NotFound(f"the folder {str(path.parent)!r} does not exist")
    path.write_text(build_report(backend, answers=answers), encoding="utf-8")
    written = [path]
    if pdf:
        from b2bcx.report.pdf import print_pdf

        written.append(print_pdf(path, path.with_suffix(".pdf")))
    return written
