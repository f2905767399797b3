"""What the diagnosis could not have seen: minimal detectable effects (issue 16).

"No finding" is not "no problem": a silo of 15 points in an account whose
units have three people each is invisible to C2. This module turns the
standard error each test of the diagnosis actually had into the smallest
effect it would have found with 80 % power, in the detector's own terms:

.. math::

    \\mathrm{MDE} = \\max(z^{*}\\,\\mathrm{SE},\\ g) + z_{0.80}\\,\\mathrm{SE}

- ``SE`` is the standard error the detector used (points on 0–100), the
  empirical-null scale included where the detector applied one (the test's z
  was divided by it, which is the same as multiplying the SE);
- ``z*`` is the two-sided critical value the multiple-testing step applied in
  this run: Benjamini–Hochberg with ``R`` of ``m`` tests accepted accepts every
  p up to ``alpha · R / m`` (at least the largest p it accepted), so ``z*`` is
  the z of that p, or of the first step ``alpha / m`` when it accepted nothing;
- ``g`` is the detector's gap threshold (``silo_gap``, ``journey_gap``): a
  finding also needs an estimated gap of at least ``g``, so when ``g`` is
  above ``z* SE`` it is the gap rule that binds;
- ``z_0.80 = 0.8416``. Where the detector's test is a t test (the
  per-account fallbacks under 20 accounts) the t quantiles of its df replace
  the z's.

An effect of that size is found with probability 0.8 (the estimate is normal
around the true gap with that SE; the chance of an estimate on the wrong side
is ignored). It is also given in SDs of one rating (net of each touchpoint's
portfolio norm, over the whole workspace).

Covered: C2 ``group_vs_rest`` on the function dimension (per account and
function, and the account's smallest), C3 ``buying_vs_usage_stages`` (per
account). Not covered (``not_assessed``): C1, C4, and C5's change tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.c2_silos import detect_c2, detect_c2_tested
from b2bcx.diagnose.c3_journey import detect_c3, detect_c3_tested
from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.findings import Finding, Skipped
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.sensitivity_model import (
    AccountSensitivity,
    ChallengeSensitivity,
    GroupSensitivity,
    Sensitivity,
)

__all__ = [
    "MODERATE_POINTS",
    "POWER",
    "AccountSensitivity",
    "ChallengeSensitivity",
    "GroupSensitivity",
    "Sensitivity",
    "account_sentences",
    "account_values",
    "assess",
    "critical_p",
    "mde",
    "rating_sd",
    "run_detector",
]

#: The power at which the minimal detectable effect is given.
POWER = 0.8
#: A moderate effect, in points on 0–100 (Cohen's d = 0.6 of one rating, about 11 points).
MODERATE_POINTS = 11.0

_NOT_ASSESSED = {
    "C1": "no minimal detectable effect is computed for relationship mismatches",
    "C4": "no minimal detectable effect is computed for touchpoint control",
    "C5": "not computed yet: the change tests' minimal detectable effect needs the "
    "account-month series and the AR(1) month-shock parameters C5 pools",
}


def mde(
    se: float,
    z_critical: float,
    *,
    power: float = POWER,
    threshold: float = 0.0,
    df: float | None = None,
) -> float:
    """The smallest true gap found with probability ``power``.

    Parameters
    ----------
    se : float
        The test's standard error (points), the empirical-null scale included.
    z_critical : float
        The two-sided critical value the test had to pass (a t value when ``df``
        is given).
    power : float
        The wanted probability of a finding (0.8).
    threshold : float
        A gap the estimate must reach as well (the detector's ``silo_gap``,
        ``journey_gap``).
    df : float or None
        Degrees of freedom of a t test (None: a z test).

    Returns
    -------
    float
        ``max(z* · se, threshold) + q_power · se``, with ``q_power`` the normal
        (or t with ``df``) quantile of ``power``; NaN when ``se`` is not finite.

    Examples
    --------
    >>> round(mde(6.0, 3.7), 2)
    27.25
    >>> mde(0.0, 3.7, threshold=20.0)
    20.0
    """
    if not (math.isfinite(se) and se >= 0 and math.isfinite(z_critical)):
        return math.nan
    q = float(_stats.norm.isf(1 - power) if df is None else _stats.t.isf(1 - power, df))
    return max(z_critical * se, threshold) + q * se


def critical_p(p: Iterable[float], p_adjusted: Iterable[float], alpha: float) -> float:
    """The raw p a test had to reach under the Benjamini–Hochberg step of this run.

    Parameters
    ----------
    p, p_adjusted : iterable of float
        The family's raw and BH-adjusted p-values (NaN ignored).
    alpha : float
        The false-discovery rate the step controlled.

    Returns
    -------
    float
        The step-up boundary ``alpha · R / m`` at the number ``R`` of p-values
        whose adjusted p is below ``alpha`` (every p up to it was accepted, and
        it is at least the largest accepted p); ``alpha / m`` when none is
        (``m`` finite p-values); NaN without tests.

    Examples
    --------
    >>> round(critical_p([0.001, 0.2, 0.5], [0.003, 0.3, 0.5], 0.05), 4)
    0.0167
    >>> round(critical_p([0.1, 0.2, 0.5, 0.9], [0.4, 0.4, 0.67, 0.9], 0.05), 4)
    0.0125
    """
    raw = np.asarray(list(p), dtype=float)
    adj = np.asarray(list(p_adjusted), dtype=float)
    ok = np.isfinite(raw) & np.isfinite(adj)
    if not ok.any():
        return math.nan
    accepted = int((ok & (adj < alpha)).sum())
    return alpha * max(accepted, 1) / int(ok.sum())


def rating_sd(prep: Prepared) -> float | None:
    """SD of one rating (0–100, net of each touchpoint's portfolio norm) over the
    workspace, from each person's count, mean and variance; None without ratings."""
    tp = prep.person_tp
    if tp.empty or not {"n", "mean"} <= set(tp.columns):
        return None
    n = tp.n.to_numpy(dtype=float)
    mean = tp["mean"].to_numpy(dtype=float)
    var = tp["var"].to_numpy(dtype=float) if "var" in tp else np.zeros(len(tp))
    ok = np.isfinite(n) & np.isfinite(mean) & (n > 0)
    total = float(n[ok].sum())
    if total < 2:
        return None
    grand = float((n[ok] * mean[ok]).sum() / total)
    within = float((np.nan_to_num(var[ok]) * (n[ok] - 1)).sum())
    between = float((n[ok] * (mean[ok] - grand) ** 2).sum())
    sd = math.sqrt((within + between) / (total - 1))
    return sd if sd > 0 else None


Tested = tuple[list[Finding], list[Skipped], pd.DataFrame | None]

_TESTED: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "C2": (detect_c2, detect_c2_tested),
    "C3": (detect_c3, detect_c3_tested),
}


