"""Random group resampling (Bliese's ``multilevel::rgr.agree``): is alignment chance?

Pseudo-groups of the real group sizes are drawn by shuffling all people across
units; the within-group variances of ``reps`` such draws form the null
distribution. z = (mean real variance − mean pseudo variance) / (sd pseudo / √J),
J real groups; negative z (real groups more alike than random ones) means the
agreement is not chance; ``p`` is the one-sided normal p-value. Missing values are
dropped before resampling. Loops over repetitions only, never over groups.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from b2bcx.errors import ConfigurationError


@dataclass(frozen=True)
class ResamplingResult:
    """Summary of the real and pseudo-group within-group variances."""

    n_random_groups: int
    mean_random_var: float
    sd_random_var: float
    mean_real_var: float
    z: float
    p: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _group_var(x: npt.NDArray[np.float64], codes: npt.NDArray[np.intp], k: int) -> Any:
    n = np.bincount(codes, minlength=k)
    s = np.bincount(codes, x, minlength=k)
    ss = np.bincount(codes, x * x, minlength=k)
    return (ss - s * s / n) / (n - 1)


def random_group_agreement(
    values: npt.ArrayLike, groups: npt.ArrayLike, *, reps: int = 1000, seed: int = 0
) -> ResamplingResult:
    """Random group resampling test of within-group variance (single item).

    Groups of one are left out (no variance). ``reps`` pseudo-group sets are drawn
    with ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> x, g = [1, 1, 1, 5, 5, 5, 3, 3, 3], [0, 0, 0, 1, 1, 1, 2, 2, 2]
    >>> r = random_group_agreement(x, g, reps=50)
    >>> r.mean_real_var, r.z < 0
    (0.0, True)
    """
    x = np.asarray(values, dtype=float).ravel()
    g = np.asarray(groups).ravel()
    if len(x) != len(g) or reps < 2:
        raise ConfigurationError("values and groups must match in length; reps ≥ 2")
    keep = ~np.isnan(x)
    _, codes = np.unique(g[keep], return_inverse=True)
    x = x[keep]
    sizes = np.bincount(codes)
    big = sizes >= 2
    if big.sum() < 2:
        raise ConfigurationError("random group resampling needs two groups of two or more")
    mask = big[codes]
    x, codes = x[mask], np.unique(codes[mask], return_inverse=True)[1]
    sizes = sizes[big]
    k = len(sizes)
    order = np.argsort(codes, kind="stable")
    pseudo_codes = np.repeat(np.arange(k), sizes)
    real = _group_var(x[order], pseudo_codes, k)
    rng = np.random.default_rng(seed)
    rand = np.concatenate([_group_var(rng.permutation(x), pseudo_codes, k) for _ in range(reps)])
    sd = float(rand.std(ddof=1))
    z = (float(real.mean()) - float(rand.mean())) / (sd / np.sqrt(k)) if sd > 0 else float("nan")
    return ResamplingResult(
        n_random_groups=int(rand.size),
        mean_random_var=float(rand.mean()),
        sd_random_var=sd,
        mean_real_var=float(real.mean()),
        z=float(z),
        p=float(stats.norm.cdf(z)),
    )


def chance_p_values(
    values: npt.ArrayLike, groups: npt.ArrayLike, *, reps: int = 1000, seed: int = 0
) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64]]:
    """Per unit: how likely is a random group of the same size to agree as well?

    For every group size, ``reps`` pseudo-groups are drawn without replacement
    from all people (a random permutation cut into consecutive groups, as many
    permutations as needed); a unit's p-value is the share of pseudo-groups of
    its size whose variance is at most the unit's variance, with the usual +1
    correction, ``(1 + #{s²_pseudo ≤ s²}) / (reps + 1)``. Small p: the unit's
    members are more alike than people drawn at random from the portfolio —
    its alignment is not chance. Units of one person get NaN. Returns
    ``(labels, p)`` with labels sorted as :func:`numpy.unique` sorts them.

    Examples
    --------
    >>> x = [1, 1, 1, 9, 9, 9, 5, 5, 5, 2, 8, 5]
    >>> labels, p = chance_p_values(x, [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3, reps=200)
    >>> bool(p[0] < 0.05), bool(p[3] > 0.5)
    (True, True)
    """
    x = np.asarray(values, dtype=float).ravel()
    g = np.asarray(groups).ravel()
    if len(x) != len(g) or reps < 1:
        raise ConfigurationError("values and groups must match in length; reps ≥ 1")
    keep = ~np.isnan(x)
    labels, codes = np.unique(g[keep], return_inverse=True)
    x = x[keep]
    k, total = len(labels), len(x)
    sizes = np.bincount(codes, minlength=k)
    s = np.bincount(codes, x, minlength=k)
    ss = np.bincount(codes, x * x, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        real = (ss - s * s / sizes) / (sizes - 1)
    p = np.full(k, np.nan)
    rng = np.random.default_rng(seed)
    for size in np.unique(sizes[sizes >= 2]).tolist():
        per_perm = total // size
        draws: list[npt.NDArray[np.float64]] = []
        drawn = 0
        while drawn < reps:
            cut = x[rng.permutation(total)[: per_perm * size]].reshape(per_perm, size)
            draws.append(cut.var(axis=1, ddof=1))
            drawn += per_perm
        null = np.sort(np.concatenate(draws)[:reps])
        at = sizes == size
        # a small tolerance so float noise in equal variances counts as a tie
        below = np.searchsorted(null, real[at] + 1e-12, side="right")
        p[at] = (1 + below) / (reps + 1)
    return labels, p
