"""CXM scope measured from the data: the breadth and depth of what the workspace
actually covers (Wirtz et al. 2025, section 4.2: "the breadth and depth of a
firm's activities in covering relevant cues, touchpoints, customer journeys, and
the overall CX" — stakeholder groups, data kinds, metrics, partners, activities).

Each dimension is measured over the ``window_days`` before the as-of date as a
*breadth* (which parts are covered at all) and, where the data can tell, a
*depth* (how thoroughly they are covered), both on 0–1; the dimension's score
is their mean. A dimension whose reference is missing (no touchpoint catalogue,
no partners, no activities) is not observable and left out of the mean, and
says so. Observed scope is the mean over the observable dimensions.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.enums import Goal, Level, Source, Stage
from b2bcx.storage import Backend
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions

#: The metrics a CXM programme can use, with the rating columns behind each.
METRICS: dict[str, tuple[str, ...]] = {
    "cx": ("cx",),
    "nps": ("nps",),
    "csat": ("csat",),
    "ces": ("ces",),
    "goal ratings": tuple(g.value for g in Goal),
}
STAGES = tuple(s.value for s in Stage)
SOURCES = tuple(s.value for s in Source if s is not Source.OTHER)
DATA_KINDS = ("quantitative", "qualitative", "solicited", "unsolicited")
ACTIVITY_KINDS = (
    "measurement",
    "technology",
    "program",
    "touchpoint_design",
    "training",
    "governance",
)
#: Dimensions in the order they are reported (also the self-assessment's).
DIMENSIONS = (
    "touchpoints",
    "cues",
    "journeys",
    "stakeholders",
    "data",
    "metrics",
    "partners",
    "activities",
)


@dataclass(frozen=True)
class ScopeDimension:
    """One dimension of observed scope (``share`` = mean of breadth and depth)."""

    dimension: str
    share: float | None
    detail: str
    breadth: float | None = None
    depth: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"dimension", "data", "breadth", "depth", "detail"}`` (rounded to 3 places)."""
        return {
            "dimension": self.dimension,
            "data": _round(self.share),
            "breadth": _round(self.breadth),
            "depth": _round(self.depth),
            "detail": self.detail,
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _dim(name: str, breadth: float | None, depth: float | None, detail: str) -> ScopeDimension:
    parts = [p for p in (breadth, depth) if p is not None]
    return ScopeDimension(name, sum(parts) / len(parts) if parts else None, detail, breadth, depth)


@dataclass(frozen=True)
class ObservedScope:
    """Observed scope with its dimensions."""

    as_of: _dt.datetime
    dimensions: tuple[ScopeDimension, ...]
    metric_coverage: dict[str, float]

    @property
    def score(self) -> float | None:
        """Observed scope on 0–1 (None when no dimension could be observed)."""
        shares = [d.share for d in self.dimensions if d.share is not None]
        return sum(shares) / len(shares) if shares else None

    def by_name(self) -> dict[str, ScopeDimension]:
        """Dimensions keyed by name."""
        return {d.dimension: d for d in self.dimensions}


def observed_scope(
    backend: Backend,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
) -> ObservedScope:
    """Measure CXM scope from the workspace over the ``window_days`` before ``as_of``.

    Examples
    --------
    >>> import b2bcx
    >>> with b2bcx.open_workspace(":memory:") as ws:
    ...     observed_scope(ws.backend).score is None
    True
    """
    stamp = resolve_as_of(backend, as_of)
    start = stamp - _dt.timedelta(days=options.window_days)
    f = experience_frame(backend, as_of=stamp)
    f = f.filter(f.occurred_at > ibis.literal(start))
    metric_any = {name: ibis.or_(*[f[c].notnull() for c in cols]) for name, cols in METRICS.items()}
    rated_any = ibis.or_(*metric_any.values())
    f = f.mutate(_rated=rated_any)
    counts = (
        f.aggregate(
            n=f.count(),
            rated=f._rated.cast("int64").sum(),
            comments=(f.comment.notnull() & (f.comment.length() > 0)).cast("int64").sum(),
            solicited=(f.solicited == True).cast("int64").sum(),  # noqa: E712
            unsolicited=(f.solicited == False).cast("int64").sum(),  # noqa: E712
            **{f"m_{i}": m.cast("int64").sum() for i, m in enumerate(metric_any.values())},
        )
        .to_pandas()
        .fillna(0)
        .iloc[0]
    )
    n = int(counts.n)
    if n == 0:
        empty = tuple(
            ScopeDimension(
                d, None, f"no interactions in the {options.window_days} days before the as-of date"
            )
            for d in DIMENSIONS
        )
        return ObservedScope(stamp, empty, {})
    per_tp = (
        f.group_by("touchpoint_id", "controller")
        .aggregate(k=f.count(), rated=f._rated.cast("int64").sum())
        .to_pandas()
    )
    catalogue = backend.table("touchpoints").select("touchpoint_id", "stage").to_pandas()
    dims = [*_touchpoints_and_cues(backend, per_tp, catalogue, options)]
    dims.append(_journeys(backend, f, stamp))
    dims.append(_stakeholders(backend, f, stamp, start, options))
    sources = f.group_by("source").aggregate(k=f.count()).to_pandas()
    used_sources = set(sources[sources.k / n >= options.in_use].source.dropna()) & set(SOURCES)
    kinds = dict(
        zip(
            DATA_KINDS,
            (counts.rated / n, counts.comments / n, counts.solicited / n, counts.unsolicited / n),
            strict=True,
        )
    )
    used = [k for k, v in kinds.items() if v >= options.in_use]
    dims.append(
        _dim(
            "data",
            len(used) / len(kinds),
            len(used_sources) / len(SOURCES),
            f"kinds in use: {', '.join(used) or 'none'}; sources: "
            f"{', '.join(sorted(used_sources)) or 'none'}",
        )
    )
    rated = max(int(counts.rated), 1)
    coverage = {m: float(counts[f"m_{i}"]) / rated for i, m in enumerate(METRICS)}
    in_use = [m for m in METRICS if counts[f"m_{list(METRICS).index(m)}"] / n >= options.in_use]
    consistency = sum(coverage[m] for m in in_use) / len(in_use) if in_use else 0.0
    dims.append(
        _dim(
            "metrics",
            len(in_use) / len(METRICS),
            consistency if in_use else None,
            f"in use: {', '.join(f'{m} ({coverage[m]:.0%} of rated)' for m in in_use) or 'none'}",
        )
    )
    dims.append(_partners(backend, f, per_tp, options))
    dims.append(_activities(backend, stamp, catalogue))
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return ObservedScope(
        stamp,
        tuple(sorted(dims, key=lambda d: order[d.dimension])),
        {m: coverage[m] for m in in_use},
    )


def _touchpoints_and_cues(
    backend: Backend, per_tp: pd.DataFrame, catalogue: pd.DataFrame, options: StrategyOptions
) -> list[ScopeDimension]:
    tp_ids = set(catalogue.touchpoint_id)
    if not tp_ids:
        return [
            ScopeDimension("touchpoints", None, "no touchpoint catalogue"),
            ScopeDimension("cues", None, "no touchpoint catalogue"),
        ]
    at = per_tp[per_tp.touchpoint_id.isin(tp_ids)].groupby("touchpoint_id")[["k", "rated"]].sum()
    covered = set(at[at.rated >= options.min_rated].index)
    depth = float(at.rated.sum() / at.k.sum()) if at.k.sum() else None
    out = [
        _dim(
            "touchpoints",
            len(covered) / len(tp_ids),
            depth,
            f"{len(covered)} of {len(tp_ids)} catalogue touchpoints with ≥ "
            f"{options.min_rated} rated experiences; "
            + (
                f"{depth:.0%} of the experiences at them rated"
                if depth is not None
                else "no experiences at them"
            ),
        )
    ]
    cues = backend.table("cues").select("cue_id", "touchpoint_id").to_pandas()
    if cues.empty:
        out.append(ScopeDimension("cues", None, "no cues in the catalogue"))
    else:
        with_data = int(cues.touchpoint_id.isin(covered).sum())
        out.append(
            _dim(
                "cues",
                with_data / len(cues),
                None,
                f"{with_data} of {len(cues)} cues sit at touchpoints with experience "
                "data (experiences are not recorded per cue)",
            )
        )
    return out


def _journeys(backend: Backend, f: Any, as_of: _dt.datetime) -> ScopeDimension:
    rated = f.filter(f._rated)
    per = rated.group_by("stage", "journey_id").aggregate(k=rated.count()).to_pandas()
    stages = set(per.stage.dropna()) & set(STAGES)
    journeys = backend.table("journeys").select("journey_id", "started_at").to_pandas()
    journeys = journeys[
        journeys.started_at.isna() | (pd.to_datetime(journeys.started_at) <= pd.Timestamp(as_of))
    ]
    breadth = len(stages) / len(STAGES)
    if journeys.empty:
        return _dim(
            "journeys",
            breadth,
            None,
            f"{len(stages)} of {len(STAGES)} stages with rated experiences (no journeys table)",
        )
    covered = set(per.journey_id.dropna()) & set(journeys.journey_id)
    return _dim(
        "journeys",
        breadth,
        len(covered) / len(journeys),
        f"{len(stages)} of {len(STAGES)} stages and {len(covered)} of "
        f"{len(journeys)} journeys with rated experiences",
    )


def _stakeholders(
    backend: Backend, f: Any, as_of: _dt.datetime, start: _dt.datetime, options: StrategyOptions
) -> ScopeDimension:
    """Groups heard (functions present, the three levels, buying and usage centres)
    as breadth; contacts heard and accounts heard in depth as depth. Heard = at
    least one rated or commented experience in the window."""
    heard_f = f.filter(f._rated | (f.comment.notnull() & (f.comment.length() > 0)))
    heard = set(heard_f.select("stakeholder_id").distinct().to_pandas().stakeholder_id)
    people = (
        backend.table("stakeholders")
        .select(
            "stakeholder_id",
            "account_id",
            "function",
            "level",
            "center",
            "active_from",
            "active_to",
        )
        .to_pandas()
    )
    if people.empty:
        return ScopeDimension("stakeholders", None, "no stakeholders")
    day = pd.Timestamp(as_of)
    active = people[
        (people.active_from.isna() | (pd.to_datetime(people.active_from) <= day))
        & (people.active_to.isna() | (pd.to_datetime(people.active_to) >= pd.Timestamp(start)))
    ]
    got = active[active.stakeholder_id.isin(heard)]
    parts, notes = [], []
    functions = set(active.function.dropna())
    if functions:
        parts.append(len(set(got.function.dropna()) & functions) / len(functions))
        notes.append(f"{len(set(got.function.dropna()) & functions)}/{len(functions)} functions")
    levels = {lv.value for lv in Level}
    parts.append(len(set(got.level.dropna()) & levels) / len(levels))
    notes.append(f"{len(set(got.level.dropna()) & levels)}/3 levels")
    centers = set(got.center.dropna())
    centers = {"buying", "usage"} if "both" in centers else centers & {"buying", "usage"}
    parts.append(len(centers) / 2)
    notes.append(f"{len(centers)}/2 centres")
    contacts = len(got) / len(active) if len(active) else 0.0
    per_acc = got.groupby("account_id").size()
    accounts = active.account_id.nunique()
    deep = int((per_acc >= options.deep_account_people).sum())
    depth = (contacts + deep / accounts) / 2 if accounts else contacts
    return _dim(
        "stakeholders",
        sum(parts) / len(parts),
        depth,
        f"heard: {', '.join(notes)}; {len(got)} of {len(active)} contacts; {deep} of "
        f"{accounts} accounts with ≥ {options.deep_account_people} people",
    )


def _partners(
    backend: Backend, f: Any, per_tp: pd.DataFrame, options: StrategyOptions
) -> ScopeDimension:
    partners = backend.table("partners").select("partner_id").to_pandas()
    if partners.empty:
        return ScopeDimension("partners", None, "no partners")
    rated = f.filter(f._rated & f.partner_id.notnull())
    per = rated.group_by("partner_id").aggregate(k=rated.count()).to_pandas()
    monitored = set(per[per.k >= options.min_rated].partner_id) & set(partners.partner_id)
    at = per_tp[per_tp.controller == "partner"]
    depth = float(at.rated.sum() / at.k.sum()) if at.k.sum() else None
    return _dim(
        "partners",
        len(monitored) / len(partners),
        depth,
        f"{len(monitored)} of {len(partners)} partners with ≥ {options.min_rated} rated "
        "experiences"
        + (
            f"; {depth:.0%} of experiences at partner touchpoints rated"
            if depth is not None
            else ""
        ),
    )


def _activities(backend: Backend, as_of: _dt.datetime, catalogue: pd.DataFrame) -> ScopeDimension:
    """Breadth: touchpoints and stages the running activities reach; depth: the
    kinds of activity in use (measurement, technology, programmes, touchpoint
    design, training, governance)."""
    acts = active_activities(backend, as_of)
    if acts.empty:
        return ScopeDimension("activities", None, "no CXM activities running")
    tp_stage = dict(zip(catalogue.touchpoint_id, catalogue.stage, strict=True))
    reach_tp = {t for ts in acts.touchpoint_ids for t in _as_list(ts)}
    reach_st = {s for ss in acts.stages for s in _as_list(ss)} | {
        tp_stage[t] for t in reach_tp if t in tp_stage
    }
    tp_ids = set(tp_stage)
    parts = [len(reach_st & set(STAGES)) / len(STAGES)]
    if tp_ids:
        parts.append(len(reach_tp & tp_ids) / len(tp_ids))
    kinds = set(acts.kind.dropna()) & set(ACTIVITY_KINDS)
    return _dim(
        "activities",
        sum(parts) / len(parts),
        len(kinds) / len(ACTIVITY_KINDS),
        f"{len(acts)} running activities of {len(kinds)} kinds reaching "
        f"{len(reach_tp & tp_ids)} of {len(tp_ids)} touchpoints and "
        f"{len(reach_st & set(STAGES))} of {len(STAGES)} stages",
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    try:
        if pd.isna(value):
            return []
    except (TypeError, ValueError):
        pass
    return [str(v) for v in value]


def active_activities(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Activities running on ``as_of`` (started by then, not ended before)."""
    acts: pd.DataFrame = backend.table("activities").to_pandas()
    if acts.empty:
        return acts
    day = pd.Timestamp(as_of)
    started = acts.started_at.isna() | (pd.to_datetime(acts.started_at) <= day)
    running = acts.ended_at.isna() | (pd.to_datetime(acts.ended_at) >= day)
    running_now: pd.DataFrame = acts[started & running].reset_index(drop=True)
    return running_now
