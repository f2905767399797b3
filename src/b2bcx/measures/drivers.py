"""Key drivers: Johnson's (2000) relative weights and the exact Shapley/LMG split of R².

- Relative weights (Johnson 2000, Multivariate Behavioral Research 35:1–19): with the
  predictor correlation matrix R = PΛPᵀ and R^{1/2} = PΛ^{1/2}Pᵀ, β = R^{-1/2} r_xy
  (regression of standardised y on the orthogonal Z = X R^{-1/2}); weight
  ε_j = Σ_k (R^{1/2})_{jk}² β_k². The weights sum to R². Percentile bootstrap CIs.
- LMG / Shapley (Lindeman, Merenda & Gold 1980; Grömping 2006): the average increase
  in R² when predictor j enters, over all orders; computed exactly from the R² of
  all 2^p subsets (p ≤ 12) with the Shapley weights |S|!(p − |S| − 1)!/p!.
- ``sign`` is the sign of the full standardised regression coefficient.
- Bootstrap intervals resample rows, or whole **clusters** (``clusters=``, e.g.
  the account of each person: people of one account are not independent), and
  keep the bootstrap weights (``boot``) so callers can test shares.

Rows with any missing value are dropped (listwise, like ``lm``'s ``na.omit``) —
except in :func:`pairwise_relative_weights`, for drivers that each person meets
only some of (touchpoints): relative weights need only the correlation matrix,
so it is estimated from pairwise-complete observations (pairs never seen
together take the mean driver–driver correlation), projected onto the nearest
correlation matrix (eigenvalues clipped, unit diagonal restored; Higham 2002,
one step) and fed to Johnson's formula.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.tabular import TabularMixin

FloatArray = npt.NDArray[np.float64]
MAX_SHAPLEY_DRIVERS = 12
#: The cluster bootstrap makes its per-cluster sums (clusters × 4 × columns²
#: numbers) in chunks of clusters of at most this many numbers (memory).
MAX_CLUSTER_SUMS = 5_000_000


@dataclass(frozen=True)
class DriverResult(TabularMixin):
    """One row per driver: weight, share of R², sign and optional bootstrap CI."""

    driver: tuple[str, ...]
    weight: FloatArray
    sign: FloatArray
    r2: float
    lower: FloatArray | None = None
    upper: FloatArray | None = None
    boot: FloatArray | None = None  # (n_boot, p) bootstrap weights, not in to_frame

    def to_frame(self) -> pd.DataFrame:
        """A tidy frame, one row per driver."""
        frame = pd.DataFrame(
            {"driver": list(self.driver), "weight": self.weight, "sign": self.sign}
        )
        frame["share"] = self.weight / self.r2 if self.r2 else np.nan
        if self.lower is not None and self.upper is not None:
            frame["lower"], frame["upper"] = self.lower, self.upper
        return frame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"r2": self.r2, "drivers": self.to_frame().to_dict(orient="records")}


def _clean(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float).ravel()
    if xa.ndim != 2 or xa.shape[0] != ya.shape[0]:
        raise ConfigurationError("x must be (n, p) and y (n,) with the same n")
    keep = ~np.isnan(xa).any(axis=1) & ~np.isnan(ya)
    xa, ya = xa[keep], ya[keep]
    if xa.shape[0] <= xa.shape[1] + 1:
        raise ConfigurationError("need more complete rows than drivers + 1")
    return xa, ya


def _names(names: list[str] | None, p: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"x{i + 1}" for i in range(p))
    if len(names) != p:
        raise ConfigurationError(f"{len(names)} names for {p} drivers")
    return tuple(names)


def _rw(xa: FloatArray, ya: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = np.atleast_2d(np.corrcoef(np.column_stack([xa, ya]), rowvar=False))
    return _rw_from_corr(c[:-1, :-1], c[:-1, -1])


def _rw_from_corr(rxx: FloatArray, rxy: FloatArray) -> tuple[FloatArray, FloatArray]:
    lam, vec = np.linalg.eigh(rxx)
    half = (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T
    beta = np.linalg.solve(half, rxy)
    eps = (half**2) @ (beta**2)
    sign = np.sign(np.linalg.solve(rxx, rxy))
    return eps, sign


def _rw_from_corrs(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """The weights ε of :func:`_rw_from_corr` for a stack of ``(B, p, p)``
    correlation matrices and ``(B, p)`` correlations with y, all at once."""
    lam, vec = np.linalg.eigh(rxx)
    half = (vec * np.sqrt(np.clip(lam, 0, None))[..., None, :]) @ np.swapaxes(vec, -1, -2)
    beta = np.linalg.solve(half, rxy[..., None])
    eps: FloatArray = ((half**2) @ (beta**2))[..., 0]
    return eps


def bootstrap_rows(
    n: int, clusters: npt.ArrayLike | None, rng: np.random.Generator
) -> npt.NDArray[np.intp]:
    """Row indices of one bootstrap sample: rows, or whole clusters, with replacement.

    With ``clusters`` (one label per row), as many clusters as there are are
    drawn with replacement and all their rows taken (the cluster bootstrap,
    e.g. Field & Welsh 2007), so rows of one cluster stay together.

    >>> idx = bootstrap_rows(6, ["a", "a", "b", "b", "c", "c"], np.random.default_rng(0))
    >>> len(idx), all(idx[i] // 2 == idx[i + 1] // 2 for i in range(0, 6, 2))
    (6, True)
    """
    if clusters is None:
        return rng.integers(0, n, n)
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    chosen = rng.integers(0, len(sizes), len(sizes))
    parts = [order[starts[c] : starts[c] + sizes[c]] for c in chosen.tolist()]
    return np.concatenate(parts).astype(np.intp)


def cluster_bootstrap_corr(
    z: FloatArray, clusters: npt.ArrayLike, n_boot: int, rng: np.random.Generator
) -> Iterator[FloatArray]:
    """The pairwise-complete correlation matrices of ``n_boot`` cluster bootstrap
    samples of the rows of ``z`` (NaN allowed), drawn as :func:`bootstrap_rows`
    draws them (the same clusters from the same ``rng``).

    One at a time, from :func:`cluster_bootstrap_corrs` (all at once).
    """
    yield from cluster_bootstrap_corrs(z, clusters, n_boot, rng)


def cluster_bootstrap_corrs(
    z: FloatArray, clusters: npt.ArrayLike, n_boot: int, rng: np.random.Generator
) -> FloatArray:
    """The ``(n_boot, q, q)`` pairwise-complete correlation matrices of ``n_boot``
    cluster bootstrap samples of the rows of ``z`` (``(n, q)``, NaN allowed),
    drawn as :func:`bootstrap_rows` draws them (the same clusters from the same
    ``rng``, one draw of all clusters per sample).

    A sample is every row of the drawn clusters, so its sums are the drawn
    clusters' sums: each cluster's sums are added once (a sparse product over
    the values present), then weighed by how often each sample drew it, for all
    samples in one matrix product — no row is copied, whatever the number of
    rows. The clusters' sums are made in chunks of at most
    :data:`MAX_CLUSTER_SUMS` numbers (memory), each chunk added to every sample.
    """
    sums = _cluster_bootstrap_sums(z, clusters, n_boot, rng)
    return _corrs_from_sums(sums[0], sums[1], sums[2], sums[3])


def _cluster_bootstrap_sums(
    z: FloatArray, clusters: npt.ArrayLike, n_boot: int, rng: np.random.Generator
) -> FloatArray:
    """The ``(4, n_boot, q, q)`` pairwise sums (:func:`_pair_sums`: counts, Σx,
    Σx², Σxy) of each sample of :func:`cluster_bootstrap_corrs`."""
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    k = int(codes.max()) + 1 if len(codes) else 0
    q = z.shape[1]
    counts = (
        np.stack([np.bincount(rng.integers(0, k, k), minlength=k) for _ in range(n_boot)])
        .astype(float)
        .reshape(n_boot, k)
    )
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=k))])
    step = max(1, MAX_CLUSTER_SUMS // (4 * q * q))
    total = np.zeros((4, n_boot, q * q))
    for c0 in range(0, k, step):
        c1 = min(k, c0 + step)
        rows = order[bounds[c0] : bounds[c1]]
        zr = z[rows]
        present = ~np.isnan(zr)
        per = _cluster_sums(
            present.astype(float), np.where(present, zr, 0.0), codes[rows] - c0, c1 - c0
        )
        for j in range(4):
            total[j] += counts[:, c0:c1] @ per[j].reshape(c1 - c0, q * q)
    sums: FloatArray = total.reshape(4, n_boot, q, q)
    return sums


def _cluster_sums(
    m: FloatArray, x0: FloatArray, cluster: npt.NDArray[np.intp], k: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`_pair_sums` of each of ``k`` clusters of rows, each sum as ``(k·q, q)``
    (cluster c's q × q block in rows c·q to (c + 1)·q).

    Each sum Σ_rows a_i b_j of a cluster is a block of Aᵀ B with A the rows of
    ``a`` moved to their cluster's block of columns (sparse: only the values
    present), so all clusters' sums come from four sparse × dense products."""
    from scipy import sparse

    n, q = m.shape
    row, col = np.nonzero(m)  # row-major: row by row, as CSR stores them
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n))])
    indices = cluster[row] * q + col
    x = x0[row, col]

    def blocked_t(values: FloatArray) -> Any:  # Aᵀ, (k·q) × n
        return sparse.csr_matrix((values, indices, indptr), shape=(n, k * q)).T

    x_t = blocked_t(x)
    return (
        np.asarray(blocked_t(np.ones(len(row))) @ m),
        np.asarray(x_t @ m),
        np.asarray(blocked_t(x * x) @ m),
        np.asarray(x_t @ x0),
    )


