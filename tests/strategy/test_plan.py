"""The four-step plan: specific to the workspace, honest about what it lacks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

import b2bcx
from b2bcx.errors import ConfigurationError
from b2bcx.strategy import Answers, plan

LOW = {
    "tm_sca": 1,
    "cx_investment_returns": 1,
    "rivalry": 1,
    "tech_differentiation": 5,
    "switching_barriers": 5,
    "deal_size": 1,
    "resources": 1,
}
HIGH = {
    "tm_sca": 5,
    "cx_investment_returns": 5,
    "rivalry": 5,
    "tech_differentiation": 1,
    "switching_barriers": 2,
    "deal_size": 5,
    "resources": 5,
}
BROAD = {
    f"scope_{d}": 5
    for d in (
        "touchpoints",
        "journeys",
        "stakeholders",
        "data",
        "metrics",
        "partners",
        "activities",
    )
}


def answers(values: dict[str, int]) -> Answers:
    return Answers({k: float(v) for k, v in values.items()})


def test_fashionista_plan_is_specific(broad_ws: Path) -> None:
    with b2bcx.open_workspace(broad_ws) as ws:
        p = plan(ws.backend, answers(LOW | BROAD))
    out = p.to_json()
    assert out["as_is"] == "fashionista" and out["to_be"] in {"minimalist", "cherry_picker"}
    assert [s["step"] for s in out["steps"]] == [1, 2, 3, 4]
    assert all(s["title"] and s["items"] for s in out["steps"])
    # step 1 names the workspace's goals and its conflict
    step1 = " ".join(out["steps"][0]["items"])
    assert "empowerment" in step1 and "efficiency" in step1 and "conflict" in step1
    # step 2 gives the numbers of the position
    a = p.assessment
    assert f"impact {a.impact.score:.2f}" in out["argument"][0]
    assert f"data {a.scope_data:.2f}" in out["argument"][0]
    decided = {d["activity_id"]: d for d in out["activities"]}
    assert {"X1", "X2", "X3", "X4", "X5", "X6"} <= set(decided)
    assert {d["decision"] for d in out["activities"]} <= {"start", "keep", "stop"}
    for d in out["activities"]:
        assert set(d) >= {"activity_id", "decision", "reason", "cost", "experience_change"}
        if d["decision"] != "start":
            assert (
                d["cost"]
                == {"X1": 10, "X2": 50, "X3": 20, "X4": 30, "X5": 5, "X6": 40}[d["activity_id"]]
            )
    # a narrower posture never keeps an activity that made the experience worse
    for d in out["activities"]:
        change, se = d["experience_change"], d["se"]
        if change is not None and se is not None and change + 1.96 * se < 0:
            assert d["decision"] == "stop"
    traj = [t["archetype"] for t in out["trajectory"]]
    assert traj[0] == "fashionista" and traj[-1] == out["to_be"]
    assert out["monitor"] and out["triggers"]
    # issue 17: every trigger is observable; the never-firing competitor trigger is gone
    names = {t["trigger"] for t in out["triggers"]}
    assert "competitor moves" not in names and "lost business" in names


def test_the_plan_differs_between_firms(narrow_ws: Path, broad_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        narrow = plan(ws.backend, answers(HIGH)).to_json()
    with b2bcx.open_workspace(broad_ws) as ws:
        broad = plan(ws.backend, answers(HIGH)).to_json()
    assert narrow["as_is"] == "cherry_picker" and broad["as_is"] == "champion"
    # the two firms' customers seek the same goals, so step 1 agrees; the rest follow
    # each firm's own position, activities and data
    assert narrow["steps"][0]["items"] == broad["steps"][0]["items"]
    for k in (1, 2, 3):
        assert narrow["steps"][k]["items"] != broad["steps"][k]["items"]


def test_lost_business_trigger_by_hand(narrow_ws: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "lost.duckdb"
    shutil.copy(narrow_ws, path)
    with b2bcx.open_workspace(path) as ws:
        # accounts worth 150 a year; B churns (50) in the last window, nothing before
        ws.backend.append(
            "outcomes",
            pa.table(
                {
                    "account_id": ["B"],
                    "occurred_at": [dt.date(2024, 11, 1)],
                    "kind": ["churn"],
                    "value": [50.0],
                }
            ),
        )
        out = plan(ws.backend, answers({"tm_sca": 4})).to_json()
    trig = next(t for t in out["triggers"] if t["trigger"] == "lost business")
    assert trig["now"] == pytest.approx(50 / 150, abs=1e-3) and trig["fired"] is True


def test_goal_shift_trigger_fires(tmp_path: Path, builder: Callable[..., Path]) -> None:
    path = builder(tmp_path / "g.duckdb")
    with b2bcx.open_workspace(path) as ws:
        # a second wave: everyone now rates association 5 (it was 2)
        people = [f"{a}{i}" for a in "AB" for i in range(6)]
        ws.backend.append(
            "goals",
            pa.table(
                {
                    "stakeholder_id": people,
                    "asked_at": [dt.date(2024, 12, 20)] * 12,
                    "goal": ["association"] * 12,
                    "importance": [5.0] * 12,
                }
            ),
        )
        ws.backend.append(
            "interactions",
            pa.table(
                {
                    "interaction_id": ["late"],
                    "stakeholder_id": ["A0"],
                    "occurred_at": [dt.datetime(2025, 2, 1)],
                    "touchpoint_id": ["T1"],
                    "cx": [7.0],
                }
            ),
        )
        out = plan(ws.backend).to_json()
    trig = next(t for t in out["triggers"] if t["trigger"] == "changing customer goals")
    assert trig["now"] == pytest.approx(3.0) and trig["fired"] is True
    assert "association" in trig["text"]


def test_target_and_missing_inputs(
    broad_ws: Path, tmp_path: Path, builder: Callable[..., Path]
) -> None:
    with b2bcx.open_workspace(broad_ws) as ws:
        forced = plan(ws.backend, None, target="cherry_picker").to_json()
        unknown = plan(ws.backend).to_json()
        with pytest.raises(ConfigurationError, match="unknown archetype 'hero'"):
            plan(ws.backend, None, target="hero")
    assert forced["to_be"] == "cherry_picker" and forced["as_is"] is None
    assert any("impact" in g for g in forced["could_not_assess"])
    assert any(d["activity_id"] == "new-cx-owner" for d in forced["activities"])
    assert unknown["to_be"] is None and unknown["trajectory"] == []
    assert any("results" in g for g in unknown["could_not_assess"])
    path = builder(tmp_path / "bare.duckdb", goals=False)
    with b2bcx.open_workspace(path) as ws:
        bare = plan(ws.backend, answers(HIGH)).to_json()
    gaps = " ".join(bare["could_not_assess"])
    assert "goal importance" in gaps and "no CXM activities" in gaps
    assert "Ask stakeholders" in bare["steps"][0]["items"][0]


def test_empty_workspace_plan(ws: b2bcx.Workspace) -> None:
    out = plan(ws.backend, answers(HIGH)).to_json()
    assert out["as_is"] is None and len(out["steps"]) == 4
    json.dumps(out)  # JSON-ready
