"""C1–C3 detectors on a small hand-built world with null accounts and one planted case each.

The world: 10 null accounts (buying-centre people meet the supplier only at
pre-bid and negotiation, IT only at implementation and operations, managers
and finance at both), plus one account per planted case: a large unhappy IT
unit that alone meets the implementation stage against a small rest (C2), one
unhappy person against the rest (C2), usage better than buying (C3, the reverse
direction), a within-person drop that only a paired comparison sees (C3), an
unstated relational expectation (C1), empowerment without relational
expectation (C1, must not fire), a valued goal delivered badly (C1 excellent
experience) and a customer who controls the touchpoints (C1 power).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.diagnose import DiagnoseOptions
from b2bcx.diagnose.c1_relationships import detect_c1
from b2bcx.diagnose.c2_silos import detect_c2
from b2bcx.diagnose.c3_journey import detect_c3
from b2bcx.diagnose.data import Prepared, prepare
from b2bcx.diagnose.findings import Finding

START = dt.datetime(2023, 1, 1)
GOALS = ("efficiency", "differentiation", "association", "convenience", "empowerment",
         "relationships")  # fmt: skip
STAGE_TP = {"pre_bid": "T-BID", "negotiation": "T-NEG", "implementation": "T-IMPL",
            "operations": "T-OPS"}  # fmt: skip
BUYING, USAGE = ("pre_bid", "negotiation"), ("implementation", "operations")
NULLS = [f"N{i:02d}" for i in range(10)]


def _people(account: str) -> list[dict[str, Any]]:
    """Who is in the account and which stages they meet."""
    base: list[tuple[str, tuple[str, ...]]] = [
        ("it", USAGE), ("it", USAGE), ("it", USAGE), ("procurement", BUYING),
        ("procurement", BUYING), ("management", ("negotiation", "operations")),
        ("finance", ("negotiation", "operations")),
    ]  # fmt: skip
    if account == "SILO":  # eight IT people alone at implementation, a rest of three
        base = [("it", ("implementation",))] * 8 + [
            ("procurement", BUYING), ("procurement", BUYING),
            ("management", ("negotiation", "operations")),
        ]  # fmt: skip
    if account == "ONE":  # one finance person against eight others
        base = [("it", USAGE)] * 4 + [("procurement", BUYING)] * 2 + [
            ("management", ("negotiation", "operations")),
            ("operations", ("operations",)), ("finance", ("negotiation", "operations")),
        ]  # fmt: skip
    if account in ("REV", "PAIR"):  # everybody meets every stage
        functions = ("it", "procurement", "management", "finance", "operations", "it", "it", "hr")
        base = [(f, BUYING + USAGE) for f in functions]
    return [{"function": f, "stages": s} for f, s in base]


def _build(path: Path) -> None:
    rng = np.random.default_rng(20240607)
    accounts = [*NULLS, "SILO", "ONE", "REV", "PAIR", "RELG", "EMP", "EXC", "POW"]
    intended = {a: ("relational" if i % 2 else "transactional") for i, a in enumerate(NULLS)}
    intended |= {"RELG": "transactional", "EMP": "transactional"}
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({
        "account_id": accounts,
        "annual_value": [50_000.0 + 1_000 * i for i in range(len(accounts))],
        "relationship_intended": [intended.get(a) for a in accounts],
        "relationship_expected": [None] * len(accounts),
    }))  # fmt: skip
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T-BID", "T-NEG", "T-IMPL", "T-OPS", "T-CUST"],
        "name": ["Bid", "Negotiation", "Implementation", "Service", "Customer portal"],
        "stage": ["pre_bid", "negotiation", "implementation", "operations", "operations"],
        "controller": ["supplier", "supplier", "supplier", "supplier", "customer"],
    }))  # fmt: skip
    sh: dict[str, list[Any]] = {"stakeholder_id": [], "account_id": [], "function": []}
    it: dict[str, list[Any]] = {k: [] for k in ("interaction_id", "stakeholder_id", "occurred_at",
                                                "touchpoint_id", "cx", *GOALS)}  # fmt: skip
    goals: dict[str, list[Any]] = {"stakeholder_id": [], "asked_at": [], "goal": [],
                                   "importance": []}  # fmt: skip
    k = 0
    for account in accounts:
        for j, person in enumerate(_people(account)):
            sid = f"{account}-{j}"
            sh["stakeholder_id"].append(sid)
            sh["account_id"].append(account)
            sh["function"].append(person["function"])
            level = rng.normal(0, 2.0 if account == "PAIR" else 0.7)
            for day in np.sort(rng.integers(0, 700, 24)):
                stage = str(rng.choice(person["stages"]))
                tp = STAGE_TP[stage]
                if account == "POW" and rng.random() < 0.7:
                    tp = "T-CUST"
                cx = 7.0 + level + rng.normal(0, 0.9)
                if account == "SILO" and person["function"] == "it":
                    cx -= 3.0
                if account == "ONE" and person["function"] == "finance":
                    cx -= 4.5
                if account == "REV" and stage in BUYING:
                    cx -= 3.0
                if account == "PAIR" and stage in USAGE:
                    cx -= 1.6
                perf = {g: float(np.clip(round(rng.normal(3.6, 0.6)), 1, 5)) for g in GOALS}
                if account == "EXC":
                    perf["relationships"] = float(np.clip(round(rng.normal(1.6, 0.5)), 1, 5))
                it["interaction_id"].append(f"i{k}")
                it["stakeholder_id"].append(sid)
                it["occurred_at"].append(START + dt.timedelta(days=int(day), hours=9))
                it["touchpoint_id"].append(tp)
                it["cx"].append(float(np.clip(round(cx, 1), 0, 10)))
                for g in GOALS:
                    it[g].append(perf[g])
                k += 1
            for g in GOALS:
                imp = int(rng.integers(2, 5))  # 2–4: nothing stands out
                if g == "relationships":
                    if account in NULLS:
                        imp = int(rng.integers(3, 6) if intended[account] == "relational"
                                  else rng.integers(1, 4))  # fmt: skip
                    elif account in ("RELG", "EXC"):
                        imp = int(rng.choice([4, 5, 5]))
                    elif account == "EMP":
                        imp = int(rng.integers(1, 3))
                if g == "empowerment" and account == "EMP":
                    imp = 5
                goals["stakeholder_id"].append(sid)
                goals["asked_at"].append(dt.date(2024, 6, 1))
                goals["goal"].append(g)
                goals["importance"].append(float(imp))
    b.append("stakeholders", pa.table(sh))
    b.append("interactions", pa.table(it))
    b.append("goals", pa.table(goals))
    ws.close()


@pytest.fixture(scope="module")
def prep(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    path = tmp_path_factory.mktemp("c1c3") / "w.duckdb"
    _build(path)
    with b2bcx.open_workspace(path) as ws:
        return prepare(ws.backend, DiagnoseOptions())


def _by(findings: list[Finding], detector: str) -> dict[str, Finding]:
    return {str(f.account_id): f for f in findings if f.detector == detector}


def test_null_accounts_give_no_finding(prep: Prepared) -> None:
    options = DiagnoseOptions()
    for detect in (detect_c1, detect_c2, detect_c3):
        findings, _ = detect(prep, options)
        flagged = {f.account_id for f in findings} & set(NULLS)
        assert flagged == set(), (detect.__name__, flagged)


def test_c1_expectation_from_the_relationships_goal_not_empowerment(prep: Prepared) -> None:
    findings, skipped = detect_c1(prep, DiagnoseOptions())
    types = _by(findings, "relationship_type")
    assert "RELG" in types
    ev = types["RELG"].evidence
    assert ev["expected"] == "relational" and ev["intended"] == "transactional"
    low, _ = ev["relationships_goal_importance"]["interval"]
    assert low > 3.0 and ev["expected_source"].startswith("read from")
    # empowerment rated 5 by everyone does not make a relational expectation
    assert "EMP" not in {f.account_id for f in findings}
    # accounts whose interval straddles the threshold are skipped, with the numbers
    with_interval = [s for s in skipped if "does not lie clearly" in s.reason]
    assert all("interval" in s.reason for s in with_interval)


def test_c1_threshold_above_every_account_makes_no_call(prep: Prepared) -> None:
    # at 4.9 no account's interval lies above: no relational call, RELG is skipped
    findings, skipped = detect_c1(prep, DiagnoseOptions(relational_importance=4.9))
    assert "RELG" not in _by(findings, "relationship_type")
    assert "RELG" in {s.account_id for s in skipped}


def test_c1_excellent_experience_divergence(prep: Prepared) -> None:
    findings, _ = detect_c1(prep, DiagnoseOptions())
    found = _by(findings, "excellent_experience")
    assert set(found) == {"EXC"}
    goals = found["EXC"].evidence["goals"]
    assert goals[0]["goal"] == "relationships"
    assert goals[0]["shortfall"] >= DiagnoseOptions().excellence_gap
    assert goals[0]["importance"] >= goals[0]["importance_portfolio"]


def test_c1_customer_power_runs(prep: Prepared) -> None:
    assert "customer_share" in prep.contact
    findings, _ = detect_c1(prep, DiagnoseOptions())
    power = _by(findings, "customer_power")
    assert set(power) == {"POW"}
    share = power["POW"].evidence["customer_controlled_share"]
    assert 0.6 < share < 0.8  # 70 % planted
    assert not _by(*[detect_c1(prep, DiagnoseOptions(customer_control_share=0.9))[0]],
                   "customer_power")  # fmt: skip


def test_c2_large_unit_alone_at_its_stage_against_a_small_rest(prep: Prepared) -> None:
    findings, _ = detect_c2(prep, DiagnoseOptions())
    silos = {str(f.account_id): f for f in findings}
    assert "SILO" in silos
    ev = silos["SILO"].evidence
    assert ev["unhappy"]["group"] == "it"
    assert silos["SILO"].subject_id == "SILO:function"


def test_c2_one_person_against_the_rest(prep: Prepared) -> None:
    findings, _ = detect_c2(prep, DiagnoseOptions())
    one = {str(f.account_id): f for f in findings if f.detector == "group_vs_rest"}
    assert "ONE" in one
    ev = one["ONE"].evidence
    assert ev["group"] == "finance" and ev["direction"] == "lower"
    assert ev["unhappy"]["people"] == 1 and ev["happy"]["people"] == 8


def test_c3_reverse_direction_and_paired_people(prep: Prepared) -> None:
    findings, _ = detect_c3(prep, DiagnoseOptions())
    stages = _by(findings, "buying_vs_usage_stages")
    assert stages["REV"].evidence["direction"] == "usage_better"
    assert stages["REV"].evidence["people"]["both"] == 8
    assert stages["PAIR"].evidence["direction"] == "usage_worse"
    # in PAIR people differ by ±20 points, the within-person drop is 16: only pairing sees it
    assert stages["PAIR"].evidence["test"]["paired_correlation"] > 0.5
    # SILO's unhappy IT people meet only the usage stages: from the stages alone the
    # usage centre's worse experience is also a journey mismatch (documented limit)
    assert {"REV", "PAIR"} <= set(stages) <= {"REV", "PAIR", "SILO"}


def test_c3_skips_accounts_without_both_phases(prep: Prepared) -> None:
    _, skipped = detect_c3(prep, DiagnoseOptions(min_people=5))
    reasons = {s.account_id: s.reason for s in skipped}
    # the null accounts have 4 buying-stage people: too few at min_people = 5
    assert "fewer than 5 people rated the buying stages (4)" in reasons["N00"]
