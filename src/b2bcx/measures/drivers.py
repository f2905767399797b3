"""Key drivers: Johnson's (2000) relative weights and the exact Shapley/LMG split of R².

- Relative weights (Johnson 2000, Multivariate Behavioral Research 35:1–19): with the
  predictor correlation matrix R = PΛPᵀ and R^{1/2} = PΛ^{1/2}Pᵀ, β = R^{-1/2} r_xy
  (regression of standardised y on the orthogonal Z = X R^{-1/2}); weight
  ε_j = Σ_k (R^{1/2})_{jk}² β_k². The weights sum to R². Percentile bootstrap CIs.
- LMG / Shapley (Lindeman, Merenda & Gold 1980; Grömping 2006): the average increase
  in R² when predictor j enters, over all orders; computed exactly from the R² of
  all 2^p subsets (p ≤ 12) with the Shapley weights |S|!(p − |S| − 1)!/p!.
- ``sign`` is the sign of the full standardised regression coefficient.

Rows with any missing value are dropped (listwise, like ``lm``'s ``na.omit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError

FloatArray = npt.NDArray[np.float64]
MAX_SHAPLEY_DRIVERS = 12


@dataclass(frozen=True)
class DriverResult:
    """One row per driver: weight, share of R², sign and optional bootstrap CI."""

    driver: tuple[str, ...]
    weight: FloatArray
    sign: FloatArray
    r2: float
    lower: FloatArray | None = None
    upper: FloatArray | None = None

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
    rxx, rxy = c[:-1, :-1], c[:-1, -1]
    lam, vec = np.linalg.eigh(rxx)
    half = (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T
    beta = np.linalg.solve(half, rxy)
    eps = (half**2) @ (beta**2)
    sign = np.sign(np.linalg.solve(rxx, rxy))
    return eps, sign


def relative_weights(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    names: list[str] | None = None,
    n_boot: int = 0,
    alpha: float = 0.05,
    seed: int = 0,
) -> DriverResult:
    """Johnson's relative weights of the columns of ``x`` for ``y``.

    ``n_boot`` > 0 adds percentile bootstrap intervals (rows resampled with
    ``numpy.random.default_rng(seed)``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 3))
    >>> y = x @ [1.0, 0.5, 0.0] + rng.normal(size=200)
    >>> r = relative_weights(x, y)
    >>> bool(abs(r.weight.sum() - r.r2) < 1e-12)
    True
    """
    xa, ya = _clean(x, y)
    eps, sign = _rw(xa, ya)
    lower = upper = None
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        n = len(ya)
        boot = np.empty((n_boot, xa.shape[1]))
        for b in range(n_boot):
            idx = rng.integers(0, n, n)
            boot[b] = _rw(xa[idx], ya[idx])[0]
        lower, upper = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return DriverResult(_names(names, xa.shape[1]), eps, sign, float(eps.sum()), lower, upper)


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
