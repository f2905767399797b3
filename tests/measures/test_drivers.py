"""Relative weights and Shapley/LMG against brute force over all orderings."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from b2bcx.errors import ConfigurationError
from b2bcx.measures.drivers import relative_weights, shapley_r2


def _r2(x: np.ndarray, y: np.ndarray, cols: list[int]) -> float:
    if not cols:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x[:, cols]])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))


def _data(seed: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(150, p)) @ rng.normal(size=(p, p))
    y = x @ rng.normal(size=p) + rng.normal(size=150) * 2
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shapley_equals_average_over_all_orderings(seed: int) -> None:
    x, y = _data(seed, 4)
    brute = np.zeros(4)
    orders = list(permutations(range(4)))
    for order in orders:
        for i, j in enumerate(order):
            brute[j] += _r2(x, y, list(order[: i + 1])) - _r2(x, y, list(order[:i]))
    brute /= len(orders)
    r = shapley_r2(x, y)
    np.testing.assert_allclose(r.weight, brute, atol=1e-10)
    assert r.weight.sum() == pytest.approx(_r2(x, y, [0, 1, 2, 3]), abs=1e-10)  # efficiency


@pytest.mark.parametrize("seed", [3, 4])
def test_relative_weights_sum_to_r2_and_match_johnson_by_brute_force(seed: int) -> None:
    x, y = _data(seed, 5)
    r = relative_weights(x, y, n_boot=50, seed=1)
    assert r.weight.sum() == pytest.approx(_r2(x, y, list(range(5))), abs=1e-10)
    # brute force: orthogonal Z from the SVD of standardised X (Johnson 2000, eq. 1-4)
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    u, _, vt = np.linalg.svd(z, full_matrices=False)
    zorth = u @ vt * np.sqrt(len(y) - 1)
    lam = np.linalg.lstsq(zorth, z, rcond=None)[0]
    ys = (y - y.mean()) / y.std(ddof=1)
    beta = np.linalg.lstsq(zorth, ys, rcond=None)[0]
    np.testing.assert_allclose(r.weight, (lam**2).T @ beta**2, atol=1e-10)
    assert r.lower is not None and r.upper is not None
    assert np.all(r.lower <= r.upper)
    assert list(r.to_frame().columns) == ["driver", "weight", "sign", "share", "lower", "upper"]


def test_listwise_missing_and_limits() -> None:
    x, y = _data(0, 3)
    x[0, 1] = np.nan
    assert shapley_r2(x, y).r2 == pytest.approx(_r2(x[1:], y[1:], [0, 1, 2]))
    with pytest.raises(ConfigurationError):
        shapley_r2(np.zeros((100, 13)), np.zeros(100))
    with pytest.raises(ConfigurationError):
        relative_weights(x[:3], y[:3])


def test_pairwise_correlation_matches_pandas_and_complete_data_matches_listwise() -> None:
    import pandas as pd

    from b2bcx.measures.drivers import pairwise_correlation, pairwise_relative_weights

    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 4))
    y = x @ [0.8, 0.4, 0.2, 0.0] + rng.normal(size=300)
    full = pairwise_relative_weights(x, y)
    listwise = relative_weights(x, y)
    np.testing.assert_allclose(full.weight, listwise.weight, atol=1e-8)
    holes = x.copy()
    holes[rng.random(holes.shape) < 0.5] = np.nan
    r, n = pairwise_correlation(holes)
    ref = pd.DataFrame(holes).corr(min_periods=3).to_numpy()
    np.testing.assert_allclose(r, ref, atol=1e-12)
    assert n[0, 1] == int((~np.isnan(holes[:, 0]) & ~np.isnan(holes[:, 1])).sum())
    # the strongest driver stays on top with half the cells missing
    assert int(np.argmax(pairwise_relative_weights(holes, y).weight)) == 0


def test_pairwise_cluster_bootstrap_equals_resampling_the_rows() -> None:
    """The cluster bootstrap adds per-cluster sums; it must give the weights of
    the rows of the drawn clusters, estimated afresh (same draws, same seed)."""
    from b2bcx.measures.drivers import bootstrap_rows, pairwise_relative_weights

    rng = np.random.default_rng(3)
    n, p = 300, 4
    x = rng.normal(size=(n, p))
    y = x @ [0.8, 0.4, 0.0, 0.2] + rng.normal(size=n)
    x[rng.random((n, p)) < 0.35] = np.nan
    clusters = rng.integers(0, 25, n).astype(str)
    fast = pairwise_relative_weights(x, y, n_boot=30, seed=11, clusters=clusters)
    assert fast.boot is not None
    draws = np.random.default_rng(11)
    for b in range(30):
        idx = bootstrap_rows(n, clusters, draws)
        again = pairwise_relative_weights(x[idx], y[idx])
        np.testing.assert_allclose(fast.boot[b], again.weight, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("limit", [None, 0])
def test_relative_weights_cluster_bootstrap_equals_resampling_the_rows(
    limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Complete data, clusters: per-cluster sums (or, past the memory limit, the
    resampled rows) give the weights of the drawn rows, estimated afresh."""
    from b2bcx.measures import drivers
    from b2bcx.measures.drivers import bootstrap_rows, relative_weights

    if limit is not None:
        monkeypatch.setattr(drivers, "MAX_CLUSTER_SUMS", limit)
    rng = np.random.default_rng(5)
    n = 240
    x = rng.normal(size=(n, 3))
    y = x @ [1.0, 0.5, 0.1] + rng.normal(size=n)
    clusters = rng.integers(0, 30, n)
    fast = relative_weights(x, y, n_boot=25, seed=4, clusters=clusters)
    assert fast.boot is not None and fast.lower is not None
    draws = np.random.default_rng(4)
    for b in range(25):
        idx = bootstrap_rows(n, clusters, draws)
        np.testing.assert_allclose(
            fast.boot[b], relative_weights(x[idx], y[idx]).weight, rtol=1e-9, atol=1e-12
        )
