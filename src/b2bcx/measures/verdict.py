"""The verdict on a unit: is its CX collective, or a mix of different experiences?

Wirtz et al. (2025, Table 2): a collective CX exists only where individual
experiences are shared and aligned. b2bcx calls a unit

- *collective & aligned* when at least ``min_n`` people rated and rwg ≥ ``min_rwg``;
- *diverse & unaligned* when at least ``min_n`` people rated and rwg < ``min_rwg``;
- *too few respondents* otherwise, with the reason.

Defaults: ``min_n`` = 3 (agreement from two people is one difference),
``min_rwg`` = .70 (the conventional cut-off; LeBreton & Senter 2008 call
.71–.90 strong agreement).

Two optional, stricter conditions for *aligned* (both off by default):

- ``max_ad``: AD(M) at most this value. Burke & Dunlap (2002) propose
  AD ≤ c/6 for a scale with c response options (:func:`ad_cutoff`);
- ``max_p``: the unit's chance p-value (random pseudo-groups of its size,
  :func:`b2bcx.measures.resampling.chance_p_values`) at most this value, i.e.
  its members agree more than randomly drawn people do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError

ALIGNED = "collective & aligned"
UNALIGNED = "diverse & unaligned"
TOO_FEW = "too few respondents"


@dataclass(frozen=True, kw_only=True)
class VerdictRule:
    """Thresholds of the verdict."""

    min_n: int = 3
    min_rwg: float = 0.70
    max_ad: float | None = None
    max_p: float | None = None

    def __post_init__(self) -> None:
        if self.min_n < 2:
            raise ConfigurationError(f"min_n must be at least 2 (got {self.min_n})")
        if not 0 < self.min_rwg <= 1:
            raise ConfigurationError(f"min_rwg must be in (0, 1] (got {self.min_rwg})")
        if self.max_ad is not None and not self.max_ad > 0:
            raise ConfigurationError(f"max_ad must be > 0 (got {self.max_ad})")
        if self.max_p is not None and not 0 < self.max_p < 1:
            raise ConfigurationError(f"max_p must be in (0, 1) (got {self.max_p})")


def ad_cutoff(options: int) -> float:
    """Burke & Dunlap's (2002) AD(M) cut-off c/6 for ``options`` response options.

    >>> round(ad_cutoff(5), 3), round(ad_cutoff(11), 3)
    (0.833, 1.833)
    """
    return options / 6.0


_DECIMALS = 12


def verdicts(
    n: npt.ArrayLike,
    rwg: npt.ArrayLike,
    rule: VerdictRule | None = None,
    *,
    ad: npt.ArrayLike | None = None,
    p_chance: npt.ArrayLike | None = None,
) -> tuple[list[str], list[str]]:
    """Verdict and reason per unit, for all units at once.

    ``ad`` and ``p_chance`` are needed only when the rule sets ``max_ad`` or
    ``max_p``; the reason names the first condition a unit fails.
    """
    rule = rule or VerdictRule()
    n_arr = np.asarray(n, dtype=np.int64)
    # judged to 12 decimals: integer ratings often put rwg exactly on the cut
    # (e.g. 0.70), where the last bit of an engine's floating-point sums would
    # otherwise decide the verdict differently on DuckDB, PostgreSQL and Spark
    r = np.round(np.asarray(rwg, dtype=float), _DECIMALS)
    reason = np.where(
        r >= rule.min_rwg,
        f"rwg ≥ {rule.min_rwg:.2f}: individual experiences agree",
        f"rwg < {rule.min_rwg:.2f}: individual experiences diverge",
    ).astype(object)
    aligned = r >= rule.min_rwg
    if rule.max_ad is not None:
        if ad is None:
            raise ConfigurationError("the verdict rule sets max_ad but no AD values were given")
        a = np.round(np.asarray(ad, dtype=float), _DECIMALS)
        fails = aligned & ~(a <= rule.max_ad)
        reason[fails] = f"rwg ≥ {rule.min_rwg:.2f} but AD > {rule.max_ad:.2f}: members spread out"
        aligned &= ~fails
    if rule.max_p is not None:
        if p_chance is None:
            raise ConfigurationError("the verdict rule sets max_p but no p-values were given")
        p = np.asarray(p_chance, dtype=float)
        fails = aligned & ~(p <= rule.max_p)
        reason[fails] = (
            f"rwg ≥ {rule.min_rwg:.2f} but p > {rule.max_p:g}: "
            "no more alike than randomly drawn people"
        )
        aligned &= ~fails
    too_few = n_arr < rule.min_n
    verdict = np.where(too_few, TOO_FEW, np.where(aligned, ALIGNED, UNALIGNED))
    few = np.char.add(
        np.char.add("only ", n_arr.astype(str)),
        f" respondent(s); agreement needs at least {rule.min_n}",
    )
    reason[too_few] = few[too_few]
    return verdict.tolist(), [str(x) for x in reason]
