"""CXM impact, scope (self and observed), archetypes and their characteristics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

import b2bcx
from b2bcx.strategy import (
    Answers,
    StrategyOptions,
    archetype_of,
    assess,
    impact_score,
    item_bank,
    observed_scope,
)
from b2bcx.strategy.evidence import activity_effects, outcome_relations, results_strength

HIGH_IMPACT = {
    "tm_sca": 5,
    "cx_investment_returns": 5,
    "rivalry": 5,
    "tech_differentiation": 1,
    "switching_barriers": 1,
    "deal_size": 5,
    "resources": 5,
    "tm_attention": 5,
}
LOW_IMPACT = {
    "tm_sca": 1,
    "cx_investment_returns": 1,
    "rivalry": 1,
    "tech_differentiation": 5,
    "switching_barriers": 5,
    "deal_size": 1,
    "resources": 1,
    "tm_attention": 1,
}
DIMS = (
    "touchpoints",
    "cues",
    "journeys",
    "stakeholders",
    "data",
    "metrics",
    "partners",
    "activities",
)
BROAD_SELF = {f"scope_{d}": 5 for d in DIMS}
NARROW_SELF = {k: 1 for k in BROAD_SELF}


def answers(values: dict[str, int]) -> Answers:
    return Answers({k: float(v) for k, v in values.items()})


def test_archetype_boundaries() -> None:
    assert archetype_of(0.5, 0.5) == "champion"
    assert archetype_of(0.5, 0.4999) == "cherry_picker"
    assert archetype_of(0.4999, 0.5) == "fashionista"
    assert archetype_of(0.0, 0.0) == "minimalist"
    assert archetype_of(0.6, 0.6, boundary=0.7) == "minimalist"


def _folding_bank(tmp_path: Path) -> Any:
    """The shipped bank with the context folded in at half the score (the old rule)."""
    from importlib import resources

    text = resources.files("b2bcx.strategy").joinpath("items.yaml").read_text("utf-8")
    own = tmp_path / "bank.yaml"
    own.write_text(text.replace("perception_share: 1.0", "perception_share: 0.5"))
    return item_bank(own)


def test_impact_by_hand(tmp_path: Path) -> None:
    bank = item_bank()
    # impact is the perception alone: tm_sca 4 → 0.75; the antecedents are context:
    # rivalry 2 → 0.25, tech_differentiation 5 reversed → 0, deal_size 3 → 0.5 (mean 0.25)
    given = answers({"tm_sca": 4, "rivalry": 2, "tech_differentiation": 5, "deal_size": 3})
    result = impact_score(given, bank)
    assert result.reason is None
    assert result.score == pytest.approx(0.75)
    assert result.perception == pytest.approx(0.75) and result.context == pytest.approx(0.25)
    weights = {f["item"]: f["weight"] for f in result.factors}
    assert weights["tm_sca"] == pytest.approx(1.0)
    assert weights["rivalry"] == 0.0 and weights["ecosystem_position"] == 0.0
    assert {f["item"]: f["score"] for f in result.factors}["tech_differentiation"] == 0.0
    # a bank that folds the context in at half: 0.5·0.75 + 0.5·0.25
    folded = impact_score(given, _folding_bank(tmp_path))
    assert folded.score == pytest.approx(0.5)
    w = {f["item"]: f["weight"] for f in folded.factors}
    assert w["rivalry"] == pytest.approx(0.5 / 3, abs=1e-3)
    assert sum(w.values()) == pytest.approx(1.0, abs=2e-3)


def test_impact_needs_the_key_stakeholders_view(tmp_path: Path) -> None:
    bank = item_bank()
    assert impact_score(None, bank).score is None
    no_view = impact_score(answers({"rivalry": 5, "deal_size": 5, "tm_attention": 5}), bank)
    assert no_view.score is None and "tm_sca" in (no_view.reason or "")
    assert impact_score(answers({"tm_sca": 5, "rivalry": 5}), bank).score == pytest.approx(1.0)
    folding = _folding_bank(tmp_path)
    thin = impact_score(answers({"tm_sca": 5, "rivalry": 5}), folding)
    assert thin.score is None and "at least 3 contextual factors (got 1)" in (thin.reason or "")
    loose = impact_score(
        answers({"tm_sca": 5, "rivalry": 5}), folding, StrategyOptions(min_context_answers=1)
    )
    assert loose.score == pytest.approx(1.0)


def test_observed_scope_by_hand(narrow_ws: Path, broad_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        narrow = observed_scope(ws.backend)
    dims = narrow.by_name()
    # T1 is the one relevant touchpoint (everyone met it): measured, not acted on or owned
    assert [r["touchpoint_id"] for r in narrow.relevance] == ["T1"]
    assert dims["touchpoints"].breadth == 0.0
    assert dims["touchpoints"].depth == pytest.approx(1 / 3)
    assert dims["cues"].share == 0.0  # C1 sits at T1, not managed; C2 at T3, not relevant
    assert dims["journeys"].share == 0.0  # pre_bid reached by no activity, no journeys
    assert dims["partners"].share is None  # P runs T3, which nobody met: not relevant
    assert dims["activities"].share == 0.0  # none recorded
    assert dims["closed_loop"].share is None  # no cases
    # measurement coverage is shown, not counted
    assert dims["metrics"].breadth == pytest.approx(2 / 5) and not dims["metrics"].counts
    assert dims["data"].breadth == pytest.approx(1 / 4) and not dims["data"].counts
    assert narrow.score == pytest.approx((1 / 6 + 0 + 0 + 0) / 4)
    with b2bcx.open_workspace(broad_ws) as ws:
        broad = observed_scope(ws.backend)
    b = broad.by_name()
    # every touchpoint acted on (X5 reaches every stage), none owned (no owner_unit)
    assert b["touchpoints"].breadth == 0.0 and b["touchpoints"].depth == pytest.approx(2 / 3)
    assert b["cues"].share == 0.0
    assert b["journeys"].share == 1.0
    assert b["partners"].share == pytest.approx(1 / 3)  # T3: measured, acted on, not owned
    assert b["activities"].breadth == 1.0 and b["activities"].depth == pytest.approx(5 / 6)
    assert b["data"].depth == pytest.approx(4 / 7)  # survey, ticket, email, call
    assert b["stakeholders"].breadth == pytest.approx((1 + 2 / 3 + 1) / 3)
    expected = (1 / 3 + 0 + 1 + 1 / 3 + (1 + 5 / 6) / 2) / 5
    assert broad.score == pytest.approx(expected)
    assert narrow.score is not None and broad.score > narrow.score + 0.3


@pytest.mark.parametrize(
    ("world", "given", "expected"),
    [
        ("narrow", HIGH_IMPACT | NARROW_SELF, "cherry_picker"),
        ("narrow", LOW_IMPACT | NARROW_SELF, "minimalist"),
        ("broad", HIGH_IMPACT | BROAD_SELF, "champion"),
        ("broad", LOW_IMPACT | BROAD_SELF, "fashionista"),
        # without scope answers, the data alone places the firm
        ("narrow", HIGH_IMPACT, "cherry_picker"),
        ("broad", HIGH_IMPACT, "champion"),
        ("broad", LOW_IMPACT, "fashionista"),
    ],
)
def test_each_archetype(
    world: str, given: dict[str, int], expected: str, narrow_ws: Path, broad_ws: Path
) -> None:
    with b2bcx.open_workspace(narrow_ws if world == "narrow" else broad_ws) as ws:
        result = assess(ws.backend, answers(given))
    out = result.to_json()
    arch = out["archetype"]
    assert arch["name"] == expected
    assert 0 <= out["impact"]["score"] <= 1 and 0 <= out["scope"]["score"] <= 1
    assert arch["margin"] == pytest.approx(
        min(abs(arch["impact"] - 0.5), abs(arch["scope"] - 0.5)), abs=2e-3
    )
    assert arch["clear"] == (arch["margin"] >= 0.1)
    assert [c["characteristic"] for c in arch["characteristics"]] == [
        "top-management attention",
        "activities",
        "metrics",
        "results",
    ]
    if out["scope"]["self"] is not None:
        s = out["scope"]
        assert s["score"] == pytest.approx(0.75 * s["self"] + 0.25 * s["data"], abs=2e-3)
    else:
        assert out["scope"]["score"] == out["scope"]["data"]


def test_characteristics_follow_the_evidence(narrow_ws: Path, broad_ws: Path) -> None:
    with b2bcx.open_workspace(broad_ws) as ws:
        fashion = assess(ws.backend, answers(LOW_IMPACT | BROAD_SELF)).to_json()
    chars = {c["characteristic"]: c for c in fashion["archetype"]["characteristics"]}
    # tm_attention answered 1: not the attention Fig. 1 expects of a Fashionista
    assert chars["top-management attention"]["consistent"] is False
    # two technology activities and a broad reach: early adoption of many activities
    assert chars["activities"]["consistent"] is True
    assert chars["results"]["consistent"] is None  # no outcomes, no answer
    with b2bcx.open_workspace(narrow_ws) as ws:
        minimal = assess(ws.backend, answers(LOW_IMPACT | NARROW_SELF)).to_json()
    chars = {c["characteristic"]: c for c in minimal["archetype"]["characteristics"]}
    assert chars["top-management attention"]["consistent"] is True  # hands-off
    assert chars["metrics"]["consistent"] is True  # two metrics
    assert chars["activities"]["consistent"] is True  # none running


def test_boundary_and_a_close_call(narrow_ws: Path) -> None:
    # impact exactly on the boundary: 0.5·0.5 (tm_sca 3) + 0.5·0.5 (three 3s)
    given = {"tm_sca": 3, "rivalry": 3, "deal_size": 3, "offering_importance": 3}
    with b2bcx.open_workspace(narrow_ws) as ws:
        result = assess(ws.backend, answers(given))
    assert result.impact.score == pytest.approx(0.5)
    assert result.archetype in ("champion", "cherry_picker")  # high on the line
    assert result.margin == pytest.approx(0.0) and result.clear is False
    with b2bcx.open_workspace(narrow_ws) as ws:
        strict = assess(ws.backend, answers(given), options=StrategyOptions(boundary=0.51))
    assert strict.archetype in ("minimalist", "fashionista")


def test_without_answers_the_data_is_assessed_and_the_reason_given(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        out = assess(ws.backend).to_json()
    assert out["impact"]["score"] is None and out["archetype"]["name"] is None
    assert "answer the assessment" in out["archetype"]["reason"]
    assert out["scope"]["self"] is None and out["scope"]["data"] is not None
    assert out["archetype"]["characteristics"] == []


def test_scope_disagreement_is_flagged(narrow_ws: Path) -> None:
    with b2bcx.open_workspace(narrow_ws) as ws:
        out = assess(ws.backend, answers({"scope_touchpoints": 5, "scope_metrics": 4})).to_json()
    dim = {d["dimension"]: d for d in out["scope"]["dimensions"]}
    assert dim["touchpoints"]["self"] == 1.0
    assert dim["touchpoints"]["data"] == pytest.approx(1 / 6, abs=1e-3)  # (0 + 1/3) / 2
    assert dim["touchpoints"]["disagree"] is True
    assert dim["metrics"]["self"] == 0.75 and dim["metrics"]["disagree"] is False  # data 0.7
    assert dim["journeys"]["self"] is None and dim["journeys"]["disagree"] is False


def test_misperception_between_the_view_and_the_context(narrow_ws: Path) -> None:
    given = {"tm_sca": 5, "rivalry": 1, "tech_differentiation": 5, "switching_barriers": 5}
    with b2bcx.open_workspace(narrow_ws) as ws:
        out = assess(ws.backend, answers(given)).to_json()
    assert out["impact"]["perception"] == 1.0 and out["impact"]["context"] == 0.0
    assert out["impact"]["misperception"] is True


def _effect_world(path: Path) -> Path:
    """CX at T2 is 5 before the activity starts and 8 after; elsewhere 5 then 6."""
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A", "B", "C", "D", "E", "F"]}))
    b.append(
        "stakeholders", pa.table({"stakeholder_id": list("abcdef"), "account_id": list("ABCDEF")})
    )
    b.append(
        "touchpoints",
        pa.table(
            {
                "touchpoint_id": ["T1", "T2"],
                "name": ["a", "b"],
                "stage": ["operations"] * 2,
                "controller": ["supplier"] * 2,
            }
        ),
    )
    start = dt.datetime(2024, 6, 1)
    rows = []
    for k in range(80):
        after = k % 2 == 1
        tp = "T2" if k % 4 < 2 else "T1"
        cx = (8.0 if after else 5.0) if tp == "T2" else (6.0 if after else 5.0)
        day = start + dt.timedelta(days=(10 + k) if after else -(10 + k))
        rows.append((f"i{k}", "abcdef"[k % 6], day, tp, cx))
    b.append(
        "interactions",
        pa.table(
            {
                "interaction_id": [r[0] for r in rows],
                "stakeholder_id": [r[1] for r in rows],
                "occurred_at": [r[2] for r in rows],
                "touchpoint_id": [r[3] for r in rows],
                "cx": [r[4] for r in rows],
            }
        ),
    )
    b.append(
        "activities",
        pa.table(
            {
                "activity_id": ["X", "Y", "Z"],
                "name": ["x", "y", "z"],
                "kind": ["technology", "governance", "program"],
                "touchpoint_ids": [["T2"], None, None],
                "stages": [None, None, ["operations"]],
                "annual_cost": [100.0, 5.0, 10.0],
                "started_at": [start.date(), start.date(), None],
            }
        ),
    )
    ws.close()
    return path


def test_activity_effect_is_a_difference_in_differences(tmp_path: Path) -> None:
    with b2bcx.open_workspace(_effect_world(tmp_path / "e.duckdb")) as ws:
        effects = activity_effects(ws.backend, dt.datetime(2025, 1, 1)).set_index("activity_id")
    # (80 − 50) − (60 − 50) on the 0–100 scale; no variance inside the cells
    assert effects.loc["X", "experience_change"] == pytest.approx(20.0)
    assert effects.loc["X", "se"] == pytest.approx(0.0)
    assert effects.loc["Y", "experience_change"] is None or np.isnan(
        effects.loc["Y", "experience_change"]
    )
    assert "covers everything" in effects.loc["Y", "reason"]
    assert effects.loc["Z", "reason"] == "no start date"


def test_outcome_relations_by_hand(tmp_path: Path, builder: Callable[..., Path]) -> None:
    path = builder(tmp_path / "o.duckdb")
    with b2bcx.open_workspace(path) as ws:
        ws.backend.append(
            "outcomes",
            pa.table(
                {
                    "account_id": ["A"],
                    "occurred_at": [dt.date(2024, 12, 1)],
                    "kind": ["churn"],
                    "value": [-100.0],
                }
            ),
        )
        stamp = dt.datetime(2024, 12, 31)
        relations = outcome_relations(ws.backend, stamp)
        from b2bcx.measures.collective import AgreementOptions, measure_units
        from b2bcx.measures.individual import DecayOptions

        cx = (
            measure_units(
                ws.backend,
                decay=DecayOptions(as_of=stamp),
                agreement=AgreementOptions(chance_reps=0),
            )
            .units.set_index("account_id")
            .cx
        )
    churn = next(r for r in relations if r.outcome == "churn")
    # two accounts: the AUC is 1 when A (churned) has the lower CX, else 0
    expected = 1.0 if cx["A"] < cx["B"] else 0.0
    assert churn.value == pytest.approx(expected)
    u = stats.mannwhitneyu([cx["A"]], [cx["B"]])
    assert churn.p == pytest.approx(float(u.pvalue))
    # one event is too few to count as evidence of results
    assert results_strength(relations) is None
    assert results_strength(relations, min_events=1) is not None


def test_empty_workspace_and_one_account(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    out = assess(ws.backend, answers(HIGH_IMPACT)).to_json()
    assert out["scope"]["data"] is None and out["scope"]["self"] is None
    assert out["archetype"]["name"] is None and "no scope" in out["archetype"]["reason"]
    one = b2bcx.open_workspace(tmp_path / "one.duckdb")
    one.backend.append("accounts", pa.table({"account_id": ["A"]}))
    one.backend.append("stakeholders", pa.table({"stakeholder_id": ["s"], "account_id": ["A"]}))
    one.backend.append(
        "interactions",
        pa.table(
            {
                "interaction_id": ["i"],
                "stakeholder_id": ["s"],
                "occurred_at": [dt.datetime(2024, 1, 1)],
                "cx": [7.0],
            }
        ),
    )
    result = assess(one.backend, answers(HIGH_IMPACT)).to_json()
    one.close()
    assert result["archetype"]["name"] == "cherry_picker"
    assert result["results"]["outcome_relations"] == []
