"""Agreement and ICC pinned to R (multilevel 2.8, psych) reference values.

The R calls are in each test's comment; the values are in ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b2bcx.errors import ConfigurationError
from b2bcx.measures.agreement import (
    average_deviation,
    awg,
    null_variance,
    rwg,
    rwg_j,
    uniform_null_variance,
)
from b2bcx.measures.icc import icc, shrout_fleiss

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ML = DATA / "multilevel"
needs_data = pytest.mark.skipif(
    not ML.exists(), reason="R reference data lives in ../shared/data (team machines)"
)
ITEMS = ["AF06", "AF07", "AP12", "AP17", "AP33", "AP34", "AS14", "AS15", "AS16", "AS17", "AS28"]


@pytest.fixture(scope="module")
def bhr2000() -> pd.DataFrame:
    return pd.read_csv(ML / "bhr2000.csv")


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(ML / "reference" / name)


@pytest.mark.shared_data
@needs_data
@pytest.mark.parametrize(
    ("dataset", "variable"),
    [("bh1996", v) for v in ("HRS", "LEAD", "COHES", "WBEING")]
    + [("bhr2000", "HRS"), ("bhr2000", "RELIG")],
)
def test_icc1_icc2_match_r(dataset: str, variable: str) -> None:
    # R: ICC1(aov(y ~ as.factor(GRP), data)); ICC2(...)
    ref = _ref("icc1_icc2_anova.csv").set_index(["dataset", "variable"]).loc[(dataset, variable)]
    data = pd.read_csv(ML / f"{dataset}.csv")
    result = icc(data[variable], data.GRP)
    assert result.icc1 == pytest.approx(ref.ICC1, abs=1e-6)
    assert result.icc2 == pytest.approx(ref.ICC2, abs=1e-6)


@pytest.mark.shared_data
@needs_data
def test_rwg_per_group_matches_r(bhr2000: pd.DataFrame) -> None:
    # R: rwg(bhr2000$RELIG, bhr2000$GRP, ranvar=2)
    ref = _ref("rwg_bhr2000_RELIG_by_GRP_ranvar2.csv")
    res = rwg(bhr2000.RELIG, bhr2000.GRP, null_var=2.0).to_frame()
    np.testing.assert_allclose(res.rwg, ref.rwg, atol=1e-6)
    np.testing.assert_array_equal(res.n, ref.gsize)


@pytest.mark.shared_data
@needs_data
def test_rwg_j_per_group_matches_r(bhr2000: pd.DataFrame) -> None:
    # R: rwg.j(bhr2000[, 2:12], bhr2000$GRP, ranvar=2)
    ref = _ref("rwgj_bhr2000_items2-12_by_GRP_ranvar2.csv")
    res = rwg_j(bhr2000[ITEMS], bhr2000.GRP, null_var=2.0)
    np.testing.assert_allclose(res.rwg, ref["rwg.j"], atol=1e-6)


@pytest.mark.shared_data
@needs_data
@pytest.mark.parametrize(
    ("columns", "center", "file"),
    [
        (ITEMS, "mean", "adm_bhr2000_items2-12_by_GRP_mean.csv"),
        (ITEMS, "median", "adm_bhr2000_items2-12_by_GRP_median.csv"),
        (["HRS"], "mean", "adm_bhr2000_HRS_by_GRP.csv"),
    ],
)
def test_average_deviation_matches_r(
    bhr2000: pd.DataFrame, columns: list[str], center: str, file: str
) -> None:
    # R: ad.m(bhr2000[, 2:12], bhr2000$GRP, type="mean" | "median"); ad.m(bhr2000$HRS, GRP)
    ref = _ref(file)
    res = average_deviation(bhr2000[columns], bhr2000.GRP, center=center)
    np.testing.assert_allclose(res.ad, ref["AD.M"], atol=1e-6)


SF = DATA / "shrout-fleiss-1979"


@pytest.mark.shared_data
@pytest.mark.skipif(not SF.exists(), reason="Shrout & Fleiss table lives in ../shared/data")
def test_six_shrout_fleiss_forms_match_psych() -> None:
    # R: psych::ICC(shrout_fleiss_1979[, -1])
    table = pd.read_csv(SF / "shrout_fleiss_1979.csv").drop(columns="target")
    ref = pd.read_csv(SF / "psych_ICC_reference.csv")
    got = shrout_fleiss(table.to_numpy())
    np.testing.assert_array_equal(got.type, ref.type)
    for mine, theirs in [("icc", "ICC"), ("f", "F"), ("df1", "df1"), ("df2", "df2"), ("p", "p"),
                         ("lower", "lower bound"), ("upper", "upper bound")]:  # fmt: skip
        np.testing.assert_allclose(got[mine], ref[theirs], atol=1e-4, err_msg=mine)


# -- edge cases ------------------------------------------------------------------
def test_one_respondent_has_no_agreement_value() -> None:
    res = rwg([3.0, 4, 4, 5], ["solo", "team", "team", "team"], null_var=2.0)
    assert np.isnan(res.rwg[0]) and res.n[0] == 1
    assert res.ad[0] == 0.0


def test_zero_variance_is_perfect_agreement() -> None:
    res = rwg([4.0, 4, 4], ["a", "a", "a"], null_var=2.0)
    assert res.rwg[0] == 1.0 and res.ad[0] == 0.0


def test_more_variance_than_chance_is_zero_not_negative() -> None:
    res = rwg([1.0, 5, 1, 5], ["a"] * 4, null_var=2.0)  # s² = 5.33 > 2
    assert res.rwg[0] == 0.0


def test_missing_values_are_dropped_listwise() -> None:
    res = rwg_j([[1, 2], [2, np.nan], [2, 3], [3, 3]], ["a", "a", "a", "a"], null_var=2.0)
    assert res.n[0] == 3


def test_all_missing_gives_no_groups() -> None:
    res = rwg([np.nan, np.nan], ["a", "b"], null_var=2.0)
    assert len(res.group) == 0


def test_awg_is_undefined_at_the_scale_end() -> None:
    out = awg([5.0, 5, 5, 2, 3, 4], ["end"] * 3 + ["mid"] * 3, low=1, high=5)
    assert np.isnan(out[0]) and 0 < out[1] <= 1


def test_awg_only_within_brown_hauenstein_admissible_range() -> None:
    # n = 3 on 1–5: M must lie in [(1·2 + 5)/3, (5·2 + 1)/3] = [2.33, 3.67]
    # (R WGA::AWG sets NA outside); the review's awg([1, 1, 2]) = .64 is undefined
    out = awg([1.0, 1, 2, 2, 3, 5, 3, 4, 4, 3, 4, 5], ["low"] * 3 + ["wide"] * 3
              + ["edge"] * 3 + ["out"] * 3, low=1, high=5)  # fmt: skip
    by_label = dict(zip(["edge", "low", "out", "wide"], out.tolist(), strict=True))
    assert np.isnan(by_label["low"]) and np.isnan(by_label["out"])  # M = 1.33, M = 4

    def by_hand(x: list[float]) -> float:
        m, s2 = np.mean(x), np.var(x, ddof=1)
        return float(1 - 2 * s2 / ((6 * m - m**2 - 5) * 1.5))

    assert by_label["wide"] == pytest.approx(by_hand([2, 3, 5]))
    assert by_label["edge"] == pytest.approx(by_hand([3, 4, 4]))  # M = 11/3: on the boundary


def test_null_variances() -> None:
    assert uniform_null_variance(5) == 2.0
    assert uniform_null_variance(11) == 10.0
    assert null_variance(5, "slight") == 1.34
    # LeBreton & Senter's 5-point values are the variances of their skewed
    # response distributions (Table 2): recompute them from the proportions
    proportions = {
        "slight": [0.05, 0.15, 0.20, 0.35, 0.25],
        "moderate": [0.00, 0.10, 0.15, 0.40, 0.35],
        "heavy": [0.00, 0.00, 0.10, 0.40, 0.50],
    }
    x = np.arange(1, 6)
    for name, prop in proportions.items():
        p = np.asarray(prop)
        assert null_variance(5, name) == pytest.approx(p @ x**2 - (p @ x) ** 2, abs=5e-3)
    # other scale lengths keep the skewed-to-uniform ratio
    assert null_variance(11, "slight") == pytest.approx(10.0 * 1.34 / 2.0)
    assert null_variance(7, "uniform") == 4.0
    with pytest.raises(ConfigurationError, match="unknown null"):
        null_variance(7, "triangular")


def test_icc_needs_two_units() -> None:
    with pytest.raises(ConfigurationError, match="two units"):
        icc([1.0, 2, 3], [1, 1, 1])


# -- properties -------------------------------------------------------------------
_groups = st.lists(st.lists(st.integers(1, 5), min_size=2, max_size=8), min_size=2, max_size=6)


@settings(max_examples=60, deadline=None)
@given(groups=_groups, shift=st.integers(-3, 3))
def test_properties(groups: list[list[int]], shift: int) -> None:
    values = np.array([v for g in groups for v in g], dtype=float)
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    res = rwg(values, labels, null_var=2.0)
    assert np.all(res.rwg[~np.isnan(res.rwg)] <= 1.0)
    assert np.all(res.ad >= 0)
    moved = rwg(values + shift, labels, null_var=2.0)
    np.testing.assert_allclose(moved.rwg, res.rwg)
    np.testing.assert_allclose(moved.ad, res.ad, atol=1e-12)
    if np.ptp(values) > 0 and len({tuple(g) for g in groups}) > 1:
        a = icc(values, labels)
        b = icc(values * 3 + 7, labels)
        if np.isfinite(a.icc1):
            assert b.icc1 == pytest.approx(a.icc1, rel=1e-9, abs=1e-12)
