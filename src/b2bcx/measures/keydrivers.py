"""Key drivers on workspace data, and the importance × performance table.

Which goals, stages or controllers drive overall CX or recommendation? Each
stakeholder is one observation (their experience is cumulative: Wirtz et al.
2025): the predictors are their mean rating per goal, or their mean ``cx`` per
stage or per touchpoint controller, and the target their mean ``target``
rating — aggregated inside the engine for everyone at once. Importance is
Johnson's relative weight (with bootstrap intervals) or the exact Shapley/LMG
share of R² (:mod:`b2bcx.measures.drivers`); performance is the predictor's
mean on 0–100.

**Which drivers can be told apart.** Median splits make a quarter of drivers
"fix first" whatever the data. Instead each driver's share of R² is tested
against *equal importance* (every share 1/p): with the bootstrap standard
error of the share (accounts resampled as clusters — people of one account are
not independent), z = (share − 1/p)/SE, one-sided, Bonferroni over the p
drivers at ``alpha`` (default .05). ``importance`` is "higher" (credibly above
1/p), "lower" (credibly below) or "indistinct". Quadrants:

- *fix first*: higher importance, performance below the drivers' median;
- *keep up*: higher importance, performance at or above the median;
- *lower priority* / *possible overkill*: lower importance, performance below /
  at or above the median;
- *cannot be told apart*: importance indistinct from the others.

On data with equal true importance "fix first" appears in ≤ 5 % of runs; with
one dominant driver that driver is "fix first" in ≥ 90 %
(``benchmarks/validity/drivers_sim.py``).

Touchpoints are different: a person meets only a few of the catalogue, so no
one has them all and listwise deletion would leave nobody. ``drivers=
"touchpoints"`` therefore uses the pairwise design of
:func:`b2bcx.measures.drivers.pairwise_relative_weights` on each person's mean
``cx`` per touchpoint, over the touchpoints that at least ``min_raters`` people
with the target have met (the ``max_touchpoints`` most met ones). Its R² is not
reported (``r2`` is None in JSON, with ``r2_note``): the pairwise correlation
matrix fills pairs of touchpoints nobody met together, so the "R² of a person
who met every touchpoint" is a fictional quantity (the demo gave .995). The
weights are used only as shares of their sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from b2bcx.errors import ConfigurationError
from b2bcx.measures.drivers import (
    DriverResult,
    cluster_bootstrap_shapley,
    pairwise_relative_weights,
    relative_weights,
    shapley_r2,
)
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import check_metric, metric_label, resolve_as_of
from b2bcx.measures.tabular import TabularMixin
from b2bcx.model.enums import STAGE_ORDER, Controller, Goal
from b2bcx.model.tables import CX_SCALE, GOAL_SCALE
from b2bcx.storage import Backend

DRIVER_SETS = ("goals", "stages", "controllers", "touchpoints")
METHODS = ("relative_weights", "shapley")
FIX_FIRST, KEEP_UP, LOWER_PRIORITY, POSSIBLE_OVERKILL = (
    "fix first",
    "keep up",
    "lower priority",
    "possible overkill",
)
CANNOT_TELL = "cannot be told apart"
HIGHER, LOWER, INDISTINCT = "higher", "lower", "indistinct"
#: Family-wise level of the equal-importance test.
DEFAULT_ALPHA = 0.05
TOUCHPOINT_R2_NOTE = (
    "not reported: pairs of touchpoints nobody met together have no correlation of "
    "their own, so an R² of a person who met every touchpoint would be fictional; "
    "the weights are used only as shares"
)


@dataclass(frozen=True)
class KeyDriverResult(TabularMixin):
    """Drivers of ``target`` with importance, its test, performance and quadrant.

    ``r2`` is NaN (None in JSON) where no meaningful fit exists (touchpoints);
    ``r2_note`` says why. ``methods`` says how the figures were made.
    """

    target: str
    drivers: str
    method: str
    n: int
    r2: float
    table: pd.DataFrame = field(repr=False)
    r2_note: str | None = None
    n_clusters: int | None = None
    methods: dict[str, Any] = field(default_factory=dict)

    @property
    def target_label(self) -> str:
        """A human name of the target, e.g. "NPS"."""
        return metric_label(self.target, level="")

    def to_frame(self) -> pd.DataFrame:
        """One row per driver: weight, share, sign, interval, test, performance, quadrant."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        rows = self.table.astype(object).where(self.table.notna(), None)
        return {
            "target": self.target,
            "target_label": self.target_label,
            "drivers": self.drivers,
            "method": self.method,
            "n": self.n,
            "n_clusters": self.n_clusters,
            "r2": None if math.isnan(self.r2) else self.r2,
            "r2_note": self.r2_note,
            "table": rows.to_dict("records"),
            "methods": dict(self.methods),
        }