def run_detector(
    challenge: str,
    detector: Callable[[Prepared, DiagnoseOptions], tuple[list[Finding], list[Skipped]]],
    prep: Prepared,
    options: DiagnoseOptions,
) -> Tested:
    """Run ``detector``; for C2 and C3 (when it is the stock detector) also return
    the table of tests it made (None otherwise)."""
    plain_, tested = _TESTED.get(challenge, (None, None))
    if tested is not None and detector is plain_:
        findings, skipped, table = tested(prep, options)
        return findings, skipped, table
    findings, skipped = detector(prep, options)
    return findings, skipped, None


def assess(
    prep: Prepared,
    options: DiagnoseOptions,
    tests: dict[str, pd.DataFrame | None],
    skipped: Iterable[Skipped],
    *,
    account_id: str | None = None,
) -> Sensitivity:
    """The minimal detectable effects of a diagnosis run.

    Parameters
    ----------
    prep : Prepared
        The run's aggregates.
    options : DiagnoseOptions
        Its thresholds.
    tests : dict
        Per challenge, the table of tests its detector made
        (:func:`run_detector`); a challenge missing here was not run.
    skipped : iterable of Skipped
        The run's skipped checks (C3's reasons per account).
    account_id : str or None
        Only this account's entries (a one-account diagnosis).

    Returns
    -------
    Sensitivity
    """
    sd = rating_sd(prep)
    accounts = [str(a) for a in prep.accounts.account_id] if "account_id" in prep.accounts else []
    if account_id is not None:
        accounts = [a for a in accounts if a == account_id]
    reasons = {s.account_id: s.reason for s in skipped if s.challenge == "C3" and s.account_id}
    blocks: list[ChallengeSensitivity] = []
    missing = dict(_NOT_ASSESSED)
    for challenge in ("C2", "C3"):
        if challenge not in tests:
            missing[challenge] = f"{challenge} was not diagnosed in this run"
            continue
        table = tests[challenge]
        if challenge == "C2" and table is not None and not table.empty:
            table = table[table.dimension == "function"]
        if table is None or table.empty:
            missing[challenge] = (
                "the detector made no test in this run"
                if challenge == "C3"
                else "the detector made no test of a function against the rest of its account"
            )
            continue
        if challenge == "C2":
            blocks.append(_c2(prep, options, table, sd, accounts))
        else:
            blocks.append(_c3(options, table, sd, accounts, reasons))
    return Sensitivity(power=POWER, challenges=tuple(blocks), not_assessed=missing)


