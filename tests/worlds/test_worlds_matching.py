"""The matching rule of benchmarks/diagnose_eval.py between truth.json and findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder beside src/, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.diagnose_eval import _null_rates, run_world, score_world  # noqa: E402


def _item(challenge: str, account: str | None, **kw: Any) -> dict[str, Any]:
    subject = kw.pop("subject", {"kind": "account", "id": account})
    return {"challenge": challenge, "account_id": account, "subject": subject,
            "effect": "moderate", "effect_size": 0.6, "direction": "down",
            "observable": kw.pop("observable", True), "mechanism": "m", **kw}  # fmt: skip


def _finding(challenge: str, account: str | None, kind: str = "account", sid: str = "") -> Any:
    return {"challenge": challenge, "account_id": account, "detector": "d",
            "subject": {"kind": kind, "id": sid or account}}  # fmt: skip


TRUTH = {
    "generator": {"accounts": 10},
    "planted": [
        _item("C2", "A1", subject={"kind": "unit", "id": "A1:function", "group": "it"}),
        _item("C2", "A2", subject={"kind": "unit", "id": "A2:function", "group": "finance"}),
        _item("C4", None, subject={"kind": "partner", "id": "P1", "touchpoints": ["T1", "T2"]}),
        _item("C5", "A3", observable=False),
    ],
}


def test_account_items_match_by_challenge_and_account() -> None:
    findings = [
        _finding("C2", "A1", "unit", "A1:level"),  # right account, other dimension
        _finding("C2", "A9", "unit", "A9:function"),  # a clean account: false finding
        _finding("C3", "A2"),  # right account, wrong challenge
    ]
    s = score_world(TRUTH, findings)["C2"]
    assert (s["truth"], s["recalled"], s["found"], s["hits"]) == (2, 1, 2, 1)
    assert s["subject_hits"] == 0  # the strict rule needs the planted unit
    assert s["clean_accounts_flagged"] == 1 and s["clean_accounts"] == 10 - 3
    assert s["missed"] == ["account:A2"] and s["extra"] == ["account:A9"]
    assert score_world(TRUTH, findings)["C3"]["found"] == 1
    assert score_world(TRUTH, findings)["C3"]["hits"] == 0


def test_portfolio_items_match_by_partner_or_its_touchpoints() -> None:
    by_touchpoint = score_world(TRUTH, [_finding("C4", None, "touchpoint", "T2")])["C4"]
    assert by_touchpoint["recalled"] == 1 and by_touchpoint["hits"] == 1
    other = score_world(TRUTH, [_finding("C4", None, "touchpoint", "T7")])["C4"]
    assert other["recalled"] == 0 and other["hits"] == 0 and other["found"] == 1


def test_observable_recall_leaves_hidden_items_out() -> None:
    s = score_world(TRUTH, [_finding("C5", "A3")])["C5"]
    assert (s["truth"], s["truth_observable"], s["recalled"], s["recalled_observable"]) == (
        1, 0, 1, 0,
    )  # fmt: skip


def test_null_rates_count_accounts_not_findings() -> None:
    findings = [_finding("C1", "A1"), _finding("C1", "A1"), _finding("C5", "A2"),
                _finding("C4", None, "partner", "P1")]  # fmt: skip
    r = _null_rates(findings, 10)
    assert r["challenge_flagged"]["C1"] == 1 and r["challenge_flagged"]["C5"] == 1
    assert r["detector_flagged"] == {"C1:d": 1, "C5:d": 1}
    assert r["portfolio_findings"] == {"C4:d": 1}


@pytest.mark.slow
def test_run_world_end_to_end(tmp_path: Path) -> None:
    run = run_world("independent", 2, "strong", 30, tmp_path)
    assert run["null_rates"]["accounts"] == 30
    assert set(run["scores"]) == {"C1", "C2", "C3", "C4", "C5"}
    assert sum(s["truth"] for s in run["scores"].values()) >= 15
    null = run_world("null", 2, "none", 30, tmp_path)
    assert "scores" not in null and null["risk"]["accounts"] == 30