def _person_matrix(
    backend: Backend, target: str, drivers: str, as_of: Any, frame: ir.Table | None = None
) -> tuple[pd.DataFrame, list[str], float, float]:
    f = experience_frame(backend, as_of=resolve_as_of(backend, as_of)) if frame is None else frame
    if drivers == "goals":
        names = [g.value for g in Goal]
        aggs = {g: f[g].mean() for g in names}
        low, high = GOAL_SCALE.low, GOAL_SCALE.high
    else:
        column = "stage" if drivers == "stages" else "controller"
        names = (
            [s.value for s in STAGE_ORDER] if drivers == "stages" else [c.value for c in Controller]
        )
        aggs = {n: f.cx.mean(where=f[column] == n) for n in names}
        low, high = CX_SCALE.low, CX_SCALE.high
    aggs["_y"] = f[target].mean()
    people: pd.DataFrame = f.group_by(["stakeholder_id", "account_id"]).aggregate(**aggs).execute()
    # one row order on every engine: the bootstrap draws rows by position
    people = people.sort_values("stakeholder_id", kind="stable").reset_index(drop=True)
    return people, names, low, high


def key_drivers(
    backend: Backend,
    *,
    target: str = "nps",
    drivers: str = "goals",
    method: str = "relative_weights",
    n_boot: int = 200,
    seed: int = 0,
    as_of: Any = None,
    min_raters: int = 30,
    max_touchpoints: int = 25,
    alpha: float = DEFAULT_ALPHA,
    frame: ir.Table | None = None,
) -> KeyDriverResult:
    """Importance of each driver for ``target``, with its test, performance and quadrant.

    Stakeholders missing the target or any driver are left out (listwise, as
    ``lm``); ``n`` says how many remain. Predictors that nobody rated are
    dropped before the analysis. Touchpoints use the pairwise design (module
    docstring); ``n`` is then the people with the target and at least one of
    the touchpoints, and the table has each touchpoint's ``label`` and ``raters``.

    ``n_boot`` bootstrap samples of whole accounts give the intervals
    (``lower``, ``upper``), the share's standard error (``share_se``) and the
    test against equal importance (``p_higher``, ``p_lower``: Bonferroni-adjusted
    one-sided p-values; ``importance``). With ``n_boot=0`` nothing can be told
    apart and every driver says so.

    ``frame``: the experience frame at ``as_of``, already built (a diagnosis
    materializes it once in the engine), read instead of building it again.
    """
    check_metric(target)
    if drivers not in DRIVER_SETS:
        raise ConfigurationError(f"drivers must be one of {', '.join(DRIVER_SETS)}")
    if method not in METHODS:
        raise ConfigurationError(f"method must be one of {', '.join(METHODS)}")
    if not 0 < alpha < 1:
        raise ConfigurationError(f"alpha must be in (0, 1) (got {alpha})")
    if drivers == "touchpoints":
        if method != "relative_weights":
            raise ConfigurationError(
                "touchpoint drivers use pairwise relative weights; exact Shapley needs "
                "every person to rate every driver (use --method relative_weights)"
            )
        return _touchpoint_drivers(
            backend, target, n_boot, seed, as_of, min_raters, max_touchpoints, alpha, frame
        )
    people, names, low, high = _person_matrix(backend, target, drivers, as_of, frame)
    names = [n for n in names if people[n].notna().any() and n != target]
    complete = people.dropna(subset=[*names, "_y"])
    if len(complete) < len(names) + 2:
        raise ConfigurationError(
            f"only {len(complete)} stakeholders have {target} and every one of "
            f"{', '.join(names)}; key drivers need more (try --drivers goals or stages)"
        )
    _check_varies(complete["_y"].to_numpy(float), target, len(complete))
    # a driver every remaining person rates alike cannot explain anything (its
    # correlations are undefined): left out, as predictors nobody rated are
    names = [n for n in names if complete[n].nunique() > 1]
    if not names:
        raise ConfigurationError(
            f"no {drivers[:-1]} varies among the {len(complete)} stakeholders who have "
            f"{target}; key drivers need ratings that differ"
        )
    x, y = complete[names].to_numpy(float), complete["_y"].to_numpy(float)
    clusters = complete["account_id"].astype(str).to_numpy()
    if method == "relative_weights":
        result = relative_weights(x, y, names=names, n_boot=n_boot, seed=seed, clusters=clusters)
        boot = result.boot
    else:
        result = shapley_r2(x, y, names=names)
        boot = _shapley_boot(x, y, clusters, n_boot, seed)
        if boot is not None:
            lo, hi = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
            result = DriverResult(result.driver, result.weight, result.sign, result.r2, lo, hi)
    table = result.to_frame()
    table["performance"] = (complete[names].mean().to_numpy() - low) / (high - low) * 100
    table = _importance_test(table, boot, alpha)
    return KeyDriverResult(
        target=target,
        drivers=drivers,
        method=method,
        n=len(complete),
        r2=float(result.r2),
        table=_quadrants(table),
        n_clusters=len(np.unique(clusters)),
        methods=_methods(method, n_boot, alpha, seed, drivers),
    )


