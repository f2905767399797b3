"""Key drivers on workspace data, and the importance × performance table.

Which goals, stages or controllers drive overall CX or recommendation? Each
stakeholder is one observation (their experience is cumulative: Wirtz et al.
2025): the predictors are their mean rating per goal, or their mean ``cx`` per
stage or per touchpoint controller, and the target their mean ``target``
rating — aggregated inside the engine for everyone at once. Importance is
Johnson's relative weight (with bootstrap intervals) or the exact Shapley/LMG
share of R² (:mod:`b2bcx.measures.drivers`); performance is the predictor's
mean on 0–100. The classic importance × performance quadrants then say what
to fix first.

Touchpoints are different: a person meets only a few of the catalogue, so no
one has them all and listwise deletion would leave nobody. ``drivers=
"touchpoints"`` therefore uses the pairwise design of
:func:`b2bcx.measures.drivers.pairwise_relative_weights` on each person's mean
``cx`` per touchpoint, over the touchpoints that at least ``min_raters`` people
with the target have met (the ``max_touchpoints`` most met ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.drivers import pairwise_relative_weights, relative_weights, shapley_r2
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import check_metric, resolve_as_of
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


@dataclass(frozen=True)
class KeyDriverResult:
    """Drivers of ``target`` with importance, performance and quadrant."""

    target: str
    drivers: str
    method: str
    n: int
    r2: float
    table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per driver: weight, share, sign, interval, performance, quadrant."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        rows = self.table.astype(object).where(self.table.notna(), None)
        return {
            "target": self.target,
            "drivers": self.drivers,
            "method": self.method,
            "n": self.n,
            "r2": self.r2,
            "table": rows.to_dict("records"),
        }


def _person_matrix(
    backend: Backend, target: str, drivers: str, as_of: Any
) -> tuple[pd.DataFrame, list[str], float, float]:
    f = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
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
    people: pd.DataFrame = f.group_by("stakeholder_id").aggregate(**aggs).execute()
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
) -> KeyDriverResult:
    """Importance of each driver for ``target``, with performance and quadrant.

    Stakeholders missing the target or any driver are left out (listwise, as
    ``lm``); ``n`` says how many remain. Predictors that nobody rated are
    dropped before the analysis. Touchpoints use the pairwise design (module
    docstring); ``n`` is then the people with the target and at least one of
    the touchpoints, and the table has each touchpoint's ``label`` and ``raters``.
    """
    check_metric(target)
    if drivers not in DRIVER_SETS:
        raise ConfigurationError(f"drivers must be one of {', '.join(DRIVER_SETS)}")
    if method not in METHODS:
        raise ConfigurationError(f"method must be one of {', '.join(METHODS)}")
    if drivers == "touchpoints":
        if method != "relative_weights":
            raise ConfigurationError(
                "touchpoint drivers use pairwise relative weights; exact Shapley needs "
                "every person to rate every driver (use --method relative_weights)"
            )
        return _touchpoint_drivers(
            backend, target, n_boot, seed, as_of, min_raters, max_touchpoints
        )
    people, names, low, high = _person_matrix(backend, target, drivers, as_of)
    names = [n for n in names if people[n].notna().any() and n != target]
    complete = people.dropna(subset=[*names, "_y"])
    if len(complete) < len(names) + 2:
        raise ConfigurationError(
            f"only {len(complete)} stakeholders have {target} and every one of "
            f"{', '.join(names)}; key drivers need more (try --drivers goals or stages)"
        )
    x, y = complete[names].to_numpy(float), complete["_y"].to_numpy(float)
    result = (
        relative_weights(x, y, names=names, n_boot=n_boot, seed=seed)
        if method == "relative_weights"
        else shapley_r2(x, y, names=names)
    )
    table = result.to_frame()
    table["performance"] = (complete[names].mean().to_numpy() - low) / (high - low) * 100
    return KeyDriverResult(
        target=target,
        drivers=drivers,
        method=method,
        n=len(complete),
        r2=float(result.r2),
        table=_quadrants(table),
    )


def _quadrants(table: pd.DataFrame) -> pd.DataFrame:
    """Importance × performance quadrants (split at the medians), sorted by share."""
    important = table.share >= table.share.median()
    performing = table.performance >= table.performance.median()
    table["quadrant"] = np.select(
        [important & ~performing, important & performing, ~important & ~performing],
        [FIX_FIRST, KEEP_UP, LOWER_PRIORITY],
        POSSIBLE_OVERKILL,
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
) -> KeyDriverResult:
    f = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
    rated = f.filter(f.cx.notnull() & f.touchpoint_id.notnull())
    cells: pd.DataFrame = (
        rated.group_by(["stakeholder_id", "touchpoint_id"]).aggregate(x=rated.cx.mean()).execute()
    )
    ys: pd.DataFrame = f.group_by("stakeholder_id").aggregate(_y=f[target].mean()).execute()
    ys = ys.dropna(subset=["_y"])
    cells = cells[cells.stakeholder_id.isin(ys.stakeholder_id)]
    raters = cells.groupby("touchpoint_id").size()
    chosen = raters[raters >= min_raters].sort_values(ascending=False).head(max_touchpoints)
    if len(chosen) < 2:
        raise ConfigurationError(
            f"fewer than two touchpoints were rated by at least {min_raters} people who "
            f"also have {target}; touchpoint drivers need more data (or a lower --min-raters)"
        )
    names = sorted(chosen.index.astype(str))
    wide = cells[cells.touchpoint_id.isin(names)].pivot(
        index="stakeholder_id", columns="touchpoint_id", values="x"
    )
    wide = wide.reindex(columns=names).join(ys.set_index("stakeholder_id"), how="inner")
    result = pairwise_relative_weights(
        wide[names].to_numpy(float), wide["_y"].to_numpy(float), names=names,
        n_boot=n_boot, seed=seed,
    )  # fmt: skip
    table = result.to_frame()
    catalogue = backend.table("touchpoints").select("touchpoint_id", "name").execute()
    labels = catalogue.drop_duplicates("touchpoint_id").set_index("touchpoint_id").name
    table.insert(1, "label", [labels.get(n, n) for n in names])
    table["raters"] = chosen.reindex(names).to_numpy()
    table["performance"] = (
        (wide[names].mean().to_numpy() - CX_SCALE.low) / (CX_SCALE.high - CX_SCALE.low) * 100
    )
    return KeyDriverResult(
        target=target,
        drivers="touchpoints",
        method="relative_weights",
        n=len(wide),
        r2=float(result.r2),
        table=_quadrants(table),
    )
