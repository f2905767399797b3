"""CXM scope measured from the data: the breadth and depth of what the workspace
actually covers (Wirtz et al. 2025, section 4.2: cues, touchpoints, journeys,
stakeholders, data, metrics, partners, activities).

Each dimension is a share in 0–1 over the twelve months before the as-of date;
a dimension whose reference is missing (no catalogue, no partners, no
activities) is left out and said so. Observed scope = 100 × the mean share.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.enums import Goal
from b2bcx.storage import Backend

#: The metrics a CXM programme can use, with the rating columns behind each.
METRICS: dict[str, tuple[str, ...]] = {
    "cx": ("cx",), "nps": ("nps",), "csat": ("csat",), "ces": ("ces",),
    "goal ratings": tuple(g.value for g in Goal),
}  # fmt: skip
STAGES = ("pre_bid", "negotiation", "implementation", "operations")
#: A metric or data kind is "in use" when at least this share of interactions has it.
IN_USE = 0.01
#: Fewest rated interactions for a touchpoint, partner or journey to count as covered.
MIN_RATED = 5


@dataclass(frozen=True)
class ScopeDimension:
    """One dimension of observed scope."""

    dimension: str
    share: float | None  # 0–1, None when it cannot be observed
    detail: str

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"dimension": self.dimension, "observed": _pct(self.share), "detail": self.detail}


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100.0 * share, 1)


@dataclass(frozen=True)
class ObservedScope:
    """Observed scope with its dimensions."""

    as_of: _dt.datetime
    dimensions: tuple[ScopeDimension, ...]

    @property
    def score(self) -> float | None:
        """Observed scope on 0–100 (None when no dimension could be observed)."""
        shares = [d.share for d in self.dimensions if d.share is not None]
        return round(100.0 * sum(shares) / len(shares), 1) if shares else None

    def by_name(self) -> dict[str, ScopeDimension]:
        """Dimensions keyed by name."""
        return {d.dimension: d for d in self.dimensions}


def observed_scope(
    backend: Backend, *, as_of: _dt.datetime | _dt.date | None = None
) -> ObservedScope:
    """Measure CXM scope from the workspace over the year before ``as_of``."""
    stamp = resolve_as_of(backend, as_of)
    start = stamp - _dt.timedelta(days=365)
    f = experience_frame(backend, as_of=stamp)
    f = f.filter(f.occurred_at > ibis.literal(start))
    rated_any = ibis.or_(*[f[c].notnull() for cols in METRICS.values() for c in cols])
    counts = f.aggregate(
        n=f.count(),
        rated=rated_any.cast("int64").sum(),
        comments=(f.comment.notnull() & (f.comment.length() > 0)).cast("int64").sum(),
        solicited=(f.solicited == True).cast("int64").sum(),  # noqa: E712
        unsolicited=(f.solicited == False).cast("int64").sum(),  # noqa: E712
        **{f"m_{name.replace(' ', '_')}": ibis.or_(*[f[c].notnull() for c in cols])
           .cast("int64").sum() for name, cols in METRICS.items()},
    ).to_pandas().fillna(0).iloc[0]  # fmt: skip
    n = int(counts.n) or 1
    rated = f.filter(rated_any)
    dims: list[ScopeDimension] = []

    catalogue = backend.table("touchpoints").to_pandas()
    tp_ids = set(catalogue.touchpoint_id) if not catalogue.empty else set()
    tp_rated = rated.group_by("touchpoint_id").aggregate(k=rated.count()).to_pandas()
    covered = set(tp_rated[tp_rated.k >= MIN_RATED].touchpoint_id.dropna())
    if tp_ids:
        share = len(covered & tp_ids) / len(tp_ids)
        detail = (f"{len(covered & tp_ids)} of {len(tp_ids)} catalogue touchpoints have "
                  f"≥ {MIN_RATED} rated experiences")  # fmt: skip
        dims.append(ScopeDimension("touchpoints", share, detail))
        cues = backend.table("cues").to_pandas()
        if not cues.empty:
            with_data = int(cues.touchpoint_id.isin(covered).sum())
            dims.append(ScopeDimension("cues", with_data / len(cues),
                                       f"{with_data} of {len(cues)} cues sit at touchpoints "
                                       "with experience data"))  # fmt: skip
    else:
        dims.append(ScopeDimension("touchpoints", None, "no touchpoint catalogue"))

    stages = set(rated.select("stage").distinct().to_pandas().stage.dropna())
    journeys = backend.table("journeys").to_pandas()
    j_rated = rated.group_by("journey_id").aggregate(k=rated.count()).to_pandas()
    j_cov = set(j_rated[j_rated.k >= 1].journey_id.dropna())
    stage_share = len(stages & set(STAGES)) / len(STAGES)
    if not journeys.empty:
        j_share = len(j_cov & set(journeys.journey_id)) / len(journeys)
        dims.append(ScopeDimension("journeys", (stage_share + j_share) / 2,
                                   f"{len(stages & set(STAGES))} of 4 stages and "
                                   f"{len(j_cov & set(journeys.journey_id))} of {len(journeys)} "
                                   "journeys with rated experiences"))  # fmt: skip
    else:
        dims.append(ScopeDimension("journeys", stage_share,
                                   f"{len(stages & set(STAGES))} of 4 stages rated "
                                   "(no journeys table)"))  # fmt: skip

    people = backend.table("stakeholders").to_pandas()
    heard = rated.select("stakeholder_id").distinct().to_pandas().stakeholder_id
    heard_people = people[people.stakeholder_id.isin(heard)]
    parts, notes = [], []
    for col, universe in (("function", None), ("level", ("executive", "manager", "operational")),
                          ("center", ("buying", "usage"))):  # fmt: skip
        present = set(people[col].dropna()) if universe is None else set(universe)
        if universe is not None:
            present &= set(people[col].dropna()) | set(universe)
        if not present:
            continue
        got = set(heard_people[col].dropna()) & present
        if col == "center" and "both" in set(heard_people[col].dropna()):
            got = set(present)
        parts.append(len(got) / len(present))
        notes.append(f"{len(got)}/{len(present)} {col}s")
    accounts = backend.table("accounts").count().execute()
    per_acc = heard_people.groupby("account_id").size()
    deep = int((per_acc >= 3).sum())
    if int(accounts):
        parts.append(deep / int(accounts))
        notes.append(f"{deep}/{int(accounts)} accounts with ≥ 3 people heard")
    dims.append(ScopeDimension("stakeholders", sum(parts) / len(parts) if parts else None,
                               "heard: " + ", ".join(notes)))  # fmt: skip

    kinds = {
        "quantitative": counts.rated / n, "qualitative": counts.comments / n,
        "solicited": counts.solicited / n, "unsolicited": counts.unsolicited / n,
    }  # fmt: skip
    used = [k for k, v in kinds.items() if v >= IN_USE]
    dims.append(ScopeDimension("data", len(used) / len(kinds),
                               f"in use: {', '.join(used) or 'none'}"))  # fmt: skip
    metrics = [m for m in METRICS if counts[f"m_{m.replace(' ', '_')}"] / n >= IN_USE]
    dims.append(ScopeDimension("metrics", len(metrics) / len(METRICS),
                               f"in use: {', '.join(metrics) or 'none'}"))  # fmt: skip

    partners = backend.table("partners").to_pandas()
    if not partners.empty:
        p_rated = rated.filter(rated.partner_id.notnull()).group_by("partner_id").aggregate(
            k=ibis._.count()
        ).to_pandas()  # fmt: skip
        monitored = set(p_rated[p_rated.k >= MIN_RATED].partner_id) & set(partners.partner_id)
        dims.append(ScopeDimension("partners", len(monitored) / len(partners),
                                   f"{len(monitored)} of {len(partners)} partners with "
                                   f"≥ {MIN_RATED} rated experiences"))  # fmt: skip
    activities = active_activities(backend, stamp)
    if activities.empty:
        dims.append(ScopeDimension("activities", None, "no CXM activities recorded"))
    else:
        reach_tp = {t for ts in activities.touchpoint_ids for t in (ts if ts is not None else [])}
        reach_st = {s for ss in activities.stages for s in (ss if ss is not None else [])}
        for ts in activities.touchpoint_ids:
            for t in ts if ts is not None else []:
                stage = catalogue.loc[catalogue.touchpoint_id == t, "stage"]
                reach_st |= set(stage)
        tp_share = len(reach_tp & tp_ids) / len(tp_ids) if tp_ids else 0.0
        reach = (tp_share + len(reach_st & set(STAGES)) / len(STAGES)) / 2
        kinds_used = activities.kind.nunique()
        share = (reach + min(1.0, kinds_used / 6)) / 2
        dims.append(ScopeDimension("activities", share,
                                   f"{len(activities)} active activities of {kinds_used} kinds "
                                   f"reaching {len(reach_tp & tp_ids)} touchpoints and "
                                   f"{len(reach_st & set(STAGES))} stages"))  # fmt: skip
    return ObservedScope(stamp, tuple(dims))


def active_activities(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Activities running on ``as_of`` (started, not ended)."""
    acts: pd.DataFrame = backend.table("activities").to_pandas()
    if acts.empty:
        return acts
    day = pd.Timestamp(as_of)
    started = acts.started_at.isna() | (pd.to_datetime(acts.started_at) <= day)
    running = acts.ended_at.isna() | (pd.to_datetime(acts.ended_at) >= day)
    running_now: pd.DataFrame = acts[started & running].reset_index(drop=True)
    return running_now
