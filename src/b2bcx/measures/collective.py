"""Collective CX for any unit, always with its agreement and verdict.

Individual CX comes from the engine (one group-by over all interactions,
:mod:`b2bcx.measures.individual`); the small per-person result is grouped into
units here with vectorized agreement statistics — never a loop per account.
An account's NPS is a real NPS over its people (each person's most recent
answer: % promoters − % detractors, :func:`b2bcx.measures.nps.nps`), not an
average of 0–10 scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.agreement import average_deviation, rwg, uniform_null_variance
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.icc import icc
from b2bcx.measures.individual import DecayOptions, check_metric, individual_cx_expr, resolve_as_of
from b2bcx.measures.nps import nps
from b2bcx.measures.verdict import VerdictRule, verdicts
from b2bcx.model.tables import RATING_SCALES
from b2bcx.storage import Backend

#: ``--by`` choices → the columns that make a unit.
UNITS: dict[str, tuple[str, ...]] = {
    "account": ("account_id",),
    "function": ("account_id", "function"),
    "level": ("account_id", "level"),
    "center": ("account_id", "center"),
    "segment": ("segment",),
    "stage": ("account_id", "stage"),
    "touchpoint": ("account_id", "touchpoint_id"),
    "controller": ("account_id", "controller"),
}
_BREAKDOWN = {"stage": "stage", "touchpoint": "touchpoint_id", "controller": "controller"}


def scale_options(metric: str) -> int:
    """Number of response options of a rating's scale (0–10 → 11)."""
    s = RATING_SCALES[check_metric(metric)]
    return int(s.high - s.low) + 1


@dataclass(frozen=True)
class CollectiveResult:
    """Units with their collective CX, agreement and verdict, and the portfolio."""

    by: str
    metric: str
    units: pd.DataFrame
    portfolio: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per unit."""
        return self.units.copy()

    def to_dict(self) -> dict[str, Any]:
        """``{"units": [...], "portfolio": {...}}`` with JSON-ready values."""
        units = self.units.astype(object).where(self.units.notna(), None)
        return {
            "by": self.by,
            "metric": self.metric,
            "units": units.to_dict("records"),
            "portfolio": dict(self.portfolio),
        }


def _nps_per_person(backend: Backend, as_of: Any) -> pd.DataFrame:
    """Each person's most recent NPS answer up to ``as_of``."""
    f = experience_frame(backend, as_of=as_of)
    f = f.filter(f.nps.notnull())
    w = ibis.window(group_by=f.stakeholder_id, order_by=f.occurred_at.desc())
    latest = f.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
    result: pd.DataFrame = latest.select("stakeholder_id", "nps").execute()
    return result


