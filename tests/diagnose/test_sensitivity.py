"""Minimal detectable effects of the diagnosis (issue 16, b2bcx.diagnose.sensitivity).

The formula is checked against a simulation of the test it describes (power
0.80 at the MDE within Monte-Carlo error), the BH critical value against a
brute-force Benjamini–Hochberg, the edge cases (one person in a group, no
variance, an account the detector skipped) on hand-built tables, and the
wiring on an independent world (``benchmarks/worlds``): the block reaches
``to_dict()``, its SEs are the ones the detector's findings report, and the
detectors' own results are unchanged.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import b2bcx
from b2bcx.diagnose import DiagnoseOptions, diagnose
from b2bcx.diagnose.c2_silos import detect_c2, detect_c2_tested
from b2bcx.diagnose.c3_journey import detect_c3, detect_c3_tested
from b2bcx.diagnose.data import Prepared, prepare
from b2bcx.diagnose.findings import Skipped
from b2bcx.diagnose.sensitivity import assess, critical_p, mde, rating_sd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.worlds import WorldSpec, generate_world

# --- the formula ------------------------------------------------------------------


def _simulated_power(
    effect: float, se: float, z_crit: float, threshold: float, n: int, seed: int
) -> float:
    """Share of estimates N(effect, se) that pass |est / se| > z* and |est| ≥ threshold."""
    est = np.random.default_rng(seed).normal(effect, se, n)
    return float(np.mean((np.abs(est / se) > z_crit) & (np.abs(est) >= threshold)))


@pytest.mark.parametrize(
    ("se", "z_crit", "threshold"),
    [(6.1, 3.7, 20.0), (10.3, 3.3, 20.0), (3.0, 3.0, 20.0), (6.0, 2.93, 12.0), (2.0, 1.96, 0.0)],
)
def test_power_at_the_mde_is_080(se: float, z_crit: float, threshold: float) -> None:
    n = 400_000
    value = mde(se, z_crit, threshold=threshold)
    power = _simulated_power(value, se, z_crit, threshold, n, seed=7)
    # Monte-Carlo SE of a share of 0.8 over 400 k draws: 0.0006
    assert power == pytest.approx(0.80, abs=0.004)
    # and 10 % below the MDE the power is clearly lower
    assert _simulated_power(0.9 * value, se, z_crit, threshold, n, seed=8) < 0.78


def test_mde_published_figures() -> None:
    # docs/diagnose-evaluation.md: SE 6.1, z* ≈ 3.7 → MDE ≈ 28 points
    assert mde(6.1, 3.7) == pytest.approx((3.7 + 0.841621) * 6.1, rel=1e-5)
    assert round(mde(6.1, 3.7)) == 28
    # the normal quantile of 80 % power
    assert mde(1.0, 0.0) == pytest.approx(stats.norm.ppf(0.8), rel=1e-9)


def test_mde_t_quantiles() -> None:
    df = 5.0
    expected = (stats.t.isf(0.025, df) + stats.t.isf(0.2, df)) * 2.0
    assert mde(2.0, float(stats.t.isf(0.025, df)), df=df) == pytest.approx(expected)
    assert mde(2.0, 1.96, df=df) > mde(2.0, 1.96)


def test_mde_edge_cases() -> None:
    # no variance: only the gap threshold binds
    assert mde(0.0, 3.7, threshold=20.0) == 20.0
    assert math.isnan(mde(float("nan"), 3.7))
    assert math.isnan(mde(5.0, float("nan")))
    assert math.isnan(mde(-1.0, 3.7))


def _brute_bh_boundary(p: np.ndarray, alpha: float) -> float | None:
    """BH step-up by hand: the boundary alpha·k/m at the largest k with p_(k) < alpha·k/m."""
    order = np.sort(p)
    m = len(p)
    best = None
    for k in range(1, m + 1):
        if order[k - 1] * m / k < alpha:
            best = alpha * k / m
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_critical_p_against_brute_force_bh(seed: int) -> None:
    from b2bcx.diagnose.stats import bh_adjust

    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=300), rng.uniform(0, 1e-4, size=5 * seed)])
    expected = _brute_bh_boundary(p, 0.05)
    assert expected is not None
    got = critical_p(p, bh_adjust(p), 0.05)
    assert got == pytest.approx(expected)
    # every p up to the boundary is accepted, none above it
    adjusted = bh_adjust(p)
    assert np.all(adjusted[p <= got] < 0.05) and np.all(adjusted[p > got] >= 0.05)
    null = rng.uniform(0.01, 1, size=200)
    assert _brute_bh_boundary(null, 0.05) is None
    assert critical_p(null, bh_adjust(null), 0.05) == pytest.approx(0.05 / 200)
    assert math.isnan(critical_p([], [], 0.05))


# --- edge cases on hand-built tables --------------------------------------------------


def _prep(people: pd.DataFrame, accounts: list[str]) -> Prepared:
    empty = pd.DataFrame()
    person_tp = pd.DataFrame({
        "stakeholder_id": people.stakeholder_id, "n": 4, "mean": people.score, "var": 25.0,
    })  # fmt: skip
    return Prepared(
        as_of=pd.Timestamp("2025-01-01").to_pydatetime(),
        accounts=pd.DataFrame({"account_id": accounts}),
        people=people, person_stage=empty, person_journey=empty, touchpoints=empty,
        contact=empty, monthly=empty, relationships=empty, goal_waves=empty, promises=empty,
        control_changes=empty, catalogue=empty, grand_mean=50.0, person_tp=person_tp,
    )  # fmt: skip


def _c2_table(rows: list[tuple[str, str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"account_id": a, "group": g, "group_n": n, "se": se, "p": p, "dimension": "function",
          "df": 50.0, "null_scale": 1.0, "test": "z"} for a, g, n, se, p in rows]
    ).assign(p_adj=lambda t: np.minimum(1.0, t.p * len(t)))  # fmt: skip


def test_edge_cases_one_person_no_variance_skipped() -> None:
    people = pd.DataFrame({
        "stakeholder_id": [f"S{i}" for i in range(9)],
        "account_id": ["A"] * 4 + ["B"] * 3 + ["C"] * 2,
        "function": ["it", "it", "it", "hr", "it", "it", "it", None, None],
        "score": [60.0, 62, 58, 40, 50, 50, 50, 55, 45],
    })  # fmt: skip
    table = _c2_table([
        ("A", "hr", 1, 11.0, 0.5),   # one person against three
        ("A", "it", 3, 6.0, 0.5),
        ("B", "it", 3, 0.0, 1.0),    # no variance at all
    ])  # fmt: skip
    options = DiagnoseOptions()
    skipped = [Skipped("C3", "A", "fewer than 2 people rated the buying stages (1)")]
    c3 = pd.DataFrame({"account_id": ["B"], "gap": [0.0], "se": [float("nan")], "p": [1.0],
                       "p_adj": [1.0], "test": ["z"]})  # fmt: skip
    out = assess(_prep(people, ["A", "B", "C"]), options, {"C2": table, "C3": c3}, skipped)
    c2 = out.challenge("C2")
    assert c2 is not None
    z = stats.norm.isf(0.05 / 3 / 2)  # nothing accepted: the first BH step over 3 tests
    a = c2.account("A")
    assert a is not None and a.group == "it"
    assert [g.people for g in a.groups] == [3, 1]
    assert a.mde_points == pytest.approx(mde(6.0, z, threshold=options.silo_gap))
    assert a.groups[1].mde_points == pytest.approx(mde(11.0, z, threshold=options.silo_gap))
    b = c2.account("B")
    assert b is not None and b.mde_points == options.silo_gap  # no variance: the gap rule
    c = c2.account("C")
    assert c is not None and c.mde_points is None and c.reason is not None
    assert "function" in c.reason
    c3_block = out.challenge("C3")
    assert c3_block is not None
    skipped_a = c3_block.account("A")
    assert skipped_a is not None and skipped_a.mde_points is None
    assert skipped_a.reason == skipped[0].reason
    no_se = c3_block.account("B")
    assert no_se is not None and no_se.mde_points is None and no_se.reason
    assert c3_block.median_mde_points is None
    assert c2.accounts_total == 3 and c2.accounts_assessed == 2
    assert c2.share_moderate_detectable == 0.0
    sd = rating_sd(_prep(people, ["A", "B", "C"]))
    assert sd is not None and a.mde_sd == pytest.approx(a.mde_points / sd)
    assert set(out.not_assessed) == {"C1", "C4", "C5"}
    d = out.to_dict()
    assert d["challenges"][0]["accounts"][2]["mde_points"] is None


def test_not_run_and_untested_challenges() -> None:
    people = pd.DataFrame({"stakeholder_id": ["S1"], "account_id": ["A"], "function": ["it"],
                           "score": [50.0]})  # fmt: skip
    out = assess(_prep(people, ["A"]), DiagnoseOptions(), {"C2": pd.DataFrame()}, [])
    assert out.challenges == ()
    assert "C2" in out.not_assessed and "not diagnosed" in out.not_assessed["C3"]


def test_rating_sd_matches_the_ratings() -> None:
    rng = np.random.default_rng(3)
    ratings = {f"S{i}": rng.normal(50 + 5 * i, 10, size=3 + i) for i in range(6)}
    people = pd.DataFrame({"stakeholder_id": list(ratings), "account_id": "A", "function": "it",
                           "score": 0.0})  # fmt: skip
    prep = _prep(people, ["A"])
    prep.person_tp = pd.DataFrame({
        "stakeholder_id": list(ratings), "n": [len(v) for v in ratings.values()],
        "mean": [v.mean() for v in ratings.values()],
        "var": [v.var(ddof=1) for v in ratings.values()],
    })  # fmt: skip
    everything = np.concatenate(list(ratings.values()))
    assert rating_sd(prep) == pytest.approx(float(everything.std(ddof=1)))


# --- on an independent world ----------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sens")
    # d = 2.4 for C2 and C3, so some findings exist to compare with
    generate_world(tmp / "w", WorldSpec(accounts=60, seed=5, effect="strong",
                                        scale={"C2": 2.0, "C3": 2.0},
                                        drop_probability=0.0))  # fmt: skip
    with b2bcx.open_workspace(tmp / "w.duckdb") as ws:
        ws.import_bundle(tmp / "w")
    return tmp / "w.duckdb"


@pytest.mark.slow
def test_detectors_unchanged_and_se_is_the_detectors(world: Path) -> None:
    with b2bcx.open_workspace(world) as ws:
        prep = prepare(ws.backend, DiagnoseOptions())
    options = DiagnoseOptions()
    f2, s2, t2 = detect_c2_tested(prep, options)
    assert (f2, s2) == detect_c2(prep, options)
    f3, s3, t3 = detect_c3_tested(prep, options)
    assert (f3, s3) == detect_c3(prep, options)
    assert not t2.empty and not t3.empty
    sens = assess(prep, options, {"C2": t2, "C3": t3}, s2 + s3)
    c2 = sens.challenge("C2")
    assert c2 is not None and c2.test == "z"
    checked = 0
    for f in f2:
        if f.detector == "group_vs_rest" and f.evidence["dimension"] == "function":
            entry = c2.account(str(f.account_id))
            assert entry is not None
            group = next(g for g in entry.groups if g.group == f.evidence["group"])
            assert group.se == pytest.approx(f.evidence["se"])
            # a found silo's gap passed the same line the MDE is built from
            assert f.evidence["gap"] >= max(c2.z_critical * group.se, options.silo_gap) - 1e-9  # type: ignore[operator]
            checked += 1
    assert checked > 0
    c3 = sens.challenge("C3")
    assert c3 is not None
    for f in f3:
        if f.detector == "buying_vs_usage_stages":
            entry = c3.account(str(f.account_id))
            assert entry is not None and entry.se == pytest.approx(f.evidence["test"]["se"])
    # one-person groups are tested and need larger effects than the account's best
    ones = [g for a in c2.accounts for g in a.groups if g.people == 1]
    assert ones and all(g.mde_points is not None for g in ones)
    assert all(
        a.mde_points is not None and g.mde_points >= a.mde_points  # type: ignore[operator]
        for a in c2.accounts
        for g in a.groups
    )
    # C3 skips accounts with too few buying-stage raters: null with the detector's reason
    reasons = {s.account_id: s.reason for s in s3 if s.account_id}
    for a in c3.accounts:
        if a.account_id in reasons:
            assert a.mde_points is None and a.reason == reasons[a.account_id]


@pytest.mark.slow
def test_block_reaches_the_json(world: Path) -> None:
    with b2bcx.open_workspace(world) as ws:
        whole = diagnose(ws.backend).to_dict()
        only_c4 = diagnose(ws.backend, challenges=["C4"]).to_dict()
        one = diagnose(ws.backend, account_id="NW-0003").to_dict()
    assert list(whole)[-1] == "sensitivity"
    assert set(whole) == {"findings", "at_risk", "priorities", "skipped", "meta", "unavailable",
                          "sensitivity"}  # fmt: skip
    block = whole["sensitivity"]
    assert [c["challenge"] for c in block["challenges"]] == ["C2", "C3"]
    for c in block["challenges"]:
        assert len(c["accounts"]) == whole["meta"]["accounts"]
        values = sorted(a["mde_points"] for a in c["accounts"] if a["mde_points"] is not None)
        assert c["median_mde_points"] == pytest.approx(float(np.median(values)), abs=0.06)
        assert c["summary"].startswith(c["challenge"] + ":")
    assert "C5" in block["not_assessed"]
    assert only_c4["sensitivity"]["challenges"] == []
    assert [len(c["accounts"]) for c in one["sensitivity"]["challenges"]] == [1, 1]


def test_account_sentences_in_plain_words() -> None:
    from b2bcx.diagnose.sensitivity import account_sentences, account_values

    people = pd.DataFrame({
        "stakeholder_id": ["S1", "S2", "S3", "S4"], "account_id": ["A"] * 3 + ["C"],
        "function": ["it", "it", "hr", None], "score": [60.0, 62, 40, 50],
    })  # fmt: skip
    table = _c2_table([("A", "it", 2, 6.0, 0.5), ("A", "hr", 1, 11.0, 0.5)])
    skipped = [Skipped("C3", "A", "fewer than 2 people rated the buying stages (1)")]
    block = assess(_prep(people, ["A", "C"]), DiagnoseOptions(), {"C2": table,
                   "C3": pd.DataFrame({"account_id": ["C"], "gap": [3.0], "se": [5.0],
                                       "p": [0.5], "p_adj": [0.5], "test": ["z"]})},
                   skipped).to_dict()  # fmt: skip
    lines = account_sentences(block, "A")
    c2 = next(c for c in block["challenges"] if c["challenge"] == "C2")
    value = c2["accounts"][0]["mde_points"]
    assert lines[0].startswith(f"C2: a silo smaller than {value:.0f} points")
    assert "hr (1 person) would need" in lines[0]
    why = skipped[0].reason
    assert (
        lines[1] == f"C3: a gap between the buying and usage stages could not be looked for: {why}."
    )
    assert account_values(block, "A") == {"C2": value, "C3": None}
    assert account_sentences(block, "nobody") == [] and account_sentences(None, "A") == []


def test_mdes_equal_the_row_by_row_mde() -> None:
    """The vectorized MDEs (C2's and C3's blocks) are :func:`_row_mde` of each
    test exactly: t tests with finite df, z tests, missing df, missing or
    negative standard errors and a critical p of NaN."""
    from b2bcx.diagnose.sensitivity import _mdes, _row_mde

    rng = np.random.default_rng(3)
    n = 400
    se = rng.uniform(0.0, 12.0, n)
    se[::17] = np.nan
    se[5::23] = -1.0
    se[7::29] = 0.0
    df = rng.uniform(1.0, 80.0, n)
    df[3::11] = np.nan
    df[4::13] = np.inf
    test = np.where(rng.uniform(size=n) < 0.5, "t", "z")
    for p_crit in (0.0004, 0.01, 0.05, float("nan")):
        for threshold in (0.0, 10.0):
            got = _mdes(se, p_crit, df, test == "t", threshold)
            want = [_row_mde(float(s), p_crit, float(d), str(t), threshold)
                    for s, d, t in zip(se, df, test, strict=True)]  # fmt: skip
            np.testing.assert_array_equal(got, np.asarray(want))
    assert np.isfinite(_mdes(se, 0.01, df, test == "t", 10.0)).sum() > 300