def relative_weights(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    names: list[str] | None = None,
    n_boot: int = 0,
    alpha: float = 0.05,
    seed: int = 0,
    clusters: npt.ArrayLike | None = None,
) -> DriverResult:
    """Johnson's relative weights of the columns of ``x`` for ``y``.

    ``n_boot`` > 0 adds percentile bootstrap intervals (rows — or whole
    ``clusters``, one label per row — resampled with
    ``numpy.random.default_rng(seed)``) and keeps the bootstrap weights in ``boot``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 3))
    >>> y = x @ [1.0, 0.5, 0.0] + rng.normal(size=200)
    >>> r = relative_weights(x, y)
    >>> bool(abs(r.weight.sum() - r.r2) < 1e-12)
    True
    """
    cl = None if clusters is None else np.asarray(clusters).ravel()
    if cl is not None:
        xa0, ya0 = np.asarray(x, dtype=float), np.asarray(y, dtype=float).ravel()
        if len(cl) != len(ya0):
            raise ConfigurationError("clusters must have one label per row")
        cl = cl[~np.isnan(xa0).any(axis=1) & ~np.isnan(ya0)]
    xa, ya = _clean(x, y)
    eps, sign = _rw(xa, ya)
    lower = upper = boot = None
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        n = len(ya)
        boot = np.empty((n_boot, xa.shape[1]))
        if cl is None:
            for b in range(n_boot):
                boot[b] = _rw(*(a[bootstrap_rows(n, cl, rng)] for a in (xa, ya)))[0]
        else:  # every sample's correlations, then every sample's weights, at once
            r = cluster_bootstrap_corrs(np.column_stack([xa, ya]), cl, n_boot, rng)
            boot = _rw_from_corrs(r[:, :-1, :-1], r[:, :-1, -1])
        lower, upper = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return DriverResult(_names(names, xa.shape[1]), eps, sign, float(eps.sum()), lower, upper, boot)