def _mdes(
    se: npt.NDArray[np.float64], p_crit: float, df: npt.NDArray[np.float64],
    is_t: npt.NDArray[np.bool_], threshold: float,
) -> npt.NDArray[np.float64]:  # fmt: skip
    """:func:`mde` of many tests at once (t quantiles where ``is_t`` and df is finite)."""
    use_t = is_t & np.isfinite(df)
    safe_df = np.where(use_t, df, 1.0)
    with np.errstate(invalid="ignore"):
        crit = np.where(use_t, _stats.t.isf(p_crit / 2, safe_df), _stats.norm.isf(p_crit / 2))
        q = np.where(use_t, _stats.t.isf(1 - POWER, safe_df), _stats.norm.isf(1 - POWER))
        out = np.maximum(crit * se, threshold) + q * se
    ok = np.isfinite(se) & (se >= 0) & np.isfinite(crit)
    return np.where(ok, out, np.nan)


def _row_mde(se: float, p_crit: float, df: float, test: str, threshold: float) -> float:
    if test == "t" and math.isfinite(df):
        crit = float(_stats.t.isf(p_crit / 2, df))
        return mde(se, crit, threshold=threshold, df=df)
    return mde(se, float(_stats.norm.isf(p_crit / 2)), threshold=threshold)


def _header(
    challenge: str, detector: str, dimension: str | None, options: DiagnoseOptions,
    table: pd.DataFrame, threshold: float, sd: float | None,
    rows: list[AccountSensitivity],
) -> ChallengeSensitivity:  # fmt: skip
    p_crit = critical_p(table.p, table.p_adj, options.alpha)
    values = [a.mde_points for a in rows if a.mde_points is not None]
    median = float(np.median(values)) if values else None
    scale = (
        float(table.null_scale.iloc[0])
        if "null_scale" in table and table.null_scale.notna().any()
        else 1.0
    )
    test = str(table.test.iloc[0]) if "test" in table else "z"
    share = sum(v <= MODERATE_POINTS for v in values) / len(rows) if rows else None
    return ChallengeSensitivity(
        challenge=challenge,
        detector=detector,
        dimension=dimension,
        test=test,
        alpha=options.alpha,
        z_critical=float(_stats.norm.isf(p_crit / 2)) if math.isfinite(p_crit) else None,
        p_critical=p_crit if math.isfinite(p_crit) else None,
        z_power=float(_stats.norm.isf(1 - POWER)),
        null_scale=scale,
        gap_threshold=threshold,
        tests=int(np.isfinite(table.p.to_numpy(dtype=float)).sum()),
        accepted=int((table.p_adj < options.alpha).sum()),
        sd_rating=sd,
        accounts_total=len(rows),
        accounts_assessed=len(values),
        median_mde_points=median,
        median_mde_sd=None if median is None or sd is None else median / sd,
        moderate_points=MODERATE_POINTS,
        share_moderate_detectable=share,
        accounts=tuple(rows),
    )


