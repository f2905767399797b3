"""Individual CX: each stakeholder's cumulative experience, recent weighing more.

Wirtz et al. (2025) define B2B CX as the cumulative responses of individuals to
cues, touchpoints and journeys over time. b2bcx scores it per stakeholder as an
exponentially decayed mean of a rating: an experience ``a`` days before the
as-of date weighs ``w = 0.5 ** (a / h)`` (half-life ``h``, default 180 days)::

    individual_cx = Σ w_i x_i / Σ w_i      (over the stakeholder's rated interactions)

computed by the engine in one group-by for all stakeholders at once.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.frame import PERSON_COLUMNS, experience_frame
from b2bcx.model.tables import RATING_SCALES
from b2bcx.storage import Backend

#: Default half-life of an experience, in days.
DEFAULT_HALF_LIFE_DAYS = 180.0

#: Columns an individual score can additionally be broken down by.
BREAKDOWNS: tuple[str, ...] = ("touchpoint_id", "stage", "journey_id", "controller")


@dataclass(frozen=True, kw_only=True)
class DecayOptions:
    """How experiences accumulate.

    Attributes
    ----------
    half_life_days: after this many days an experience weighs half as much;
        ``math.inf`` weighs all experiences equally.
    as_of: the date the scores are for; experiences after it are ignored
        (default: the latest interaction in the workspace).
    """

    half_life_days: float = DEFAULT_HALF_LIFE_DAYS
    as_of: _dt.datetime | None = None

    def __post_init__(self) -> None:
        if not self.half_life_days > 0:
            raise ConfigurationError(
                f"half_life_days must be > 0 (got {self.half_life_days}); use inf for no decay"
            )


def resolve_as_of(backend: Backend, as_of: _dt.datetime | _dt.date | None) -> _dt.datetime:
    """``as_of`` as a datetime; default the latest interaction (or now if none)."""
    if isinstance(as_of, _dt.datetime):
        return as_of
    if isinstance(as_of, _dt.date):
        return _dt.datetime.combine(as_of, _dt.time.max)
    it = backend.table("interactions")
    latest = it.occurred_at.max().execute()
    if latest is None or (isinstance(latest, float) and math.isnan(latest)):
        return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    return latest.to_pydatetime() if hasattr(latest, "to_pydatetime") else latest  # type: ignore[no-any-return]


def check_metric(metric: str) -> str:
    """``metric`` if it is a rating column, else a clear error."""
    if metric not in RATING_SCALES:
        raise ConfigurationError(
            f"unknown metric {metric!r}; choose one of: {', '.join(RATING_SCALES)}"
        )
    return metric


def rating_counts(backend: Backend) -> dict[str, int]:
    """How many interactions carry each rating (cx, nps, csat, ces, the goals), in
    one engine aggregate: what ``--metric`` can choose from in this workspace."""
    it = backend.table("interactions")
    present = [m for m in RATING_SCALES if m in it.columns]
    if not present:
        return {}
    row = it.aggregate(**{m: it[m].count() for m in present}).execute()
    return {m: int(row[m].iloc[0]) for m in present}


#: The ratings a summary falls back on, in order, when it is not told which.
SUMMARY_METRICS: tuple[str, ...] = ("cx", "nps", "csat", "ces")


def default_metric(backend: Backend) -> str:
    """The rating a summary (report, dashboard) shows when none was chosen: ``cx``,
    else the first of nps, csat, ces with ratings in this workspace (a G2 import
    has nps but no cx), else ``cx``."""
    it = backend.table("interactions")
    for metric in SUMMARY_METRICS:
        # an existence check: the engine stops at the first rating (cheap where
        # cx is there, as it nearly always is), no count over every interaction
        if metric in it.columns and int(it.filter(it[metric].notnull()).limit(1).count().execute()):
            return metric
    return "cx"


#: Human names of the evaluative metrics (Wirtz et al. 2025: NPS and satisfaction
#: are evaluations, to be kept apart from the experience itself).
_METRIC_NAMES: dict[str, str] = {"cx": "CX", "nps": "NPS", "csat": "CSAT", "ces": "CES"}


def metric_label(metric: str, *, level: str = "collective") -> str:
    """A human name for what a result measured, e.g. "collective NPS" vs "collective CX".

    ``metric`` is a rating column (or several joined by ``+`` for a
    multi-item measure); ``level`` is "collective", "individual" or "".

    Examples
    --------
    >>> metric_label("cx"), metric_label("nps"), metric_label("efficiency", level="individual")
    ('collective CX', 'collective NPS', 'individual efficiency rating')
    >>> metric_label("efficiency+empowerment")
    'collective efficiency+empowerment (multi-item)'
    """
    if "+" in metric:
        name = f"{metric} (multi-item)"
    else:
        name = _METRIC_NAMES.get(metric, f"{metric} rating")
    return f"{level} {name}".strip()


def individual_cx_expr(
    backend: Backend,
    *,
    metric: str = "cx",
    decay: DecayOptions | None = None,
    by: Sequence[str] = (),
    moments: bool = False,
    frame: ir.Table | None = None,
) -> ir.Table:
    """An Ibis expression of individual CX per stakeholder (and ``by`` breakdowns).

    Columns: ``stakeholder_id``, the stakeholder's ``account_id``, ``function``,
    ``level``, ``center``, ``decision_maker``, ``segment``, ``annual_value``,
    each of ``by``, then ``n`` (rated interactions), ``weight`` (Σ w),
    ``score`` (the decayed mean on the metric's own scale) and ``last_at``.

    ``moments=True`` adds what the agreement statistics need to separate the
    person's own rating noise from differences between people
    (:mod:`b2bcx.measures.consensus`): ``m_eff_inv`` = Σw²/(Σw)² (the variance
    of the decayed mean of i.i.d. ratings is σ²·Σw²/(Σw)², 1/m for equal
    weights), ``ss_within`` = Σ(x − x̄)² over the person's ratings (unweighted)
    and ``df_within`` = n − 1.

    ``frame``: an experience frame at the same as-of date already built (for
    instance materialized once in the engine for a whole diagnosis) to read
    instead of building one; it needs the columns of
    :func:`~b2bcx.measures.frame.experience_frame` used here, except that the
    person's and account's columns (:data:`~b2bcx.measures.frame.PERSON_COLUMNS`)
    it lacks are joined to the per-person result after the group-by (one row
    per person, not per interaction), with the same values and column order.
    """
    check_metric(metric)
    unknown = [b for b in by if b not in BREAKDOWNS]
    if unknown:
        raise ConfigurationError(
            f"cannot break individual CX down by {unknown}; choose from {', '.join(BREAKDOWNS)}"
        )
    decay = decay or DecayOptions()
    as_of = resolve_as_of(backend, decay.as_of)
    frame = experience_frame(backend, as_of=as_of) if frame is None else frame
    frame = frame.filter(frame[metric].notnull())
    if math.isinf(decay.half_life_days):
        weight = ibis.literal(1.0)
    else:
        age_days = (
            ibis.literal(as_of).epoch_seconds() - frame.occurred_at.epoch_seconds()
        ) / 86400.0
        weight = (age_days * (-math.log(2) / decay.half_life_days)).exp()
    x = frame[metric].cast("float64")
    frame = frame.mutate(_w=weight, _wx=weight * x)
    missing = [c for c in PERSON_COLUMNS if c not in frame.columns]
    keys = ["stakeholder_id", *[c for c in PERSON_COLUMNS if c not in missing], *by]
    extra = (
        {"_w2": (frame._w * frame._w).sum(), "_sx": x.sum(), "_sx2": (x * x).sum()}
        if moments
        else {}
    )
    grouped = frame.group_by(keys).aggregate(
        n=frame[metric].count(),
        weight=frame._w.sum(),
        _wx=frame._wx.sum(),
        last_at=frame.occurred_at.max(),
        **extra,
    )
    out = grouped.mutate(score=grouped._wx / grouped.weight).drop("_wx")
    if missing:
        out = _join_person_columns(backend, out, missing)
    if not moments:
        return out
    nf = out.n.cast("float64")
    out = out.mutate(
        m_eff_inv=out._w2 / (out.weight * out.weight),
        # clipped at 0: the engine's float sums can leave −1e-13 for equal ratings
        ss_within=ibis.greatest(out._sx2 - out._sx * out._sx / nf, 0.0),
        df_within=out.n - 1,
    )
    return out.drop("_w2", "_sx", "_sx2")


def _join_person_columns(backend: Backend, out: ir.Table, missing: Sequence[str]) -> ir.Table:
    """``out`` (one row per stakeholder and breakdown) with the ``missing`` columns of
    :data:`PERSON_COLUMNS` joined from the stakeholders and accounts as
    :func:`~b2bcx.measures.frame.experience_frame` joins them, in its column order."""
    order = [
        "stakeholder_id",
        *PERSON_COLUMNS,
        *[c for c in out.columns if c != "stakeholder_id" and c not in PERSON_COLUMNS],
    ]
    sh_cols = [c for c in ("account_id", "function", "level", "center", "decision_maker")
               if c in missing]  # fmt: skip
    sh = backend.table("stakeholders")
    sh = sh.select(_sid=sh.stakeholder_id, **{c: sh[c] for c in sh_cols})
    joined = out.inner_join(sh, out.stakeholder_id == sh._sid).drop("_sid")
    acc_cols = [c for c in ("segment", "annual_value") if c in missing]
    if acc_cols:
        acc = backend.table("accounts")
        acc = acc.select(_acc=acc.account_id, **{c: acc[c] for c in acc_cols})
        joined = joined.left_join(acc, joined.account_id == acc._acc).drop("_acc")
    return joined.select(*order)


#: ``individual_cx(per=...)`` names → breakdown columns.
PER: dict[str, tuple[str, ...]] = {
    "stakeholder": (),
    "touchpoint": ("touchpoint_id",),
    "stage": ("stage",),
    "journey": ("journey_id",),
    "controller": ("controller",),
}


def individual_cx(
    backend: Backend,
    *,
    metric: str = "cx",
    decay: DecayOptions | None = None,
    per: str = "stakeholder",
    account_id: str | None = None,
) -> pd.DataFrame:
    """Individual CX per stakeholder (optionally per touchpoint, stage, journey or
    controller), computed by the engine, as a small DataFrame.

    Adds ``cx`` (the score on 0–100) to the columns of :func:`individual_cx_expr`,
    sorted by account, stakeholder and breakdown.
    """
    if per not in PER:
        raise ConfigurationError(f"unknown --per {per!r}; choose from {', '.join(PER)}")
    expr = individual_cx_expr(backend, metric=metric, decay=decay, by=PER[per])
    if account_id is not None:
        expr = expr.filter(expr.account_id == account_id)
    frame = expr.to_pandas()
    scale = RATING_SCALES[metric]
    frame["cx"] = scale.to_0_100(frame["score"].to_numpy(dtype=float))
    keys = ["account_id", "stakeholder_id", *PER[per]]
    ordered: pd.DataFrame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return ordered
