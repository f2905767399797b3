"""The value-proposition profile (Wirtz et al. 2025, Table 1): what customers seek
(goal importance) and what they get (goal ratings, goals found in comments) per
goal, on the organizational and the individual level, rolled up into relieving,
enabling and enriching CX; fit, gaps and goal conflicts."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.enums import Goal
from b2bcx.storage import Backend

#: Goal → (level, value proposition), Table 1 of Wirtz et al. (2025).
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
#: Smallest summed importance difference (1–5 scale) that counts as a conflict.
MIN_CONFLICT = 1.0
#: Fewest people per group for a conflict to be reported.
MIN_GROUP = 2


@dataclass(frozen=True)
class Profile:
    """Goal and value-proposition rows per unit, and goal conflicts."""

    level: str
    rows: pd.DataFrame
    value_propositions: pd.DataFrame
    conflicts: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"level", "rows", "value_propositions", "conflicts", "notes"}``."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = frame.astype(object).where(frame.notna(), None)
            return [{str(k): v for k, v in r.items()} for r in out.to_dict("records")]

        return {"level": self.level, "rows": records(self.rows),
                "value_propositions": records(self.value_propositions),
                "conflicts": records(self.conflicts), "notes": list(self.notes)}  # fmt: skip


def _unit_column(level: str) -> str | None:
    return {"portfolio": None, "segment": "segment", "account": "account_id"}[level]


def latest_importance(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Each stakeholder's latest importance per goal, with their account and group."""
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
) -> Profile:
    """The value-proposition profile at ``level`` (portfolio, segment or account)."""
    if level not in LEVELS:
        raise ConfigurationError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    stamp = resolve_as_of(backend, as_of)
    unit = _unit_column(level)
    notes: list[str] = []
    imp = latest_importance(backend, stamp)
    if account_id is not None:
        imp = imp[imp.account_id == account_id]
    if imp.empty:
        notes.append("no goal importance in the workspace (goals table): what customers seek "
                     "is unknown, gaps cannot be computed")  # fmt: skip
    imp = imp.assign(unit=imp[unit] if unit else "portfolio")
    seek = imp.groupby(["unit", "goal"]).importance.agg(["mean", "size"]).rename(
        columns={"mean": "importance", "size": "n_importance"}
    )  # fmt: skip

    f = experience_frame(backend, as_of=stamp)
    if account_id is not None:
        f = f.filter(f.account_id == account_id)
    keys = [unit] if unit else []
    parts = []
    for goal in Goal:
        col = f[goal.value]
        agg = (
            f.filter(col.notnull())
            .group_by(keys)
            .aggregate(rating=col.mean(), n_rating=col.count())
            if keys
            else f.filter(col.notnull()).aggregate(rating=col.mean(), n_rating=col.count())
        )
        parts.append(agg.mutate(goal=ibis.literal(goal.value)))
    got = pd.DataFrame(ibis.union(*parts).to_pandas())
    got["unit"] = got[unit] if unit else "portfolio"
    got = got.set_index(["unit", "goal"])[["rating", "n_rating"]]
    if got.n_rating.sum() == 0:
        notes.append("no goal ratings on interactions: what customers get is unknown")
    text = _text_goals(backend, f, keys)
    if text is None:
        notes.append("no text analytics yet (b2bcx text analyze): text_share is empty")
    rows = seek.join(got, how="outer")
    if text is not None:
        rows = rows.join(text, how="left")
    else:
        rows["text_share"] = np.nan
    rows = rows.reset_index()
    rows["goal_level"] = rows.goal.map(lambda g: GOALS[g][0])
    rows["value_proposition"] = rows.goal.map(lambda g: GOALS[g][1])
    rows["gap"] = rows.importance - rows.rating
    rows["n"] = rows.n_importance.fillna(0).astype(int)
    rows = rows[["unit", "goal", "goal_level", "value_proposition", "importance", "rating",
                 "text_share", "gap", "n", "n_rating"]].sort_values(["unit", "goal"])  # fmt: skip
    vp = rows.groupby(["unit", "value_proposition"])[["importance", "rating"]].mean()
    vp["gap"] = vp.importance - vp.rating
    conflicts = goal_conflicts(imp, unit_column=unit)
    return Profile(level, rows.reset_index(drop=True), vp.reset_index(), conflicts, tuple(notes))


def _text_goals(backend: Backend, f: Any, keys: list[str]) -> pd.DataFrame | None:
    """Mean probability of each goal in the unit's comments, when text was analysed."""
    if "text_scores" not in backend.list_tables():
        return None
    ts = backend.table("text_scores")
    cols = [f"goal_{g.value}" for g in Goal]
    if not set(cols) <= set(ts.columns):
        return None
    joined = f.select("interaction_id", *keys).inner_join(ts, "interaction_id")
    agg = (joined.group_by(keys) if keys else joined).aggregate(
        **{c: joined[c].mean() for c in cols}
    )  # fmt: skip
    wide = agg.to_pandas()
    if wide.empty:
        return None
    wide["unit"] = wide[keys[0]] if keys else "portfolio"
    long = wide.melt(id_vars=["unit"], value_vars=cols, var_name="goal", value_name="text_share")
    long["goal"] = long.goal.str.removeprefix("goal_")
    indexed: pd.DataFrame = long.set_index(["unit", "goal"])
    return indexed


def goal_conflicts(importance: pd.DataFrame, *, unit_column: str | None) -> pd.DataFrame:
    """Goal conflicts between stakeholder groups of one unit (Wirtz et al. 2025, §3:
    management seeks efficiency while users seek empowerment).

    For each pair of groups (executives vs operational staff; buying vs usage
    centre) the top goal of each group is found; when they call for different
    value propositions, the strength of the conflict is how much more group a
    wants its goal than group b does, plus the reverse (1–5 importance scale).
    """
    columns = ["unit", "group_a", "goal_a", "group_b", "goal_b", "strength", "people_a",
               "people_b", "summary"]  # fmt: skip
    if importance.empty:
        return pd.DataFrame(columns=columns)
    imp = importance.assign(unit=importance[unit_column] if unit_column else "portfolio")
    rows = []
    for col, a, b in CONFLICT_GROUPS:
        sub = imp[imp[col].isin([a, b])]
        if sub.empty:
            continue
        means = sub.groupby(["unit", col, "goal"]).importance.mean().unstack("goal")
        sizes = sub.groupby(["unit", col]).stakeholder_id.nunique()
        for unit in means.index.get_level_values("unit").unique():
            if (unit, a) not in means.index or (unit, b) not in means.index:
                continue
            if sizes.get((unit, a), 0) < MIN_GROUP or sizes.get((unit, b), 0) < MIN_GROUP:
                continue
            ma, mb = means.loc[(unit, a)], means.loc[(unit, b)]
            ga, gb = str(ma.idxmax()), str(mb.idxmax())
            if GOALS[ga][1] == GOALS[gb][1]:
                continue
            strength = max(0.0, float(ma[ga] - mb[ga])) + max(0.0, float(mb[gb] - ma[gb]))
            if strength < MIN_CONFLICT:
                continue
            rows.append({
                "unit": unit, "group_a": f"{col}={a}", "goal_a": ga, "group_b": f"{col}={b}",
                "goal_b": gb, "strength": round(strength, 2),
                "people_a": int(sizes[(unit, a)]), "people_b": int(sizes[(unit, b)]),
                "summary": f"In {unit}, {a} people seek {ga} ({GOALS[ga][1]}) most while {b} "
                           f"people seek {gb} ({GOALS[gb][1]}).",
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["strength"], ascending=False).reset_index(drop=True)