def _check_varies(y: np.ndarray, target: str, n: int) -> None:
    """Raise when the target is the same for every one of the ``n`` people
    (nothing to explain: every weight would be undefined)."""
    if n and np.nanmax(y) == np.nanmin(y):
        raise ConfigurationError(
            f"{target} is the same ({np.nanmax(y):g}) for all {n} stakeholders who have it; "
            "key drivers need answers that differ"
        )


def _shapley_boot(
    x: np.ndarray, y: np.ndarray, clusters: np.ndarray, n_boot: int, seed: int
) -> np.ndarray | None:
    if n_boot <= 0:
        return None
    # every draw at once (a draw with too few rows, or no variance, is NaN)
    return cluster_bootstrap_shapley(x, y, clusters, n_boot, seed)


def _importance_test(table: pd.DataFrame, boot: np.ndarray | None, alpha: float) -> pd.DataFrame:
    """Each share against equal importance 1/p: bootstrap SE, one-sided z, Bonferroni."""
    p = len(table)
    equal = 1.0 / p if p else float("nan")  # no driver at all: nothing to compare
    table["equal_share"] = equal
    if boot is None or p < 2:
        table["share_se"] = np.nan
        table["p_higher"] = table["p_lower"] = np.nan
        table["importance"] = INDISTINCT
        return table
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = boot / boot.sum(axis=1, keepdims=True)
    se = np.nanstd(shares, axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (table["share"].to_numpy(dtype=float) - equal) / se
    p_higher = np.minimum(1.0, p * stats.norm.sf(z))
    p_lower = np.minimum(1.0, p * stats.norm.cdf(z))
    table["share_se"] = se
    table["p_higher"] = p_higher
    table["p_lower"] = p_lower
    table["importance"] = np.select(
        [p_higher <= alpha, p_lower <= alpha], [HIGHER, LOWER], INDISTINCT
    )
    return table


def _methods(method: str, n_boot: int, alpha: float, seed: int, drivers: str) -> dict[str, Any]:
    return {
        "importance": "Johnson's relative weights"
        if method == "relative_weights"
        else "Shapley / LMG decomposition of R²",
        "correlations": "pairwise-complete (touchpoints)"
        if drivers == "touchpoints"
        else "listwise-complete people",
        "bootstrap": "accounts resampled as clusters",
        "n_boot": n_boot,
        "seed": seed,
        "interval": "percentile",
        "importance_test": "share vs equal share 1/p: z = (share − 1/p)/bootstrap SE, "
        "one-sided, Bonferroni over drivers",
        "alpha": alpha,
        "quadrants": "fix first / keep up only for drivers credibly above equal importance; "
        "performance split at the drivers' median; otherwise 'cannot be told apart'",
    }


def _quadrants(table: pd.DataFrame) -> pd.DataFrame:
    """Importance (tested) × performance (median split) quadrants, sorted by share."""
    higher = (table.importance == HIGHER).to_numpy()
    lower = (table.importance == LOWER).to_numpy()
    performing = (table.performance >= table.performance.median()).to_numpy()
    table["quadrant"] = np.select(
        [higher & ~performing, higher & performing, lower & ~performing, lower & performing],
        [FIX_FIRST, KEEP_UP, LOWER_PRIORITY, POSSIBLE_OVERKILL],
        CANNOT_TELL,
    )
    return table.sort_values("share", ascending=False).reset_index(drop=True)


def _touchpoint_drivers(
    backend: Backend,
    target: str,
    n_boot: int,
    seed: int,
    as_of: Any,
    min_raters: int,
    max_touchpoints: int,
    alpha: float,
    frame: ir.Table | None = None,
) -> KeyDriverResult:
    f = experience_frame(backend, as_of=resolve_as_of(backend, as_of)) if frame is None else frame
    rated = f.filter(f.cx.notnull() & f.touchpoint_id.notnull())
    cells = rated.group_by(["stakeholder_id", "touchpoint_id"]).aggregate(x=rated.cx.mean())
    # each person's mean target, over the rows that have it (the others add nothing)
    answered = f.filter(f[target].notnull())
    ys = answered.group_by(["stakeholder_id", "account_id"]).aggregate(_y=answered[target].mean())
    ys = ys.filter(ys._y.notnull())
    # the people with the target, numbered in the engine (kept there for the join)
    ys = ys.mutate(_p=ibis.row_number().over(order_by=ys.stakeholder_id)).cache()
    try:
        people: pd.DataFrame = ys.execute()
        _check_varies(people["_y"].to_numpy(float), target, len(people))
        # each person's mean cx per touchpoint met, people with the target only:
        # joined in the engine and fetched as numbers (no string per row but the
        # touchpoint's, dictionary-encoded)
        met = backend.to_arrow(
            cells.inner_join(ys, "stakeholder_id").select("_p", "touchpoint_id", "x")
        )
    finally:
        ys.release()
    rows = _met_codes(people, met)
    raters = pd.Series(np.bincount(rows.tp, minlength=len(rows.tp_ids)), index=rows.tp_ids)
    chosen = raters[raters >= min_raters].sort_values(ascending=False).head(max_touchpoints)
    if len(chosen) < 2:
        raise ConfigurationError(
            f"fewer than two touchpoints were rated by at least {min_raters} people who "
            f"also have {target}; touchpoint drivers need more data (or a lower --min-raters)"
        )
    names = sorted(chosen.index.astype(str))
    wide, clusters, y = _touchpoint_matrix(rows, names)
    result = pairwise_relative_weights(
        wide.to_numpy(float), y, names=names, n_boot=n_boot, seed=seed, clusters=clusters,
    )  # fmt: skip
    table = result.to_frame()
    catalogue = backend.table("touchpoints").select("touchpoint_id", "name").execute()
    labels = catalogue.drop_duplicates("touchpoint_id").set_index("touchpoint_id").name
    table.insert(1, "label", [labels.get(n, n) for n in names])
    table["raters"] = chosen.reindex(names).to_numpy()
    table["performance"] = (
        (wide.mean().to_numpy() - CX_SCALE.low) / (CX_SCALE.high - CX_SCALE.low) * 100
    )
    table = _importance_test(table, result.boot, alpha)
    return KeyDriverResult(
        target=target,
        drivers="touchpoints",
        method="relative_weights",
        n=len(wide),
        r2=float("nan"),
        table=_quadrants(table),
        r2_note=TOUCHPOINT_R2_NOTE,
        n_clusters=len(np.unique(clusters)),
        methods=_methods("relative_weights", n_boot, alpha, seed, "touchpoints"),
    )


@dataclass(frozen=True)
class _Met:
    """Person × touchpoint means as codes: ``person`` indexes ``people`` (the
    people with the target in ``stakeholder_id`` order, with ``account_id`` and
    ``_y``), ``tp`` indexes ``tp_ids`` (sorted), ``x`` the person's mean cx there."""

    person: npt.NDArray[np.intp]
    tp: npt.NDArray[np.intp]
    x: npt.NDArray[np.float64]
    people: pd.DataFrame
    tp_ids: pd.Index


def _met_codes(people: pd.DataFrame, met: Any) -> _Met:
    """``met`` (Arrow: the engine's person number ``_p``, ``touchpoint_id``, ``x``)
    as codes in Python's order of the ids, whatever order the engine sorts
    strings in (its collation)."""
    people = people.sort_values("stakeholder_id", kind="stable").reset_index(drop=True)
    rank = np.zeros(int(people._p.max()) + 1 if len(people) else 0, dtype=np.intp)
    rank[people._p.to_numpy(dtype=np.intp)] = np.arange(len(people))
    encoded = met.column("touchpoint_id").combine_chunks().dictionary_encode()
    ids = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(ids, kind="stable")
    position = np.empty(len(ids), dtype=np.intp)
    position[order] = np.arange(len(ids))
    return _Met(
        person=rank[met.column("_p").to_numpy().astype(np.intp)],
        tp=position[encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)],
        x=met.column("x").to_numpy().astype(float),
        people=people,
        tp_ids=pd.Index([str(i) for i in ids[order]]),
    )


