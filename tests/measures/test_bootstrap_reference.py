"""The batched cluster bootstrap of the key drivers against the previous one.

The bootstrap now sums each account's people once (sparse), weighs the sums of
all resamples in one matrix product and solves every resample's estimate in a
batch. The reference below is the implementation it replaced, kept verbatim in
substance: per resample, the correlations from per-cluster sums (or, past the
memory limit, from the resampled rows themselves) and the estimate solved one
matrix at a time. Same seed, same draws: the intervals, the bootstrap weights
and the shares' standard errors must agree to float rounding (1e-9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures import drivers, keydrivers
from b2bcx.measures.drivers import (
    _corr_from_sums,
    _pair_sums,
    _rw_from_corr,
    nearest_correlation,
    pairwise_relative_weights,
    relative_weights,
)
from b2bcx.measures.keydrivers import key_drivers

Array = np.ndarray[Any, Any]


def _old_cluster_bootstrap_corr(
    z: Array, clusters: Array, n_boot: int, rng: np.random.Generator, limit: int
) -> Iterator[Array]:
    """The previous ``cluster_bootstrap_corr``: per-cluster sums (one cluster at a
    time), or the resampled rows when clusters × 4 × q² exceeds ``limit``."""
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    k = int(codes.max()) + 1 if len(codes) else 0
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=k))])
    q = z.shape[1]
    if k * 4 * q * q > limit:
        for _ in range(n_boot):
            chosen = rng.integers(0, k, k)
            idx = np.concatenate([order[bounds[c] : bounds[c + 1]] for c in chosen.tolist()])
            yield _corr_from_sums(*_pair_sums(z[idx]))[0]
        return
    per = np.stack(
        [np.stack(_pair_sums(z[order[bounds[c] : bounds[c + 1]]])).ravel() for c in range(k)]
    )
    counts = np.stack(
        [np.bincount(rng.integers(0, k, k), minlength=k) for _ in range(n_boot)]
    ).astype(float)
    for sums in (counts @ per).reshape(n_boot, 4, q, q):
        yield _corr_from_sums(sums[0], sums[1], sums[2], sums[3])[0]


def _old_pairwise_estimate(r: Array) -> Array:
    """The previous per-resample estimate of ``pairwise_relative_weights``."""
    r = r.copy()
    xx = r[:-1, :-1]
    off = xx[np.triu_indices(len(xx), 1)]
    fill = float(np.nanmean(off)) if np.isfinite(off).any() else 0.0
    r[:-1, :-1] = np.where(np.isnan(xx), fill, xx)
    r = np.nan_to_num(r, nan=0.0)
    np.fill_diagonal(r, 1.0)
    c = nearest_correlation(r, floor=1e-3)
    eps: Array = _rw_from_corr(c[:-1, :-1], c[:-1, -1])[0]
    return eps


def _old_boot(
    x: Array, y: Array, clusters: Array, n_boot: int, seed: int, limit: int, pairwise: bool
) -> Array:
    """The previous bootstrap weights (complete rows for ``relative_weights``)."""
    if not pairwise:
        keep = ~np.isnan(x).any(axis=1) & ~np.isnan(y)
        x, y, clusters = x[keep], y[keep], clusters[keep]
    else:
        keep = ~np.isnan(y)
        x, y, clusters = x[keep], y[keep], clusters[keep]
    rng = np.random.default_rng(seed)
    corrs = _old_cluster_bootstrap_corr(np.column_stack([x, y]), clusters, n_boot, rng, limit)
    boot = np.empty((n_boot, x.shape[1]))
    for b, r in enumerate(corrs):
        boot[b] = (
            _old_pairwise_estimate(r) if pairwise else _rw_from_corr(r[:-1, :-1], r[:-1, -1])[0]
        )
    return boot


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("bootref")
    generate_world(root / "b", size=8000, seed=3)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def _recording(
    monkeypatch: pytest.MonkeyPatch, name: str, real: Callable[..., Any]
) -> list[dict[str, Any]]:
    """Record the inputs ``key_drivers`` hands to ``real`` (then call it)."""
    calls: list[dict[str, Any]] = []

    def wrapper(x: Any, y: Any, **kw: Any) -> Any:
        calls.append({"x": np.asarray(x, float), "y": np.asarray(y, float), **kw})
        return real(x, y, **kw)

    monkeypatch.setattr(keydrivers, name, wrapper)
    return calls


@pytest.mark.parametrize("limit", [drivers.MAX_CLUSTER_SUMS, 0])
@pytest.mark.parametrize("kind", ["touchpoints", "goals", "stages"])
def test_key_driver_intervals_equal_the_previous_bootstrap(
    ws: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch, kind: str, limit: int
) -> None:
    """``limit`` 0: the new code sums one account per chunk, the reference
    resamples the rows (its path past the memory limit) — both must agree."""
    pairwise = kind == "touchpoints"
    name = "pairwise_relative_weights" if pairwise else "relative_weights"
    calls = _recording(
        monkeypatch, name, pairwise_relative_weights if pairwise else relative_weights
    )
    monkeypatch.setattr(drivers, "MAX_CLUSTER_SUMS", limit)
    got = key_drivers(ws.backend, target="nps", drivers=kind, n_boot=60, seed=5, min_raters=20)
    (call,) = calls
    clusters = np.asarray(call["clusters"])
    assert len(np.unique(clusters)) > 20  # accounts, resampled as clusters
    boot = _old_boot(call["x"], call["y"], clusters, 60, 5, limit, pairwise)
    table = got.table.set_index("driver").loc[call["names"]]
    lower, upper = np.nanquantile(boot, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(table.lower.to_numpy(), lower, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(table.upper.to_numpy(), upper, rtol=1e-9, atol=1e-12)
    shares = boot / boot.sum(axis=1, keepdims=True)
    se = np.nanstd(shares, axis=0, ddof=1)
    np.testing.assert_allclose(table.share_se.to_numpy(), se, rtol=1e-9)
    assert (table.lower < table.upper).all()  # a real interval, not a constant


def test_batched_estimates_equal_one_at_a_time() -> None:
    """Edge cases of the batch: a resample's pair never seen together (filled
    with the mean correlation), a pair-less driver, near-singular matrices."""
    rng = np.random.default_rng(9)
    n, p = 120, 5
    x = rng.normal(size=(n, p))
    x[:, 4] = x[:, 3] + 1e-9 * rng.normal(size=n)  # collinear
    y = x[:, 0] + rng.normal(size=n)
    x[:60, 1] = np.nan
    x[60:, 2] = np.nan  # drivers 1 and 2 are never met together
    clusters = rng.integers(0, 12, n)
    new = pairwise_relative_weights(x, y, n_boot=40, seed=2, clusters=clusters)
    old = _old_boot(x, y, clusters, 40, 2, drivers.MAX_CLUSTER_SUMS, pairwise=True)
    assert new.boot is not None
    np.testing.assert_allclose(new.boot, old, rtol=1e-9, atol=1e-12)


def test_one_cluster_draws_it_every_time() -> None:
    """One account: every resample is the whole sample, the interval collapses
    to the point estimate."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 3))
    y = x @ [1.0, 0.5, 0.2] + rng.normal(size=50)
    r = relative_weights(x, y, n_boot=10, seed=1, clusters=np.zeros(50))
    assert r.boot is not None and r.lower is not None and r.upper is not None
    np.testing.assert_allclose(r.boot, np.tile(r.weight, (10, 1)), rtol=1e-9)
    np.testing.assert_allclose(r.lower, r.weight, rtol=1e-9)


