"""Within-group agreement: is there a *collective* experience?

Wirtz et al. (2025): collective CX exists only where individuals' experiences
are shared and aligned. These indices say how aligned a unit's members are,
for every unit at once.

Formulas (see ``docs/measures.md`` and METHODS.md):

- rwg = 1 − s²/σ²_E (James, Demaree & Wolf 1984), σ²_E the null variance;
- rwg(j) = J(1 − s̄²/σ²_E) / [J(1 − s̄²/σ²_E) + s̄²/σ²_E] over J items;
- AD(M) = mean over items of mean |x − mean| (AD(Md): deviations from the median);
- r*wg(j) = 1 − s̄²/σ²_E over J items (Lindell, Brandt & Whitney 1999): no
  Spearman–Brown step-up, so it does not grow with the number of items;
- awg = 1 − 2s² / {[(H + L)M − M² − HL] · n/(n − 1)} (Brown & Hauenstein 2005),
  only where the mean M lies in their admissible range
  [(L(n − 1) + H)/n, (H(n − 1) + L)/n] (as in LeBreton's R ``WGA::AWG``).

Like R's ``multilevel::rwg`` and ``rwg.j``, values below 0 (more variance than
the null) are reported as 0, and a one-person unit has no variance: rwg is
NaN there (R gives NA) and the verdict says *too few respondents*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.groups import FloatArray, group_medians, group_values
from b2bcx.measures.tabular import TabularMixin

#: LeBreton & Senter (2008, Table 2) null variances for 5-point items.
SKEWED_NULL_5 = {"uniform": 2.00, "slight": 1.34, "moderate": 0.90, "heavy": 0.44}


def uniform_null_variance(options: int) -> float:
    """σ²_EU = (A² − 1)/12 for a scale with ``A`` response options."""
    if options < 2:
        raise ConfigurationError(f"a scale needs at least 2 response options (got {options})")
    return (options**2 - 1) / 12.0


def null_variance(options: int, null: str = "uniform") -> float:
    """The null variance for ``options`` response options: uniform or a skewed null.

    The skewed nulls (``slight``, ``moderate``, ``heavy``) are LeBreton & Senter's
    (2008, Table 2) tabled variances for 5-point items. For other scale lengths
    they have no table; b2bcx keeps the *ratio* of the skewed to the uniform
    variance (slight .67, moderate .45, heavy .22) and scales it to the scale's
    own uniform variance — a documented extension, not a published value.

    Examples
    --------
    >>> null_variance(5, "moderate"), null_variance(11, "moderate")
    (0.9, 4.5)
    """
    if null == "uniform":
        return uniform_null_variance(options)
    if null not in SKEWED_NULL_5:
        raise ConfigurationError(
            f"unknown null distribution {null!r}; choose one of {', '.join(SKEWED_NULL_5)}"
        )
    if options == 5:
        return SKEWED_NULL_5[null]
    return SKEWED_NULL_5[null] / SKEWED_NULL_5["uniform"] * uniform_null_variance(options)


@dataclass(frozen=True)
class AgreementResult(TabularMixin):
    """Per-group agreement: one row per group."""

    group: npt.NDArray[np.generic]
    n: npt.NDArray[np.int64]
    mean: FloatArray
    rwg: FloatArray
    ad: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """A tidy frame: group, n, mean, rwg, ad."""
        return pd.DataFrame(
            {"group": self.group, "n": self.n, "mean": self.mean, "rwg": self.rwg, "ad": self.ad}
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of lists."""
        return {str(k): v.tolist() for k, v in self.to_frame().to_dict("series").items()}


