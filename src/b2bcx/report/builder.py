"""The management report: one self-contained HTML page (inline CSS and SVG, no
scripts, no network) that follows the four-step playbook of Wirtz et al. (2025,
7.2) and shows the evidence behind each statement.

:func:`gather` picks the standard analyses it shows from an
:class:`~b2bcx.analyses.Analyses` (the list of analyses, their thresholds and
answers live there, once: ``ws.analyses(options)``); :func:`render_report` turns
them into HTML; :func:`write_report` writes it (and a PDF).

For callers written before the front door, :func:`gather`, :func:`build_report`
and :func:`write_report` also take a :class:`~b2bcx.storage.Backend` (and
``answers``): the analyses are then made with the default options.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.cases import closed_loop
from b2bcx.errors import B2bcxError
from b2bcx.measures.verdict import ALIGNED, NOT_PROVEN, UNALIGNED
from b2bcx.report import charts, figures
from b2bcx.report.summary import (
    evidence_parts,
    evidence_sentence,
    executive_summary,
    group_priorities,
    load_names,
    named,
    order_at_risk,
    percent,
    plain,
)
from b2bcx.storage import Backend

if TYPE_CHECKING:
    from b2bcx.strategy import Answers

log = logging.getLogger("b2bcx.report")


@dataclass
class ReportData:
    """The results a report shows, and why any is missing (``missing[name]``)."""

    generated: _dt.datetime
    workspace: str
    results: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    #: id → name of accounts, partners and touchpoints (the report shows names)
    names: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """A result, or ``None`` when it could not be computed."""
        return self.results.get(name)


def _records(frame: Any) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in out]


def _as_dict(value: Any) -> dict[str, Any]:
    """A typed result's JSON object (``to_dict()``, else ``to_json()``)."""
    method = getattr(value, "to_dict", None) or value.to_json
    out: dict[str, Any] = method()
    return out


def _steps(a: Analyses) -> dict[str, Callable[[], Any]]:
    """What the report shows: each one attribute of the standard analyses."""
    return {
        "metric": lambda: a.metric,
        "accounts": lambda: a.units("account"),
        "trend": lambda: _records(a.trend()),
        "map": lambda: _records(a.map().cells),
        "controllers": lambda: _records(a.split("controller")),
        "drivers": lambda: _records(a.drivers("touchpoints").table),
        "diagnosis": lambda: _as_dict(a.diagnosis),
        "scorecards": lambda: a.scorecards,
        "profile": lambda: _as_dict(a.profile),
        "assessment": lambda: _as_dict(a.assessment),
        "plan": lambda: _as_dict(a.plan),
        # the answers given, else the latest saved in the workspace
        "answers": lambda: _answers_line(a.answers.answers),
        "text": lambda: a.text,
        # the closed loop: what was done about it (cases are not an analysis of
        # the data version: read at the time the report is made)
        "closed_loop": lambda: closed_loop(a.backend).to_dict(),
        # what the data supports and what unlocks the rest (counts only)
        "readiness": lambda: a.readiness(),
    }


#: The readiness analyses behind each section of the report (an empty section
#: says what is missing and what unlocks it).
SECTION_READINESS: dict[str, tuple[str, ...]] = {
    "accounts": ("collective",),
    "diagnosis": ("risk",),
    "map": ("map",),
    "trend": ("trend",),
    "drivers": ("key_drivers",),
    "profile": ("profile",),
    "text": ("text",),
    "assessment": ("assessment",),
    "plan": ("plan",),
    "closed_loop": ("cases",),
}


def _readiness_view(data: ReportData) -> dict[str, Any]:
    """The readiness rows (JSON objects) by analysis key, and by report section
    the ones that are not ready (for the sections that would be empty)."""
    found = data.get("readiness")
    if found is None:
        return {"rows": [], "by_key": {}, "gaps": {}}
    rows = [a.to_dict() for a in found.analyses]
    by_key = {r["key"]: r for r in rows}
    gaps = {
        section: [by_key[k] for k in keys if k in by_key and by_key[k]["status"] != "ready"]
        for section, keys in SECTION_READINESS.items()
    }
    return {"rows": rows, "by_key": by_key, "gaps": gaps}


