"""Collective CX for any unit, always with its agreement and verdict.

Individual CX comes from the engine (one group-by over all interactions,
:mod:`b2bcx.measures.individual`); the small per-person result is grouped into
units here with vectorized agreement statistics — never a loop per account.
An account's NPS is a real NPS over its people (each person's most recent
answer: % promoters − % detractors, :func:`b2bcx.measures.nps.nps`), not an
average of 0–10 scores; ``nps_role`` weighs those people by their role
(:class:`RoleWeights`).

Several items (``items=``) make a multi-item unit score with rwg(j); every unit
also gets a chance p-value from random pseudo-groups of its size
(:func:`b2bcx.measures.resampling.chance_p_values`), and the portfolio Bliese's
random group resampling z (``rgr.agree``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.agreement import average_deviation, awg, null_variance, rwg_j_from_variance
from b2bcx.measures.consensus import (
    DEFAULT_INTERVAL_REPS,
    icc1_test,
    portfolio_components,
    rwg_bootstrap,
    rwg_j_bootstrap,
    spearman_brown,
    unit_variance,
)
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.groups import FloatArray
from b2bcx.measures.icc import icc
from b2bcx.measures.individual import (
    DecayOptions,
    check_metric,
    individual_cx_expr,
    metric_label,
    resolve_as_of,
)
from b2bcx.measures.nps import MIN_INTERVAL_N, NPS_ADD, NPS_ADD_N, nps
from b2bcx.measures.resampling import chance_p_values, random_group_agreement
from b2bcx.measures.tabular import TabularMixin
from b2bcx.measures.verdict import VerdictRule, verdicts
from b2bcx.model.hierarchy import walk_chains
from b2bcx.model.tables import RATING_SCALES, Scale
from b2bcx.storage import Backend

#: ``--by`` choices → the columns that make a unit.
UNITS: dict[str, tuple[str, ...]] = {
    "account": ("account_id",),
    "function": ("account_id", "function"),
    "level": ("account_id", "level"),
    "function_level": ("account_id", "function", "level"),
    "center": ("account_id", "center"),
    "centre": ("account_id", "center"),  # the papers' spelling
    "segment": ("segment",),
    "stage": ("account_id", "stage"),
    "touchpoint": ("account_id", "touchpoint_id"),
    "controller": ("account_id", "controller"),
    # a corporate group: an account with everything below it (parent_account_id)
    "group": ("group_id",),
}
_BREAKDOWN = {"stage": "stage", "touchpoint": "touchpoint_id", "controller": "controller"}


@dataclass(frozen=True, kw_only=True)
class AgreementOptions:
    """How agreement is computed.

    Attributes
    ----------
    null: the null distribution of rwg: ``uniform`` or LeBreton & Senter's
        (2008) ``slight``, ``moderate`` or ``heavy`` skew
        (:func:`b2bcx.measures.agreement.null_variance`).
    null_variance: an explicit null variance; overrides ``null``.
    chance_reps: pseudo-groups per group size for each unit's chance p-value
        and random sets for the portfolio's rgr z; 0 skips both (the verdict
        then rests on rwg alone and says so).
    interval_reps: bootstrap repetitions (people resampled within each unit)
        of the rwg interval ``rwg_low``–``rwg_high``; 0 skips it.
    alpha: 1 − the interval's coverage (default .05 → 95 %).
    seed: seed of the random draws (results are reproducible).
    """

    null: str = "uniform"
    null_variance: float | None = None
    chance_reps: int = 1000
    interval_reps: int = DEFAULT_INTERVAL_REPS
    alpha: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if self.null_variance is not None and not self.null_variance > 0:
            raise ConfigurationError(f"null_variance must be > 0 (got {self.null_variance})")
        if self.chance_reps < 0:
            raise ConfigurationError(f"chance_reps must be ≥ 0 (got {self.chance_reps})")
        if self.interval_reps < 0:
            raise ConfigurationError(f"interval_reps must be ≥ 0 (got {self.interval_reps})")
        if not 0 < self.alpha < 1:
            raise ConfigurationError(f"alpha must be in (0, 1) (got {self.alpha})")

    def variance(self, options: int) -> float:
        """The null variance for a scale with ``options`` response options."""
        if self.null_variance is not None:
            return self.null_variance
        return null_variance(options, self.null)


#: Buying- and usage-centre values of ``stakeholders.center``.
CENTERS: tuple[str, ...] = ("buying", "usage", "both")


@dataclass(frozen=True, kw_only=True)
class RoleWeights:
    """How much each respondent counts in an account's role-weighted NPS.

    A person weighs ``decision_maker`` if a decision maker, else 1, times the
    weight of their centre. With ``balance_centers`` each centre present in a
    unit (buying, usage, both; unknown counts as its own group) carries its
    centre weight in total, however many people it has — so fifty users do not
    drown out the three people who decide the contract. Defaults: decision
    makers count double and the centres are balanced.
    """

    decision_maker: float = 2.0
    buying: float = 1.0
    usage: float = 1.0
    both: float = 1.0
    balance_centers: bool = True

    def __post_init__(self) -> None:
        for name in ("decision_maker", *CENTERS):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"role weight {name} must be > 0")

    def weights(self, people: pd.DataFrame, unit: npt.NDArray[np.integer[Any]]) -> FloatArray:
        """One weight per row of ``people`` (columns ``decision_maker``, ``center``)."""
        dm = people["decision_maker"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        center = people["center"].astype(object).where(people["center"].notna(), "unknown")
        per_center = {"buying": self.buying, "usage": self.usage, "both": self.both}
        cw = center.map(lambda c: per_center.get(c, 1.0)).to_numpy(dtype=float)
        w = np.where(dm, self.decision_maker, 1.0)
        if not self.balance_centers:
            return np.asarray(w * cw, dtype=np.float64)
        cell = pd.Series(w).groupby([unit, center.to_numpy()]).transform("sum").to_numpy()
        return np.asarray(w / cell * cw, dtype=np.float64)


def scale_options(metric: str) -> int:
    """Number of response options of a rating's scale (0–10 → 11)."""
    s = RATING_SCALES[check_metric(metric)]
    return int(s.high - s.low) + 1


