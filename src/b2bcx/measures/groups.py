"""Group-wise sufficient statistics for all groups at once (no loop per group)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Grouped:
    """Values sorted by group, with each group's label, size, mean and variance.

    ``values`` is (n,) or (n, j) for j items; statistics are per group (and per
    item). Rows with a missing value are dropped listwise, as R's ``na.exclude``.
    """

    labels: npt.NDArray[np.generic]
    codes: npt.NDArray[np.int64]  # group code of each kept row, sorted
    values: FloatArray  # (n, j), sorted by group
    n: npt.NDArray[np.int64]  # rows per group
    mean: FloatArray  # (g, j)
    var: FloatArray  # (g, j), n − 1 denominator; NaN where n < 2


def group_values(values: npt.ArrayLike, groups: npt.ArrayLike) -> Grouped:
    """Sort ``values`` by ``groups`` and compute each group's n, mean and variance."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    g = np.asarray(groups)
    if x.ndim != 2 or len(g) != len(x):
        raise ConfigurationError(
            f"values ({x.shape}) and groups ({g.shape}) must have the same number of rows"
        )
    keep = ~np.isnan(x).any(axis=1)
    if not keep.all():
        x, g = x[keep], g[keep]
    labels, codes = np.unique(g, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    codes, x = codes[order].astype(np.int64), x[order]
    k = len(labels)
    n = np.bincount(codes, minlength=k).astype(np.int64)
    sums = np.stack([np.bincount(codes, x[:, j], minlength=k) for j in range(x.shape[1])], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n[:, None]
        dev = x - mean[codes]
        ss = np.stack(
            [np.bincount(codes, dev[:, j] ** 2, minlength=k) for j in range(x.shape[1])], 1
        )
        var = np.where(n[:, None] > 1, ss / (n[:, None] - 1), np.nan)
    return Grouped(labels=labels, codes=codes, values=x, n=n, mean=mean, var=var)


def group_medians(grouped: Grouped) -> FloatArray:
    """Each group's median per item, from one sort of all groups together."""
    k, j = len(grouped.n), grouped.values.shape[1]
    starts = np.concatenate([[0], np.cumsum(grouped.n)[:-1]])
    out = np.full((k, j), np.nan)
    for item in range(j):
        order = np.lexsort((grouped.values[:, item], grouped.codes))
        v = grouped.values[order, item]
        lo = starts + (grouped.n - 1) // 2
        hi = starts + grouped.n // 2
        ok = grouped.n > 0
        out[ok, item] = (v[lo[ok]] + v[hi[ok]]) / 2
    return out
