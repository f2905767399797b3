"""CXM scope measured from the data as *activity*: what the supplier does about
the relevant cues, touchpoints and journeys (Wirtz et al. 2025, section 4.2:
"the breadth and depth of a firm's activities in covering relevant cues,
touchpoints, customer journeys, and the overall CX").

Measuring something is not managing it, and "relevant" is not "everything in
the catalogue". So:

- **Relevance comes from the data.** A touchpoint is relevant when at least
  ``relevant_reach`` of the people heard in the window met it; its weight is the
  share of people it reaches (averaged with its share of explained NPS when
  touchpoint key drivers are given). A catalogue touchpoint nobody meets does
  not count for or against scope.
- **A relevant touchpoint is managed** when it is *measured* (≥ ``min_rated``
  rated experiences), *acted on* (a running CXM activity other than
  measurement reaches it, by its touchpoints or its stage) and *owned* (a
  running activity reaching it names an ``owner_unit``).

The dimensions that count towards observed scope, each a *breadth* and a
*depth* on 0–1 (the dimension's score is their mean):

- ``touchpoints``: relevance-weighted share managed; depth the weighted mean of
  the three marks;
- ``cues``: cues at managed relevant touchpoints, of the cues at relevant ones;
- ``journeys``: relevant stages an activity (other than measurement) reaches;
  depth: journeys managed end to end (every stage they met is reached);
- ``partners``: relevant partner-run touchpoints managed; depth their marks;
- ``activities``: CXM activities recorded — relevant touchpoints any running
  activity reaches, and the kinds in use (of six); 0 when none is recorded;
- ``closed_loop`` (where cases exist, ``b2bcx.cases``): detractors followed up
  with a case, and cases closed with an outcome.

``stakeholders``, ``data`` and ``metrics`` are **measurement coverage**: they
are reported (``counts: false``) but do not count, so a workspace of
satisfaction surveys and complaints alone reads as narrow scope however many
rows it holds. A dimension whose reference is missing is not observable and is
left out of the mean, and says so.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.enums import Goal, Level, Source, Stage
from b2bcx.storage import Backend, casestore
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
    "closed_loop",
)
#: Dimensions reported as measurement coverage, not counted in observed scope.
COVERAGE = frozenset({"stakeholders", "data", "metrics"})


@dataclass(frozen=True)
class ScopeDimension:
    """One dimension of observed scope (``share`` = mean of breadth and depth;
    ``counts``: whether it enters observed scope or is measurement coverage)."""

    dimension: str
    share: float | None
    detail: str
    breadth: float | None = None
    depth: float | None = None
    counts: bool = True

    def to_dict(self) -> dict[str, Any]:
        """``{"dimension", "data", "breadth", "depth", "counts", "detail"}`` (3 places)."""
        return {
            "dimension": self.dimension,
            "data": _round(self.share),
            "breadth": _round(self.breadth),
            "depth": _round(self.depth),
            "counts": self.counts,
            "detail": self.detail,
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _dim(
    name: str, breadth: float | None, depth: float | None, detail: str, counts: bool = True
) -> ScopeDimension:
    parts = [p for p in (breadth, depth) if p is not None]
    return ScopeDimension(
        name, sum(parts) / len(parts) if parts else None, detail, breadth, depth, counts
    )


@dataclass(frozen=True)
class ObservedScope:
    """Observed scope with its dimensions and the relevant touchpoints behind it.

    ``relevance``: one row per relevant touchpoint — ``touchpoint_id``,
    ``stage``, ``controller``, ``reach`` (share of people heard who met it),
    ``weight`` (its relevance weight, summing to 1), and its marks
    ``measured``, ``acted_on``, ``owned``, ``managed``.
    """

    as_of: _dt.datetime
    dimensions: tuple[ScopeDimension, ...]
    metric_coverage: dict[str, float]
    relevance: tuple[dict[str, Any], ...] = field(default=())

    @property
    def score(self) -> float | None:
        """Observed scope on 0–1: the mean over the counted, observable
        dimensions (None when none could be observed)."""
        shares = [d.share for d in self.dimensions if d.share is not None and d.counts]
        return sum(shares) / len(shares) if shares else None

    def counted(self) -> list[float]:
        """The counted dimensions' scores (the items of the position's bootstrap)."""
        return [float(d.share) for d in self.dimensions if d.share is not None and d.counts]

    def by_name(self) -> dict[str, ScopeDimension]:
        """Dimensions keyed by name."""
        return {d.dimension: d for d in self.dimensions}


def segment_accounts(backend: Backend, segment: str | None) -> list[str] | None:
    """The account ids of ``segment`` (``accounts.segment``), None for all."""
    if segment is None:
        return None
    acc = backend.table("accounts").select("account_id", "segment").to_pandas()
    return sorted(str(a) for a in acc.loc[acc.segment == segment, "account_id"])


def observed_scope(
    backend: Backend,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
    account_ids: Sequence[str] | None = None,
    drivers: pd.DataFrame | None = None,
) -> ObservedScope:
    """Measure CXM scope from the workspace over the ``window_days`` before ``as_of``.

    ``account_ids`` limits the experiences and cases to those accounts (a market
    segment); ``drivers`` (a touchpoint key-driver table with ``driver`` and
    ``share``) adds driver importance to the touchpoints' relevance.

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
    if account_ids is not None:
        f = f.filter(f.account_id.isin(list(account_ids) or ["\0"]))
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
                d,
                None,
                f"no interactions in the {options.window_days} days before the as-of date",
                counts=d not in COVERAGE,
            )
            for d in DIMENSIONS
        )
        return ObservedScope(stamp, empty, {})
    at_tp = f.filter(f.touchpoint_id.notnull())
    per_tp = (
        at_tp.group_by("touchpoint_id", "stage", "controller")
        .aggregate(
            k=at_tp.count(),
            rated=at_tp._rated.cast("int64").sum(),
            people=at_tp.stakeholder_id.nunique(),
        )
        .to_pandas()
    )
    heard_people = int(f.stakeholder_id.nunique().to_pandas())
    catalogue = backend.table("touchpoints").select("touchpoint_id", "stage").to_pandas()
    acts = active_activities(backend, stamp)
    marks = _relevance(per_tp, catalogue, acts, heard_people, drivers, options)
    dims = [*_touchpoints_and_cues(backend, marks, catalogue, options)]
    dims.append(_journeys(f, marks, acts, catalogue))
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
            f"measurement coverage (not counted): kinds in use: {', '.join(used) or 'none'}; "
            f"sources: {', '.join(sorted(used_sources)) or 'none'}",
            counts=False,
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
            "measurement coverage (not counted): in use: "
            + (", ".join(f"{m} ({coverage[m]:.0%} of rated)" for m in in_use) or "none"),
            counts=False,
        )
    )
    dims.append(_partners(marks))
    dims.append(_activities(acts, marks))
    dims.append(_closed_loop(backend, f, stamp, start, account_ids))
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return ObservedScope(
        stamp,
        tuple(sorted(dims, key=lambda d: order[d.dimension])),
        {m: coverage[m] for m in in_use},
        tuple(_records(marks)) if not marks.empty else (),
    )


