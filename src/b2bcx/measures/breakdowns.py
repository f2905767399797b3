"""Breakdowns the frameworks ask for: trends by month and splits of the experience.

- **Trends**: CX and NPS per month, for the portfolio or every account — the
  dynamics of the customer experience (Witell et al. 2020, challenge C5).
- **Splits** by ``solicited`` (asked for vs volunteered: Wirtz et al. 2025 on
  rich CX data), ``center`` (buying vs usage centre: Witell et al. 2020, §2.3),
  ``source``, ``level`` or ``function``.

Both are one engine aggregate over all interactions. NPS here is response-level
(% promoters − % detractors among the answers in the cell); the account NPS of
:mod:`b2bcx.measures.collective` counts each person's latest answer instead.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from b2bcx.errors import ConfigurationError
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import check_metric, metric_label, resolve_as_of
from b2bcx.model.tables import RATING_SCALES
from b2bcx.storage import Backend

SPLITS = ("solicited", "center", "source", "level", "function", "controller", "stage")


def _cells(frame: ir.Table, keys: list[str], metric: str) -> pd.DataFrame:
    # boolean → int → float: PostgreSQL casts booleans only to integers; a
    # missing answer stays NULL so the mean is over the answers only
    promoter = (frame.nps >= 9).cast("int32").cast("float64")
    detractor = (frame.nps <= 6).cast("int32").cast("float64")
    agg = frame.group_by(keys).aggregate(
        n_interactions=frame.count(),
        n_stakeholders=frame.stakeholder_id.nunique(),
        n_rated=frame[metric].count(),
        mean=frame[metric].mean(),
        n_nps=frame.nps.count(),
        nps=(promoter - detractor).mean() * 100,
    )
    cells: pd.DataFrame = agg.order_by(keys).execute()
    scale = RATING_SCALES[metric]
    cells["score"] = (cells["mean"] - scale.low) / (scale.high - scale.low) * 100
    # what was measured travels with the frame (pandas keeps attrs on copies)
    cells.attrs["metric"] = metric
    cells.attrs["metric_label"] = metric_label(metric, level="")
    cells.attrs["methods"] = {
        "mean": "mean of the rated interactions in the cell (response level)",
        "nps": "% promoters − % detractors among the cell's answers",
    }
    return cells


def monthly_trend(
    backend: Backend, *, metric: str = "cx", per_account: bool = False, as_of: Any = None
) -> pd.DataFrame:
    """One row per month (and account): counts, mean and 0–100 score, NPS."""
    check_metric(metric)
    frame = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
    frame = frame.mutate(month=frame.occurred_at.truncate("M").date())
    keys = (["account_id"] if per_account else []) + ["month"]
    return _cells(frame, keys, metric)


def split(
    backend: Backend,
    *,
    by: str = "solicited",
    metric: str = "cx",
    per_account: bool = False,
    as_of: Any = None,
) -> pd.DataFrame:
    """Counts, mean, 0–100 score and NPS per value of ``by`` (and account)."""
    check_metric(metric)
    if by not in SPLITS:
        raise ConfigurationError(f"split by one of {', '.join(SPLITS)} (got {by!r})")
    frame = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
    keys = (["account_id"] if per_account else []) + [by]
    return _cells(frame, keys, metric)


#: The counts of :func:`activity_cells` (missing sums are 0).
_ACTIVITY_COUNTS = ("n_interactions", "n_rated", "n_nps", "promoters", "detractors")


def _arrow_cells(table: pa.Table) -> pd.DataFrame:
    """The activity cells fetched as Arrow, as a frame: ids as strings (missing:
    NaN), ``month`` as ``datetime64[s]``, counts as int64 and ``total`` as float64
    with missing sums 0. Converted column by column in Arrow: a frame of millions
    of cells built through Python objects (``execute()`` turns every string column
    with a missing value into a list) took most of the time."""
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.column_names:
        col = table[name]
        if name == "month":
            col = col.cast(pa.timestamp("s"))
        elif name in _ACTIVITY_COUNTS:
            col = pc.fill_null(col, 0).cast(pa.int64())
        elif name == "total":
            col = pc.fill_null(col.cast(pa.float64()), 0.0)
        elif not pa.types.is_string(col.type):
            col = col.cast(pa.string())
        columns[name] = col
    cells: pd.DataFrame = pa.table(columns).to_pandas()
    return cells


#: The keys of :func:`activity_cells`, in order.
ACTIVITY_KEYS = ("account_id", "touchpoint_id", "partner_id", "stage", "controller", "month")


def activity_cells(backend: Backend, *, metric: str = "cx", as_of: Any = None) -> pd.DataFrame:
    """Additive counts per account × touchpoint × partner × stage × controller ×
    month, so any filter of them can be summed again exactly.

    Columns: the :data:`ACTIVITY_KEYS` (``month`` the first day of the month;
    partner, stage and controller as at the interaction, missing as None) and
    ``n_interactions``, ``n_rated`` (interactions with a ``metric`` rating),
    ``total`` (the sum of those ratings), ``n_nps``, ``promoters`` (9–10) and
    ``detractors`` (0–6). The mean rating of any set of cells is
    ``sum(total) / sum(n_rated)``, its response-level NPS
    ``100 * (sum(promoters) - sum(detractors)) / sum(n_nps)``: the same numbers
    as :func:`monthly_trend` and :func:`b2bcx.measures.maps.stage_control_map`
    give for the cells they cover.
    """
    check_metric(metric)
    frame = experience_frame(backend, as_of=resolve_as_of(backend, as_of))
    frame = frame.mutate(month=frame.occurred_at.truncate("M").date())
    promoter = (frame.nps >= 9).cast("int32")
    detractor = (frame.nps <= 6).cast("int32")
    agg = frame.group_by(list(ACTIVITY_KEYS)).aggregate(
        n_interactions=frame.count(),
        n_rated=frame[metric].count(),
        total=frame[metric].cast("float64").sum(),
        n_nps=frame.nps.count(),
        promoters=promoter.sum(),
        detractors=detractor.sum(),
    )
    cells = _arrow_cells(backend.to_arrow(agg))
    cells.attrs["metric"] = metric
    cells.attrs["metric_label"] = metric_label(metric, level="")
    return cells