@dataclass(frozen=True)
class CollectiveResult(TabularMixin):
    """Units with their collective CX, agreement and verdict, and the portfolio.

    ``metric_label`` names what was measured for people ("collective CX",
    "collective NPS", …: NPS, CSAT and CES are evaluations, not the experience,
    Wirtz et al. 2025); ``methods`` holds everything needed to reproduce the
    figures (null, half-life, as-of, thresholds, chance-test and interval
    settings).
    """

    by: str
    metric: str
    units: pd.DataFrame
    portfolio: dict[str, Any] = field(default_factory=dict)
    metric_label: str = ""
    methods: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per unit."""
        return self.units.copy()

    def to_dict(self) -> dict[str, Any]:
        """``{"units": [...], "portfolio": {...}, "methods": {...}}`` with JSON-ready values."""
        units = self.units.astype(object).where(self.units.notna(), None)
        return {
            "by": self.by,
            "metric": self.metric,
            "metric_label": self.metric_label or metric_label(self.metric),
            "units": units.to_dict("records"),
            "portfolio": dict(self.portfolio),
            "methods": dict(self.methods),
        }


def _nps_per_person(backend: Backend, as_of: Any, frame: ir.Table | None = None) -> pd.DataFrame:
    """Each person's most recent NPS answer up to ``as_of`` (from ``frame`` when given)."""
    f = experience_frame(backend, as_of=as_of) if frame is None else frame
    f = f.filter(f.nps.notnull())
    w = ibis.window(group_by=f.stakeholder_id, order_by=f.occurred_at.desc())
    latest = f.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
    result: pd.DataFrame = latest.select("stakeholder_id", "nps").execute()
    return result


def account_groups(backend: Backend) -> dict[str, str]:
    """Each account's corporate group: the top of its ``parent_account_id`` chain
    (DATA_FORMAT: results roll up the hierarchy). An account without a parent is
    its own group; a chain that loops is one group named by its smallest id."""
    accounts = backend.table("accounts").select("account_id", "parent_account_id").execute()
    parent = {
        str(a): (None if pd.isna(p) else str(p))
        for a, p in zip(accounts.account_id, accounts.parent_account_id, strict=True)
    }
    return walk_chains(parent).top