_MARK_COLUMNS = [
    "touchpoint_id",
    "stage",
    "controller",
    "reach",
    "weight",
    "measured",
    "acted_on",
    "owned",
    "managed",
]


def _reaches(act: dict[str, Any], tp: str, stage: str | None) -> bool:
    return tp in _as_list(act.get("touchpoint_ids")) or (
        stage is not None and stage in _as_list(act.get("stages"))
    )


def _relevance(
    per_tp: pd.DataFrame,
    catalogue: pd.DataFrame,
    acts: pd.DataFrame,
    heard: int,
    drivers: pd.DataFrame | None,
    options: StrategyOptions,
) -> pd.DataFrame:
    """The relevant touchpoints with their weights and management marks."""
    if per_tp.empty or heard == 0:
        return pd.DataFrame(columns=_MARK_COLUMNS)
    tp_stage = dict(zip(catalogue.touchpoint_id, catalogue.stage, strict=True))
    per_tp = per_tp.sort_values("k", ascending=False)
    g = per_tp.groupby("touchpoint_id", sort=False)
    table = pd.DataFrame(
        {
            "k": g.k.sum(),
            "rated": g.rated.sum(),
            "people": g.people.max(),
            "stage": g.stage.first(),
            "controller": g.controller.first(),
        }
    )
    table["stage"] = [
        s if isinstance(s, str) else tp_stage.get(t)
        for t, s in zip(table.index, table.stage, strict=True)
    ]
    table["reach"] = table.people / heard
    share = pd.Series(0.0, index=table.index)
    if drivers is not None and not drivers.empty and {"driver", "share"} <= set(drivers):
        d = drivers.set_index("driver").share.astype(float).clip(lower=0)
        if d.sum() > 0:
            share = (d / d.sum()).reindex(table.index).fillna(0.0)
    relevant = table[(table.reach >= options.relevant_reach) | (share >= options.relevant_reach)]
    if relevant.empty:
        return pd.DataFrame(columns=_MARK_COLUMNS)
    reach_w = relevant.reach / relevant.reach.sum()
    if share.loc[relevant.index].sum() > 0:
        s = share.loc[relevant.index]
        weight = (reach_w + s / s.sum()) / 2
    else:
        weight = reach_w
    records = _records(acts) if not acts.empty else []
    rows = []
    for tp, r in relevant.iterrows():
        stage = r.stage if isinstance(r.stage, str) else None
        reaching = [a for a in records if _reaches(a, str(tp), stage)]
        measured = bool(r.rated >= options.min_rated)
        acted = any(a.get("kind") != "measurement" for a in reaching)
        owned = any(_text(a.get("owner_unit")) for a in reaching)
        rows.append(
            {
                "touchpoint_id": str(tp),
                "stage": stage,
                "controller": r.controller if isinstance(r.controller, str) else None,
                "reach": float(r.reach),
                "weight": float(weight[str(tp)]),
                "measured": measured,
                "acted_on": acted,
                "owned": owned,
                "managed": measured and acted and owned,
            }
        )
    return pd.DataFrame(rows, columns=_MARK_COLUMNS)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _level(marks: pd.DataFrame) -> pd.Series:
    return (
        marks.measured.astype(float) + marks.acted_on.astype(float) + marks.owned.astype(float)
    ) / 3


