"""The verdict on a unit: is its CX collective, or a mix of different experiences?

Wirtz et al. (2025, Table 2): a collective CX exists only where individual
experiences are shared and aligned. b2bcx calls a unit

- *collective & aligned* when at least ``min_n`` people rated and rwg ≥ ``min_rwg``;
- *diverse & unaligned* when at least ``min_n`` people rated and rwg < ``min_rwg``;
- *too few respondents* otherwise, with the reason.

Defaults: ``min_n`` = 3 (agreement from two people is one difference),
``min_rwg`` = .70 (the conventional cut-off; LeBreton & Senter 2008 call
.71–.90 strong agreement).
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

    def __post_init__(self) -> None:
        if self.min_n < 2:
            raise ConfigurationError(f"min_n must be at least 2 (got {self.min_n})")
        if not 0 < self.min_rwg <= 1:
            raise ConfigurationError(f"min_rwg must be in (0, 1] (got {self.min_rwg})")


def verdicts(
    n: npt.ArrayLike, rwg: npt.ArrayLike, rule: VerdictRule | None = None
) -> tuple[list[str], list[str]]:
    """Verdict and reason per unit, for all units at once."""
    rule = rule or VerdictRule()
    n_arr = np.asarray(n, dtype=np.int64)
    r = np.asarray(rwg, dtype=float)
    verdict = np.where(n_arr < rule.min_n, TOO_FEW, np.where(r >= rule.min_rwg, ALIGNED, UNALIGNED))
    reason = np.where(
        n_arr < rule.min_n,
        np.char.add(
            np.char.add("only ", n_arr.astype(str)),
            f" respondent(s); agreement needs at least {rule.min_n}",
        ),
        np.where(
            r >= rule.min_rwg,
            f"rwg ≥ {rule.min_rwg:.2f}: individual experiences agree",
            f"rwg < {rule.min_rwg:.2f}: individual experiences diverge",
        ),
    )
    return verdict.tolist(), reason.tolist()