def _rwg_from(var: FloatArray, sigma2: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        r = 1.0 - var / sigma2
    return np.where(np.isnan(r), np.nan, np.clip(r, 0.0, None))


def rwg(values: npt.ArrayLike, groups: npt.ArrayLike, *, null_var: float) -> AgreementResult:
    """Single-item rwg per group (and the AD(M) and mean beside it).

    Examples
    --------
    >>> rwg([1, 2, 3, 3, 3, 3], ["a", "a", "a", "b", "b", "b"], null_var=2.0).rwg.tolist()
    [0.5, 1.0]
    """
    g = group_values(values, groups)
    if g.values.shape[1] != 1:
        raise ConfigurationError("rwg takes one item; use rwg_j for several")
    ad = average_deviation(values, groups).ad
    return AgreementResult(
        group=g.labels, n=g.n, mean=g.mean[:, 0], rwg=_rwg_from(g.var[:, 0], null_var), ad=ad
    )


def rwg_j(values: npt.ArrayLike, groups: npt.ArrayLike, *, null_var: float) -> AgreementResult:
    """Multi-item rwg(j) per group (James, Demaree & Wolf 1984), as R's ``rwg.j``."""
    g = group_values(values, groups)
    j = g.values.shape[1]
    s2 = g.var.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s2 / null_var
        r = j * (1 - ratio) / (j * (1 - ratio) + ratio)
    r = np.where(np.isnan(r), np.nan, np.clip(r, 0.0, None))
    r = np.where(ratio > 1, 0.0, r)  # more variance than chance: no agreement
    ad = average_deviation(values, groups).ad
    return AgreementResult(group=g.labels, n=g.n, mean=g.mean.mean(axis=1), rwg=r, ad=ad)


def rwg_lindell(
    values: npt.ArrayLike, groups: npt.ArrayLike, *, null_var: float
) -> AgreementResult:
    """Lindell's r*wg(j) = 1 − s̄²/σ²_E per group, s̄² the mean item variance.

    Unlike rwg(j) it is not stepped up by the number of items (Lindell, Brandt &
    Whitney 1999). Like the rest of b2bcx, values below 0 (more variance than
    the null) are reported as 0; NaN for a one-person group.

    Examples
    --------
    >>> rwg_lindell([[1, 2], [2, 3], [3, 4]], [0, 0, 0], null_var=2.0).rwg.tolist()
    [0.5]
    """
    g = group_values(values, groups)
    s2 = g.var.mean(axis=1)
    ad = average_deviation(values, groups).ad
    return AgreementResult(
        group=g.labels, n=g.n, mean=g.mean.mean(axis=1), rwg=_rwg_from(s2, null_var), ad=ad
    )


def rwg_j_from_variance(mean_var: npt.ArrayLike, items: int, *, null_var: float) -> FloatArray:
    """rwg(j) from a mean item variance s̄² and J items (0 where s̄² > σ²_E)."""
    s2 = np.asarray(mean_var, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s2 / null_var
        r = items * (1 - ratio) / (items * (1 - ratio) + ratio)
    r = np.where(np.isnan(r), np.nan, np.clip(r, 0.0, None))
    out: FloatArray = np.where(ratio > 1, 0.0, r)
    return out


def awg_admissible(mean: npt.ArrayLike, n: npt.ArrayLike, *, low: float, high: float) -> Any:
    """Whether a group mean lies in Brown & Hauenstein's admissible range for n.

    M must lie in [(L(n − 1) + H)/n, (H(n − 1) + L)/n]; outside it the largest
    possible variance at that mean is not reachable with n people and awg is
    undefined.

    >>> awg_admissible([4 / 3, 3.0], [3, 3], low=1, high=5).tolist()
    [False, True]
    """
    m = np.asarray(mean, dtype=float)
    n_a = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = (low * (n_a - 1) + high) / n_a
        hi = (high * (n_a - 1) + low) / n_a
        return (n_a > 1) & (m >= lo - 1e-12) & (m <= hi + 1e-12)


def average_deviation(
    values: npt.ArrayLike, groups: npt.ArrayLike, *, center: str = "mean"
) -> AgreementResult:
    """AD(M) (``center="mean"``) or AD(Md) (``"median"``) per group, averaged over items."""
    if center not in ("mean", "median"):
        raise ConfigurationError(f"center must be 'mean' or 'median' (got {center!r})")
    g = group_values(values, groups)
    mid = g.mean if center == "mean" else group_medians(g)
    dev = np.abs(g.values - mid[g.codes])
    k = len(g.n)
    sums = np.stack([np.bincount(g.codes, dev[:, i], minlength=k) for i in range(dev.shape[1])], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ad = (sums / g.n[:, None]).mean(axis=1)
    return AgreementResult(
        group=g.labels, n=g.n, mean=g.mean.mean(axis=1), rwg=np.full(k, np.nan), ad=ad
    )


def awg(values: npt.ArrayLike, groups: npt.ArrayLike, *, low: float, high: float) -> FloatArray:
    """awg (Brown & Hauenstein 2005) per group for a single item on ``[low, high]``.

    NaN (undefined) where the group mean lies outside Brown & Hauenstein's
    admissible range for the group's n (:func:`awg_admissible`) — which
    includes a mean at a scale end — or n < 2.

    >>> awg([1, 1, 2, 2, 3, 4], [0, 0, 0, 1, 1, 1], low=1, high=5).round(3).tolist()
    [nan, 0.667]
    """
    g = group_values(values, groups)
    m, s2, n = g.mean[:, 0], g.var[:, 0], g.n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        max_var = ((high + low) * m - m**2 - high * low) * (n / (n - 1))
        out = 1 - 2 * s2 / max_var
    ok = (max_var > 0) & (n > 1) & awg_admissible(m, n, low=low, high=high)
    return np.where(ok, out, np.nan)