def _c2(
    prep: Prepared, options: DiagnoseOptions, table: pd.DataFrame, sd: float | None,
    accounts: list[str],
) -> ChallengeSensitivity:  # fmt: skip
    p_crit = critical_p(table.p, table.p_adj, options.alpha)
    threshold = float(options.silo_gap)
    df = table.df.to_numpy(dtype=float) if "df" in table else np.full(len(table), np.nan)
    test = [str(t) for t in table.test] if "test" in table else ["z"] * len(table)
    df = np.asarray(df, dtype=np.float64)
    se = table.se.to_numpy(dtype=float)
    points = _mdes(se, p_crit, df, np.asarray(test) == "t", threshold)
    frame = pd.DataFrame({
        "account_id": table.account_id.astype(str).to_numpy(),
        "group": table.group.astype(str).to_numpy(),
        "people": table.group_n.astype(int).to_numpy(), "se": se, "mde": points,
    })  # fmt: skip
    frame = frame[np.isfinite(frame.mde)].sort_values(["account_id", "mde", "group"])
    by_account: dict[str, list[GroupSensitivity]] = {}
    # plain lists: iterating the columns themselves costs a boxed value per cell
    for acc, grp, n, s_e, value in zip(frame.account_id.tolist(), frame.group.tolist(),
                                       frame.people.tolist(), frame.se.tolist(),
                                       frame.mde.tolist(), strict=True):  # fmt: skip
        by_account.setdefault(str(acc), []).append(
            GroupSensitivity(
                group=str(grp),
                people=int(n),
                se=float(s_e),
                mde_points=float(value),
                mde_sd=_per_sd(float(value), sd),
            )
        )
    people = prep.people
    rated = (
        people.dropna(subset=["function"])
        if "function" in people
        else people.iloc[:0].assign(function=None)
    )
    if "score" in rated:
        rated = rated.dropna(subset=["score"])
    counted = rated.groupby(rated.account_id.astype(str)).function.nunique()
    functions = dict(zip(counted.index.tolist(), counted.tolist(), strict=True))
    rows: list[AccountSensitivity] = []
    for account in accounts:
        found = by_account.get(account)
        if not found:
            k = int(functions.get(account, 0))
            if k == 0:
                reason = "no rated stakeholder of this account has a function"
            elif k == 1:
                reason = "every rated stakeholder is in one function: nothing to compare with"
            else:
                reason = (
                    f"no function could be compared with at least {options.min_people} "
                    "rated people in the rest of the account"
                )
            rows.append(AccountSensitivity(account_id=account, mde_points=None, mde_sd=None,
                                           se=None, reason=reason))  # fmt: skip
            continue
        groups = tuple(found)
        best = groups[0]
        rows.append(
            AccountSensitivity(
                account_id=account,
                mde_points=best.mde_points,
                mde_sd=best.mde_sd,
                se=best.se,
                group=best.group,
                groups=groups,
            )
        )
    return _header("C2", "group_vs_rest", "function", options, table, threshold, sd, rows)


