"""Issue 17's grid: assessment answers × hand-built workspaces.

Three small worlds of twelve accounts and four touchpoints (T3 run by a partner):

- ``surveys``: satisfaction surveys and complaint tickets only, nothing managed;
- ``data_rich``: every metric, source and data kind imported, nothing managed;
- ``managed``: the same data, and a broad, managed programme — activities of
  several kinds with owners at every touchpoint and stage, and detractors
  followed up with cases that are closed with an outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.measures.agreement import rwg_j
from b2bcx.strategy import Answers, assess, plan
from b2bcx.strategy.answers import Respondent, load_answers
from b2bcx.strategy.assess import assess_segments
from b2bcx.strategy.evidence import cluster_ols
from b2bcx.strategy.playbook_activities import controlled

T0 = dt.datetime(2024, 1, 1)
TPS = ["T1", "T2", "T3", "T4"]
DIMS = ("touchpoints", "cues", "journeys", "stakeholders", "data", "metrics", "partners",
        "activities")  # fmt: skip
DISAGREE_SCOPE = {f"scope_{d}": 2.0 for d in DIMS}
LOW = {"tm_sca": 1.0, "cx_investment_returns": 1.0, "cx_sets_apart": 1.0}
HIGH = {"tm_sca": 5.0, "cx_investment_returns": 5.0, "cx_sets_apart": 5.0}


def _world(path: Path, kind: str) -> Path:
    rng = np.random.default_rng(11)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    accounts = [f"A{i:02d}" for i in range(12)]
    b.append("accounts", pa.table({
        "account_id": accounts, "annual_value": [100.0 + 10 * i for i in range(12)],
        "segment": ["key" if i < 6 else "smb" for i in range(12)],
    }))  # fmt: skip
    b.append("partners", pa.table({"partner_id": ["P"]}))
    b.append("touchpoints", pa.table({  # T5: in the catalogue, met by nobody
        "touchpoint_id": [*TPS, "T5"], "name": ["Bid", "Install", "Service", "Deal", "Fair"],
        "stage": ["pre_bid", "implementation", "operations", "negotiation", "pre_bid"],
        "controller": ["supplier", "supplier", "partner", "supplier", "external"],
        "partner_id": [None, None, "P", None, None],
    }))  # fmt: skip
    b.append("cues", pa.table({"cue_id": ["C1", "C2"], "touchpoint_id": ["T1", "T3"]}))
    people = [(f"{a}-{k}", a) for a in accounts for k in range(4)]
    b.append("stakeholders", pa.table({
        "stakeholder_id": [p for p, _ in people], "account_id": [a for _, a in people],
        "level": ["executive", "manager", "operational", "operational"] * 12,
        "center": ["buying", "buying", "usage", "usage"] * 12,
        "function": ["management", "purchasing", "production", "maintenance"] * 12,
    }))  # fmt: skip
    n = 1200
    ids = [p for p, _ in people]
    cols: dict[str, Any] = {
        "interaction_id": [f"i{k}" for k in range(n)],
        "stakeholder_id": [ids[k % len(ids)] for k in range(n)],
        "occurred_at": [T0 + dt.timedelta(days=int(d)) for d in rng.integers(0, 360, n)],
        "touchpoint_id": [TPS[(k // len(ids)) % 4] for k in range(n)],
        "nps": rng.integers(0, 11, n),
        "csat": rng.integers(1, 6, n).astype(float),
    }
    surveys = np.arange(n) % 3 != 0
    cols["source"] = np.where(surveys, "survey", "ticket").tolist()
    cols["solicited"] = surveys.tolist()
    cols["comment"] = [None if s else f"complaint {k}" for k, s in enumerate(surveys)]
    if kind != "surveys":
        cols |= {
            "cx": rng.integers(3, 10, n).astype(float),
            "ces": rng.integers(1, 8, n).astype(float),
            "efficiency": rng.integers(1, 6, n).astype(float),
            "source": [("survey", "ticket", "email", "call", "meeting")[k % 5] for k in range(n)],
        }
    b.append("interactions", pa.table(cols))
    if kind == "managed":
        b.append("activities", pa.table({
            "activity_id": ["X1", "X2", "X3", "X4", "X5"],
            "name": ["Bid redesign", "Install training", "Partner programme",
                     "Deal desk", "CX board"],
            "kind": ["touchpoint_design", "training", "program", "touchpoint_design",
                     "governance"],
            "touchpoint_ids": [["T1"], ["T2"], ["T3"], ["T4"], None],
            "stages": [None, None, None, None,
                       ["pre_bid", "negotiation", "implementation", "operations"]],
            "annual_cost": [10.0, 20.0, 30.0, 15.0, 5.0],
            "started_at": [dt.date(2024, 3, 1)] * 5,
            "owner_unit": ["Sales", "Service", "Partner mgmt", "Sales", "CX office"],
        }))  # fmt: skip
    ws.close()
    if kind == "managed":
        from b2bcx.cases import open_case, update_case

        with b2bcx.open_workspace(path) as ws2:
            detractors = sorted({ids[k % len(ids)] for k in range(n) if cols["nps"][k] <= 6})
            for sid in detractors:
                opened = T0 + dt.timedelta(days=200)
                case = open_case(ws2.backend, account_id=sid.split("-")[0], stakeholder_id=sid,
                                 title="detractor follow-up", owner="cx", now=opened)  # fmt: skip
                update_case(ws2.backend, case.case_id, status="closed", outcome="called back",
                            now=T0 + dt.timedelta(days=202))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("grid")
    yield {k: _world(root / f"{k}.duckdb", k) for k in ("surveys", "data_rich", "managed")}


def _assess(path: Path, values: dict[str, float] | None, **kw: Any) -> Any:
    with b2bcx.open_workspace(path) as ws:
        return assess(ws.backend, None if values is None else Answers(dict(values)), **kw)


# (answers, {world: expected archetype}); None: not called (no impact answers)
GRID: list[tuple[str, dict[str, float] | None, dict[str, str | None]]] = [
    ("no answers", None, {"surveys": None, "data_rich": None, "managed": None}),
    ("low impact, disagree on every scope item", LOW | DISAGREE_SCOPE,
     {"surveys": "minimalist", "data_rich": "minimalist", "managed": "minimalist"}),
    ("high impact, no scope answers", HIGH,
     {"surveys": "cherry_picker", "data_rich": "cherry_picker", "managed": "champion"}),
    ("low impact, no scope answers", LOW,
     {"surveys": "minimalist", "data_rich": "minimalist", "managed": "fashionista"}),
]  # fmt: skip
NARROW_DATA = {"surveys": True, "data_rich": True, "managed": False}


@pytest.mark.parametrize(("label", "values", "expected"), GRID, ids=[g[0] for g in GRID])
def test_the_grid(
    worlds: dict[str, Path],
    label: str,
    values: dict[str, float] | None,
    expected: dict[str, str | None],
) -> None:
    for world, want in expected.items():
        a = _assess(worlds[world], values)
        assert a.archetype == want, (label, world, a.scope_data)
        assert a.scope_data is not None
        # surveys and complaints alone, or much data nobody acts on: narrow scope;
        # a broad, managed programme: broad
        assert (a.scope_data < 0.5) == NARROW_DATA[world], (world, a.scope_data)
        out = a.to_dict()
        assert {"impact", "scope", "archetype"} <= set(out)
        assert {"self", "data", "score"} <= set(out["scope"])


def test_what_the_scope_rests_on(worlds: dict[str, Path]) -> None:
    surveys = _assess(worlds["surveys"], None).observed
    managed = _assess(worlds["managed"], None).observed
    dims = surveys.by_name()
    # measured everywhere, acted on and owned nowhere
    assert dims["touchpoints"].breadth == 0.0
    assert dims["touchpoints"].depth == pytest.approx(1 / 3)
    assert dims["activities"].share == 0.0 and dims["closed_loop"].share is None
    assert not dims["data"].counts and not dims["metrics"].counts
    m = managed.by_name()
    assert m["touchpoints"].share == 1.0 and m["journeys"].breadth == 1.0
    assert m["partners"].share == 1.0
    assert m["closed_loop"].breadth == 1.0 and m["closed_loop"].depth == 1.0
    assert m["activities"].depth == pytest.approx(4 / 6)  # design, training, programme, governance
    assert {r["touchpoint_id"] for r in managed.relevance} == set(TPS)
    assert sum(r["weight"] for r in managed.relevance) == pytest.approx(1.0)


def test_an_irrelevant_touchpoint_does_not_count(worlds: dict[str, Path]) -> None:
    from b2bcx.strategy import StrategyOptions

    with b2bcx.open_workspace(worlds["managed"]) as ws:
        observed = assess(ws.backend).observed
        strict = assess(ws.backend, options=StrategyOptions(relevant_reach=1.0)).observed
    # T5 is in the catalogue but nobody meets it: not relevant, not held against scope
    assert observed is not None and "T5" not in {r["touchpoint_id"] for r in observed.relevance}
    assert observed.by_name()["touchpoints"].share == 1.0
    assert strict is not None and len(strict.relevance) == 4  # everybody meets T1–T4


def test_borderline_positions_are_labelled(worlds: dict[str, Path]) -> None:
    panel = Answers.of([
        Respondent("CEO", {"tm_sca": 5.0, "cx_investment_returns": 5.0, "cx_sets_apart": 4.0}),
        Respondent("CFO", {"tm_sca": 1.0, "cx_investment_returns": 2.0, "cx_sets_apart": 1.0}),
        Respondent("COO", {"tm_sca": 3.0, "cx_investment_returns": 4.0, "cx_sets_apart": 3.0}),
    ])  # fmt: skip
    with b2bcx.open_workspace(worlds["surveys"]) as ws:
        a = assess(ws.backend, panel)
    assert a.impact.score == pytest.approx((28 / 3 - 3) / 12)  # mean answers, one scale
    lo, hi = a.interval["impact"]  # type: ignore[index]
    assert lo < 0.5 <= hi
    assert a.borderline[0] == a.archetype and set(a.borderline) == {"cherry_picker", "minimalist"}
    assert a.position == "borderline between CXM Cherry Picker and CXM Minimalist"
    assert a.to_dict()["archetype"]["position"] == a.position
    # the key stakeholders disagree: rwg(j) as the product computes it for customers
    x = np.array([[5, 5, 4], [1, 2, 1], [3, 4, 3]], float)
    s2 = x.var(axis=0, ddof=1).mean()
    by_hand = max(0.0, 3 * (1 - s2 / 2) / (3 * (1 - s2 / 2) + s2 / 2)) if s2 < 2 else 0.0
    assert a.impact.agreement == pytest.approx(by_hand, abs=1e-3)
    assert a.impact.agreement == pytest.approx(
        float(rwg_j(x, ["f"] * 3, null_var=2.0).rwg[0]), abs=1e-3
    )
    assert a.impact.agreed is False
    # one respondent, all answers equal: no spread, a clear call
    with b2bcx.open_workspace(worlds["surveys"]) as ws:
        clear = assess(ws.backend, Answers(HIGH))
    assert clear.borderline == () and clear.position == "CXM Cherry Picker"


def test_antecedents_are_context_not_impact() -> None:
    from b2bcx.strategy import impact_score

    base = impact_score(Answers({"tm_sca": 4.0}))
    ctx = impact_score(Answers({"tm_sca": 4.0, "rivalry": 1.0, "deal_size": 1.0,
                                "relational_ties": 5.0}))  # fmt: skip
    assert base.score == ctx.score == pytest.approx(0.75)
    roles = {f["item"]: (f["weight"], f["basis"]) for f in ctx.factors}
    assert roles["rivalry"][0] == 0.0 and "4.1" in roles["rivalry"][1]
    assert "research question" in roles["relational_ties"][1]


def test_several_respondents_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "panel.yaml"
    path.write_text(
        "date: 2026-11-23\nrespondents:\n"
        "  - {respondent: CEO, role: chief executive, answers: {tm_sca: 5, scope_data: 2}}\n"
        "  - {respondent: Head of sales, segment: key, answers: {tm_sca: 3}}\n"
    )
    a = load_answers(path)
    assert len(a.respondents) == 2 and a.values["tm_sca"] == 4.0
    assert a.for_segment("key").values == {"tm_sca": 3.0}
    assert a.for_segment("smb").values == {"tm_sca": 5.0, "scope_data": 2.0}
    csv = tmp_path / "panel.csv"
    csv.write_text("respondent,item,answer\nA,tm_sca,5\nB,tm_sca,1\n")
    assert load_answers(csv).values == {"tm_sca": 3.0}


def test_segments(worlds: dict[str, Path]) -> None:
    with b2bcx.open_workspace(worlds["managed"]) as ws:
        per = assess_segments(ws.backend, Answers(HIGH))
        one = assess(ws.backend, Answers(HIGH), segment="smb")
    assert [a.segment for a in per] == ["key", "smb"]
    assert one.to_dict()["segment"] == "smb" and one.archetype == "champion"


def test_plans_never_put_an_uncontrolled_touchpoint_first(worlds: dict[str, Path]) -> None:
    ranked = [
        {"rank": 1, "touchpoint_id": "T3", "touchpoint": "Service", "controller": "partner",
         "goal": "efficiency", "poor": 9, "rated": 20, "value_at_risk": 500.0,
         "action": "fix it with the partner"},
        {"rank": 2, "touchpoint_id": "T1", "touchpoint": "Bid", "controller": "supplier",
         "goal": "convenience", "poor": 5, "rated": 20, "value_at_risk": 300.0,
         "action": "make it easy"},
    ]  # fmt: skip
    with b2bcx.open_workspace(worlds["surveys"]) as ws:
        p = plan(ws.backend, Answers(HIGH | {"corporate_strategy": 5.0}), target="champion",
                 priorities=ranked)  # type: ignore[arg-type]  # fmt: skip
    starts = [d for d in p.activities if d.decision == "start" and d.priority_rank]
    assert [d.touchpoints[0] for d in starts] == ["T1", "T3"]
    assert controlled(starts[0].controller) and starts[0].action == "act"
    assert starts[1].action == "influence" and starts[1].name.startswith("Influence")
    assert "partner" in starts[1].reason and starts[1].value_at_stake == 500.0
    assert any("At stake" in line for line in p.argument)
    assert "competitor moves" not in {t.trigger for t in p.triggers}
    assert "lost business" in {t.trigger for t in p.triggers}
    # a Minimalist keeps to hygiene factors the firm runs: the partner cell is left out
    with b2bcx.open_workspace(worlds["surveys"]) as ws:
        m = plan(ws.backend, Answers(LOW), target="minimalist", priorities=ranked)  # type: ignore[arg-type]
    assert [d.touchpoints[0] for d in m.activities if d.priority_rank] == ["T1"]


def test_keep_and_stop_rest_on_clustered_evidence(worlds: dict[str, Path]) -> None:
    with b2bcx.open_workspace(worlds["managed"]) as ws:
        p = plan(ws.backend, Answers(HIGH), priorities=[])
    kept = [d for d in p.activities if d.decision != "start"]
    assert kept
    for d in kept:
        if d.evidence != "estimated":
            assert d.decision == "keep" and "no evidence yet, keep measuring" in d.reason


def test_cluster_robust_errors_by_hand() -> None:
    rng = np.random.default_rng(2)
    n = 40
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = 1 + 2 * x[:, 1] + rng.normal(size=n)
    fit = cluster_ols(y, x, np.arange(n))  # one observation per cluster: CR1 = HC1
    assert fit is not None
    beta, se = fit
    assert beta == pytest.approx(np.linalg.lstsq(x, y, rcond=None)[0])
    e = y - x @ beta
    inv = np.linalg.inv(x.T @ x)
    hc1 = n / (n - 2) * inv @ (x.T * e**2) @ x @ inv
    assert se == pytest.approx(np.sqrt(np.diag(hc1)))
    assert cluster_ols(y, x, np.zeros(n)) is None  # one cluster: no estimate


def _trend_world(path: Path, *, pretrend: float) -> Path:
    """Twelve one-person accounts; T2 gains 2 CX points (0–10) when activity X starts.
    Before the start, T2 drifts by ``pretrend`` points (0–10) a year, T1 is flat."""
    rng = np.random.default_rng(4)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    accounts = [f"A{i:02d}" for i in range(12)]
    b.append("accounts", pa.table({"account_id": accounts}))
    b.append("stakeholders", pa.table({"stakeholder_id": accounts, "account_id": accounts}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T1", "T2"], "name": ["a", "b"], "stage": ["operations"] * 2,
        "controller": ["supplier"] * 2,
    }))  # fmt: skip
    start = dt.datetime(2024, 6, 1)
    rows = []
    for k in range(960):
        offset = int(rng.integers(-175, 175))
        tp = "T2" if k % 2 else "T1"
        cx = 5.0 + rng.normal(0, 0.5)
        if tp == "T2":
            cx += 2.0 if offset >= 0 else pretrend * offset / 365.25
        rows.append((f"i{k}", accounts[k % 12], start + dt.timedelta(days=offset), tp, cx))
    b.append("interactions", pa.table({
        "interaction_id": [r[0] for r in rows], "stakeholder_id": [r[1] for r in rows],
        "occurred_at": [r[2] for r in rows], "touchpoint_id": [r[3] for r in rows],
        "cx": [r[4] for r in rows],
    }))  # fmt: skip
    b.append("activities", pa.table({
        "activity_id": ["X"], "name": ["x"], "kind": ["touchpoint_design"],
        "touchpoint_ids": [["T2"]], "annual_cost": [10.0], "started_at": [start.date()],
    }))  # fmt: skip
    ws.close()
    return path


def test_parallel_trends_decide_whether_an_effect_counts(tmp_path: Path) -> None:
    from b2bcx.strategy.evidence import activity_effects

    as_of = dt.datetime(2025, 1, 1)
    with b2bcx.open_workspace(_trend_world(tmp_path / "flat.duckdb", pretrend=0.0)) as ws:
        flat = activity_effects(ws.backend, as_of).iloc[0]
    assert flat["evidence"] == "estimated" and bool(flat["parallel_trends"])
    assert flat["experience_change"] == pytest.approx(20.0, abs=1.5)  # 2 points × 10
    assert 0 < flat["se"] < 2 and flat["clusters"] == 12
    with b2bcx.open_workspace(_trend_world(tmp_path / "trend.duckdb", pretrend=4.0)) as ws:
        trend = activity_effects(ws.backend, as_of).iloc[0]
        p = plan(ws.backend, Answers(HIGH), priorities=[])
    # T2 was already rising 40 points a year before X started: no evidence
    assert trend["parallel_trends"] is not None and not trend["parallel_trends"]
    assert trend["evidence"] == "no evidence yet"
    assert trend["pretrend"] == pytest.approx(40.0, abs=8.0)
    x = next(d for d in p.activities if d.activity_id == "X")
    assert x.decision == "keep" and "no evidence yet, keep measuring" in x.reason
    assert "parallel trends fail" in x.reason


def test_several_respondents_are_saved_and_read_back(
    worlds: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    from b2bcx.strategy import save_answers, saved_assessments

    path = tmp_path / "saved.duckdb"
    shutil.copy(worlds["surveys"], path)
    panel = Answers.of([Respondent("CEO", {"tm_sca": 5.0}), Respondent("CFO", {"tm_sca": 1.0})])
    with b2bcx.open_workspace(path) as ws:
        save_answers(ws.backend, panel)
        back = saved_assessments(ws.backend)[-1].answers
    assert [r.name for r in back.respondents] == ["CEO", "CFO"]
    assert back.values == {"tm_sca": 3.0}