def measure_units(
    backend: Backend,
    *,
    by: str = "account",
    metric: str = "cx",
    decay: DecayOptions | None = None,
    rule: VerdictRule | None = None,
    agreement: AgreementOptions | None = None,
    items: Sequence[str] | None = None,
    role_weights: RoleWeights | None = None,
    frame: ir.Table | None = None,
    people: pd.DataFrame | None = None,
) -> CollectiveResult:
    """Collective CX per unit (``by``), with agreement, reliability, verdict and NPS.

    Columns of ``units``: the unit columns, ``n_stakeholders``, ``n_interactions``,
    ``mean`` (native scale), ``cx`` (0–100), ``nps`` (per person, most recent
    answer) with ``nps_low``/``nps_high`` (Rocks' adjusted Wald; none below
    three answers, ``nps_note`` then says "too few answers"), ``nps_role``
    (the same answers weighted by role), ``rwg`` (agreement of single
    responses from the unit's variance components, valid whatever the number
    of ratings per person: :mod:`b2bcx.measures.consensus`; rwg(j) over
    ``items``), ``rwg_low``/``rwg_high`` (bootstrap over people; for ``items``
    the rwg(j)),
    ``rwg_star`` (Lindell's r*wg(j); equals rwg for one item), ``rwg_means``
    (the uncorrected index on person means, for comparison), ``var_person``,
    ``var_within``, ``m_eff``, ``reliability`` (Spearman–Brown reliability of
    the unit mean from the portfolio's ICC(1)), ``ad``, ``ad_md``, ``awg``,
    ``p_chance``, ``verdict``, ``reason``. ``portfolio``: ``icc1``, ``icc2``
    (units as groups), the variance components, ``cx`` (0–100, mean over
    people), ``nps`` (account NPS weighted by annual value),
    ``nps_unweighted``, ``rgr_z``/``rgr_p`` (random group resampling),
    ``n_units``, ``n_stakeholders``.

    ``items``: several ratings on one scale (e.g. goal ratings) scored as one
    multi-item measure: each person's decayed score per item, the unit's mean
    over items, agreement by rwg(j) on the mean response variance over items
    (people rating every item only).

    ``frame``: the experience frame at the same as-of date, already built (a
    diagnosis materializes it once in the engine), read instead of building it
    again; items are always read from the workspace.

    ``people``: the individual CX already fetched, as
    ``individual_cx_expr(backend, metric=metric, decay=decay, by=breakdown,
    moments=True, frame=frame).execute()`` gives it (a diagnosis fetches it once
    for its detectors and its risk score's agreement); used as given, not checked,
    and ignored with ``items``.
    """
    if by not in UNITS:
        raise ConfigurationError(f"--by must be one of {', '.join(UNITS)} (got {by!r})")
    decay = decay or DecayOptions()
    agreement = agreement or AgreementOptions()
    rule = rule or VerdictRule()
    as_of = resolve_as_of(backend, decay.as_of)
    decay = DecayOptions(half_life_days=decay.half_life_days, as_of=as_of)
    keys = list(UNITS[by])
    breakdown = [_BREAKDOWN[by]] if by in _BREAKDOWN else []
    if items:
        metric, people, item_cols = _item_people(backend, items, decay, breakdown)
    elif people is not None:
        item_cols = []
    else:
        people = individual_cx_expr(
            backend, metric=metric, decay=decay, by=breakdown, moments=True, frame=frame
        ).execute()
        item_cols = []
    scale = RATING_SCALES[metric if not items else items[0]]
    options = int(scale.high - scale.low) + 1
    null_var = agreement.variance(options)
    label = metric_label(metric)
    methods = _methods(metric, label, scale, options, null_var, decay, rule, agreement)
    # rows in one order on every engine (a group-by returns them in any order,
    # and the chance p-values' random draws follow the row order)
    people = people.sort_values(["stakeholder_id", *breakdown], kind="stable")
    people = people.reset_index(drop=True)
    nps_people = _nps_per_person(backend, as_of, frame)
    people = people.merge(nps_people, on="stakeholder_id", how="left")
    if by == "group":
        people["group_id"] = people.account_id.map(account_groups(backend))
    people = people.dropna(subset=keys)
    if people.empty:
        empty = pd.DataFrame(columns=[*keys, *_UNIT_COLUMNS])
        return CollectiveResult(
            by=by, metric=metric, units=empty, portfolio={}, metric_label=label, methods=methods
        )
    # one integer code per unit, numbered in sorted key order (vectorized)
    unit = people.groupby(keys, sort=True).ngroup()
    codes = unit.to_numpy()
    agree = _agreement(people, codes, item_cols, null_var)
    values = people[item_cols].to_numpy(dtype=float) if item_cols else people.score.to_numpy()
    ad = average_deviation(values, codes).ad
    grouped = people.assign(_unit=unit).groupby("_unit", sort=True)
    first = grouped[keys].first()
    counts = grouped.agg(n_interactions=("n", "sum"))
    scored = nps(people.nps.to_numpy(dtype=float), codes).to_frame().set_index("group")
    scored = scored.reindex(first.index)
    weights = (role_weights or RoleWeights()).weights(people, codes)
    weighted = nps(people.nps.to_numpy(dtype=float), codes, weights=weights)
    role_nps = weighted.to_frame().set_index("group").reindex(first.index)
    p_chance = np.full(len(first), np.nan)
    if agreement.chance_reps > 0:
        labels, p = chance_p_values(
            people.score.to_numpy(), codes, reps=agreement.chance_reps, seed=agreement.seed
        )
        p_chance = pd.Series(p, index=labels).reindex(first.index).to_numpy()
    portfolio = _portfolio(people, unit, scale)
    units = first.reset_index(drop=True)
    units["n_stakeholders"] = agree["n"].to_numpy()
    units["n_interactions"] = counts.n_interactions.to_numpy().astype(np.int64)
    units["mean"] = agree["mean"].to_numpy()
    units["cx"] = scale.to_0_100(agree["mean"].to_numpy())
    units["nps"] = scored.score.to_numpy()
    units["nps_low"] = scored.lower.to_numpy()
    units["nps_high"] = scored.upper.to_numpy()
    units["nps_n"] = scored.n.fillna(0).to_numpy().astype(np.int64)
    units["nps_note"] = np.where(units["nps_n"] < MIN_INTERVAL_N, "too few answers", "")
    units["nps_role"] = role_nps.score.to_numpy()
    for col in ("rwg", "rwg_low", "rwg_high", "rwg_star", "rwg_means"):
        units[col] = agree[col].to_numpy()
    for col in ("var_person", "var_within", "m_eff"):
        units[col] = agree[col].to_numpy()
    units["reliability"] = spearman_brown(portfolio.get("icc1"), units["n_stakeholders"])
    if agreement.interval_reps > 0 and not item_cols:
        _, lo, hi = rwg_bootstrap(
            people.score.to_numpy(), codes, null_var=null_var,
            m_eff_inv=people.m_eff_inv.to_numpy(), ss_within=people.ss_within.to_numpy(),
            df_within=people.df_within.to_numpy(), reps=agreement.interval_reps,
            alpha=agreement.alpha, seed=agreement.seed,
        )  # fmt: skip
        units["rwg_low"], units["rwg_high"] = lo, hi
    elif agreement.interval_reps > 0:

        def cols(prefix: str) -> npt.NDArray[np.float64]:
            return people[[f"{prefix}__{i}" for i in item_cols]].to_numpy(dtype=float)

        labels, lo, hi = rwg_j_bootstrap(
            people[item_cols].to_numpy(dtype=float), codes, null_var=null_var,
            m_eff_inv=cols("m_eff_inv"), ss_within=cols("ss_within"),
            df_within=cols("df_within"), reps=agreement.interval_reps, alpha=agreement.alpha,
            seed=agreement.seed,
        )  # fmt: skip
        units["rwg_low"] = pd.Series(lo, index=labels).reindex(first.index).to_numpy()
        units["rwg_high"] = pd.Series(hi, index=labels).reindex(first.index).to_numpy()
    units["ad"] = ad
    units["ad_md"] = average_deviation(values, codes, center="median").ad
    units["awg"] = _mean_awg(values, codes, len(units), scale)
    units["p_chance"] = p_chance
    units["verdict"], units["reason"] = verdicts(
        units["n_stakeholders"], units["rwg"], rule, ad=ad, p_chance=p_chance, options=options
    )
    if by == "group":
        units["n_accounts"] = grouped.account_id.nunique().to_numpy().astype(np.int64)
    if agreement.chance_reps > 0 and int((np.bincount(codes) >= 2).sum()) >= 2:
        rgr = random_group_agreement(
            people.score.to_numpy(), codes,
            reps=max(2, agreement.chance_reps // 10), seed=agreement.seed,
        )  # fmt: skip
        portfolio["rgr_z"], portfolio["rgr_p"] = rgr.z, rgr.p
    else:
        portfolio["rgr_z"] = portfolio["rgr_p"] = None
    return CollectiveResult(
        by=by, metric=metric, units=units, portfolio=portfolio, metric_label=label,
        methods=methods,
    )  # fmt: skip


_UNIT_COLUMNS = ["n_stakeholders", "n_interactions", "mean", "cx", "nps", "nps_low", "nps_high",
                 "nps_n", "nps_note", "nps_role", "rwg", "rwg_low", "rwg_high", "rwg_star",
                 "rwg_means", "var_person", "var_within", "m_eff", "reliability", "ad", "ad_md",
                 "awg", "p_chance", "verdict", "reason"]  # fmt: skip


def _agreement(
    people: pd.DataFrame, codes: npt.NDArray[Any], item_cols: list[str], null_var: float
) -> pd.DataFrame:
    """Per unit (in code order): n, mean, rwg (or rwg(j)), r*wg(j), rwg on means, components."""
    k = int(codes.max()) + 1
    index = np.arange(k)
    columns = item_cols or ["score"]
    var_resp, var_means, parts = [], [], []
    for col in columns:
        suffix = "" if not item_cols else f"__{col}"
        labels, v = unit_variance(
            people[col].to_numpy(dtype=float), codes,
            m_eff_inv=people[f"m_eff_inv{suffix}"].to_numpy(dtype=float),
            ss_within=people[f"ss_within{suffix}"].to_numpy(dtype=float),
            df_within=people[f"df_within{suffix}"].to_numpy(dtype=float),
        )  # fmt: skip
        frame = pd.DataFrame(
            {"n": v.n, "mean": v.mean, "var_response": v.var_response, "var_means": v.var_means,
             "var_person": v.var_person, "var_within": v.var_within, "m_eff": v.m_eff},
            index=labels,
        ).reindex(index)  # fmt: skip
        var_resp.append(frame.var_response.to_numpy())
        var_means.append(frame.var_means.to_numpy())
        parts.append(frame)
    s2 = np.mean(var_resp, axis=0)
    s2_means = np.mean(var_means, axis=0)
    j = len(columns)
    out = pd.DataFrame(index=index)
    out["n"] = parts[0].n.fillna(0).to_numpy().astype(np.int64)
    out["mean"] = np.mean([p["mean"].to_numpy() for p in parts], axis=0)
    with np.errstate(invalid="ignore"):
        lindell = np.where(np.isnan(s2), np.nan, np.clip(1 - s2 / null_var, 0.0, None))
    out["rwg"] = rwg_j_from_variance(s2, j, null_var=null_var) if item_cols else lindell
    out["rwg_low"] = out["rwg_high"] = np.nan
    out["rwg_star"] = lindell
    out["rwg_means"] = (
        rwg_j_from_variance(s2_means, j, null_var=null_var)
        if item_cols
        else np.where(np.isnan(s2_means), np.nan, np.clip(1 - s2_means / null_var, 0.0, None))
    )
    for col in ("var_person", "var_within", "m_eff"):
        out[col] = np.mean([p[col].to_numpy() for p in parts], axis=0)
    return out


def _methods(
    metric: str,
    label: str,
    scale: Scale,
    options: int,
    null_var: float,
    decay: DecayOptions,
    rule: VerdictRule,
    agreement: AgreementOptions,
) -> dict[str, Any]:
    """The methods block: everything needed to reproduce the unit figures."""
    return {
        "metric": metric,
        "metric_label": label,
        "scale": {"low": scale.low, "high": scale.high, "options": options},
        "individual": {
            "score": "exponentially decayed mean of the person's ratings",
            "half_life_days": None if np.isinf(decay.half_life_days) else decay.half_life_days,
            "as_of": decay.as_of.isoformat() if decay.as_of is not None else None,
        },
        "composition_model": "direct consensus (Chan 1998): agreement of individual "
        "experiences, not perceived sharedness (referent shift)",
        "agreement": {
            "index": "rwg on single responses: 1 - (s2_means + (1 - mean(h)) * s2_within) "
            "/ null variance (random-intercept variance components)",
            "null": "explicit" if agreement.null_variance is not None else agreement.null,
            "null_variance": null_var,
            "negative_rwg": "reported as 0",
            "interval": "percentile bootstrap over the unit's people"
            if agreement.interval_reps
            else None,
            "interval_reps": agreement.interval_reps,
            "interval_level": 1 - agreement.alpha,
        },
        "chance_test": {
            "method": "random group resampling per unit: pseudo-groups of the same size "
            "drawn without replacement from all people; p = (1 + #{s2_pseudo <= s2}) / (reps + 1)",
            "statistic": "variance of the people's individual scores",
            "reps": agreement.chance_reps,
            "seed": agreement.seed,
            "run": agreement.chance_reps > 0,
        },
        "verdict": rule.methods(options),
        "reliability": "Spearman-Brown of the portfolio ICC(1) (k = N/J) at the unit's n",
        "nps": {
            "answers": "each person's most recent answer up to as_of",
            "interval": f"adjusted Wald (Rocks 2016): +{NPS_ADD} promoters and detractors, "
            f"n + {NPS_ADD_N:g}, clipped to -100..100",
            "confidence": 0.95,
            "min_n": MIN_INTERVAL_N,
        },
    }


def _mean_awg(
    values: npt.NDArray[np.float64], unit: npt.NDArray[np.integer[Any]], n_units: int, scale: Scale
) -> FloatArray:
    """awg per unit; over several items their mean (Brown & Hauenstein's awg(j)).

    Units whose rows all miss an item get NaN rather than shifting the others.
    """
    matrix = values.reshape(len(values), -1)
    complete = ~np.isnan(matrix).any(axis=1)
    codes = unit[complete]
    per_item = np.full((n_units, matrix.shape[1]), np.nan)
    present = np.unique(codes)
    for j in range(matrix.shape[1]):
        per_item[present, j] = awg(matrix[complete, j], codes, low=scale.low, high=scale.high)
    counted = (~np.isnan(per_item)).sum(axis=1)
    total = np.nansum(per_item, axis=1)
    out: FloatArray = np.where(counted > 0, total / np.maximum(counted, 1), np.nan)
    return out


def _item_people(
    backend: Backend, items: Sequence[str], decay: DecayOptions, breakdown: list[str]
) -> tuple[str, pd.DataFrame, list[str]]:
    """Person × item decayed scores, for a multi-item unit measure."""
    names = [check_metric(i) for i in items]
    if len(set(names)) != len(names) or len(names) < 2:
        raise ConfigurationError(f"items must be two or more different ratings (got {names})")
    scales = {RATING_SCALES[i] for i in names}
    if len(scales) > 1:
        raise ConfigurationError(
            f"items must share one scale to form a multi-item measure (got {', '.join(names)})"
        )
    merged: pd.DataFrame | None = None
    person = ["stakeholder_id", *breakdown]
    moment_cols = ("m_eff_inv", "ss_within", "df_within")
    for item in names:
        one = individual_cx_expr(
            backend, metric=item, decay=decay, by=breakdown, moments=True
        ).execute()
        one = one.rename(
            columns={"score": item, "n": f"_n_{item}", **{c: f"{c}__{item}" for c in moment_cols}}
        ).drop(columns=["weight", "last_at"])
        mine = [item, f"_n_{item}", *(f"{c}__{item}" for c in moment_cols)]
        if merged is None:
            merged = one
        else:
            merged = merged.merge(one[[*person, *mine]], on=person, how="outer")
    assert merged is not None
    # listwise: a person counts only with a score on every item (as rwg.j)
    merged = merged.dropna(subset=names)
    merged["score"] = merged[names].mean(axis=1)
    merged["n"] = merged[[f"_n_{i}" for i in names]].sum(axis=1).astype(np.int64)
    merged = merged.drop(columns=[f"_n_{i}" for i in names])
    return "+".join(names), merged, names


def _portfolio(people: pd.DataFrame, unit: pd.Series, scale: Scale) -> dict[str, Any]:
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
        test = icc1_test(result.msb, result.msw, result.n_groups, result.n, result.k)
        out.update({k: None if np.isnan(v) else v for k, v in test.items()})
    if "m_eff_inv" in people:
        out.update(
            portfolio_components(
                people.score.to_numpy(),
                unit.to_numpy(),
                m_eff_inv=people.m_eff_inv.to_numpy(dtype=float),
                ss_within=people.ss_within.to_numpy(dtype=float),
                df_within=people.df_within.to_numpy(dtype=float),
            )
        )
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
        "metric_label": result.metric_label or metric_label(result.metric),
        "units": units.to_dict("records"),
        "portfolio": {k: p.get(k) for k in ("icc1", "icc2", "nps", "cx")},
        "methods": dict(result.methods),
    }


__all__: Sequence[str] = [
    "CENTERS",
    "UNITS",
    "AgreementOptions",
    "CollectiveResult",
    "RoleWeights",
    "account_groups",
    "accounts_json",
    "measure_units",
]
