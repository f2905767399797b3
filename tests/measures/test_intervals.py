"""NPS / CSAT / CES intervals at B2B sizes: inside the scale, honest at small n.

Coverage is computed *exactly* (enumerating every trinomial outcome), an
independent route from the interval code's formula, on a small grid; the full
grid is ``benchmarks/validity/nps_coverage.py``.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from b2bcx.measures.nps import TOO_FEW_ANSWERS, ces, csat, nps


def _exact_coverage(n: int, p_pro: float, p_det: float) -> float:
    """P(interval covers the true NPS) summed over all outcomes of n answers."""
    total = 0.0
    truth = 100 * (p_pro - p_det)
    for a in range(n + 1):
        for b in range(n + 1 - a):
            c = n - a - b
            prob = comb(n, a) * comb(n - a, b) * p_pro**a * p_det**b * (1 - p_pro - p_det) ** c
            r = nps([10] * a + [0] * b + [7] * c)
            if r.lower[0] - 1e-9 <= truth <= r.upper[0] + 1e-9:
                total += prob
    return total


def test_review_examples_are_fixed() -> None:
    # Wald gave [100, 100] for three 10s and [−73, +140] for {10, 9, 2}
    three = nps([10, 10, 10])
    assert three.lower[0] < 100 and three.upper[0] == 100
    mixed = nps([10, 9, 2])
    assert -100 <= mixed.lower[0] < mixed.score[0] < mixed.upper[0] <= 100


def test_too_few_answers_have_no_interval() -> None:
    r = nps([10, 0, 9, 9, 9], ["a", "a", "b", "b", "b"])
    assert np.isnan(r.lower[0]) and np.isnan(r.upper[0])
    assert r.note == [TOO_FEW_ANSWERS, ""]
    d = r.to_dict()
    assert d["lower"][0] is None and d["methods"]["min_n"] == 3
    assert d["methods"]["interval"] == "adjusted_wald"


@pytest.mark.parametrize("n", [3, 5, 10])
def test_mean_exact_coverage_is_at_least_93_percent(n: int) -> None:
    grid = [(p, q) for p in np.arange(0.0, 1.01, 0.2) for q in np.arange(0.0, 1.01, 0.2)
            if p + q <= 1 + 1e-9]  # fmt: skip
    cover = [_exact_coverage(n, float(p), float(q)) for p, q in grid]
    assert np.mean(cover) >= 0.93
    assert min(cover) > 0.70  # discreteness: no point collapses as Wald's did (0.14 at n=3)


def test_plain_wald_would_fail_this_check() -> None:
    # the check can fail: Wald's coverage at n = 3, true 60 % promoters, 0 detractors
    p = 0.6
    wald_cover = sum(
        comb(3, a) * p**a * (1 - p) ** (3 - a)
        for a in range(4)
        if abs(a / 3 - p) <= 1.96 * np.sqrt(max(a / 3 * (1 - a / 3), 0) / 3)
    )
    assert wald_cover < 0.93 <= _exact_coverage(3, p, 0.0)


def test_intervals_stay_within_the_scale() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 11, size=400)
    g = np.repeat(np.arange(100), 4)
    r = nps(x, g)
    assert np.all((r.lower >= -100) & (r.upper <= 100) & (r.lower <= r.score + 1e-9))
    for res in (csat(rng.integers(1, 6, 40), np.repeat(np.arange(10), 4)),
                ces(rng.integers(1, 8, 40), np.repeat(np.arange(10), 4))):  # fmt: skip
        assert np.all((res.lower >= 0) & (res.upper <= 100))
        assert res.interval == "agresti_coull"


def test_csat_interval_is_agresti_coull() -> None:
    r = csat([5, 5, 4, 1])
    z = 1.96
    nt = 4 + z**2
    pt = (3 + z**2 / 2) / nt
    se = np.sqrt(pt * (1 - pt) / nt)
    assert r.lower[0] == pytest.approx(100 * (pt - z * se))
    assert r.upper[0] == pytest.approx(100 * (pt + z * se))


def test_scores_name_their_metric() -> None:
    assert nps([10, 9, 0]).to_dict()["metric_label"] == "NPS"
    assert csat([5, 4, 1]).metric_label == "CSAT"
    assert ces([7, 5, 1]).to_dict()["metric"] == "ces"
