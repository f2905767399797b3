"""Diagnosis: the five B2B CEM challenges (Witell et al. 2020), at-risk accounts,
root causes and priorities.

``diagnose(backend)`` runs every detector on aggregates computed by the engine
for all accounts at once and returns a :class:`Diagnosis`, a frozen value whose
``to_dict()`` is the stable contract of ``docs/diagnose.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from b2bcx.diagnose.data import Prepared, prepare
from b2bcx.diagnose.detectors import DETECTORS
from b2bcx.diagnose.findings import (
    CHALLENGES,
    AtRisk,
    Diagnosis,
    DiagnosisMeta,
    Finding,
    Priority,
    Skipped,
    Unavailable,
)
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.priority_groups import PriorityGroup, group_priorities
from b2bcx.diagnose.risk import at_risk, priorities, risk_model
from b2bcx.diagnose.sensitivity import Sensitivity, assess, run_detector
from b2bcx.errors import ConfigurationError
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend

if TYPE_CHECKING:
    from b2bcx.measures.collective import CollectiveResult
    from b2bcx.measures.keydrivers import KeyDriverResult

__all__ = [
    "CHALLENGES",
    "AtRisk",
    "DiagnoseOptions",
    "Diagnosis",
    "DiagnosisMeta",
    "DriversUnavailable",
    "Finding",
    "Prepared",
    "Priority",
    "PriorityGroup",
    "Sensitivity",
    "Skipped",
    "Unavailable",
    "diagnose",
    "group_priorities",
    "readiness",
]


@dataclasses.dataclass(frozen=True)
class DriversUnavailable:
    """Key drivers the caller already tried and the data could not carry.

    Passed as ``touchpoint_drivers`` or ``goal_drivers`` to :func:`diagnose`, it
    says "no driver weights" so the diagnosis does not try ``key_drivers`` again
    (and fail again); the priorities then weigh every touchpoint or goal alike.

    Attributes
    ----------
    reason : str
        Why the drivers could not be computed (the error's message).
    """

    reason: str = ""


def _check(challenges: Iterable[str] | None) -> list[str]:
    if challenges is None:
        return list(CHALLENGES)
    wanted = [c.strip().upper() for c in challenges if c.strip()]
    unknown = [c for c in wanted if c not in CHALLENGES]
    if unknown:
        raise ConfigurationError(
            f"unknown challenge {', '.join(unknown)}; choose from {', '.join(CHALLENGES)}"
        )
    return wanted


def diagnose(
    backend: Backend,
    options: DiagnoseOptions | None = None,
    *,
    challenges: Iterable[str] | None = None,
    account_id: str | None = None,
    as_of: _dt.datetime | _dt.date | None = None,
    progress: Progress = NO_PROGRESS,
    account_units: CollectiveResult | None = None,
    touchpoint_drivers: KeyDriverResult | DriversUnavailable | None = None,
    goal_drivers: KeyDriverResult | DriversUnavailable | None = None,
) -> Diagnosis:
    """Run the detectors (all, or ``challenges``), score risk and rank priorities.

    Parameters
    ----------
    backend
        The workspace's engine.
    options
        Thresholds (:class:`DiagnoseOptions`; the defaults when None).
    challenges
        Only these challenges' findings (``C1`` … ``C5``); the risk score still
        counts every challenge's findings.
    account_id
        Limit the diagnosis to one account (portfolio comparisons such as
        partner scorecards are then made inside that account's data only).
    as_of
        Diagnose the workspace as it was on that date (its latest data when None).
    progress
        Receives one step per detector and three more.
    account_units
        Already computed ``measure_units(backend, by="account", metric=options.metric,
        decay=DecayOptions(as_of=...))`` at the same date, reused for the risk
        score's agreement (rwg) instead of computing it again.
    touchpoint_drivers, goal_drivers
        Already computed ``key_drivers(backend, drivers="touchpoints")`` and
        ``key_drivers(backend, drivers="goals")`` at the same date, reused for
        the priorities' driver weights instead of computing them again;
        :class:`DriversUnavailable` when the caller found the data cannot carry
        them (they are then not tried again: every driver weighs alike).

    Returns
    -------
    Diagnosis
        Findings, at-risk accounts, priorities, skipped checks and what the run
        was made on; ``to_dict()`` is the contract of ``docs/diagnose.md``.

    Notes
    -----
    The caller passing ``account_units``, ``touchpoint_drivers`` or
    ``goal_drivers`` is responsible for computing them on the same workspace,
    at the same as-of date and (for the units) with the same metric; they are
    used as given, not checked.
    """
    options = options or DiagnoseOptions()
    requested, note = options.metric, None
    if options.metric == "cx" and not _has_ratings(backend, "cx"):
        from b2bcx.measures.individual import default_metric

        fallback = default_metric(backend)
        if fallback != "cx":
            options = dataclasses.replace(options, metric=fallback)
            note = (f"the workspace has no cx ratings: diagnosed on {fallback}, the rating it "
                    "has (as measure and the report do)")  # fmt: skip
    wanted = _check(challenges)
    if account_id is not None:
        found = backend.table("accounts").filter(lambda t: t.account_id == account_id).count()
        if int(found.execute()) == 0:
            raise ConfigurationError(f"no account {account_id!r} in {backend.url}")
    steps = len(wanted) + 3
    progress.start("diagnose", total=steps)
    # the experience frame is materialized once and kept until the priorities are made
    prep = prepare(backend, options, as_of=as_of, account_id=account_id, keep_frame=True)
    progress.advance("diagnose")
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    tests: dict[str, pd.DataFrame | None] = {}
    for challenge in wanted:
        found_here, skipped_here, tests[challenge] = run_detector(
            challenge, DETECTORS[challenge], prep, options
        )
        findings += found_here
        skipped += skipped_here
        progress.advance("diagnose")
    sensitivity = assess(prep, options, tests, skipped, account_id=account_id)
    if account_id is not None:
        findings = [f for f in findings if f.account_id in (None, account_id)]
    findings.sort(key=lambda f: (f.challenge, -f.severity, f.account_id or "", f.subject_id))
    # deterministic order whatever order the detectors met the accounts in
    skipped.sort(key=lambda s: (s.challenge, s.account_id or "", s.reason))
    if account_units is not None:
        units = account_units.units
        rwg = {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    else:
        rwg = _account_rwg(backend, options, prep)
    # for the risk score every account's findings count, even with challenges filtered
    risk_findings = findings
    if set(wanted) != set(CHALLENGES):
        risk_findings = []
        for detector in DETECTORS.values():
            risk_findings += detector(prep, options)[0]
    model = risk_model(prep, options)
    risky = at_risk(prep, risk_findings, rwg, options=options, model=model)
    progress.advance("diagnose")
    tp_weights = _shares(touchpoint_drivers, backend, prep, "touchpoints")
    goal_weights = _shares(goal_drivers, backend, prep, "goals")
    ranked = priorities(
        backend,
        prep,
        options,
        touchpoint_weights=tp_weights,
        goal_weights=goal_weights,
        account_id=account_id,
    )
    prep.release()
    progress.advance("diagnose")
    progress.finish("diagnose")
    meta = DiagnosisMeta(
        as_of=prep.as_of,
        metric=options.metric,
        challenges=tuple(wanted),
        account_id=account_id,
        accounts=len(prep.accounts),
        metric_requested=requested if note else None,
        metric_note=note,
        risk_model=model.to_dict(),
    )
    return Diagnosis(
        findings=tuple(findings),
        at_risk=tuple(risky),
        priorities=tuple(ranked),
        skipped=tuple(skipped),
        meta=meta,
        unavailable=readiness(prep),
        sensitivity=sensitivity,
    )


def _account_units(backend: Backend, options: DiagnoseOptions, prep: Prepared) -> CollectiveResult:
    """Collective CX per account at the diagnosis date (its rwg feeds the risk score)."""
    from b2bcx.measures.collective import AgreementOptions, measure_units
    from b2bcx.measures.individual import DecayOptions

    return measure_units(
        backend,
        by="account",
        metric=options.metric,
        decay=DecayOptions(as_of=prep.as_of),
        # only rwg is read: no chance p-values, no bootstrap interval
        agreement=AgreementOptions(chance_reps=0, interval_reps=0),
        frame=prep.frame_with_people(backend) if prep.frame_is_portfolio else None,
        people=prep.people_moments if prep.frame_is_portfolio else None,
    )


def _account_rwg(backend: Backend, options: DiagnoseOptions, prep: Prepared) -> dict[str, float]:
    """Each account's rwg at the diagnosis date, the one value of the account units
    the risk score reads: :func:`~b2bcx.measures.consensus.unit_variance` on the
    people's moments ``prepare`` fetched, exactly as ``measure_units(by="account")``
    computes it (people in stakeholder order, NaN where an account has no variance
    to judge), without the units' NPS, chance test, interval and portfolio."""
    from b2bcx.measures.collective import AgreementOptions, scale_options
    from b2bcx.measures.consensus import unit_variance

    people = prep.people_moments
    if people is None:  # a Prepared made without the moments: the full measure
        units = _account_units(backend, options, prep).units
        return {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    people = people.sort_values("stakeholder_id", kind="stable").dropna(subset=["account_id"])
    if people.empty:
        return {}
    null_var = AgreementOptions().variance(scale_options(options.metric))
    codes = people.groupby("account_id", sort=True).ngroup().to_numpy()
    labels, v = unit_variance(
        people.score.to_numpy(dtype=float), codes,
        m_eff_inv=people.m_eff_inv.to_numpy(dtype=float),
        ss_within=people.ss_within.to_numpy(dtype=float),
        df_within=people.df_within.to_numpy(dtype=float),
    )  # fmt: skip
    accounts = people.account_id.astype(str).to_numpy()[np.unique(codes, return_index=True)[1]]
    s2 = pd.Series(v.var_response, index=labels).reindex(np.arange(len(accounts))).to_numpy()
    with np.errstate(invalid="ignore"):
        rwg = np.where(np.isnan(s2), np.nan, np.clip(1 - s2 / null_var, 0.0, None))
    return {a: float(r) for a, r in zip(accounts, rwg, strict=True)}


def _shares(
    given: KeyDriverResult | DriversUnavailable | None,
    backend: Backend,
    prep: Prepared,
    kind: str,
) -> dict[str, float]:
    """Share of explained NPS per touchpoint or goal (``kind``), from ``given``
    key drivers or computed at the diagnosis date (empty when too few people, or
    when ``given`` says they are unavailable)."""
    from b2bcx.errors import B2bcxError
    from b2bcx.measures.keydrivers import key_drivers

    if isinstance(given, DriversUnavailable):
        return {}
    result = given
    if result is None:
        try:
            frame = prep.frame if prep.frame_is_portfolio else None
            result = key_drivers(backend, drivers=kind, n_boot=0, as_of=prep.as_of, frame=frame)
        except B2bcxError:
            return {}
    table = result.table
    return {str(k): float(v) for k, v in zip(table.driver, table.share, strict=True)}


def _has_ratings(backend: Backend, metric: str) -> bool:
    """Whether any interaction carries ``metric`` (an existence check)."""
    it = backend.table("interactions")
    if metric not in it.columns:
        return False
    return bool(int(it.filter(it[metric].notnull()).limit(1).count().execute()))


def _present(frame: pd.DataFrame, column: str) -> bool:
    return column in frame and bool(frame[column].notna().any())


def readiness(prep: Prepared) -> tuple[Unavailable, ...]:
    """The checks this workspace's data cannot support, each with the data that
    would unlock it (an empty state that explains; docs/diagnose.md)."""
    out: list[Unavailable] = []
    metric = prep.metric

    def add(challenge: str, check: str, missing: str, unlock: str) -> None:
        out.append(Unavailable(challenge, check, missing, unlock))

    if prep.monthly.empty:
        add(
            "all",
            "every rated check",
            f"no {metric} ratings",
            f"import interactions with a {metric} rating (or choose a metric the workspace has)",
        )
    cat, acc, people = prep.catalogue, prep.accounts, prep.people
    if cat.empty or prep.touchpoints.empty:
        add(
            "C4",
            "controlled_touchpoint, partner_scorecard, partner_ownership",
            "no touchpoints (catalogue or interactions' touchpoint_id)",
            "import a touchpoints catalogue with stage and controller, and set "
            "interactions.touchpoint_id",
        )
        add(
            "C3",
            "journey_mismatch",
            "no touchpoints or stages",
            "set interactions.touchpoint_id (or interactions.stage)",
        )
    elif not (cat.controller != "supplier").any():
        add(
            "C4",
            "controlled_touchpoint, partner_scorecard, partner_ownership",
            "every touchpoint is supplier-controlled",
            "record partner-, customer- or externally controlled touchpoints "
            "(touchpoints.controller, partner_id)",
        )
    if "valid_from" not in cat or cat.empty or not cat.valid_from.notna().any():
        add(
            "C5",
            "control_change",
            "no touchpoint versions (valid_from)",
            "add a catalogue row with valid_from when a touchpoint's controller changes",
        )
    if not (_present(acc, "relationship_intended") or _present(acc, "relationship_expected")
            or not prep.relationships.empty):  # fmt: skip
        add(
            "C1",
            "relationship_type",
            "no relationship types",
            "set accounts.relationship_intended and relationship_expected "
            "(or a relationships history)",
        )
    if not _present(acc, "annual_value"):
        add(
            "C1",
            "relationship_type (low-value severity)",
            "no contract values",
            "set accounts.annual_value (priorities' value share and value_exposed need it too)",
        )
    if not any(_present(people, c) for c in ("function", "level", "unit")):
        add(
            "C2",
            "silo",
            "no function, level or unit of stakeholders",
            "set stakeholders.function, level or unit",
        )
    if prep.goal_waves.empty:
        add(
            "C5",
            "goal_shift",
            "no goal importance asked twice of the same people",
            "ask goal importance (goals table) in two or more survey waves",
        )
    if prep.relationships.empty:
        add(
            "C5",
            "relationship_change",
            "no relationship history",
            "import the relationships table with valid_from for each change",
        )
    if prep.outcomes.empty or not (prep.outcomes.kind == "churn").any():
        add(
            "risk",
            "fitted risk weights",
            "no churn outcomes",
            "import outcomes (churn and renewal events); with enough of each the risk "
            "weights are fitted and the risk becomes a churn probability",
        )
    return tuple(out)