def _c3(
    options: DiagnoseOptions, table: pd.DataFrame, sd: float | None, accounts: list[str],
    reasons: dict[str, str],
) -> ChallengeSensitivity:  # fmt: skip
    p_crit = critical_p(table.p, table.p_adj, options.alpha)
    threshold = float(options.journey_gap)
    # every test's MDE at once (:func:`_row_mde` of each row); an account's last row counts
    n = len(table)
    ses = table.se.to_numpy(dtype=float) if "se" in table else np.full(n, np.nan)
    dfs = table.df.to_numpy(dtype=float) if "df" in table else np.full(n, np.nan)
    is_t = np.asarray([str(t) == "t" for t in table.test]) if "test" in table else np.zeros(n, bool)
    values = _mdes(ses, p_crit, dfs, is_t, threshold)
    tested = {
        str(a): (s, v)
        for a, s, v in zip(table.account_id.tolist(), ses.tolist(), values.tolist(), strict=True)
    }
    rows: list[AccountSensitivity] = []
    for account in accounts:
        r = tested.get(account)
        value = math.nan
        se = math.nan
        if r is not None:
            se, value = r
        if not math.isfinite(value):
            reason = reasons.get(account) or (
                "the test had no standard error (no variance between people)"
                if r is not None
                else "no rated stakeholder at both the buying and the usage stages"
            )
            rows.append(AccountSensitivity(account_id=account, mde_points=None, mde_sd=None,
                                           se=None, reason=reason))  # fmt: skip
            continue
        rows.append(AccountSensitivity(account_id=account, mde_points=value,
                                       mde_sd=_per_sd(value, sd), se=se))  # fmt: skip
    return _header("C3", "buying_vs_usage_stages", None, options, table, threshold, sd, rows)


def _per_sd(points: float, sd: float | None) -> float | None:
    return None if sd is None else points / sd


def account_sentences(block: dict[str, Any] | None, account_id: str) -> list[str]:
    """One account's minimal detectable effects in plain words, from the
    ``sensitivity`` block of a diagnosis' JSON (for the account page and the report).

    Parameters
    ----------
    block : dict or None
        ``Diagnosis.to_dict()["sensitivity"]``.
    account_id : str
        The account.

    Returns
    -------
    list of str
        One sentence per assessed challenge (empty without the block or the account).
    """
    out: list[str] = []
    for c in (block or {}).get("challenges", []):
        entry = next((a for a in c.get("accounts", []) if a["account_id"] == account_id), None)
        if entry is None:
            continue
        what = "a silo" if c["challenge"] == "C2" else "a gap between the buying and usage stages"
        value = entry.get("mde_points")
        if value is None:
            out.append(f"{c['challenge']}: {what} could not be looked for: {entry['reason']}.")
            continue
        sd = entry.get("mde_sd")
        sds = "" if sd is None else f" ({sd:.1f} SD of one rating)"
        line = (
            f"{c['challenge']}: {what} smaller than {value:.0f} points{sds} could not have been "
            "seen in this account with this data (80 % power)"
        )
        if c["challenge"] == "C2" and entry.get("group"):
            groups = entry.get("groups") or []
            line += f"; the most sensitive comparison is {entry['group']} against the rest"
            if len(groups) > 1 and groups[-1].get("mde_points") is not None:
                line += (
                    f", while {groups[-1]['group']} ({groups[-1]['people']} "
                    f"{'person' if groups[-1]['people'] == 1 else 'people'}) would need "
                    f"{groups[-1]['mde_points']:.0f} points"
                )
        out.append(line + ".")
    return out


def account_values(block: dict[str, Any] | None, account_id: str) -> dict[str, float | None]:
    """Per assessed challenge, one account's MDE in points (None when not assessable)."""
    out: dict[str, float | None] = {}
    for c in (block or {}).get("challenges", []):
        entry = next((a for a in c.get("accounts", []) if a["account_id"] == account_id), None)
        if entry is not None:
            out[c["challenge"]] = entry.get("mde_points")
    return out
