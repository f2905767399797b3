"""The stage × controller map (Witell et al. 2020, Table 2), per account and portfolio.

Witell et al. characterise B2B CEM by who controls the touchpoints met at each
journey stage. The map crosses the four stages with the four controllers and
shows, in each cell, how many interactions and people there were and how they
rated them — so a manager sees where the supplier controls the experience and
where partners, the customer or outsiders do, and how each cell performs.
One engine aggregate serves every account at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import check_metric, metric_label, resolve_as_of
from b2bcx.measures.tabular import TabularMixin
from b2bcx.model.enums import STAGE_ORDER, Controller
from b2bcx.model.tables import RATING_SCALES
from b2bcx.storage import Backend

_CELL = ["stage", "controller"]


@dataclass(frozen=True)
class StageControlMap(TabularMixin):
    """Cells of the map: one row per (account,) stage and controller.

    Columns: ``account_id`` (absent for the portfolio map), ``stage``,
    ``controller``, ``n_interactions``, ``n_rated``, ``n_stakeholders``,
    ``mean`` (the metric on its scale, over rated interactions) and ``score``
    (0–100). All 16 cells are present for the portfolio, empty ones with 0.
    """

    metric: str
    cells: pd.DataFrame

    @property
    def metric_label(self) -> str:
        """A human name of the metric in the cells, e.g. "NPS" or "CX"."""
        return metric_label(self.metric, level="")

    def to_frame(self) -> pd.DataFrame:
        """The cells, one row each."""
        return self.cells.copy()

    def pivot(self, value: str = "score") -> pd.DataFrame:
        """Stages × controllers (portfolio map) of ``value``, in journey order."""
        table = self.cells.pivot_table(index="stage", columns="controller", values=value)
        return table.reindex(
            index=[s.value for s in STAGE_ORDER], columns=[c.value for c in Controller]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready cells."""
        cells = self.cells.astype(object).where(self.cells.notna(), None)
        return {
            "metric": self.metric,
            "metric_label": self.metric_label,
            "cells": cells.to_dict("records"),
            "methods": {
                "cell_mean": "mean of the rated interactions in the cell (response level)",
                "score": "(mean − low) / (high − low) · 100",
                "touchpoint_version": "the version valid on the interaction's day",
            },
        }


def stage_control_map(
    backend: Backend, *, metric: str = "cx", per_account: bool = False, as_of: Any = None
) -> StageControlMap:
    """The stage × controller map for the portfolio (or every account)."""
    check_metric(metric)
    frame = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
    frame = frame.filter(frame.stage.notnull() & frame.controller.notnull())
    keys = (["account_id"] if per_account else []) + _CELL
    agg = frame.group_by(keys).aggregate(
        n_interactions=frame.count(),
        n_rated=frame[metric].count(),
        n_stakeholders=frame.stakeholder_id.nunique(),
        mean=frame[metric].mean(),
    )
    cells: pd.DataFrame = agg.execute()
    if not per_account:
        grid = pd.MultiIndex.from_product(
            [[s.value for s in STAGE_ORDER], [c.value for c in Controller]], names=_CELL
        )
        cells = cells.set_index(_CELL).reindex(grid).reset_index()
        for col in ("n_interactions", "n_rated", "n_stakeholders"):
            cells[col] = cells[col].fillna(0).astype("int64")
    scale = RATING_SCALES[metric]
    cells["score"] = (cells["mean"] - scale.low) / (scale.high - scale.low) * 100
    order = {s.value: i for i, s in enumerate(STAGE_ORDER)}
    cells = cells.sort_values(
        [*(["account_id"] if per_account else []), "stage", "controller"],
        key=lambda c: c.map(order) if c.name == "stage" else c,
    ).reset_index(drop=True)
    return StageControlMap(metric=metric, cells=cells)
