"""The diagnosis' sensitivity block as data: the minimal detectable effects
per challenge, account and group (:mod:`b2bcx.diagnose.sensitivity` computes
them). Apart so that :mod:`b2bcx.diagnose.findings` can name the type without
importing the detectors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from b2bcx.convert import plain


@dataclass(frozen=True, kw_only=True)
class GroupSensitivity:
    """One C2 group's test against the rest of its account.

    Attributes
    ----------
    group : str
        The function.
    people : int
        Its people with ratings.
    se : float
        The test's standard error (points).
    mde_points, mde_sd : float or None
        Minimal detectable gap (points; SDs of one rating).
    """

    group: str
    people: int
    se: float
    mde_points: float | None
    mde_sd: float | None

    def to_dict(self) -> dict[str, Any]:
        """``{"group", "people", "se", "mde_points", "mde_sd"}``."""
        return {"group": self.group, "people": self.people, "se": _r(self.se, 2),
                "mde_points": _r(self.mde_points, 1), "mde_sd": _r(self.mde_sd, 2)}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class AccountSensitivity:
    """One account's minimal detectable effect for a challenge.

    Attributes
    ----------
    account_id : str
    mde_points, mde_sd : float or None
        The smallest effect the detector would have found with 80 % power
        (points; SDs of one rating): for C2 the account's most sensitive
        function; None when the detector could not test the account (``reason``).
    se : float or None
        The standard error behind it (points).
    group : str or None
        C2: the function of ``mde_points``.
    groups : tuple of GroupSensitivity
        C2: every function tested.
    reason : str or None
        Why there is no value.
    """

    account_id: str
    mde_points: float | None
    mde_sd: float | None
    se: float | None
    group: str | None = None
    groups: tuple[GroupSensitivity, ...] = ()
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``sensitivity.challenges[].accounts`` in docs/diagnose.md."""
        out: dict[str, Any] = {
            "account_id": self.account_id,
            "mde_points": _r(self.mde_points, 1),
            "mde_sd": _r(self.mde_sd, 2),
            "se": _r(self.se, 2),
            "reason": self.reason,
        }
        if self.group is not None or self.groups:
            out["group"] = self.group
            out["groups"] = [g.to_dict() for g in self.groups]
        return out


@dataclass(frozen=True, kw_only=True)
class ChallengeSensitivity:
    """A challenge's minimal detectable effects over the portfolio.

    Attributes
    ----------
    challenge, detector : str
        ``C2`` / ``group_vs_rest`` or ``C3`` / ``buying_vs_usage_stages``.
    dimension : str or None
        C2: ``function``.
    test : str
        ``"z"`` (pooled test) or ``"t"`` (per-account fallback).
    alpha, z_critical, p_critical : float or None
        The FDR level, and the critical value and raw p of this run's BH step.
    z_power : float
        The normal quantile of the power (0.8416).
    null_scale : float or None
        The empirical-null scale applied (1 when none).
    gap_threshold : float
        The detector's gap threshold (points).
    tests, accepted : int
        Tests in the BH family; those it accepted.
    sd_rating : float or None
        SD of one rating (points), for ``mde_sd``.
    accounts_total, accounts_assessed : int
        Accounts in the diagnosis; those with a value.
    median_mde_points, median_mde_sd : float or None
        Median over the assessed accounts.
    moderate_points : float
        The moderate effect (11 points).
    share_moderate_detectable : float or None
        Share of all accounts whose MDE is at most ``moderate_points``.
    accounts : tuple of AccountSensitivity
        Every account, with its value or the reason there is none.
    """

    challenge: str
    detector: str
    dimension: str | None
    test: str
    alpha: float
    z_critical: float | None
    p_critical: float | None
    z_power: float
    null_scale: float | None
    gap_threshold: float
    tests: int
    accepted: int
    sd_rating: float | None
    accounts_total: int
    accounts_assessed: int
    median_mde_points: float | None
    median_mde_sd: float | None
    moderate_points: float
    share_moderate_detectable: float | None
    accounts: tuple[AccountSensitivity, ...]

    def account(self, account_id: str) -> AccountSensitivity | None:
        """The entry of ``account_id`` (None when it is not in the diagnosis)."""
        for a in self.accounts:
            if a.account_id == account_id:
                return a
        return None

    def sentence(self) -> str:
        """One plain line for the CLI and the report."""
        what = "a silo" if self.challenge == "C2" else "a buying/usage gap"
        if self.median_mde_points is None:
            return f"{self.challenge}: no account could be tested for {what}."
        share = self.share_moderate_detectable or 0.0
        return (
            f"{self.challenge}: {what} would have to be {self.median_mde_points:.0f} points or "
            f"more to be seen in half the accounts tested ({self.accounts_assessed} of "
            f"{self.accounts_total}); {share:.0%} of accounts could show an "
            f"{self.moderate_points:.0f}-point one."
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``sensitivity.challenges`` in docs/diagnose.md."""
        return {
            "challenge": self.challenge,
            "detector": self.detector,
            "dimension": self.dimension,
            "test": self.test,
            "alpha": plain(self.alpha),
            "z_critical": _r(self.z_critical, 3),
            "p_critical": None if self.p_critical is None else float(f"{self.p_critical:.6g}"),
            "z_power": _r(self.z_power, 4),
            "null_scale": _r(self.null_scale, 3),
            "gap_threshold": plain(self.gap_threshold),
            "tests": self.tests,
            "accepted": self.accepted,
            "sd_rating": _r(self.sd_rating, 2),
            "accounts_total": self.accounts_total,
            "accounts_assessed": self.accounts_assessed,
            "median_mde_points": _r(self.median_mde_points, 1),
            "median_mde_sd": _r(self.median_mde_sd, 2),
            "moderate_points": self.moderate_points,
            "share_moderate_detectable": _r(self.share_moderate_detectable, 4),
            "summary": self.sentence(),
            "accounts": [a.to_dict() for a in self.accounts],
        }


@dataclass(frozen=True, kw_only=True)
class Sensitivity:
    """Minimal detectable effects of one diagnosis run (the ``sensitivity`` block).

    Attributes
    ----------
    power : float
        0.8.
    challenges : tuple of ChallengeSensitivity
        C2 and C3 when they ran and could test something.
    not_assessed : dict of str to str
        Challenges without a value, and why.
    """

    power: float
    challenges: tuple[ChallengeSensitivity, ...]
    not_assessed: dict[str, str]

    def challenge(self, challenge: str) -> ChallengeSensitivity | None:
        """The block of ``challenge`` (None when not assessed)."""
        return next((c for c in self.challenges if c.challenge == challenge), None)

    def for_account(self, account_id: str) -> dict[str, AccountSensitivity]:
        """Per assessed challenge, the account's entry."""
        out: dict[str, AccountSensitivity] = {}
        for c in self.challenges:
            a = c.account(account_id)
            if a is not None:
                out[c.challenge] = a
        return out

    def sentences(self) -> list[str]:
        """One plain line per assessed challenge."""
        return [c.sentence() for c in self.challenges]

    def to_dict(self) -> dict[str, Any]:
        """``{"power", "method", "challenges": [...], "not_assessed": {...}}``."""
        return {
            "power": self.power,
            "method": "MDE = max(z* x SE, gap threshold) + z_power x SE; SE as the detector "
            "used it (empirical-null scale included), z* the critical value of this run's "
            "Benjamini-Hochberg step",
            "challenges": [c.to_dict() for c in self.challenges],
            "not_assessed": dict(self.not_assessed),
        }


def _r(x: float | None, digits: int) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)