def pairwise_correlation(x: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Pearson correlations of the columns of ``x`` from pairwise-complete rows.

    Returns ``(r, n)``: ``r[i, j]`` over the rows where both columns are present
    (as R's ``cor(use = "pairwise.complete.obs")``), NaN where fewer than three
    rows or no variance; ``n[i, j]`` the number of such rows. All pairs at once
    with matrix products, no loop over pairs.
    """
    return _corr_from_sums(*_pair_sums(np.asarray(x, dtype=float)))


def _pair_sums(xa: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The pairwise-complete sums behind :func:`pairwise_correlation`: counts
    ``n[i, j]``, ``s[i, j]`` = Σ x_i and ``ss[i, j]`` = Σ x_i² over rows where
    both are present, ``sxy[i, j]`` = Σ x_i x_j (sums add over row blocks)."""
    present = ~np.isnan(xa)
    m = present.astype(float)
    x0 = np.where(present, xa, 0.0)
    return m.T @ m, x0.T @ m, (x0**2).T @ m, x0.T @ x0


def _corr_from_sums(
    n: FloatArray, s: FloatArray, ss: FloatArray, sxy: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - s * s.T / n
        var_i = ss - s**2 / n
        r = cov / np.sqrt(var_i * var_i.T)
    r = np.where((n >= 3) & (var_i > 1e-12) & (var_i.T > 1e-12), r, np.nan)
    np.fill_diagonal(r, np.where(np.diag(n) >= 3, 1.0, np.nan))
    return np.clip(r, -1.0, 1.0), n.astype(np.int64)


def _corrs_from_sums(n: FloatArray, s: FloatArray, ss: FloatArray, sxy: FloatArray) -> FloatArray:
    """The correlations of :func:`_corr_from_sums` for stacks of ``(B, q, q)`` sums."""
    q = n.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - s * np.swapaxes(s, -1, -2) / n
        var_i = ss - s**2 / n
        var_t = np.swapaxes(var_i, -1, -2)
        r = cov / np.sqrt(var_i * var_t)
    r = np.where((n >= 3) & (var_i > 1e-12) & (var_t > 1e-12), r, np.nan)
    d = np.arange(q)
    r[..., d, d] = np.where(n[..., d, d] >= 3, 1.0, np.nan)
    out: FloatArray = np.clip(r, -1.0, 1.0)
    return out


def _nearest_correlations(r: FloatArray, floor: float) -> FloatArray:
    """:func:`nearest_correlation` of each matrix of a ``(B, q, q)`` stack."""
    a = (r + np.swapaxes(r, -1, -2)) / 2
    lam, vec = np.linalg.eigh(a)
    fixed = (vec * np.clip(lam, floor, None)[..., None, :]) @ np.swapaxes(vec, -1, -2)
    d = np.sqrt(np.diagonal(fixed, axis1=-2, axis2=-1))
    out: FloatArray = fixed / (d[..., :, None] * d[..., None, :])
    return out


def _pairwise_estimates(r: FloatArray) -> FloatArray:
    """The weights of :func:`pairwise_relative_weights`'s estimate from each of a
    ``(B, q + 1, q + 1)`` stack of pairwise correlations (y last), all at once:
    pairs never seen together take the mean driver–driver correlation, the
    matrix is projected (eigenvalues ≥ 1e-3) and fed to Johnson's formula."""
    r = np.array(r, dtype=float)
    p = r.shape[-1] - 1
    xx = r[:, :-1, :-1]
    upper = np.triu_indices(p, 1)
    off = xx[:, upper[0], upper[1]]
    seen = np.isfinite(off)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(seen, off, 0.0).sum(axis=1) / seen.sum(axis=1)
    fill = np.where(seen.any(axis=1), mean, 0.0)
    r[:, :-1, :-1] = np.where(np.isnan(xx), fill[:, None, None], xx)
    r = np.nan_to_num(r, nan=0.0)
    d = np.arange(p + 1)
    r[:, d, d] = 1.0
    c = _nearest_correlations(r, 1e-3)
    return _rw_from_corrs(c[:, :-1, :-1], c[:, :-1, -1])


def nearest_correlation(r: npt.ArrayLike, *, floor: float = 1e-6) -> FloatArray:
    """``r`` made a proper correlation matrix: eigenvalues below ``floor`` raised
    to it, then rescaled to a unit diagonal (one projection step, Higham 2002).

    >>> bad = np.array([[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]])
    >>> bool(np.linalg.eigvalsh(nearest_correlation(bad)).min() > 0)
    True
    """
    a = np.asarray(r, dtype=float)
    a = (a + a.T) / 2
    lam, vec = np.linalg.eigh(a)
    fixed = (vec * np.clip(lam, floor, None)) @ vec.T
    d = np.sqrt(np.diag(fixed))
    out: FloatArray = fixed / np.outer(d, d)
    return out


def pairwise_relative_weights(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    names: list[str] | None = None,
    n_boot: int = 0,
    alpha: float = 0.05,
    seed: int = 0,
    clusters: npt.ArrayLike | None = None,
) -> DriverResult:
    """Relative weights when each row has only some drivers (pairwise-complete).

    ``x`` may contain NaN wherever a person did not meet a driver; ``y`` rows
    with NaN are dropped. Every driver needs at least three rows with ``y``.
    Two drivers that nobody met together have no correlation of their own: it
    is set to the mean of the observed driver–driver correlations. The matrix
    is then projected onto the nearest correlation matrix with eigenvalues of
    at least 1e-3. ``r2`` is the sum of the weights: the R² of a fictional
    person who met every driver, not a fit to any data (no one did) — use it
    only to turn weights into shares, never report it as a fit. Bootstrap
    intervals resample rows (or whole ``clusters``) and repeat the whole estimate.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3))
    >>> y = x @ [1.0, 0.3, 0.0] + rng.normal(size=400)
    >>> x[rng.random((400, 3)) < 0.4] = np.nan
    >>> r = pairwise_relative_weights(x, y)
    >>> [int(i) for i in np.argsort(-r.weight)]
    [0, 1, 2]
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float).ravel()
    if xa.ndim != 2 or xa.shape[0] != ya.shape[0]:
        raise ConfigurationError("x must be (n, p) and y (n,) with the same n")
    keep = ~np.isnan(ya)
    xa, ya = xa[keep], ya[keep]
    cl = None if clusters is None else np.asarray(clusters).ravel()[keep]

    def estimate(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
        return estimate_from_r(pairwise_correlation(np.column_stack([xs, ys]))[0])

    def estimate_from_r(r: FloatArray) -> tuple[FloatArray, FloatArray]:
        xx = r[:-1, :-1]
        off = xx[np.triu_indices(len(xx), 1)]
        fill = float(np.nanmean(off)) if np.isfinite(off).any() else 0.0
        r[:-1, :-1] = np.where(np.isnan(xx), fill, xx)
        r = np.nan_to_num(r, nan=0.0)
        np.fill_diagonal(r, 1.0)
        c = nearest_correlation(r, floor=1e-3)
        return _rw_from_corr(c[:-1, :-1], c[:-1, -1])

    # the correlations are computed once: their counts check the drivers, the
    # matrix itself is the estimate's
    r_all, n = pairwise_correlation(np.column_stack([xa, ya]))
    thin = np.flatnonzero(n[:-1, -1] < 3)
    if thin.size:
        label = _names(names, xa.shape[1])
        raise ConfigurationError(
            "drivers with fewer than 3 rows that also have the target: "
            + ", ".join(label[i] for i in thin)
        )
    eps, sign = estimate_from_r(r_all)
    lower = upper = boot = None
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boot = np.empty((n_boot, xa.shape[1]))
        if cl is None:
            for b in range(n_boot):
                idx = bootstrap_rows(len(ya), cl, rng)
                boot[b] = estimate(xa[idx], ya[idx])[0]
        else:  # every sample's correlations, then every sample's weights, at once
            boot = _pairwise_estimates(
                cluster_bootstrap_corrs(np.column_stack([xa, ya]), cl, n_boot, rng)
            )
        lower, upper = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return DriverResult(_names(names, xa.shape[1]), eps, sign, float(eps.sum()), lower, upper, boot)


def subset_r2(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """R² of every subset of the columns, indexed by bit mask (entry 0 = empty = 0)."""
    xa, ya = _clean(x, y)
    c = np.atleast_2d(np.corrcoef(np.column_stack([xa, ya]), rowvar=False))
    rxx, rxy = c[:-1, :-1], c[:-1, -1]
    p = xa.shape[1]
    out = np.zeros(2**p)
    for mask in range(1, 2**p):
        idx = [j for j in range(p) if mask >> j & 1]
        sub = rxy[idx]
        out[mask] = float(sub @ np.linalg.lstsq(rxx[np.ix_(idx, idx)], sub, rcond=None)[0])
    return out


def cluster_bootstrap_shapley(
    x: npt.ArrayLike, y: npt.ArrayLike, clusters: npt.ArrayLike, n_boot: int, seed: int = 0
) -> FloatArray:
    """The ``(n_boot, p)`` Shapley/LMG weights of ``n_boot`` cluster bootstrap
    samples of complete rows ``x``, ``y`` (clusters drawn as :func:`bootstrap_rows`
    draws them from ``numpy.random.default_rng(seed)``).

    Every sample's correlations come from the drawn clusters' sums
    (:func:`cluster_bootstrap_corrs`), and each subset's R² is solved for all
    samples at once. A sample with no more rows than drivers + 1, or with a
    driver or the target without variance, has NaN weights.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float).ravel()
    p = xa.shape[1]
    rng = np.random.default_rng(seed)
    sums = _cluster_bootstrap_sums(np.column_stack([xa, ya]), clusters, n_boot, rng)
    r = _corrs_from_sums(sums[0], sums[1], sums[2], sums[3])
    ok = (sums[0][:, -1, -1] > p + 1) & np.isfinite(r).all(axis=(1, 2))
    out = np.full((n_boot, p), np.nan)
    if ok.any():
        out[ok] = _shapley_from_corrs(r[ok, :-1, :-1], r[ok, :-1, -1])
    return out


def _shapley_from_corrs(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """Shapley weights (as :func:`shapley_r2`) of a stack of ``(B, p, p)``
    correlation matrices and ``(B, p)`` correlations with y."""
    b, p = rxy.shape
    r2 = np.zeros((b, 2**p))
    for mask in range(1, 2**p):
        idx = [j for j in range(p) if mask >> j & 1]
        sub = rxy[:, idx]
        a = rxx[:, idx][:, :, idx]
        try:
            coef = np.linalg.solve(a, sub[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a singular sample: least squares, one at a time
            coef = np.stack([np.linalg.lstsq(a[i], sub[i], rcond=None)[0] for i in range(b)])
        r2[:, mask] = (sub * coef).sum(axis=1)
    masks = np.arange(2**p)
    size = np.array([bin(m).count("1") for m in masks])
    coefs = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    weight = np.zeros((b, p))
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        weight[:, j] = (coefs[size[without]] * (r2[:, without | 1 << j] - r2[:, without])).sum(
            axis=1
        )
    return weight


def shapley_r2(
    x: npt.ArrayLike, y: npt.ArrayLike, *, names: list[str] | None = None
) -> DriverResult:
    """Exact Shapley value / LMG decomposition of R² (p ≤ 12 drivers).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(100, 4))
    >>> y = x.sum(axis=1) + rng.normal(size=100)
    >>> r = shapley_r2(x, y)
    >>> bool(abs(r.weight.sum() - r.r2) < 1e-12)
    True
    """
    xa, ya = _clean(x, y)
    p = xa.shape[1]
    if p > MAX_SHAPLEY_DRIVERS:
        raise ConfigurationError(f"exact Shapley takes at most {MAX_SHAPLEY_DRIVERS} drivers")
    r2 = subset_r2(xa, ya)
    masks = np.arange(2**p)
    size = np.array([bin(m).count("1") for m in masks])
    coef = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    weight = np.zeros(p)
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        weight[j] = float((coef[size[without]] * (r2[without | 1 << j] - r2[without])).sum())
    sign = np.sign(_rw(xa, ya)[1])
    return DriverResult(_names(names, p), weight, sign, float(r2[-1]))
