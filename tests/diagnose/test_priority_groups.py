"""One grouping of the ranked priorities for the dashboard, the report and the plan
(issue 19: "one ranked list, the same in dashboard, CLI, report and plan").

The world: a service touchpoint the supplier ran until 1 July 2024 and a partner
(ProService) ran after, a web portal the supplier runs throughout. Every person
is a detractor; before the handover the service is poor on efficiency, after it
on convenience; the portal is poor on differentiation. The service's priority
rows therefore carry two controllers, and the three readers must agree on the
groups: one per touchpoint and controller, each with an owner and an action
that match its rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

import b2bcx
from b2bcx.diagnose import DriversUnavailable, diagnose
from b2bcx.diagnose.priority_groups import group_priorities, priority_field
from b2bcx.report.summary import group_priorities as report_groups
from b2bcx.server.views import AccountFilters, grouped_priorities
from b2bcx.storage import Backend
from b2bcx.strategy.playbook_activities import act_first_lines

HANDOVER = dt.date(2024, 7, 1)
GOALS = ("efficiency", "convenience", "differentiation", "empowerment", "association",
         "relationships")  # fmt: skip


def _handover_world() -> Backend:
    b = b2bcx.open_workspace(":memory:").backend
    accounts = [f"A{i}" for i in range(6)]
    values = [100_000.0 + 10_000 * i for i in range(6)]
    b.append("accounts", pa.table({"account_id": accounts, "annual_value": values}))
    b.append("partners", pa.table({"partner_id": ["P"], "name": ["ProService"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T-SVC", "T-SVC", "T-WEB"], "name": ["Service", "Service", "Portal"],
        "stage": ["operations"] * 3, "controller": ["supplier", "partner", "supplier"],
        "partner_id": [None, "P", None],
        "valid_from": pa.array([None, HANDOVER, None], pa.date32()),
    }))  # fmt: skip
    people = [(f"{a}-{k}", a) for a in accounts for k in range(4)]
    b.append("stakeholders", pa.table({"stakeholder_id": [p for p, _ in people],
                                       "account_id": [a for _, a in people]}))  # fmt: skip
    rows: dict[str, list[Any]] = {c: [] for c in ("interaction_id", "stakeholder_id",
                                                  "occurred_at", "touchpoint_id", "cx", "nps",
                                                  *GOALS)}  # fmt: skip
    for month in range(1, 13):
        when = dt.datetime(2024, month, 10, 12)
        for person, _ in people:
            for tp in ("T-SVC", "T-WEB"):
                poor = (
                    "differentiation" if tp == "T-WEB"
                    else "efficiency" if when.date() < HANDOVER else "convenience"
                )  # fmt: skip
                rows["interaction_id"].append(f"i{len(rows['interaction_id'])}")
                rows["stakeholder_id"].append(person)
                rows["occurred_at"].append(when)
                rows["touchpoint_id"].append(tp)
                rows["cx"].append(3.0)
                rows["nps"].append(4.0)
                for goal in GOALS:
                    rows[goal].append(1.0 if goal == poor else 4.0)
    b.append("interactions", pa.table(rows))
    return b


def _diagnose() -> Any:
    # every rating alike: the drivers have no variance to weigh (all weigh alike)
    none = DriversUnavailable("no variance")
    return diagnose(_handover_world(), challenges=["C1"], touchpoint_drivers=none,
                    goal_drivers=none)  # fmt: skip


@pytest.fixture(scope="module")
def priorities() -> list[dict[str, Any]]:
    return [p.to_dict() for p in _diagnose().priorities]


def test_the_handover_touchpoint_has_priorities_of_two_controllers(
    priorities: list[dict[str, Any]],
) -> None:
    cells = {(p["touchpoint_id"], p["controller"], p["goal"]) for p in priorities}
    assert {("T-SVC", "supplier", "efficiency"), ("T-SVC", "partner", "convenience"),
            ("T-WEB", "supplier", "differentiation")} <= cells  # fmt: skip


def test_one_group_per_touchpoint_and_controller_in_rank_order(
    priorities: list[dict[str, Any]],
) -> None:
    groups = group_priorities(priorities)
    keys = [(g.touchpoint_id, g.controller) for g in groups]
    assert sorted(keys) == [("T-SVC", "partner"), ("T-SVC", "supplier"), ("T-WEB", "supplier")]
    assert [g.rank for g in groups] == sorted(g.rank for g in groups)
    for g in groups:
        assert g.handover == (g.touchpoint_id == "T-SVC")
        assert {priority_field(r, "controller") for r in g.rows} == {g.controller}
        assert g.ranks == tuple(sorted(g.ranks)) and g.rank == g.ranks[0]
    by_key = {(g.touchpoint_id, g.controller): g for g in groups}
    assert by_key["T-SVC", "supplier"].goals[0] == "efficiency"
    assert by_key["T-SVC", "partner"].goals[0] == "convenience"
    # each group's action names whom to fix it with: its own controller's
    assert by_key["T-SVC", "supplier"].action.endswith("fix it in house.")
    assert by_key["T-SVC", "partner"].action.endswith("fix it with the partner that runs it.")
    # the typed rows group exactly as their dicts
    typed = group_priorities(_diagnose().priorities)
    assert [(g.touchpoint_id, g.controller, g.ranks) for g in typed] == [
        (g.touchpoint_id, g.controller, g.ranks) for g in groups
    ]


def test_dashboard_report_and_plan_show_the_same_groups(
    priorities: list[dict[str, Any]],
) -> None:
    shared = [(g.touchpoint_id, g.controller, g.rank) for g in group_priorities(priorities)]
    report = [(g.touchpoint_id, g.controller, g.rank) for g in report_groups(priorities)]
    owners = {"T-SVC": "ProService", "T-WEB": "the supplier"}
    controllers = {"T-SVC": "partner", "T-WEB": "supplier"}
    dash = grouped_priorities(priorities, AccountFilters(), owners, {"T-SVC": {"P"}},
                              limit=10, controllers=controllers)  # fmt: skip
    assert report == shared
    assert [(g["touchpoint_id"], g["controller"], g["rank"]) for g in dash] == shared
    # the owner beside each group is the one its action names: ProService only
    # for the rows since the handover, the supplier for the rows before
    owner = {(g["touchpoint_id"], g["controller"]): g["owner"] for g in dash}
    assert owner == {("T-SVC", "partner"): "ProService", ("T-SVC", "supplier"): "the supplier",
                     ("T-WEB", "supplier"): "the supplier"}  # fmt: skip
    for g in dash:
        assert all(r["controller"] == g["controller"] for r in g["rows"])
    # without the current controllers the handover's groups say only who ran them
    blind = grouped_priorities(priorities, AccountFilters(), owners, {}, limit=10)
    assert {g["owner"] for g in blind if g["touchpoint_id"] == "T-SVC"} == {
        "the supplier", "the partner"}  # fmt: skip
    # the plan: one line per group, each line's advice for that group's controller
    lines = act_first_lines(priorities, [], limit=10)[:-1]
    assert len(lines) == len(shared)
    for line, (tp, controller, rank) in zip(lines, shared, strict=True):
        name = "Service" if tp == "T-SVC" else "Portal"
        assert line.startswith(f"act first: '{name}' (priorit") and f" {rank}" in line
        assert ("the firm runs it" in line) == (controller == "supplier")
        assert ("partner-run" in line) == (controller == "partner")


def test_edge_cases_one_row_missing_fields_and_nothing() -> None:
    assert group_priorities([]) == ()
    (only,) = group_priorities([{"rank": 1, "touchpoint_id": "T", "goal": "efficiency"}])
    assert (only.controller, only.touchpoint, only.stage, only.accounts, only.action) == (
        "", "T", "", 0, "")  # fmt: skip
    assert only.goals == ("efficiency",) and not only.handover
    # a missing controller (None or NaN) is one key, not two
    rows = [{"rank": 2, "touchpoint_id": "T", "controller": None, "goal": "a"},
            {"rank": 1, "touchpoint_id": "T", "controller": float("nan"), "goal": "a"}]  # fmt: skip
    (both,) = group_priorities(rows)
    assert both.ranks == (1, 2) and both.goals == ("a",)
