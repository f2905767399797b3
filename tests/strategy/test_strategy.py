"""Strategy: answers, impact, scope, archetypes, profile and plan."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.errors import ConfigurationError
from b2bcx.strategy import (
    Answers,
    archetype_of,
    assess,
    item_bank,
    load_answers,
    observed_scope,
    plan,
    profile,
)
from b2bcx.strategy.assess import impact_score

HIGH_IMPACT = {"tm_sca": 5, "rivalry": 5, "tech_differentiation": 1, "switching_barriers": 1,
               "deal_size": 5, "resources": 5, "tm_attention": 5}  # fmt: skip
LOW_IMPACT = {"tm_sca": 1, "rivalry": 1, "tech_differentiation": 5, "switching_barriers": 5,
              "deal_size": 1, "resources": 1, "tm_attention": 1}  # fmt: skip
BROAD_SELF = {f"scope_{d}": 5 for d in ("touchpoints", "journeys", "stakeholders", "data",
                                        "metrics", "partners", "activities")}  # fmt: skip
NARROW_SELF = {k: 1 for k in BROAD_SELF}
T0 = dt.datetime(2024, 1, 1)


def build(path: Path, *, broad: bool = False, goals: bool = True) -> Path:
    """Two accounts; executives seek efficiency, operational staff empowerment.

    ``broad=False``: one touchpoint of three rated, only ``cx``, no comments, no
    activities. ``broad=True``: every touchpoint and stage, every metric, comments,
    solicited and unsolicited data, a partner, activities.
    """
    rng = np.random.default_rng(5)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A", "B"], "annual_value": [100.0, 50.0]}))
    b.append("partners", pa.table({"partner_id": ["P"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T1", "T2", "T3", "T4"], "name": ["Bid", "Install", "Service", "Deal"],
        "stage": ["pre_bid", "implementation", "operations", "negotiation"],
        "controller": ["supplier", "supplier", "partner", "supplier"],
        "partner_id": [None, None, "P", None],
    }))  # fmt: skip
    people = [(f"{a}{i}", a, "executive" if i < 3 else "operational",
               "buying" if i < 3 else "usage") for a in ("A", "B") for i in range(6)]  # fmt: skip
    b.append("stakeholders", pa.table({
        "stakeholder_id": [p[0] for p in people], "account_id": [p[1] for p in people],
        "level": [p[2] for p in people], "center": [p[3] for p in people],
        "function": ["management" if p[2] == "executive" else "production" for p in people],
    }))  # fmt: skip
    if goals:
        rows: dict[str, list[object]] = {"stakeholder_id": [], "asked_at": [], "goal": [],
                                         "importance": []}  # fmt: skip
        for sid, _, level, _ in people:
            for goal in ("efficiency", "differentiation", "association", "convenience",
                         "empowerment", "relationships"):  # fmt: skip
                want = (goal == "efficiency") if level == "executive" else (goal == "empowerment")
                rows["stakeholder_id"].append(sid)
                rows["asked_at"].append(dt.date(2024, 1, 10))
                rows["goal"].append(goal)
                rows["importance"].append(5.0 if want else 2.0)
        b.append("goals", pa.table(rows))
    n = 400
    sids = [p[0] for p in people]
    cols: dict[str, object] = {
        "interaction_id": [f"i{k}" for k in range(n)],
        "stakeholder_id": [sids[k % len(sids)] for k in range(n)],
        "occurred_at": [T0 + dt.timedelta(days=int(d)) for d in rng.integers(0, 360, n)],
        "touchpoint_id": ([["T1", "T2", "T3", "T4"][k % 4] for k in range(n)] if broad
                          else ["T1"] * n),
        "cx": rng.integers(4, 10, n).astype(float),
        "efficiency": np.where(np.arange(n) % 2 == 0, 2.0, 3.0),
        "empowerment": np.full(n, 4.0),
    }  # fmt: skip
    if broad:
        cols |= {
            "nps": rng.integers(0, 11, n), "csat": rng.integers(1, 6, n).astype(float),
            "ces": rng.integers(1, 8, n).astype(float),
            "solicited": [k % 2 == 0 for k in range(n)],
            "comment": [f"comment {k}" if k % 3 == 0 else None for k in range(n)],
        }  # fmt: skip
    b.append("interactions", pa.table(cols))
    if broad:
        b.append("activities", pa.table({
            "activity_id": ["X1", "X2", "X3", "X4", "X5", "X6"],
            "name": ["Survey", "App", "Training", "Design", "Board", "Portal"],
            "kind": ["measurement", "technology", "training", "touchpoint_design", "governance",
                     "program"],
            "touchpoint_ids": [["T1"], ["T3"], ["T2"], ["T4"], None, ["T1", "T2"]],
            "stages": [None, None, None, None, ["pre_bid", "negotiation", "implementation",
                                                "operations"], None],
            "annual_cost": [10.0, 50.0, 20.0, 30.0, 5.0, 40.0],
            "started_at": [dt.date(2024, 6, 1)] * 6,
        }))  # fmt: skip
    ws.close()
    return path


@pytest.fixture(scope="session")
def narrow_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("narrow") / "w.duckdb")


@pytest.fixture(scope="session")
def broad_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("broad") / "w.duckdb", broad=True)


@pytest.fixture
def builder() -> object:
    """The world builder, for tests that need a variant."""
    return build


def test_archetype_boundaries() -> None:
    assert archetype_of(50, 50) == "champion"
    assert archetype_of(50, 49.9) == "cherry_picker"
    assert archetype_of(49.9, 50) == "fashionista"
    assert archetype_of(0, 0) == "minimalist"


def test_impact_is_the_weighted_mean_with_reversed_items() -> None:
    bank = item_bank()
    answers = Answers({"tm_sca": 4, "rivalry": 2, "tech_differentiation": 5, "deal_size": 3})
    score, factors, reason = impact_score(answers, bank)
    # tm_sca 75 ×3, rivalry 25, tech_differentiation reversed 0, deal_size 50 → 300/6
    assert reason is None and score == pytest.approx(50.0)
    assert {f["item"]: f["score"] for f in factors}["tech_differentiation"] == 0.0
    none, _, why = impact_score(Answers({"rivalry": 5}), bank)
    assert none is None and "tm_sca" in why
    assert impact_score(None, bank)[0] is None


def test_answers_files_and_their_errors(tmp_path: Path) -> None:
    good = tmp_path / "a.yaml"
    good.write_text("respondent: board\nanswers:\n  tm_sca: 4\n  rivalry: 3\n")
    answers = load_answers(good)
    assert answers.values == {"tm_sca": 4.0, "rivalry": 3.0} and answers.respondent == "board"
    csv = tmp_path / "a.csv"
    csv.write_text("item,answer\ntm_sca,5\nrivalry,\n")
    assert load_answers(csv).values == {"tm_sca": 5.0}
    bad = tmp_path / "b.yaml"
    bad.write_text("tm_sca: 9\n")
    with pytest.raises(ConfigurationError, match=r"b\.yaml: item 'tm_sca' is 9"):
        load_answers(bad)
    bad.write_text("tm_scaa: 3\n")
    with pytest.raises(ConfigurationError, match="unknown item 'tm_scaa'"):
        load_answers(bad)
    wrong = tmp_path / "w.csv"
    wrong.write_text("question,value\nx,1\n")
    with pytest.raises(ConfigurationError, match="columns item,answer"):
        load_answers(wrong)
    empty = tmp_path / "e.csv"
    empty.write_text("item,answer\ntm_sca,3\n,4\n")
    with pytest.raises(ConfigurationError, match="row 3, column item"):
        load_answers(empty)


def test_observed_scope_counts_what_the_data_covers(narrow_ws: Path, broad_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        narrow = observed_scope(ws.backend).by_name()
    assert narrow["touchpoints"].share == pytest.approx(1 / 4)
    assert narrow["metrics"].share == pytest.approx(2 / 5)  # cx and goal ratings
    assert narrow["data"].share == pytest.approx(1 / 4)  # quantitative only
    assert narrow["activities"].share is None
    with b2bcx.open_workspace(broad_ws) as ws:
        broad = observed_scope(ws.backend)
    assert broad.by_name()["touchpoints"].share == 1.0
    assert broad.by_name()["metrics"].share == 1.0
    assert broad.by_name()["data"].share == 1.0
    assert broad.score is not None
    with b2bcx.open_workspace(narrow_ws) as ws:
        assert broad.score > (observed_scope(ws.backend).score or 0)


@pytest.mark.parametrize(
    ("world", "answers", "expected"),
    [
        ("narrow", HIGH_IMPACT | NARROW_SELF, "cherry_picker"),
        ("narrow", LOW_IMPACT | NARROW_SELF, "minimalist"),
        ("broad", HIGH_IMPACT | BROAD_SELF, "champion"),
        ("broad", LOW_IMPACT | BROAD_SELF, "fashionista"),
    ],
)
def test_each_archetype(
    world: str, answers: dict[str, int], expected: str, narrow_ws: Path, broad_ws: Path
) -> None:
    path = narrow_ws if world == "narrow" else broad_ws
    with b2bcx.open_workspace(path) as ws:
        result = assess(ws.backend, Answers({k: float(v) for k, v in answers.items()}))
    out = result.to_json()
    assert out["archetype"] == expected
    assert set(out["scope"]) >= {"assessed", "observed"}
    assert 0 <= out["impact"] <= 100
    assert out["position"]["margin"] == pytest.approx(
        min(abs(out["impact"] - 50), abs(out["scope"]["used"] - 50)), abs=0.11
    )
    assert {c["characteristic"] for c in out["characteristics"]} == {
        "top-management attention", "activities", "metrics", "results"}  # fmt: skip


def test_without_answers_the_data_is_assessed_and_the_reason_given(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        out = assess(ws.backend).to_json()
    assert out["impact"] is None and out["archetype"] is None
    assert "answer" in out["archetype_reason"]
    assert out["scope"]["assessed"] is None and out["scope"]["observed"] is not None


def test_scope_disagreement_is_flagged(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        out = assess(ws.backend, Answers({"scope_touchpoints": 5.0})).to_json()
    dim = {d["dimension"]: d for d in out["scope"]["dimensions"]}
    assert dim["touchpoints"]["assessed"] == 100 and dim["touchpoints"]["observed"] == 25
    assert dim["touchpoints"]["disagree"] is True


def test_profile_by_hand_and_goal_conflicts(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        prof = profile(ws.backend)
        per_account = profile(ws.backend, level="account")
    rows = prof.rows.set_index("goal")
    assert rows.loc["efficiency", "importance"] == pytest.approx((6 * 5 + 6 * 2) / 12)
    assert rows.loc["efficiency", "rating"] == pytest.approx(2.5)
    assert rows.loc["efficiency", "gap"] == pytest.approx(3.5 - 2.5)
    assert rows.loc["empowerment", "value_proposition"] == "enabling"
    assert rows.loc["efficiency", "goal_level"] == "organizational"
    conflicts = per_account.conflicts
    assert set(conflicts.unit) == {"A", "B"}
    first = conflicts[conflicts.group_a == "level=executive"].iloc[0]
    assert first.goal_a == "efficiency" and first.goal_b == "empowerment"
    assert first.strength == pytest.approx(6.0)
    assert prof.to_json()["rows"][0]["text_share"] is None


def test_profile_uses_text_goals_when_present(tmp_path: Path, builder: Any) -> None:
    path = builder(tmp_path / "t.duckdb")
    with b2bcx.open_workspace(path) as ws:
        goals = ["efficiency", "differentiation", "association", "convenience", "empowerment",
                 "relationships"]  # fmt: skip
        ws.backend.append(
            "text_scores",
            pa.table(
                {"interaction_id": ["i0", "i1"], "model": ["m", "m"]}
                | {f"goal_{g}": [0.8, 0.4] for g in goals}
            ),
        )
        rows = profile(ws.backend).rows.set_index("goal")
    assert rows.loc["efficiency", "text_share"] == pytest.approx(0.6)


def test_plan_is_specific_and_says_what_it_could_not_assess(
    broad_ws: Path, tmp_path: Path, builder: Any
) -> None:
    with b2bcx.open_workspace(broad_ws) as ws:
        p = plan(ws.backend, Answers({k: float(v) for k, v in (LOW_IMPACT | BROAD_SELF).items()}))
        forced = plan(ws.backend, None, target="cherry_picker")
        with pytest.raises(ConfigurationError, match="unknown archetype"):
            plan(ws.backend, None, target="hero")
    out = p.to_json()
    assert out["as_is"] == "fashionista" and out["to_be"] in {"minimalist", "cherry_picker"}
    text = json.dumps(out)
    assert "efficiency" in text or "empowerment" in text  # the workspace's own goals
    assert {d["activity_id"] for d in out["activities"]} == {"X1", "X2", "X3", "X4", "X5", "X6"}
    assert [s["step"] for s in out["steps"]] == [1, 2, 3, 4]
    assert forced.to_be == "cherry_picker" and forced.as_is is None
    assert any("impact" in g for g in forced.to_json()["could_not_assess"])
    no_goals = tmp_path / "ng.duckdb"
    builder(no_goals, goals=False)
    with b2bcx.open_workspace(no_goals) as ws:
        gaps = plan(ws.backend).to_json()["could_not_assess"]
    assert any("goal importance" in g for g in gaps)


def test_cli_contract(narrow_ws: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    answers = tmp_path / "a.yaml"
    answers.write_text("\n".join(f"{k}: {v}" for k, v in (HIGH_IMPACT | NARROW_SELF).items()))
    res = runner.invoke(app, ["strategy", "assess", "-w", str(narrow_ws), "--answers",
                              str(answers), "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["archetype"] == "cherry_picker" and isinstance(out["impact"], float)
    assert set(out["scope"]) >= {"assessed", "observed"}
    res = runner.invoke(
        app,
        ["strategy", "assess", "-w", str(narrow_ws), "--interactive", "--format", "json"],
        input="5\n5\n1\n1\n5\n" + "\n" * 16,
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output[res.output.index("{") :])["impact"] is not None
    for args in (["profile", "--level", "account"], ["plan", "--target", "minimalist"], ["items"]):
        res = runner.invoke(app, ["strategy", *args, *(["-w", str(narrow_ws)]
                                  if args[0] != "items" else [])])  # fmt: skip
        assert res.exit_code == 0, res.output
