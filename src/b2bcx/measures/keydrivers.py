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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.drivers import relative_weights, shapley_r2
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import check_metric, resolve_as_of
from b2bcx.model.enums import STAGE_ORDER, Controller, Goal
from b2bcx.model.tables import CX_SCALE, GOAL_SCALE
from b2bcx.storage import Backend

DRIVER_SETS = ("goals", "stages", "controllers")
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
) -> KeyDriverResult:
    """Importance of each driver for ``target``, with performance and quadrant.

    Stakeholders missing the target or any driver are left out (listwise, as
    ``lm``); ``n`` says how many remain. Predictors that nobody rated are
    dropped before the analysis.
    """
    check_metric(target)
    if drivers not in DRIVER_SETS:
        raise ConfigurationError(f"drivers must be one of {', '.join(DRIVER_SETS)}")
    if method not in METHODS:
        raise ConfigurationError(f"method must be one of {', '.join(METHODS)}")
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
    important = table.share >= table.share.median()
    performing = table.performance >= table.performance.median()
    table["quadrant"] = np.select(
        [important & ~performing, important & performing, ~important & ~performing],
        [FIX_FIRST, KEEP_UP, LOWER_PRIORITY],
        POSSIBLE_OVERKILL,
    )
    table = table.sort_values("share", ascending=False).reset_index(drop=True)
    return KeyDriverResult(
        target=target,
        drivers=drivers,
        method=method,
        n=len(complete),
        r2=float(result.r2),
        table=table,
    )