def _old_shapley_boot(x: Array, y: Array, clusters: Array, n_boot: int, seed: int) -> Array:
    """The previous Shapley bootstrap: each draw's rows copied and refitted."""
    from b2bcx.errors import ConfigurationError
    from b2bcx.measures.drivers import bootstrap_rows, shapley_r2

    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, x.shape[1]))
    for b in range(n_boot):
        idx = bootstrap_rows(len(y), clusters, rng)
        try:
            boot[b] = shapley_r2(x[idx], y[idx]).weight
        except ConfigurationError:
            boot[b] = np.nan
    return boot


@pytest.mark.parametrize("kind", ["goals", "controllers"])
def test_shapley_intervals_equal_the_previous_bootstrap(
    ws: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    calls: list[tuple[Array, Array, Array]] = []
    real = keydrivers._shapley_boot

    def spy(x: Array, y: Array, clusters: Array, n_boot: int, seed: int) -> Array | None:
        calls.append((x, y, clusters))
        return real(x, y, clusters, n_boot, seed)

    monkeypatch.setattr(keydrivers, "_shapley_boot", spy)
    got = key_drivers(ws.backend, target="nps", drivers=kind, method="shapley", n_boot=40, seed=8)
    ((x, y, clusters),) = calls
    boot = _old_shapley_boot(x, y, clusters, 40, 8)
    assert np.isfinite(boot).all()
    lower, upper = np.nanquantile(boot, [0.025, 0.975], axis=0)
    table = got.table.set_index("driver").loc[_shapley_names(ws, kind, x.shape[1])]
    np.testing.assert_allclose(table.lower.to_numpy(), lower, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(table.upper.to_numpy(), upper, rtol=1e-9, atol=1e-12)
    assert (table.lower < table.upper).all()


def _shapley_names(ws: b2bcx.Workspace, kind: str, p: int) -> list[str]:
    """The drivers in the column order ``key_drivers`` fits them."""
    from b2bcx.measures.keydrivers import _person_matrix

    people, names, _, _ = _person_matrix(ws.backend, "nps", kind, None)
    names = [n for n in names if people[n].notna().any() and n != "nps"]
    assert len(names) == p
    return names


def test_shapley_draw_without_variance_is_nan() -> None:
    """One account has every row: a draw without it is impossible, but a driver
    constant within the sample has no correlation — NaN, not an error."""
    from b2bcx.measures.drivers import cluster_bootstrap_shapley

    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3))
    x[:, 2] = 1.0  # no variance
    y = x[:, 0] + rng.normal(size=40)
    boot = cluster_bootstrap_shapley(x, y, rng.integers(0, 8, 40), 5, seed=1)
    assert boot.shape == (5, 3) and np.isnan(boot).all()
    ok = cluster_bootstrap_shapley(x[:, :2], y, np.arange(40) % 8, 5, seed=1)
    assert np.isfinite(ok).all()
    ref = _old_shapley_boot(x[:, :2], y, np.arange(40) % 8, 5, 1)
    np.testing.assert_allclose(ok, ref, rtol=1e-9, atol=1e-12)
