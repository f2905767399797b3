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
