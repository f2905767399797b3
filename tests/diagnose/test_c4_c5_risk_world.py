"""C4 ownership, C5 change test and event DiD, the risk index and readiness on a
small hand-built world (issue 16, items 2–4).

Thirty accounts of four people each rate monthly for three years, with an AR(1)
account-month shock (phi 0.6). Planted: ``UP`` steps up by 30 points in month
18; ``REL``'s relationship type changes (on both sides) in month 18 and its CX
drops 25 points after; at ``PLAN`` the supplier changes its intended type as
planned (the customer's expectation stays), with no change of CX;
``OWN`` meets the supplier mostly through a partner that is rated as well as
the supplier; ``THIN`` is known through one review years old; ``PROMO`` through
two recent promoter reviews.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.diagnose import DiagnoseOptions, diagnose

START = dt.datetime(2022, 1, 1)
MONTHS = 36
ACCOUNTS = [f"A{i:02d}" for i in range(26)] + ["UP", "REL", "PLAN", "OWN"]


def _build(path: Path) -> None:
    rng = np.random.default_rng(5)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    accounts = [*ACCOUNTS, "THIN", "PROMO"]
    b.append("accounts", pa.table({
        "account_id": accounts, "annual_value": [50_000.0] * len(accounts),
        "relationship_intended": ["relational"] * len(accounts),
        "relationship_expected": ["relational"] * len(accounts),
    }))  # fmt: skip
    change = (START + dt.timedelta(days=int(18 * 30.44))).date()
    b.append("relationships", pa.table({
        "account_id": ["REL", "REL", "PLAN", "PLAN"],
        "valid_from": [START.date(), change, START.date(), change],
        "relationship_intended": ["relational", "transactional", "transactional", "relational"],
        "relationship_expected": ["relational", "transactional", "relational", "relational"],
    }))  # fmt: skip
    b.append("partners", pa.table({"partner_id": ["P"], "kind": ["service_provider"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T-OPS", "T-HELP", "T-PART"],
        "name": ["Service", "Helpdesk", "Partner service"],
        "stage": ["operations"] * 3,
        "controller": ["supplier", "supplier", "partner"],
        "partner_id": [None, None, "P"],
    }))  # fmt: skip
    sids, sacc = [], []
    for a in accounts:
        for i in range(4 if a not in ("THIN", "PROMO") else 1):
            sids.append(f"{a}-{i}")
            sacc.append(a)
    b.append("stakeholders", pa.table({"stakeholder_id": sids, "account_id": sacc}))
    rows: dict[str, list[Any]] = {k: [] for k in ("interaction_id", "stakeholder_id",
                                                  "occurred_at", "touchpoint_id", "source",
                                                  "cx")}  # fmt: skip

    def add(sid: str, when: dt.datetime, tp: str | None, source: str, cx: float | None) -> None:
        rows["interaction_id"].append(f"I{len(rows['interaction_id'])}")
        rows["stakeholder_id"].append(sid)
        rows["occurred_at"].append(when)
        rows["touchpoint_id"].append(tp)
        rows["source"].append(source)
        rows["cx"].append(cx)

    for a in ACCOUNTS:
        shock = 0.0
        for m in range(MONTHS):
            shock = 0.6 * shock + rng.normal(0, 0.5 * np.sqrt(1 - 0.36))
            level = 7.0 + shock
            if a == "UP" and m >= 18:
                level += 3.0
            if a == "REL" and m >= 18:
                level -= 2.5
            for i in range(4):
                when = START + dt.timedelta(days=int(m * 30.44) + int(rng.integers(0, 28)))
                share_partner = 0.8 if a == "OWN" else 0.1
                tp = "T-PART" if rng.random() < share_partner else ("T-OPS", "T-HELP")[i % 2]
                cx = float(np.clip(np.round(level + rng.normal(0, 1.0)), 0, 10))
                add(f"{a}-{i}", when, tp, "survey", cx)
    end = START + dt.timedelta(days=int(MONTHS * 30.44))
    add("THIN-0", START + dt.timedelta(days=20), None, "review", 9.0)
    add("PROMO-0", end - dt.timedelta(days=40), None, "review", 10.0)
    add("PROMO-0", end - dt.timedelta(days=30), None, "review", 9.0)
    add("PROMO-0", end - dt.timedelta(days=20), None, "review", 10.0)
    b.append("interactions", pa.table(rows))
    ws.close()


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("c4c5") / "w.duckdb"
    _build(path)
    with b2bcx.open_workspace(path) as ws:
        out: dict[str, Any] = diagnose(ws.backend, DiagnoseOptions(change_reps=199)).to_dict()
    return out


def _by(result: dict[str, Any], detector: str) -> dict[str | None, dict[str, Any]]:
    return {f["account_id"]: f for f in result["findings"] if f["detector"] == detector}


def test_c5_step_up_is_found_with_its_direction(result: dict[str, Any]) -> None:
    ups = _by(result, "improvement_change_point")
    assert "UP" in ups
    ev = ups["UP"]["evidence"]
    assert ev["direction"] == "improvement"
    assert 20 < ev["shift"] < 40  # planted +30 points on 0–100
    assert 16 <= (dt.date.fromisoformat(str(ev["since"])) - START.date()).days / 30.44 <= 20


def test_c5_no_change_point_on_unplanted_accounts(result: dict[str, Any]) -> None:
    flagged = set(_by(result, "improvement_change_point")) | set(
        _by(result, "decline_change_point")
    )
    # REL's drop after its relationship change is a real change of level too
    assert flagged - {"UP", "REL"} == set()


def test_c5_relationship_change_against_comparison_accounts(result: dict[str, Any]) -> None:
    rel = _by(result, "relationship_change")
    assert "REL" in rel, "a change followed by a 25-point drop is a finding"
    ev = rel["REL"]["evidence"]
    assert ev["did"] < -15
    assert ev["did"] == pytest.approx(ev["change"] - ev["comparison_change"])
    assert ev["comparison_accounts"] >= 20
    assert rel["REL"]["evidence"]["expectation_changed"] is True
    assert "PLAN" not in rel, "a planned change with no effect is not a finding by itself"


def test_c4_ownership_even_when_the_partner_is_rated_well(result: dict[str, Any]) -> None:
    own = _by(result, "partner_ownership")
    assert set(own) == {"OWN"}
    f = own["OWN"]
    # planted 80 % of the contact (binomial noise over the last 12 months: ±0.06)
    assert f["evidence"]["partner_share"] == pytest.approx(0.8, abs=0.15)
    assert f["severity"] <= 0.5
    # the partner is rated like the supplier: no underperformance finding
    assert not [f for f in result["findings"] if f["detector"] == "controlled_touchpoint"]


def test_risk_unknown_for_thin_or_old_review_only_accounts(result: dict[str, Any]) -> None:
    risk = {r["account_id"]: r for r in result["at_risk"]}
    assert risk["THIN"]["risk"] is None
    assert "rating" in risk["THIN"]["unknown_reason"]
    assert risk["PROMO"]["risk"] is not None and risk["PROMO"]["risk"] < 0.5
    # reviews are not a relationship: no silence term for a review-only account
    assert risk["PROMO"]["components"]["silence"]["value"] == 0.0
    # unknown accounts come after every scored one
    kinds = [r["risk"] is None for r in result["at_risk"]]
    assert kinds == sorted(kinds)


def test_risk_components_weights_and_index_label(result: dict[str, Any]) -> None:
    model = result["meta"]["risk_model"]
    assert model["kind"] == "index" and model["label"] == "risk index"
    for r in result["at_risk"]:
        assert r["value_at_risk"] is None  # an index is not a probability
        if r["risk"] is None:
            continue
        s = r["intercept"]
        for name, c in r["components"].items():
            assert c["contribution"] == pytest.approx(c["value"] * c["weight"])
            assert r["terms"][name] == pytest.approx(c["contribution"])
            s += c["contribution"]
        assert r["risk"] == pytest.approx(1 / (1 + np.exp(-s)))
        assert r["value_exposed"] == (r["annual_value"] if r["risk"] >= 0.5 else 0.0)


def test_unavailable_names_the_data_that_unlocks_it(result: dict[str, Any]) -> None:
    checks = {(u["challenge"], u["check"]): u for u in result["unavailable"]}
    assert ("C5", "goal_shift") in checks
    assert "goal" in checks[("C5", "goal_shift")]["unlock"]
    assert ("risk", "fitted risk weights") in checks
    assert ("C1", "relationship_type") not in checks  # the world has them
