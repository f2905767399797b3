"""The verdict on a unit: is its CX collective, or a mix of different experiences?

Wirtz et al. (2025, Table 2): a collective CX exists only where individual
experiences are shared and aligned. By default b2bcx calls a unit

- *collective & aligned* when at least ``min_n`` people rated, rwg ≥ ``min_rwg``
  **and** the unit passes the chance test: its people are more alike than
  random groups of the same size drawn from the portfolio (random group
  resampling, Bliese's ``rgr.agree`` per unit;
  :func:`b2bcx.measures.resampling.chance_p_values`), p ≤ ``chance_alpha``;
- *agreement not proven* when at least ``min_n`` people rated, they agree
  (rwg ≥ ``min_rwg``, and AD within its limit when one is set) but the chance
  test fails (p > ``chance_alpha``): they rate alike, yet no more alike than
  people drawn at random from the portfolio would — typical where most of the
  portfolio gives the same top marks. A shared experience is then not shown,
  nor is a mix of different ones (Wirtz et al.'s "shared and aligned" needs
  both agreement and evidence that it is not the portfolio's own uniformity);
- *diverse & unaligned* when at least ``min_n`` people rated and rwg is below
  ``min_rwg`` or AD over its limit;
- *too few respondents* otherwise, with the reason.

Counts of units by verdict treat *agreement not proven* like *too few
respondents*: neither collective nor diverse.

rwg is the response-level index of :mod:`b2bcx.measures.consensus`, valid
whatever the number of ratings per person. Defaults: ``min_n`` = 3,
``min_rwg`` = .70 (the conventional cut-off; LeBreton & Senter 2008 call
.71–.90 strong agreement), ``chance_alpha`` = .05. The simulation grid in
``benchmarks/validity/agreement_grid.py`` shows the false "aligned" rate on
random responders stays ≤ 5 % for 3–20 people and 1–15 ratings each.

Optional, stricter conditions:

- ``ad_rule=True``: AD(M) at most Burke & Dunlap's (2002) c/6 for a scale
  with c response options (:func:`ad_cutoff`); ``max_ad`` sets the limit
  explicitly (and wins over ``ad_rule``);
- ``max_p``: a chance-test threshold of its own (the older spelling; when set it
  replaces ``chance_alpha``).

When the chance test was not run (``chance_reps=0``), the verdict rests on rwg
alone and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError

ALIGNED = "collective & aligned"
UNALIGNED = "diverse & unaligned"
TOO_FEW = "too few respondents"
NOT_PROVEN = "agreement not proven"

#: Every verdict, in the order the pages list them.
VERDICTS = (ALIGNED, NOT_PROVEN, UNALIGNED, TOO_FEW)


@dataclass(frozen=True, kw_only=True)
class VerdictRule:
    """Thresholds of the verdict.

    Attributes
    ----------
    min_n : fewest respondents for a verdict (default 3).
    min_rwg : rwg at or above which people agree (default .70).
    chance_alpha : the chance test's level (default .05); ``None`` leaves the
        chance test out of the verdict.
    ad_rule : also require AD(M) ≤ c/6 (Burke & Dunlap 2002), c = scale options.
    max_ad : an explicit AD(M) limit (wins over ``ad_rule``).
    max_p : a chance-test threshold that replaces ``chance_alpha`` when set.
    """

    min_n: int = 3
    min_rwg: float = 0.70
    max_ad: float | None = None
    max_p: float | None = None
    chance_alpha: float | None = 0.05
    ad_rule: bool = False

    def __post_init__(self) -> None:
        if self.min_n < 2:
            raise ConfigurationError(f"min_n must be at least 2 (got {self.min_n})")
        if not 0 < self.min_rwg <= 1:
            raise ConfigurationError(f"min_rwg must be in (0, 1] (got {self.min_rwg})")
        if self.max_ad is not None and not self.max_ad > 0:
            raise ConfigurationError(f"max_ad must be > 0 (got {self.max_ad})")
        if self.max_p is not None and not 0 < self.max_p < 1:
            raise ConfigurationError(f"max_p must be in (0, 1) (got {self.max_p})")
        if self.chance_alpha is not None and not 0 < self.chance_alpha < 1:
            raise ConfigurationError(f"chance_alpha must be in (0, 1) (got {self.chance_alpha})")

    @property
    def p_limit(self) -> float | None:
        """The chance-test threshold in force: ``max_p`` if set, else ``chance_alpha``."""
        return self.max_p if self.max_p is not None else self.chance_alpha

    def ad_limit(self, options: int | None) -> float | None:
        """The AD(M) limit in force: ``max_ad``, else c/6 with ``ad_rule``, else None."""
        if self.max_ad is not None:
            return self.max_ad
        if self.ad_rule:
            if options is None:
                raise ConfigurationError("ad_rule needs the number of response options")
            return ad_cutoff(options)
        return None

    def methods(self, options: int | None = None) -> dict[str, Any]:
        """The rule as a JSON-ready block (for a result's ``methods``)."""
        return {
            "min_n": self.min_n,
            "min_rwg": self.min_rwg,
            "chance_test": None if self.p_limit is None else "random group resampling",
            "chance_alpha": self.p_limit,
            "ad_rule": self.ad_rule,
            "max_ad": self.ad_limit(options) if options is not None or not self.ad_rule else None,
        }


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
    options: int | None = None,
) -> tuple[list[str], list[str]]:
    """Verdict and reason per unit, for all units at once.

    ``ad`` is needed when the rule sets ``max_ad`` or ``ad_rule`` (then also
    ``options``, the scale's response options); ``p_chance`` when the chance
    test is in force — NaN (or ``None``) p-values mean the test was not run and
    the verdict rests on rwg, said in the reason. The reason names the first
    condition a unit fails. A unit that agrees (rwg, AD) but fails the chance
    test is *agreement not proven* (:data:`NOT_PROVEN`), not *diverse &
    unaligned*: its people rate alike, only not more alike than random people
    of the portfolio.

    Examples
    --------
    >>> v, _ = verdicts([3, 3, 3, 2], [0.9, 0.9, 0.5, 1.0], p_chance=[0.01, 0.4, 0.01, 0.01])
    >>> v  # doctest: +NORMALIZE_WHITESPACE
    ['collective & aligned', 'agreement not proven', 'diverse & unaligned',
     'too few respondents']
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
    unproven = np.zeros(len(n_arr), dtype=bool)
    max_ad = rule.ad_limit(options)
    if max_ad is not None:
        if ad is None:
            raise ConfigurationError(
                "the verdict rule sets an AD limit but no AD values were given"
            )
        a = np.round(np.asarray(ad, dtype=float), _DECIMALS)
        fails = aligned & ~(a <= max_ad)
        reason[fails] = f"rwg ≥ {rule.min_rwg:.2f} but AD > {max_ad:.2f}: members spread out"
        aligned &= ~fails
    limit = rule.p_limit
    if limit is not None:
        if p_chance is None:
            if rule.max_p is not None:
                raise ConfigurationError("the verdict rule sets max_p but no p-values were given")
            p = np.full(len(n_arr), np.nan)
        else:
            p = np.asarray(p_chance, dtype=float)
        not_run = np.isnan(p)
        fails = aligned & ~not_run & ~(p <= limit)
        reason[fails] = (
            f"rwg ≥ {rule.min_rwg:.2f}: individual experiences agree, but chance p > {limit:g}: "
            "no more alike than people drawn at random from the portfolio, so a shared "
            "experience is not proven"
        )
        aligned &= ~fails
        unproven |= fails
        passed = aligned & ~not_run
        reason[passed] = (
            f"rwg ≥ {rule.min_rwg:.2f} and chance p ≤ {limit:g}: individual experiences agree, "
            "more than randomly drawn people do"
        )
        skipped = aligned & not_run
        reason[skipped] = (
            f"rwg ≥ {rule.min_rwg:.2f}: individual experiences agree (chance test not run)"
        )
    too_few = n_arr < rule.min_n
    verdict = np.where(
        too_few,
        TOO_FEW,
        np.where(aligned, ALIGNED, np.where(unproven, NOT_PROVEN, UNALIGNED)),
    )
    few = np.char.add(
        np.char.add("only ", n_arr.astype(str)),
        f" respondent(s); agreement needs at least {rule.min_n}",
    )
    reason[too_few] = few[too_few]
    return verdict.tolist(), [str(x) for x in reason]
