"""The value-proposition profile (Wirtz et al. 2025, Table 1 and section 3.2).

What customers seek (each stakeholder's latest goal importance) and what they
get (goal ratings of their experiences over the last ``window_days``, and the
goals their comments speak of where text analytics ran), per goal on the
organizational level (efficiency, differentiation, association) and the
individual level (convenience, empowerment, relationships), rolled up into the
relieving, enabling and enriching value propositions; the gap between them, and
the goal conflicts between stakeholder groups (management seeks efficiency
while users seek empowerment).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from b2bcx.convert import plain_dict
from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.enums import Goal
from b2bcx.storage import Backend
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions

#: Goal → (goal level, value proposition): Table 1 of Wirtz et al. (2025).
GOALS: dict[str, tuple[str, str]] = {
    "efficiency": ("organizational", "relieving"),
    "differentiation": ("organizational", "enabling"),
    "association": ("organizational", "enriching"),
    "convenience": ("individual", "relieving"),
    "empowerment": ("individual", "enabling"),
    "relationships": ("individual", "enriching"),
}
VALUE_PROPOSITIONS = ("relieving", "enabling", "enriching")
LEVELS = ("portfolio", "segment", "account")
#: Stakeholder groups compared for goal conflicts: (column, group a, group b).
CONFLICT_GROUPS = (("level", "executive", "operational"), ("center", "buying", "usage"))

ROW_COLUMNS = [
    "unit",
    "goal",
    "goal_level",
    "value_proposition",
    "importance",
    "rating",
    "text_share",
    "gap",
    "n",
    "n_rating",
    "n_text",
]
CONFLICT_COLUMNS = [
    "unit",
    "group_a",
    "goal_a",
    "group_b",
    "goal_b",
    "kind",
    "strength",
    "people_a",
    "people_b",
    "summary",
]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [plain_dict(r) for r in frame.to_dict("records")]


@dataclass(frozen=True)
class Profile:
    """The value-proposition profile of one level.

    ``rows``: one per unit and goal (importance and rating on 1–5, ``gap`` =
    importance − rating, ``text_share`` = share of the unit's analysed comments
    that speak of the goal, ``n`` = people who rated the goal's importance);
    ``value_propositions``: the same rolled up per value proposition (mean of its
    two goals); ``conflicts``: goal conflicts between stakeholder groups.
    """

    level: str
    rows: pd.DataFrame
    value_propositions: pd.DataFrame
    conflicts: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The goal rows."""
        return self.rows.copy()

    def to_dict(self) -> dict[str, Any]:
        """``{"level", "rows", "value_propositions", "conflicts", "notes"}``: the
        contract of ``docs/strategy.md``."""
        return {
            "level": self.level,
            "rows": _records(self.rows),
            "value_propositions": _records(self.value_propositions),
            "conflicts": _records(self.conflicts),
            "notes": list(self.notes),
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def latest_importance(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Each stakeholder's latest importance (1–5) per goal up to ``as_of``, with the
    person's account, segment, level and centre."""
    g = backend.table("goals")
    g = g.filter(g.asked_at <= ibis.literal(as_of.date()))
    w = ibis.window(group_by=[g.stakeholder_id, g.goal], order_by=g.asked_at.desc())
    g = g.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
    sh = backend.table("stakeholders").select("stakeholder_id", "account_id", "level", "center")
    acc = backend.table("accounts").select(acc="account_id", segment="segment")
    joined = g.inner_join(sh, "stakeholder_id")
    joined = joined.left_join(acc, joined.account_id == acc.acc).drop("acc")
    out: pd.DataFrame = joined.select(
        "stakeholder_id", "account_id", "segment", "level", "center", "goal", "importance"
    ).to_pandas()
    return out


def profile(
    backend: Backend,
    *,
    level: str = "portfolio",
    account_id: str | None = None,
    as_of: _dt.datetime | _dt.date | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
) -> Profile:
    """The value-proposition profile at ``level`` (``portfolio``, ``segment`` or
    ``account``), optionally for one account only.

    Examples
    --------
    >>> import b2bcx
    >>> with b2bcx.open_workspace(":memory:") as ws:
    ...     profile(ws.backend).to_dict()["rows"]
    []
    """
    if level not in LEVELS:
        raise ConfigurationError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    if account_id is not None:
        known = backend.table("accounts").filter(lambda t: t.account_id == account_id)
        if int(known.count().execute()) == 0:
            raise NotFound(f"no account {account_id!r} in the workspace")
    stamp = resolve_as_of(backend, as_of)
    unit = {"portfolio": None, "segment": "segment", "account": "account_id"}[level]
    notes: list[str] = []

    imp = latest_importance(backend, stamp)
    if account_id is not None:
        imp = imp[imp.account_id == account_id]
    if imp.empty:
        notes.append(
            "no goal importance (goals table): what customers seek is unknown, so "
            "gaps and goal conflicts cannot be computed"
        )
    imp = imp.assign(unit=imp[unit].fillna("(none)") if unit else "portfolio")
    seek = imp.groupby(["unit", "goal"]).agg(
        importance=("importance", "mean"), n=("stakeholder_id", "nunique")
    )

    f = experience_frame(backend, as_of=stamp)
    f = f.filter(f.occurred_at > ibis.literal(stamp - _dt.timedelta(days=options.window_days)))
    if account_id is not None:
        f = f.filter(f.account_id == account_id)
    keys = [unit] if unit else []
    got = _goal_ratings(f, keys)
    if got.n_rating.sum() == 0:
        notes.append(
            f"no goal ratings in the last {options.window_days} days: what customers get is unknown"
        )
    text = _text_goals(backend, f, keys, options.text_detected)
    if text is None:
        notes.append("no analysed comments (b2bcx text analyze): text_share is empty")
    rows = seek.join(got, how="outer")
    rows = (
        rows.join(text, how="left")
        if text is not None
        else rows.assign(text_share=np.nan, n_text=0)
    )
    rows = rows.reset_index()
    rows["goal_level"] = rows.goal.map(lambda g: GOALS[g][0])
    rows["value_proposition"] = rows.goal.map(lambda g: GOALS[g][1])
    rows["gap"] = rows.importance - rows.rating
    for col in ("n", "n_rating", "n_text"):
        rows[col] = rows[col].fillna(0).astype(int)
    rows = rows.reindex(columns=ROW_COLUMNS).sort_values(["unit", "goal"]).reset_index(drop=True)
    vp = rows.groupby(["unit", "value_proposition"])[["importance", "rating"]].mean()
    vp["gap"] = vp.importance - vp.rating
    vp = vp.reset_index().reindex(
        columns=["unit", "value_proposition", "importance", "rating", "gap"]
    )
    conflicts = goal_conflicts(imp, options=options)
    return Profile(level, rows, vp, conflicts, tuple(notes))


def _goal_ratings(f: Any, keys: list[str]) -> pd.DataFrame:
    """Mean rating (1–5) and number of ratings per unit and goal, in one query."""
    aggs: dict[str, Any] = {}
    for goal in Goal:
        col = f[goal.value]
        aggs[f"r_{goal.value}"] = col.mean()
        aggs[f"k_{goal.value}"] = col.count()
    wide = (f.group_by(keys).aggregate(**aggs) if keys else f.aggregate(**aggs)).to_pandas()
    wide["unit"] = wide[keys[0]].fillna("(none)") if keys else "portfolio"
    parts = [
        pd.DataFrame(
            {
                "unit": wide.unit,
                "goal": g.value,
                "rating": wide[f"r_{g.value}"],
                "n_rating": wide[f"k_{g.value}"].fillna(0),
            }
        )
        for g in Goal
    ]
    long = pd.concat(parts, ignore_index=True)
    long = long[long.n_rating > 0]
    indexed: pd.DataFrame = long.set_index(["unit", "goal"])
    return indexed


def _text_goals(backend: Backend, f: Any, keys: list[str], detected: float) -> pd.DataFrame | None:
    """Share of the unit's analysed comments that speak of each goal (probability ≥
    ``detected``), when text analytics has scored them (``text_scores``)."""
    if "text_scores" not in backend.list_tables():
        return None
    ts = backend.table("text_scores")
    cols = [f"goal_{g.value}" for g in Goal]
    if not set(cols) <= set(ts.columns):
        return None
    ts = ts.select("interaction_id", *cols).distinct(on="interaction_id", keep="last")
    joined = f.select("interaction_id", *keys).inner_join(ts, "interaction_id")
    aggs: dict[str, Any] = {
        c: (joined[c] >= detected).cast("float64").mean(where=joined[c].notnull()) for c in cols
    }
    aggs["n_text"] = joined.count()
    wide = (joined.group_by(keys) if keys else joined).aggregate(**aggs).to_pandas()
    wide = wide[wide.n_text > 0]
    if wide.empty:
        return None
    wide["unit"] = wide[keys[0]].fillna("(none)") if keys else "portfolio"
    long = wide.melt(
        id_vars=["unit", "n_text"], value_vars=cols, var_name="goal", value_name="text_share"
    )
    long["goal"] = long.goal.str.removeprefix("goal_")
    indexed: pd.DataFrame = long.set_index(["unit", "goal"])[["text_share", "n_text"]]
    return indexed


def goal_conflicts(
    importance: pd.DataFrame, *, options: StrategyOptions = DEFAULT_OPTIONS
) -> pd.DataFrame:
    """Goal conflicts between stakeholder groups of one unit (Wirtz et al. 2025,
    section 3.2.2 and Table 3: management seeks efficiency while the workforce
    hoped for empowerment; convenience for individuals vs cost reduction).

    ``importance`` has one row per person and goal with ``unit``, ``level`` and
    ``center``. For each pair of groups (executives vs operational staff; buying
    vs usage centre) with at least ``conflict_min_group`` people each, the goal
    each group rates most important is found. When the two differ, the
    strength is how much more group a wants its goal than group b does plus the
    reverse (1–5 points; at most 8); conflicts of at least ``conflict_strength``
    are reported. ``kind`` says whether the goals sit on different levels
    (``organizational vs individual``), call for different value propositions,
    or both.
    """
    if importance.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    rows = []
    for col, a, b in CONFLICT_GROUPS:
        sub = importance[importance[col].isin([a, b])]
        if sub.empty:
            continue
        means = sub.groupby(["unit", col, "goal"]).importance.mean().unstack("goal")
        sizes = sub.groupby(["unit", col]).stakeholder_id.nunique()
        for unit in means.index.get_level_values("unit").unique():
            na, nb = int(sizes.get((unit, a), 0)), int(sizes.get((unit, b), 0))
            if min(na, nb) < options.conflict_min_group:
                continue
            ma, mb = means.loc[(unit, a)], means.loc[(unit, b)]
            ga, gb = str(ma.idxmax()), str(mb.idxmax())
            if ga == gb:
                continue
            strength = max(0.0, float(ma[ga] - mb[ga])) + max(0.0, float(mb[gb] - ma[gb]))
            if strength < options.conflict_strength:
                continue
            (la, va), (lb, vb) = GOALS[ga], GOALS[gb]
            kind = (
                " and ".join(
                    k
                    for k, on in (
                        ("organizational vs individual", la != lb),
                        ("value proposition", va != vb),
                    )
                    if on
                )
                or "goal"
            )
            rows.append(
                {
                    "unit": unit,
                    "group_a": f"{col}={a}",
                    "goal_a": ga,
                    "group_b": f"{col}={b}",
                    "goal_b": gb,
                    "kind": kind,
                    "strength": round(strength, 2),
                    "people_a": na,
                    "people_b": nb,
                    "summary": f"{unit}: {a} people seek {ga} ({la}, {va} CX) most "
                    f"({ma[ga]:.1f} vs {mb[ga]:.1f}), {b} people {gb} ({lb}, {vb} CX; "
                    f"{mb[gb]:.1f} vs {ma[gb]:.1f})",
                }
            )
    out = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    return out.sort_values("strength", ascending=False, kind="stable").reset_index(drop=True)
