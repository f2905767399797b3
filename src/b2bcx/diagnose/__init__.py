"""Diagnosis: the five B2B CEM challenges (Witell et al. 2020), at-risk accounts,
root causes and priorities.

``diagnose(backend)`` runs every detector on aggregates computed by the engine
for all accounts at once and returns a :class:`Diagnosis`; its ``to_json()`` is
the stable contract of ``docs/diagnose.md``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from b2bcx.diagnose.data import Prepared, prepare
from b2bcx.diagnose.detectors import DETECTORS
from b2bcx.diagnose.findings import CHALLENGES, Diagnosis, Finding, Skipped
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.risk import at_risk, priorities
from b2bcx.errors import ConfigurationError
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend

__all__ = [
    "CHALLENGES",
    "DiagnoseOptions",
    "Diagnosis",
    "Finding",
    "Prepared",
    "Skipped",
    "diagnose",
]


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
) -> Diagnosis:
    """Run the detectors (all, or ``challenges``), score risk and rank priorities.

    ``account_id`` limits the diagnosis to one account (portfolio comparisons
    such as partner scorecards are then made inside that account's data only).
    ``as_of`` diagnoses the workspace as it was on that date.
    """
    from b2bcx.measures.collective import AgreementOptions, measure_units
    from b2bcx.measures.individual import DecayOptions

    options = options or DiagnoseOptions()
    wanted = _check(challenges)
    if account_id is not None:
        found = backend.table("accounts").filter(lambda t: t.account_id == account_id).count()
        if int(found.execute()) == 0:
            raise ConfigurationError(f"no account {account_id!r} in {backend.url}")
    steps = len(wanted) + 3
    progress.start("diagnose", total=steps)
    prep = prepare(backend, options, as_of=as_of, account_id=account_id)
    progress.advance("diagnose")
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    for challenge in wanted:
        found_here, skipped_here = DETECTORS[challenge](prep, options)
        findings += found_here
        skipped += skipped_here
        progress.advance("diagnose")
    if account_id is not None:
        findings = [f for f in findings if f.account_id in (None, account_id)]
    findings.sort(key=lambda f: (f.challenge, -f.severity, f.account_id or "", f.subject_id))
    units = measure_units(
        backend, by="account", metric=options.metric,
        decay=DecayOptions(as_of=prep.as_of), agreement=AgreementOptions(chance_reps=0),
    ).units  # fmt: skip
    rwg = {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    # for the risk score every account's findings count, even with challenges filtered
    risk_findings = findings
    if set(wanted) != set(CHALLENGES):
        risk_findings = []
        for detector in DETECTORS.values():
            risk_findings += detector(prep, options)[0]
    risky = at_risk(prep, risk_findings, rwg)
    progress.advance("diagnose")
    tp_weights, goal_weights = _driver_shares(backend, prep)
    ranked = priorities(backend, prep, options, touchpoint_weights=tp_weights,
                        goal_weights=goal_weights, account_id=account_id)  # fmt: skip
    progress.advance("diagnose")
    progress.finish("diagnose")
    meta = {"as_of": prep.as_of, "metric": options.metric, "challenges": wanted,
            "account_id": account_id, "accounts": len(prep.accounts)}  # fmt: skip
    return Diagnosis(findings, risky, ranked, skipped, meta)


def _driver_shares(backend: Backend, prep: Prepared) -> tuple[dict[str, float], dict[str, float]]:
    """Shares of explained NPS per touchpoint and per goal (empty when too few people)."""
    from b2bcx.errors import B2bcxError
    from b2bcx.measures.keydrivers import key_drivers

    out: list[dict[str, float]] = []
    for kind in ("touchpoints", "goals"):
        try:
            result = key_drivers(backend, drivers=kind, n_boot=0, as_of=prep.as_of)
        except B2bcxError:
            out.append({})
            continue
        table = result.table
        out.append({str(k): float(v) for k, v in zip(table.driver, table.share, strict=True)})
    return out[0], out[1]