def analyses_of(source: Analyses | Backend, *, answers: Answers | None = None) -> Analyses:
    """``source`` if it is the standard analyses, else those of a backend with the
    default options and ``answers`` (the report's drivers need no intervals)."""
    if isinstance(source, Analyses):
        if answers is not None:
            raise TypeError("give the answers in the Analyses' options, not beside them")
        return source
    return Analyses(source, AnalysisOptions(answers=answers, n_boot=0))


def _answers_line(answers: Any) -> str:
    """Where the strategy answers came from, for the report."""
    if answers is None:
        return "none: impact is unknown and the archetype is not called"
    when = f"{answers.answered_on:%Y-%m-%d}" if answers.answered_on else "undated"
    who = f" by {answers.respondent}" if answers.respondent else ""
    return f"{len(answers.values)} items answered {when}{who} ({answers.source})"


def gather(analyses: Analyses | Backend, *, answers: Answers | None = None) -> ReportData:
    """The results the report shows, taken from ``analyses``; a failing one is
    recorded (``missing``), not raised.

    Parameters
    ----------
    analyses:
        The standard analyses (``ws.analyses(options)``), or, as before the
        front door, a backend (with ``answers``).
    answers:
        Only with a backend: the strategy answers (else the latest saved).
    """
    a = analyses_of(analyses, answers=answers)
    data = ReportData(
        generated=_dt.datetime.now(_dt.UTC).replace(microsecond=0), workspace=a.backend.url
    )
    try:
        data.names = load_names(a.backend)
    except Exception:  # names are a courtesy: ids remain readable
        log.exception("report: reading names failed")
    for name, step in _steps(a).items():
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
            data.missing[name] = (
                "the customers' comments have not been analysed yet; analysing them "
                "unlocks this section"
            )
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
    env.filters["plain"] = plain
    env.globals["pct"] = percent
    env.filters["named"] = lambda text, names: named(text, names)
    env.filters["evidence"] = lambda ev, names: evidence_sentence(ev, names)
    env.filters["evidence_parts"] = lambda ev, names: evidence_parts(ev, names)
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
    people = {str(a["account_id"]): int(a.get("n_stakeholders") or 0) for a in accounts}
    at_risk = order_at_risk(diagnosis["at_risk"], diagnosis["findings"], people)[:10]
    by_challenge = {
        c: [f for f in diagnosis["findings"] if f["challenge"] == c] for c in CHALLENGES
    }
    cells = {
        (str(c["stage"]), str(c["controller"])): charts.Cell(
            c["score"] if c.get("n_interactions") else None, f"n={c.get('n_interactions') or 0:,}"
        )
        for c in data.get("map") or []
    }
    label = _metric_label(measured, data.get("metric"))
    summary = executive_summary(
        diagnosis,
        data.get("trend") or [],
        data.names,
        metric_label=label,
        portfolio_score=(measured.portfolio or {}).get("cx") if measured is not None else None,
        n_accounts=len(accounts),
        scorecards=data.get("scorecards"),
        people=people,
    )
    return {
        "data": data,
        "names": data.names,
        "summary": summary,
        "metric_label": label,
        "portfolio": measured.portfolio if measured is not None else {},
        "accounts": accounts,
        "n_aligned": sum(a["verdict"] == ALIGNED for a in accounts),
        "n_not_proven": sum(a["verdict"] == NOT_PROVEN for a in accounts),
        "n_unaligned": sum(a["verdict"] == UNALIGNED for a in accounts),
        "at_risk": at_risk,
        "by_challenge": by_challenge,
        "challenges": CHALLENGES,
        "priorities": diagnosis["priorities"][:10],
        # the ranked list grouped by touchpoint and controller, as on the dashboard
        "priority_groups": group_priorities(diagnosis["priorities"], data.names)[:8],
        "n_priorities": len(diagnosis["priorities"]),
        # contract values exist (else the at-risk table has no "annual value" column)
        "has_values": any(r.get("annual_value") for r in diagnosis["at_risk"]),
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
        "closed": data.get("closed_loop"),
        "readiness": _readiness_view(data),
        "sensitivity": _sensitivity_view(diagnosis, at_risk),
    }


