"""C2 and C3 with variance components pooled over the portfolio (issue 16): on
worlds from ``benchmarks/worlds`` (an independent generator), 120 accounts, a
null world stays silent and large planted silos and journey mismatches are found
with the planted unit named. The worlds have 20+ accounts, so the pooled paths
(GLS with people as random effects, the empirical null) run; the
hand-built world of ``test_c1_c3_worlds.py`` (18 accounts) covers the fallbacks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import b2bcx
from b2bcx.diagnose import DiagnoseOptions
from b2bcx.diagnose.c2_silos import detect_c2
from b2bcx.diagnose.c3_journey import detect_c3
from b2bcx.diagnose.data import Prepared, prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.worlds import WorldSpec, generate_world

pytestmark = pytest.mark.slow


def _world(tmp: Path, **spec: object) -> tuple[Prepared, dict[str, object]]:
    truth = generate_world(tmp / "w", WorldSpec(accounts=120, seed=11, drop_probability=0.0,
                                                 **spec))  # type: ignore[arg-type]  # fmt: skip
    with b2bcx.open_workspace(tmp / "w.duckdb") as ws:
        ws.import_bundle(tmp / "w")
        return prepare(ws.backend, DiagnoseOptions()), truth


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Prepared, dict[str, object]]:
    # d = 2.4 (twice the generator's strong level) for C2 and C3
    return _world(tmp_path_factory.mktemp("planted"), effect="strong",
                  scale={"C2": 2.0, "C3": 2.0})  # fmt: skip


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> tuple[Prepared, dict[str, object]]:
    return _world(tmp_path_factory.mktemp("null"), null=True)


def _planted(truth: dict[str, object], challenge: str) -> list[dict[str, object]]:
    items = json.loads(json.dumps(truth["planted"]))
    return [p for p in items if p["challenge"] == challenge]


def test_null_world_silent(null: tuple[Prepared, dict[str, object]]) -> None:
    prep, _ = null
    c2, _ = detect_c2(prep, DiagnoseOptions())
    c3, _ = detect_c3(prep, DiagnoseOptions())
    accounts = prep.accounts.account_id.nunique()
    assert len({f.account_id for f in c2}) <= 0.05 * accounts
    assert not [f for f in c3 if f.detector == "buying_vs_usage_stages"]


def test_c2_finds_large_silos_and_names_the_unit(
    planted: tuple[Prepared, dict[str, object]],
) -> None:
    prep, truth = planted
    findings, _ = detect_c2(prep, DiagnoseOptions())
    items = _planted(truth, "C2")
    units = {(p["account_id"], p["subject"]["group"]) for p in items}
    named = set()
    for f in findings:
        if f.evidence.get("dimension") != "function":
            continue
        if f.detector == "group_vs_rest":
            named.add((f.account_id, f.evidence["group"]))
        else:  # the ANOVA names the happy and the unhappy group
            named |= {(f.account_id, f.evidence[k]["group"]) for k in ("happy", "unhappy")}
    big = [p for p in items if p["subject"]["group"] == "it"]
    assert len(units & named) >= 0.8 * len(big) > 0
    planted_accounts = {p["account_id"] for p in items}
    flagged = {f.account_id for f in findings}
    assert len(flagged & planted_accounts) >= 0.7 * len(flagged)
    f = next(f for f in findings if f.detector == "group_vs_rest")  # a one-person unit
    ev = f.evidence
    assert {"norm", "se", "z", "null_scale", "p_within_account", "raw_gap"} <= set(ev)
    assert ev["null_scale"] >= 1.0 and ev["p_adjusted"] < 0.05


def test_c3_finds_large_mismatches_both_ways(planted: tuple[Prepared, dict[str, object]]) -> None:
    prep, truth = planted
    findings, _ = detect_c3(prep, DiagnoseOptions())
    phase = [f for f in findings if f.detector == "buying_vs_usage_stages"]
    items = _planted(truth, "C3")
    want = {p["account_id"]: p["direction"] for p in items}
    got = {f.account_id: f.evidence["direction"] for f in phase}
    hits = set(want) & set(got)
    assert len(hits) >= 0.7 * len(want)
    assert len(hits) >= 0.8 * len(got)
    for a in hits:  # the direction is the planted one
        assert got[a] == ("usage_worse" if want[a] == "down" else "usage_better")
    test = phase[0].evidence["test"]
    assert test["name"].startswith("GLS") and test["null_scale"] >= 1.0
    assert set(test["variance_components"]) == {"within", "extra", "between"}


def test_pair_codes_equal_factorizing_the_joined_strings() -> None:
    """C2's account-stage codes (first appearance, which fixes the order the
    person-effects fit sums in) are those of the joined strings, NaN included."""
    import numpy as np
    import pandas as pd

    from b2bcx.diagnose.c2_silos import _pair_codes

    rng = np.random.default_rng(2)
    first = pd.Series(rng.choice(["A-1", "A-2", "A-10", "B"], 500)).astype(str)
    second = pd.Series(rng.choice(["pre_bid", "negotiation", "operations"], 500)).astype(str)
    want, _ = pd.factorize(first + "\x1f" + second)
    np.testing.assert_array_equal(_pair_codes(first, second), want)
    with_na = second.copy()
    with_na.iloc[3] = None
    want_na, _ = pd.factorize(first + "\x1f" + with_na)
    np.testing.assert_array_equal(_pair_codes(first, with_na), want_na)
    one = pd.Series(["x"]).astype(str)
    np.testing.assert_array_equal(_pair_codes(one, one), [0])
