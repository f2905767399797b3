"""Step 3 names where the diagnosis says to act first when no archetype starts
anything (UX review #8: the plan never named the diagnosis' top touchpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from b2bcx.diagnose import Diagnosis, diagnose
from b2bcx.strategy import plan
from b2bcx.strategy.plan import Plan
from b2bcx.strategy.playbook_activities import Decision, act_first_lines
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def demo_plan_inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plan, Diagnosis]]:
    """The demo's plan without an impact assessment, beside its diagnosis."""
    for ws in demo_workspace(tmp_path_factory.mktemp("act_first"), size=6000, seed=5):
        found = diagnose(ws.backend)
        yield plan(ws.backend, diagnosis=found), found


def _cell(rank: int, tp: str, goal: str, controller: str | None = "partner") -> dict[str, Any]:
    return {
        "rank": rank, "touchpoint_id": tp, "touchpoint": f"Name of {tp}", "goal": goal,
        "controller": controller, "action": f"fix {tp}",
    }  # fmt: skip


def _keep() -> Decision:
    return Decision(
        activity_id="A1", name="x", decision="keep", reason="r", cost=None,
        experience_change=None, se=None, touchpoints=("T9",),
    )  # fmt: skip


def test_groups_by_touchpoint_in_rank_order() -> None:
    cells = [
        _cell(3, "T2", "efficiency", "supplier"),
        _cell(1, "T1", "association"),
        _cell(2, "T1", "relationships"),
        _cell(4, "T3", "convenience", "customer"),
        _cell(5, "T4", "empowerment"),
    ]
    lines = act_first_lines(cells, [_keep()])
    assert len(lines) == 4  # three touchpoints and the closing line
    assert lines[0].startswith("act first: 'Name of T1' (priorities 1 and 2 ")
    assert "association, relationships" in lines[0] and "partner-run" in lines[0]
    assert "'Name of T2' (priority 3 " in lines[1] and "the firm runs it: fix T2" in lines[1]
    assert "customer-run" in lines[2]
    assert not any("T4" in line for line in lines)


def test_silent_when_a_start_names_a_priority_or_nothing_is_ranked() -> None:
    start = Decision(
        activity_id="new-T1", name="Improve", decision="start", reason="r", cost=None,
        experience_change=None, se=None, touchpoints=("T1",), priority_rank=1,
    )  # fmt: skip
    assert act_first_lines([_cell(1, "T1", "efficiency")], [start]) == []
    assert act_first_lines([], [_keep()]) == []


@pytest.mark.slow
def test_demo_plan_without_assessment_names_the_top_touchpoint(
    demo_plan_inputs: tuple[Plan, Diagnosis],
) -> None:
    plan, diagnosis = demo_plan_inputs
    top = diagnosis.priorities[0]
    step3 = plan.steps[2].items
    assert plan.to_be is None
    assert any(line.startswith(f"act first: '{top.touchpoint}'") for line in step3)