def _sensitivity_view(
    diagnosis: dict[str, Any], at_risk: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The diagnosis' minimal detectable effects for the appendix: the portfolio's
    lines, and the values of the accounts most at risk (issue 16)."""
    block = diagnosis.get("sensitivity") or {}
    challenges = [c["challenge"] for c in block.get("challenges", [])]
    if not challenges:
        return {"lines": [], "challenges": [], "accounts": [], "not_assessed": {}}
    from b2bcx.diagnose.sensitivity import account_values

    rows = [
        {"account_id": r["account_id"], "values": account_values(block, r["account_id"])}
        for r in at_risk
    ]
    return {
        "lines": [c["summary"] for c in block["challenges"]],
        "challenges": challenges,
        "accounts": rows,
        "not_assessed": block.get("not_assessed", {}),
    }


def _metric_label(measured: Any, metric: Any) -> str:
    """What the scores measure, e.g. "collective NPS" where NPS stands in for cx."""
    from b2bcx.measures.individual import metric_label

    label = getattr(measured, "metric_label", None)
    return str(label or metric_label(str(metric or "cx")))


def render_report(data: ReportData) -> str:
    """The report as one HTML document."""
    return str(_environment().get_template("report.html").render(**_view(data)))


def build_report(analyses: Analyses | Backend, *, answers: Answers | None = None) -> str:
    """The report of ``analyses`` as HTML (:func:`gather`, then :func:`render_report`)."""
    return render_report(gather(analyses, answers=answers))


def write_report(
    analyses: Analyses | Backend,
    out: str | Path,
    *,
    answers: Answers | None = None,
    pdf: bool = False,
) -> list[Path]:
    """Write the report of ``analyses`` to ``out`` (HTML) and, with ``pdf``,
    beside it as ``.pdf``; returns the files written.

    HTML and PDF are always two files: an ``out`` ending in ``.pdf`` writes the
    PDF there and the HTML beside it as ``.html`` (``pdf`` is then implied).

    ``analyses`` is ``ws.analyses(options)``; a backend (with ``answers``) still
    works for callers written before the front door.
    """
    html_path, pdf_path = report_paths(out, pdf=pdf)
    if html_path.parent and not html_path.parent.exists():
        from b2bcx.errors import NotFound

        raise NotFound(f"the folder {str(html_path.parent)!r} does not exist")
    html_path.write_text(build_report(analyses, answers=answers), encoding="utf-8")
    written = [html_path]
    if pdf_path is not None:
        from b2bcx.report.pdf import print_pdf

        written.append(print_pdf(html_path, pdf_path))
    return written


def report_paths(out: str | Path, *, pdf: bool = False) -> tuple[Path, Path | None]:
    """The HTML file and the PDF file (or ``None``) a report to ``out`` writes.

    >>> report_paths("r.pdf")
    (PosixPath('r.html'), PosixPath('r.pdf'))
    >>> report_paths("r.html", pdf=True)
    (PosixPath('r.html'), PosixPath('r.pdf'))
    >>> report_paths("r.html")
    (PosixPath('r.html'), None)
    """
    path = Path(out)
    if path.suffix.lower() == ".pdf":
        return path.with_suffix(".html"), path
    return path, (path.with_suffix(".pdf") if pdf else None)