def _weighted(marks: pd.DataFrame, values: pd.Series) -> float:
    w = marks.weight.astype(float)
    return float((w * values.astype(float)).sum() / w.sum()) if w.sum() > 0 else 0.0


def _touchpoints_and_cues(
    backend: Backend, marks: pd.DataFrame, catalogue: pd.DataFrame, options: StrategyOptions
) -> list[ScopeDimension]:
    if marks.empty:
        why = (
            "no touchpoint catalogue"
            if catalogue.empty
            else f"no touchpoint reaches {options.relevant_reach:.0%} of the people heard"
        )
        return [ScopeDimension("touchpoints", None, why), ScopeDimension("cues", None, why)]
    managed = marks[marks.managed]
    out = [
        _dim(
            "touchpoints",
            _weighted(marks, marks.managed),
            _weighted(marks, _level(marks)),
            f"{len(managed)} of {len(marks)} relevant touchpoints managed (measured, acted "
            f"on and owned); {int(marks.measured.sum())} measured, "
            f"{int(marks.acted_on.sum())} acted on, {int(marks.owned.sum())} owned "
            f"(relevant: met by ≥ {options.relevant_reach:.0%} of the people heard)",
        )
    ]
    cues = backend.table("cues").select("cue_id", "touchpoint_id").to_pandas()
    cues = cues[cues.touchpoint_id.isin(set(marks.touchpoint_id))]
    if cues.empty:
        out.append(ScopeDimension("cues", None, "no cues at the relevant touchpoints"))
    else:
        at = cues.touchpoint_id.isin(set(managed.touchpoint_id))
        out.append(
            _dim(
                "cues",
                float(at.mean()),
                None,
                f"{int(at.sum())} of {len(cues)} cues at relevant touchpoints sit at managed "
                "ones (experiences are not recorded per cue)",
            )
        )
    return out


def _stage_reached(acts: pd.DataFrame, stage: str, tp_stage: dict[str, Any]) -> bool:
    for a in _records(acts):
        if a.get("kind") == "measurement":
            continue
        if stage in _as_list(a.get("stages")):
            return True
        if any(tp_stage.get(t) == stage for t in _as_list(a.get("touchpoint_ids"))):
            return True
    return False