def _touchpoint_matrix(
    rows: _Met, names: list[str]
) -> tuple[pd.DataFrame, npt.NDArray[Any], npt.NDArray[np.float64]]:
    """People × ``names`` mean cx (NaN where not met), their accounts and targets.

    People who met none of ``names`` are left out; the rest come in
    ``stakeholder_id`` order (the row order the bootstrap draws from)."""
    column = np.full(len(rows.tp_ids), -1, dtype=np.intp)  # each code's column in names, or -1
    for i, name in enumerate(names):
        column[rows.tp_ids.get_loc(name)] = i
    where = column[rows.tp]
    keep = where >= 0
    person = rows.person[keep]
    met = np.zeros(len(rows.people), dtype=bool)
    met[person] = True
    present = np.flatnonzero(met)  # sorted: stakeholder_id order
    matrix = np.full((len(present), len(names)), np.nan)
    matrix[(np.cumsum(met) - 1)[person], where[keep]] = rows.x[keep]  # each one's row
    chosen = rows.people.iloc[present]
    clusters = chosen.account_id.astype(str).to_numpy()
    y = chosen._y.to_numpy(dtype=float)
    index = pd.Index(chosen.stakeholder_id.astype(str).to_numpy(), name="stakeholder_id")
    wide = pd.DataFrame(matrix, index=index, columns=names)
    return wide, clusters, y
