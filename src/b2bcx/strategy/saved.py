"""Saved assessments: the firm answers the questionnaire once, b2bcx keeps the
answers in the workspace (``strategy_answers``), and the dashboard, the report
and the plan use the latest; two or more show how impact and the assessed scope
drift (Wirtz et al. 2025, section 7.2, step 4: monitor and re-think)."""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass

from b2bcx.storage import Backend, strategystore
from b2bcx.strategy.answers import Answers, Respondent


@dataclass(frozen=True)
class SavedAssessment:
    """One saved set of answers."""

    assessment_id: str
    answered_at: _dt.datetime
    saved_at: _dt.datetime
    answers: Answers

    def describe(self) -> str:
        """``2026-11-23 by Jane Doe (answers.yaml)``: for notes and tables."""
        who = f" by {self.answers.respondent}" if self.answers.respondent else ""
        return f"{self.answered_at:%Y-%m-%d}{who} ({self.answers.source})"


def save_answers(backend: Backend, answers: Answers) -> SavedAssessment:
    """Store ``answers`` in the workspace; the date is the answers' own
    (``date:`` in the file) or today."""
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)
    answered_at = (
        _dt.datetime.combine(answers.answered_on, _dt.time()) if answers.answered_on else now
    )
    digest = hashlib.sha256(
        repr((sorted(answers.values.items()), answers.respondent, now.isoformat())).encode()
    ).hexdigest()[:6]
    assessment_id = f"A-{answered_at:%Y%m%d}-{digest}"
    if answers.respondents:  # several key stakeholders: one set of rows each
        for r in answers.respondents:
            strategystore.save(
                backend,
                assessment_id=assessment_id,
                answered_at=answered_at,
                respondent=r.name,
                source=answers.source,
                values=dict(r.values),
            )
        return SavedAssessment(assessment_id, answered_at, now, answers)
    strategystore.save(
        backend,
        assessment_id=assessment_id,
        answered_at=answered_at,
        respondent=answers.respondent,
        source=answers.source,
        values=dict(answers.values),
    )
    return SavedAssessment(assessment_id, answered_at, now, answers)


def saved_assessments(backend: Backend) -> list[SavedAssessment]:
    """Every saved assessment, oldest first (by answer date, then saving time)."""
    grouped: dict[str, list[dict[str, object]]] = {}
    for row in strategystore.rows(backend):
        grouped.setdefault(str(row["assessment_id"]), []).append(row)
    out = []
    for assessment_id, rows in grouped.items():
        first = rows[0]
        respondent = first["respondent"]
        who = list(dict.fromkeys(r["respondent"] for r in rows))
        if len(who) > 1:  # several key stakeholders saved together
            answers = Answers.of(
                [
                    Respondent(
                        str(name),
                        {
                            str(r["item_id"]): float(r["value"])  # type: ignore[arg-type]
                            for r in rows
                            if r["respondent"] == name
                        },
                    )
                    for name in who
                ],
                source=str(first["source"]),
                answered_on=_as_datetime(first["answered_at"]).date(),
            )
        else:
            answers = Answers(
                {str(r["item_id"]): float(r["value"]) for r in rows},  # type: ignore[arg-type]
                source=str(first["source"]),
                respondent=None if respondent is None else str(respondent),
                answered_on=_as_datetime(first["answered_at"]).date(),
            )
        out.append(
            SavedAssessment(
                assessment_id,
                _as_datetime(first["answered_at"]),
                _as_datetime(first["saved_at"]),
                answers,
            )
        )
    out.sort(key=lambda s: (s.answered_at, s.saved_at, s.assessment_id))
    return out


def latest_saved(backend: Backend) -> SavedAssessment | None:
    """The most recent saved assessment, or None."""
    saved = saved_assessments(backend)
    return saved[-1] if saved else None


@dataclass(frozen=True)
class ResolvedAnswers:
    """The answers an assessment uses, the earlier ones it is compared with, and
    where they came from (a note for the user)."""

    answers: Answers | None
    previous: Answers | None
    note: str | None


def resolve_answers(
    backend: Backend, given: Answers | None = None, *, use_saved: bool = True
) -> ResolvedAnswers:
    """``given`` (compared with the latest saved), else the latest saved answers
    (compared with the one before) when ``use_saved``, else none: what the CLI,
    the report and the dashboard assess with."""
    saved = saved_assessments(backend)
    if given is not None:
        return ResolvedAnswers(given, saved[-1].answers if saved else None, None)
    if use_saved and saved:
        latest = saved[-1]
        return ResolvedAnswers(
            latest.answers,
            saved[-2].answers if len(saved) > 1 else None,
            f"Using the answers saved on {latest.describe()}.",
        )
    return ResolvedAnswers(None, None, None)


def _as_datetime(value: object) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=None)
    to_py = getattr(value, "to_pydatetime", None)
    if to_py is not None:
        result: _dt.datetime = to_py().replace(tzinfo=None)
        return result
    return _dt.datetime.fromisoformat(str(value))


__all__ = [
    "ResolvedAnswers",
    "SavedAssessment",
    "latest_saved",
    "resolve_answers",
    "save_answers",
    "saved_assessments",
]