def _journeys(
    f: Any, marks: pd.DataFrame, acts: pd.DataFrame, catalogue: pd.DataFrame
) -> ScopeDimension:
    if marks.empty:
        return ScopeDimension("journeys", None, "no relevant touchpoints")
    tp_stage = dict(zip(catalogue.touchpoint_id, catalogue.stage, strict=True))
    stage_w = marks.dropna(subset=["stage"]).groupby("stage").weight.sum()
    if stage_w.empty:
        return ScopeDimension("journeys", None, "the relevant touchpoints have no stage")
    reached = {s: _stage_reached(acts, str(s), tp_stage) for s in stage_w.index}
    breadth = float(sum(w for s, w in stage_w.items() if reached[s]) / stage_w.sum())
    per = f.filter(f.journey_id.notnull() & f.stage.notnull()).select("journey_id", "stage")
    jt = per.distinct().to_pandas()
    detail = (
        f"{sum(reached.values())} of {len(stage_w)} relevant stages reached by a CXM "
        "activity other than measurement"
    )
    if jt.empty:
        return _dim("journeys", breadth, None, detail + " (no journeys in the experiences)")
    for s in set(jt.stage) - set(reached):  # once per stage, not per journey row
        reached[s] = _stage_reached(acts, str(s), tp_stage)
    ok = jt.assign(r=[bool(reached[s]) for s in jt.stage])
    end_to_end = ok.groupby("journey_id").r.all()
    return _dim(
        "journeys",
        breadth,
        float(end_to_end.mean()),
        detail + f"; {int(end_to_end.sum())} of {len(end_to_end)} journeys managed end to end",
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
        return ScopeDimension("stakeholders", None, "no stakeholders", counts=False)
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
        "measurement coverage (not counted): "
        f"heard: {', '.join(notes)}; {len(got)} of {len(active)} contacts; {deep} of "
        f"{accounts} accounts with ≥ {options.deep_account_people} people",
        counts=False,
    )


def _partners(marks: pd.DataFrame) -> ScopeDimension:
    at = marks[marks.controller == "partner"] if not marks.empty else marks
    if at.empty:
        return ScopeDimension("partners", None, "no relevant partner-run touchpoints")
    return _dim(
        "partners",
        _weighted(at, at.managed),
        _weighted(at, _level(at)),
        f"{int(at.managed.sum())} of {len(at)} relevant partner-run touchpoints managed "
        "(measured, acted on with the partner, owned)",
    )


def _activities(acts: pd.DataFrame, marks: pd.DataFrame) -> ScopeDimension:
    """Breadth: relevant touchpoints any running activity reaches (weighted);
    depth: the kinds of activity in use (of six). 0 when none is recorded."""
    if acts.empty:
        return _dim("activities", 0.0, 0.0, "no CXM activities recorded (activities table)")
    records = _records(acts)
    kinds = set(acts.kind.dropna()) & set(ACTIVITY_KINDS)
    if marks.empty:
        breadth = 0.0
        reached = 0
    else:
        flags: list[bool] = [
            any(_reaches(a, str(t), s if isinstance(s, str) else None) for a in records)
            for t, s in zip(marks.touchpoint_id, marks.stage, strict=True)
        ]
        hit = pd.Series(flags, index=marks.index)
        breadth, reached = _weighted(marks, hit), int(hit.sum())
    return _dim(
        "activities",
        breadth,
        len(kinds) / len(ACTIVITY_KINDS),
        f"{len(acts)} running activities of {len(kinds)} kinds reaching {reached} of "
        f"{len(marks)} relevant touchpoints",
    )


def _closed_loop(
    backend: Backend,
    f: Any,
    as_of: _dt.datetime,
    start: _dt.datetime,
    account_ids: Sequence[str] | None,
) -> ScopeDimension:
    """Where cases exist: detractors of the window followed up with a case
    (breadth) and the window's cases closed with an outcome (depth)."""
    rows = casestore.list_cases(
        backend, account_ids=None if account_ids is None else list(account_ids)
    )
    cases = pd.DataFrame(rows)
    if not cases.empty:
        opened = pd.to_datetime(cases.opened_at)
        cases = cases[(opened > pd.Timestamp(start)) & (opened <= pd.Timestamp(as_of))]
    if cases.empty:
        return ScopeDimension(
            "closed_loop", None, "no cases in the window: closed-loop follow-up not observable"
        )
    closed = cases.closed_at.notna() & (pd.to_datetime(cases.closed_at) <= pd.Timestamp(as_of))
    with_outcome = closed & cases.outcome.fillna("").astype(str).str.strip().ne("")
    nps = f.filter(f.nps.notnull())
    latest = nps.group_by("stakeholder_id").aggregate(low=nps.nps.min()).to_pandas()
    detractors = set(latest.loc[latest.low <= 6, "stakeholder_id"])
    followed = detractors & set(cases.stakeholder_id.dropna())
    breadth = len(followed) / len(detractors) if detractors else None
    return _dim(
        "closed_loop",
        breadth,
        float(with_outcome.mean()),
        (
            f"{len(followed)} of {len(detractors)} detractors followed up with a case; "
            if detractors
            else "no detractors in the window; "
        )
        + f"{int(with_outcome.sum())} of {len(cases)} cases closed with an outcome",
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