def measure_units(
    backend: Backend,
    *,
    by: str = "account",
    metric: str = "cx",
    decay: DecayOptions | None = None,
    rule: VerdictRule | None = None,
) -> CollectiveResult:
    """Collective CX per unit (``by``), with rwg, AD(M), verdict and NPS.

    Columns of ``units``: the unit columns, ``n_stakeholders``, ``n_interactions``,
    ``mean`` (native scale), ``cx`` (0–100), ``nps`` (per person, most recent
    answer), ``rwg`` (uniform null for the metric's scale), ``ad``, ``verdict``,
    ``reason``. ``portfolio``: ``icc1``, ``icc2`` (units as groups), ``cx``
    (0–100, mean over people), ``nps`` (account NPS weighted by annual value),
    ``nps_unweighted``, ``n_units``, ``n_stakeholders``.
    """
    if by not in UNITS:
        raise ConfigurationError(f"--by must be one of {', '.join(UNITS)} (got {by!r})")
    decay = decay or DecayOptions()
    as_of = resolve_as_of(backend, decay.as_of)
    decay = DecayOptions(half_life_days=decay.half_life_days, as_of=as_of)
    keys = list(UNITS[by])
    breakdown = [_BREAKDOWN[by]] if by in _BREAKDOWN else []
    people: pd.DataFrame = individual_cx_expr(
        backend, metric=metric, decay=decay, by=breakdown
    ).execute()
    scale = RATING_SCALES[metric]
    nps_people = _nps_per_person(backend, as_of)
    people = people.merge(nps_people, on="stakeholder_id", how="left")
    people = people.dropna(subset=keys)
    if people.empty:
        empty = pd.DataFrame(columns=[*keys, "n_stakeholders", "n_interactions", "mean", "cx",
                                      "nps", "nps_low", "nps_high", "nps_n", "rwg", "ad",
                                      "verdict", "reason"])  # fmt: skip
        return CollectiveResult(by=by, metric=metric, units=empty, portfolio={})
    # one integer code per unit, numbered in sorted key order (vectorized)
    unit = people.groupby(keys, sort=True).ngroup()
    null_var = uniform_null_variance(scale_options(metric))
    agree = rwg(people.score.to_numpy(), unit.to_numpy(), null_var=null_var)
    ad = average_deviation(people.score.to_numpy(), unit.to_numpy()).ad
    grouped = people.assign(_unit=unit).groupby("_unit", sort=True)
    first = grouped[keys].first()
    counts = grouped.agg(n_interactions=("n", "sum"))
    scored = nps(people.nps.to_numpy(dtype=float), unit.to_numpy()).to_frame().set_index("group")
    scored = scored.reindex(first.index)
    units = first.reset_index(drop=True)
    units["n_stakeholders"] = agree.n
    units["n_interactions"] = counts.n_interactions.to_numpy().astype(np.int64)
    units["mean"] = agree.mean
    units["cx"] = scale.to_0_100(agree.mean)
    units["nps"] = scored.score.to_numpy()
    units["nps_low"] = scored.lower.to_numpy()
    units["nps_high"] = scored.upper.to_numpy()
    units["nps_n"] = scored.n.fillna(0).to_numpy().astype(np.int64)
    units["rwg"] = agree.rwg
    units["ad"] = ad
    units["verdict"], units["reason"] = verdicts(agree.n, agree.rwg, rule)
    portfolio = _portfolio(people, unit, metric)
    return CollectiveResult(by=by, metric=metric, units=units, portfolio=portfolio)


def _portfolio(people: pd.DataFrame, unit: pd.Series, metric: str) -> dict[str, Any]:
    scale = RATING_SCALES[metric]
    out: dict[str, Any] = {
        "n_units": int(unit.nunique()),
        "n_stakeholders": int(people.stakeholder_id.nunique()),
        "cx": float(scale.to_0_100(people.score.mean())),
        "icc1": None,
        "icc2": None,
    }
    if unit.nunique() >= 2 and len(people) > unit.nunique():
        result = icc(people.score.to_numpy(), unit.to_numpy())
        out["icc1"], out["icc2"] = result.icc1, result.icc2
    answered = people.dropna(subset=["nps"]).drop_duplicates("stakeholder_id")
    per_account = nps(answered.nps.to_numpy(dtype=float), answered.account_id.to_numpy())
    scores = per_account.to_frame().set_index("group").score
    out["nps_unweighted"] = float(scores.mean()) if len(scores) else None
    value = people.groupby("account_id").annual_value.first().reindex(scores.index).fillna(0)
    out["nps"] = (
        float((scores * value).sum() / value.sum()) if value.sum() > 0 else out["nps_unweighted"]
    )
    return out


def accounts_json(result: CollectiveResult) -> dict[str, Any]:
    """The ``b2bcx measure --by account --format json`` contract."""
    cols = ["account_id", "n_stakeholders", "n_interactions", "cx", "nps", "rwg", "ad", "verdict"]
    units = result.units[cols].astype(object).where(result.units[cols].notna(), None)
    p = result.portfolio
    return {
        "metric": result.metric,
        "units": units.to_dict("records"),
        "portfolio": {k: p.get(k) for k in ("icc1", "icc2", "nps", "cx")},
    }


__all__: Sequence[str] = ["UNITS", "CollectiveResult", "accounts_json", "measure_units"]
