"""The value-proposition profile: by hand, levels, conflicts, text, edge cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.strategy import GOALS, StrategyOptions, goal_conflicts, profile

GOAL_NAMES = tuple(GOALS)


def test_table_1_mapping() -> None:
    assert {g: v for g, (_, v) in GOALS.items()} == {
        "efficiency": "relieving",
        "convenience": "relieving",
        "differentiation": "enabling",
        "empowerment": "enabling",
        "association": "enriching",
        "relationships": "enriching",
    }
    assert {g for g, (lv, _) in GOALS.items() if lv == "organizational"} == {
        "efficiency",
        "differentiation",
        "association",
    }


def test_profile_by_hand(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        prof = profile(ws.backend)
    rows = prof.rows.set_index("goal")
    # six executives want efficiency (5), six operational people do not (2)
    assert rows.loc["efficiency", "importance"] == pytest.approx((6 * 5 + 6 * 2) / 12)
    assert rows.loc["efficiency", "rating"] == pytest.approx(2.5)  # 2 and 3 alternate
    assert rows.loc["efficiency", "gap"] == pytest.approx(3.5 - 2.5)
    assert rows.loc["efficiency", "n"] == 12
    assert rows.loc["association", "importance"] == pytest.approx(2.0)
    assert pd.isna(rows.loc["association", "rating"])  # never rated
    assert rows.loc["empowerment", "value_proposition"] == "enabling"
    assert rows.loc["empowerment", "goal_level"] == "individual"
    vp = prof.value_propositions.set_index("value_proposition")
    # enabling = mean of differentiation (2.0) and empowerment (3.5)
    assert vp.loc["enabling", "importance"] == pytest.approx((2.0 + 3.5) / 2)
    assert vp.loc["enabling", "rating"] == pytest.approx(4.0)  # empowerment only
    out = prof.to_json()
    assert out["level"] == "portfolio"
    assert set(out["rows"][0]) >= {
        "unit",
        "goal",
        "goal_level",
        "value_proposition",
        "importance",
        "rating",
        "text_share",
        "gap",
        "n",
    }
    assert all(r["text_share"] is None for r in out["rows"])
    assert any("text" in n for n in out["notes"])


def test_conflicts_per_account_and_group(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        per_account = profile(ws.backend, level="account")
        one = profile(ws.backend, level="account", account_id="A")
        segments = profile(ws.backend, level="segment")
    conflicts = per_account.conflicts
    assert set(conflicts.unit) == {"A", "B"}
    assert set(conflicts.group_a) == {"level=executive", "center=buying"}
    first = conflicts.iloc[0]
    assert first.goal_a == "efficiency" and first.goal_b == "empowerment"
    # executives want efficiency 3 points more, operational staff empowerment 3 more
    assert first.strength == pytest.approx(6.0)
    assert first.kind == "organizational vs individual and value proposition"
    assert set(one.rows.unit) == {"A"} and set(one.conflicts.unit) == {"A"}
    assert set(segments.rows.unit) == {"key", "smb"}
    assert len(per_account.to_json()["conflicts"]) == 4


def test_conflict_between_levels_with_the_same_value_proposition() -> None:
    # Table 3: convenience for individuals vs cost reduction for the organization
    people = [
        ("e1", "executive", "buying"),
        ("e2", "executive", "buying"),
        ("o1", "operational", "usage"),
        ("o2", "operational", "usage"),
    ]
    rows = [
        {
            "stakeholder_id": s,
            "unit": "X",
            "level": lv,
            "center": c,
            "goal": g,
            "importance": (5.0 if (g == "efficiency") == (lv == "executive") else 3.0)
            if g in ("efficiency", "convenience")
            else 1.0,
        }
        for s, lv, c in people
        for g in GOAL_NAMES
    ]
    found = goal_conflicts(pd.DataFrame(rows))
    assert set(found.kind) == {"organizational vs individual"}
    assert set(found.goal_a) == {"efficiency"} and set(found.goal_b) == {"convenience"}
    assert goal_conflicts(pd.DataFrame(rows), options=StrategyOptions(conflict_strength=4.5)).empty
    few = goal_conflicts(pd.DataFrame(rows), options=StrategyOptions(conflict_min_group=3))
    assert few.empty


def test_text_goals_when_comments_were_analysed(
    tmp_path: Path, builder: Callable[..., Path]
) -> None:
    path = builder(tmp_path / "t.duckdb")
    with b2bcx.open_workspace(path) as ws:
        ws.backend.append(
            "text_scores",
            pa.table(
                {"interaction_id": ["i0", "i1"], "model": ["m", "m"]}
                | {f"goal_{g}": [0.8, 0.4] for g in GOAL_NAMES}
                | {"goal_relationships": [0.1, 0.2]}
            ),
        )
        rows = profile(ws.backend).rows.set_index("goal")
        half = profile(ws.backend, options=StrategyOptions(text_detected=0.3)).rows
    assert rows.loc["efficiency", "text_share"] == pytest.approx(0.5)  # 0.8 ≥ 0.5, 0.4 not
    assert rows.loc["relationships", "text_share"] == pytest.approx(0.0)
    assert rows.loc["efficiency", "n_text"] == 2
    assert half.set_index("goal").loc["efficiency", "text_share"] == pytest.approx(1.0)


def test_no_goals_and_bad_arguments(
    tmp_path: Path, builder: Callable[..., Path], ws: b2bcx.Workspace
) -> None:
    path = builder(tmp_path / "ng.duckdb", goals=False)
    with b2bcx.open_workspace(path) as w:
        prof = profile(w.backend)
        with pytest.raises(ConfigurationError, match="unknown level 'team'"):
            profile(w.backend, level="team")
        with pytest.raises(NotFound, match="no account 'Z'"):
            profile(w.backend, account_id="Z")
    assert prof.rows.importance.isna().all() and prof.conflicts.empty
    assert any("goal importance" in n for n in prof.notes)
    assert set(prof.rows.goal) == {"efficiency", "empowerment"}  # rated, not asked
    empty = profile(ws.backend)
    assert empty.rows.empty and empty.to_json()["rows"] == []
