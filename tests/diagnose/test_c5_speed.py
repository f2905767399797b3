"""C5 computed for all accounts at once (issue 22, item 2) against the per-account
implementation it replaced, kept below verbatim as the reference (only renamed:
``ref_*``; from b2bcx before commit 518264f).

The vectorised test draws the same random streams (each account's generator
seeded ``SEED``), so the findings, their order and every evidence value are the
same; the simulated null's sup-Wald statistics are summed in another order, so
a p-value read from the gamma tail (fewer than 5 exceedances) may differ in the
last digits (measured: < 3e-14 relative). Floats are compared at 1e-11
relative, everything else exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from scipy import stats

import b2bcx
from b2bcx.diagnose import DiagnoseOptions
from b2bcx.diagnose.c5_dynamics import (
    SEED,
    _control_changes,
    _did,
    _goal_shifts,
    _Months,
    _onset,
    detect_c5,
)
from b2bcx.diagnose.data import Prepared, prepare
from b2bcx.diagnose.detector_common import Detected, fmt, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.stats import (
    Shift,
    _null_sup_wald,
    _sup_wald,
    bh_adjust,
    pooled_ar1_params,
    robust_ar1_params,
    shift_test,
    shift_tests,
)

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder beside src/, not an installed package
    sys.path.insert(0, str(ROOT))

FloatArray = npt.NDArray[np.float64]
REL = 1e-11


# --- the reference: the per-account implementation ------------------------------------


def ref_sup_wald(y: FloatArray, lo: int, hi: int) -> tuple[FloatArray, FloatArray]:
    """sup over breaks k in [lo, hi] of the Wald statistic of a mean shift, for each
    row of ``y`` (reps × T); returns the statistic and the arg-max k."""
    t = y.shape[1]
    cs = np.cumsum(y, axis=1)
    cs2 = np.cumsum(y * y, axis=1)
    total, total2 = cs[:, -1:], cs2[:, -1:]
    ks = np.arange(lo, hi + 1)
    s1, q1 = cs[:, ks - 1], cs2[:, ks - 1]
    n1, n2 = ks.astype(float), (t - ks).astype(float)
    m1, m2 = s1 / n1, (total - s1) / n2
    rss = (q1 - s1 * m1) + ((total2 - q1) - (total - s1) * m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = rss / (t - 2)
        w = (m2 - m1) ** 2 / (s2 * (1 / n1 + 1 / n2))
    w = np.where(np.isfinite(w), w, 0.0)
    best = w.argmax(axis=1)
    return w.max(axis=1), ks[best]


def ref_ar1_null(e: FloatArray, noise: FloatArray) -> tuple[float, float]:
    """AR(1) variance and coefficient of a series' persistent part, net of the
    sampling noise of each month's mean (``noise``: its variance per month), with
    Kendall's small-sample bias correction of the coefficient."""
    t = len(e)
    g0 = float((e * e).mean())
    g1 = float((e[1:] * e[:-1]).sum() / t) if t > 1 else 0.0
    var_a = max(g0 - float(noise.mean()), 0.05 * g0, 1e-12)
    phi = min(max(g1 / var_a, 0.0), 0.9)
    phi = min(phi + (1 + 3 * phi) / t, 0.95)
    return var_a, phi


def ref_shift_test(
    y: npt.ArrayLike,
    noise: npt.ArrayLike,
    *,
    reps: int = 999,
    trim: float = 0.15,
    min_side: int = 3,
    rng: np.random.Generator | None = None,
    phi: float | None = None,
    var_a: float | None = None,
) -> Shift | None:
    """A sup-Wald test for one change of level at an unknown month (Andrews 1993),
    valid under serially correlated month shocks.

    ``y`` are monthly means in time order (months without data left out), ``noise``
    the sampling variance of each month's mean (within-month variance / ratings).
    Candidate breaks leave at least ``max(min_side, trim · T)`` months on each side.
    The statistic's null distribution is simulated, not read from a table: series
    of the same length are drawn from a stationary AR(1) (fitted under the null,
    around the series' mean, coefficient bias-corrected) plus each month's sampling
    noise, and the p-value is the share of ``reps`` simulated sup-Wald statistics at
    least as large as the observed one (in the far tail, fewer than 5 exceedances,
    a gamma matched to the simulated null's mean and variance). Both directions
    count; the sign of ``shift``
    says which way the level moved. None when the series is too short.

    ``phi``, when given, is the AR(1) coefficient of the null (e.g. pooled over a
    portfolio's accounts with :func:`pooled_ar1`, far more precise than one
    series' estimate); otherwise it is estimated from this series alone. ``var_a``
    likewise is the variance of the AR(1) part (:func:`pooled_ar1_params`).
    """
    y = np.asarray(y, dtype=float)
    noise = np.asarray(noise, dtype=float)
    t = len(y)
    lo = max(min_side, math.ceil(trim * t))
    hi = t - lo
    if hi < lo:
        return None
    stat, k = ref_sup_wald(y[None, :], lo, hi)
    k0 = int(k[0])
    before, after = float(y[:k0].mean()), float(y[k0:].mean())
    # the null's persistence is estimated under the null (around one mean): a
    # break would otherwise soak up the slow part of an AR(1) and make the
    # simulated null too light-tailed (measured: 11-14 % size at phi = 0.6)
    own_var, own_phi = ref_ar1_null(y - y.mean(), noise)
    phi = own_phi if phi is None else phi
    var_a = own_var if var_a is None else var_a
    rng = rng or np.random.default_rng(0)
    z = rng.standard_normal((reps, t))
    a = np.empty((reps, t))
    a[:, 0] = z[:, 0] * math.sqrt(var_a)
    scale = math.sqrt(var_a * (1 - phi * phi))
    for i in range(1, t):
        a[:, i] = phi * a[:, i - 1] + scale * z[:, i]
    sim = a + rng.standard_normal((reps, t)) * np.sqrt(np.maximum(noise, 0.0))
    null, _ = ref_sup_wald(sim, lo, hi)
    exceed = int((null >= stat[0]).sum())
    p = float((1 + exceed) / (reps + 1))
    if exceed < 5:
        # beyond the simulated range: a gamma matched to the simulated null's mean
        # and variance gives the far tail (a p-value floor of 1/(reps + 1) would
        # make Benjamini-Hochberg over hundreds of accounts unreachable)
        mean, var = float(null.mean()), float(null.var())
        if var > 0:
            p = float(stats.gamma.sf(stat[0], mean * mean / var, scale=var / mean))
    return Shift(k=k0, shift=after - before, before=before, after=after,
                 sup_wald=float(stat[0]), p=p, phi=phi, months=t)  # fmt: skip


def ref_level_changes(
    m: pd.DataFrame, months: pd.Series, options: DiagnoseOptions
) -> list[Finding]:
    """The sup-Wald change test per account, BH over accounts."""
    # the portfolio's month (season, portfolio-wide shocks) is the comparison
    # the portfolio's month: the median over accounts (an account's own change,
    # or a few accounts' changes, do not move it; with hundreds of accounts it is
    # close to the mean)
    m = m.assign(y=m["mean"] - m.month.map(m.groupby("month")["mean"].median()))
    ssw = (m["var"].fillna(0.0) * (m.n - 1)).groupby(m.account_id).sum()
    dfw = (m.n - 1).clip(lower=0).groupby(m.account_id).sum()
    pooled_v = float(ssw.sum() / dfw.sum()) if dfw.sum() > 0 else 0.0
    m = m[m.account_id.map(months) >= options.min_months]
    series: dict[str, tuple[np.ndarray, np.ndarray, pd.DataFrame]] = {}
    for account, g in m.groupby("account_id", sort=True):
        v = float(ssw[account] / dfw[account]) if dfw[account] >= 5 else pooled_v
        series[str(account)] = (g.y.to_numpy(float), v / g.n.to_numpy(float), g)
    if not series:
        return []

    # The null's AR(1) is estimated over the portfolio's accounts in two passes.
    # Pass 1 takes the median of each account's estimate (robust: a few changed
    # accounts, whose change reads as persistence, hardly move it) to find the
    # clearly changed accounts; pass 2 pools the other accounts (sums of auto-
    # covariances: efficient, about unbiased) and gives the final test. Under
    # the null hardly any account is left out, so the test keeps its size.
    def run(var_a: float, phi: float) -> dict[str, Shift]:
        out = {}
        for account, (y, noise, _g) in series.items():
            rng = np.random.default_rng(SEED)
            res = ref_shift_test(y, noise, reps=options.change_reps, rng=rng, phi=phi, var_a=var_a)
            if res is not None:
                out[account] = res
        return out

    ys = {a: s[0] for a, s in series.items()}
    vs = {a: s[1] for a, s in series.items()}
    var_a, phi = robust_ar1_params(list(ys.values()), list(vs.values()))
    tests = run(var_a, phi)
    if not tests:
        return []
    names = list(tests)
    first = bh_adjust([tests[a].p for a in names]) < options.alpha
    changed = {a for a, f in zip(names, first, strict=True) if f}
    keep = [a for a in ys if a not in changed]
    if len(keep) >= max(3, len(ys) / 2):
        var_a, phi = pooled_ar1_params([ys[a] for a in keep], [vs[a] for a in keep])
        tests = run(var_a, phi)
    rows = []
    for account, res in tests.items():
        g = series[account][2]
        since, shape = ref_onset(g, res.k)
        after = g.iloc[res.k :]
        t = (after.month - after.month.iloc[0]).dt.days.to_numpy() / 365.25
        slope = float(np.polyfit(t, after.y.to_numpy(), 1)[0]) if len(after) >= 3 else 0.0
        rows.append({"account_id": account, "p": res.p, "shift": res.shift,
                     "before": res.before, "after": res.after, "sup_wald": res.sup_wald,
                     "since": since, "shape": shape, "slope": slope, "months": res.months,
                     "n": int(g.n.sum()), "raw_before": ref_wmean(g.iloc[: res.k]),
                     "raw_after": ref_wmean(after),
                     "raw_last": float(g.raw.tail(3).mean())})  # fmt: skip
    if not rows:
        return []
    table = pd.DataFrame(rows)
    table["p_adj"] = bh_adjust(table.p.to_numpy())
    out = []
    for r in records_of(table):
        if not (r.p_adj < options.alpha and abs(r.shift) >= options.decline_drop):
            continue
        down = r.shift < 0
        out.append(
            Finding(
                challenge="C5",
                account_id=r.account_id,
                subject_kind="account",
                subject_id=r.account_id,
                severity=severity(r.shift, options.decline_drop) * (1.0 if down else 0.5),
                evidence={
                    "since": r.since,
                    "shape": r.shape,
                    "direction": "decline" if down else "improvement",
                    "shift": r.shift,
                    "slope_per_year": r.slope,
                    "drop_since": r.shift,
                    "cx_before": r.raw_before,
                    "cx_after": r.raw_after,
                    "sup_wald": r.sup_wald,
                    "p": r.p,
                    "p_adjusted": r.p_adj,
                    "ar1_phi": phi,
                    "test": "sup-Wald mean shift, AR(1) null simulated "
                    f"({options.change_reps} series), net of the portfolio's month",
                    "months": r.months,
                    "ratings": r.n,
                    "recent_cx": r.raw_last,
                },
                summary=(
                    f"{r.account_id}'s experience "
                    + ("fell" if down else "rose")
                    + f" by {fmt(abs(r.shift))} points from {r.since:%B %Y}, against the "
                    "portfolio's months."
                ),
                implication=(
                    "Customer expectations and requirements change over time; the experience "
                    "design has not kept up (Witell et al. 2020, C5)."
                    if down
                    else "The experience changed for the better; find out what changed and keep "
                    "it (Witell et al. 2020, C5)."
                ),
                actions=(
                    "Ask the account what changed around that time (needs, people, contract).",
                    "Re-check the account's goals and relationship type and adapt the touchpoints."
                    if down
                    else "Record what changed (people, touchpoints, offer) and repeat it "
                    "elsewhere.",
                ),
                detector="decline_change_point" if down else "improvement_change_point",
            )
        )
    return out


def ref_onset(g: pd.DataFrame, k: int) -> tuple[Any, str]:
    """When a change began, for the evidence: the break month of the step, or the
    start of a linear change (a hinge ``a + b · max(0, t − τ)``) when that fits
    the months better. Description only: the test is the step test's."""
    y = g.y.to_numpy(dtype=float)
    t = (g.month - g.month.iloc[0]).dt.days.to_numpy() / 365.25
    step = np.where(np.arange(len(y)) >= k, y[k:].mean(), y[:k].mean())
    best_rss, best_i = float(((y - step) ** 2).sum()), -1
    for i in range(1, len(y) - 2):
        h = np.clip(t - t[i], 0.0, None)
        x = np.column_stack([np.ones(len(y)), h])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        rss = float(((y - x @ coef) ** 2).sum())
        if rss < best_rss:
            best_rss, best_i = rss, i
    if best_i < 0:
        return g.month.iloc[k].date(), "step"
    return g.month.iloc[best_i].date(), "gradual"


def ref_wmean(d: pd.DataFrame) -> float | None:
    n = float(d.n.sum())
    return float((d.raw * d.n).sum() / n) if n else None


def ref_window_change(monthly: pd.DataFrame, day: pd.Timestamp, window: int) -> pd.DataFrame:
    """Per account: mean raw CX in the ``window`` days before and after ``day``
    (ratings-weighted) and their difference (accounts with both sides only)."""
    lo, hi = day - pd.Timedelta(days=window), day + pd.Timedelta(days=window)
    w = monthly[(monthly.month >= lo) & (monthly.month < hi)]
    w = w.assign(side=np.where(w.month >= day, "after", "before"), s=w.raw * w.n)
    g = w.groupby(["account_id", "side"])[["s", "n"]].sum()
    means = (g.s / g.n).unstack("side")
    if "before" not in means or "after" not in means:
        return pd.DataFrame(columns=["before", "after", "change"])
    means = means.dropna(subset=["before", "after"])
    return means.assign(change=means["after"] - means["before"])


def ref_did(change: pd.DataFrame, treated: str, excluded: set[str]) -> dict[str, Any] | None:
    """The treated account's before/after change against the comparison accounts'
    (accounts as clusters: a t statistic for one new draw from their distribution)."""
    if treated not in change.index:
        return None
    comp = change.loc[[a for a in change.index if a not in excluded], "change"]
    if len(comp) < 5:
        return None
    sd = float(comp.to_numpy(dtype=float).std(ddof=1))
    own = {str(k): float(cast(float, v)) for k, v in change.loc[treated].items()}
    did = own["change"] - float(comp.to_numpy(dtype=float).mean())
    se = sd * math.sqrt(1 + 1 / len(comp))
    p = float(2 * stats.t.sf(abs(did / se), len(comp) - 1)) if se > 0 else float("nan")
    return {"cx_before": float(own["before"]), "cx_after": float(own["after"]),
            "change": float(own["change"]),
            "comparison_change": float(comp.mean()), "did": did, "did_se": se,
            "comparison_accounts": len(comp), "p": p}  # fmt: skip


def ref_relationship_changes(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    rel = prep.relationships
    if rel.empty or prep.monthly.empty:
        return []
    rel = rel.assign(_from=pd.to_datetime(rel.valid_from)).sort_values(
        ["account_id", "_from"], na_position="first"
    )
    events = []
    for account, g in rel.groupby("account_id"):
        for before, after in itertools.pairwise(g.to_dict("records")):
            day = after["_from"]
            if pd.isna(day) or day > pd.Timestamp(prep.as_of):
                continue
            changes = {
                k: (before[k], after[k])
                for k in ("relationship_intended", "relationship_expected")
                if before[k] != after[k]
            }
            if changes:
                events.append((str(account), day, changes, after))
    if not events:
        return []
    monthly = prep.monthly.dropna(subset=["raw"]).assign(month=lambda d: pd.to_datetime(d.month))
    window = options.change_window_days
    changed: dict[str, list[pd.Timestamp]] = {}
    for account, day, _, _ in events:
        changed.setdefault(account, []).append(day)
    rows = []
    for account, day, changes, after in events:
        # comparison accounts: no change of their own within the window
        near = {a for a, days in changed.items()
                if any(abs((d - day).days) <= window for d in days)}  # fmt: skip
        did = ref_did(ref_window_change(monthly, day, window), account, near)
        rows.append((account, day, changes, after, did))
    ps = bh_adjust([r[4]["p"] if r[4] else np.nan for r in rows])
    out = []
    for (account, day, changes, after, did), p_adj in zip(rows, ps, strict=True):
        moved = did is not None and p_adj < options.alpha
        moved = moved and did is not None and abs(did["did"]) >= options.decline_drop
        # the customer's expectation changed: the desired experience changed (T 1550),
        # a finding by itself; the supplier's own (planned) change only with an effect
        customer = "relationship_expected" in changes
        if not (customer or moved):
            continue
        mismatch = after["relationship_intended"] != after["relationship_expected"]
        what = "; ".join(f"{k.split('_')[1]} {a} → {b}" for k, (a, b) in changes.items())
        effect = did["did"] if did is not None and moved else 0.0
        worse = effect < 0
        sev = severity(effect, options.decline_drop) * (1.0 if worse else 0.5) if moved else 0.0
        if customer:
            sev = max(sev, 0.4 + 0.3 * mismatch)
        cx_text = (f"; CX moved {effect:+.0f} points against comparison accounts" if moved
                   else "; CX did not move beyond comparison accounts" if did else "")  # fmt: skip
        out.append(
            Finding(
                challenge="C5",
                account_id=account,
                subject_kind="account",
                subject_id=account,
                severity=float(min(1.0, sev)),
                evidence={
                    "date": day.date(),
                    "changes": {k: list(v) for k, v in changes.items()},
                    "mismatch_after": bool(mismatch),
                    "expectation_changed": customer,
                    **(did or {}),
                    "p_adjusted": None if did is None else float(p_adj),
                    "test": "difference-in-differences against accounts without a "
                    "change in the window (accounts as clusters)",
                },
                summary=f"{account}'s relationship changed on {day:%d %b %Y} ({what}){cx_text}.",
                implication="A shift between transactional and relational exchange calls for a "
                "redesign of the key touchpoints (Witell et al. 2020, C5).",
                actions=(
                    "Review the touchpoints and service level against the new relationship type.",
                ),
                detector="relationship_change",
            )
        )
    return out


def ref_detect_c5(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """detect_c5 with the reference level and relationship changes (goal shifts
    are unchanged; the control changes' windows are compared below)."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    m = prep.monthly.dropna(subset=["mean"]).sort_values(["account_id", "month"])
    m = m.assign(month=pd.to_datetime(m.month))
    months = m.groupby("account_id").size()
    for account in months.index[(months < options.min_months).to_numpy()]:
        skipped.append(Skipped("C5", str(account), f"fewer than {options.min_months} months "
                               "with ratings for a trend"))  # fmt: skip
    if not m.empty:
        findings += ref_level_changes(m, months, options)
    findings += ref_relationship_changes(prep, options)
    findings += _goal_shifts(prep, options)
    findings += _control_changes(prep, options)
    return findings, skipped


# --- comparison -------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=REL, abs_tol=0.0)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) and a == b)


def _assert_same_findings(new: list[Finding], ref: list[Finding]) -> None:
    assert [(f.detector, f.account_id, f.subject_id) for f in new] == [
        (f.detector, f.account_id, f.subject_id) for f in ref
    ]
    for f, g in zip(new, ref, strict=True):
        assert (f.challenge, f.subject_kind, f.summary, f.implication, f.actions) == (
            g.challenge, g.subject_kind, g.summary, g.implication, g.actions
        )  # fmt: skip
        assert f.severity == pytest.approx(g.severity, rel=REL)
        for key in g.evidence:
            assert _same(f.evidence.get(key), g.evidence[key]), (f.account_id, key)
        assert list(f.evidence) == list(g.evidence)


def _assert_same_shift(new: Shift | None, ref: Shift | None) -> None:
    assert (new is None) == (ref is None)
    if new is None or ref is None:
        return
    assert (new.k, new.shift, new.before, new.after, new.sup_wald, new.phi, new.months) == (
        ref.k, ref.shift, ref.before, ref.after, ref.sup_wald, ref.phi, ref.months
    )  # fmt: skip
    assert new.p == pytest.approx(ref.p, rel=REL)


def _detect_both(prep: Any, options: DiagnoseOptions) -> tuple[Detected, Detected]:
    return detect_c5(cast(Prepared, prep), options), ref_detect_c5(cast(Prepared, prep), options)


# --- the statistics -------------------------------------------------------------------


def _noisy(rng: np.random.Generator, t: int, step: float = 0.0) -> tuple[FloatArray, FloatArray]:
    n = rng.integers(1, 12, t).astype(float)
    a = np.empty(t)
    a[0] = rng.normal() * 4
    for i in range(1, t):
        a[i] = 0.5 * a[i - 1] + math.sqrt(0.75) * 4 * rng.normal()
    noise = 150.0 / n
    y = a + rng.normal(size=t) * np.sqrt(noise) + np.where(np.arange(t) >= t // 2, step, 0.0)
    return y, noise


def test_null_sup_wald_is_the_sup_wald_statistic() -> None:
    rng = np.random.default_rng(11)
    for t, lo, hi, series in [(30, 5, 25, 70), (12, 1, 11, 3), (12, 6, 6, 1), (7, 3, 4, 40)]:
        z = rng.normal(size=(t, 50))
        a = rng.normal(size=(t, 50)) * rng.uniform(0.5, 20) + rng.uniform(-50, 50)
        sd = rng.uniform(0.0, 9.0, (series, t))
        sd[0] = 0.0  # no sampling noise: the AR(1) part alone
        got = _null_sup_wald(z, a, sd, lo, hi)
        assert got.shape == (series, 50)
        for row in range(series):
            want, _ = _sup_wald((a + z * sd[row][:, None]).T, lo, hi)
            np.testing.assert_allclose(got[row], want, rtol=1e-9)


@pytest.mark.parametrize("common", [True, False])
def test_shift_tests_equal_one_test_per_series(common: bool) -> None:
    rng = np.random.default_rng(12)
    ys: list[FloatArray] = []
    vs: list[FloatArray] = []
    for i in range(60):
        t = [36, 36, 36, 30, 24, 7, 6, 5, 1][i % 9]
        y, v = _noisy(rng, t, step=[0.0, 25.0, -15.0][i % 3])
        ys.append(y)
        vs.append(v)
    ys += [np.full(20, 3.0), np.zeros(12), np.linspace(0, 9, 10)]  # constant, zero, a ramp
    vs += [np.ones(20), np.zeros(12), np.full(10, 2.0)]  # zero noise: one respondent per month
    phi, var_a = (0.4, 9.0) if common else (None, None)
    got = shift_tests(ys, vs, seed=SEED, reps=199, phi=phi, var_a=var_a)
    # 5 and 1 month(s) leave no break with 3 months on each side
    assert [g is None for g in got] == [len(y) < 6 for y in ys]
    assert sum(g is None for g in got) == 12
    for y, v, res in zip(ys, vs, got, strict=True):
        rng_ref = np.random.default_rng(SEED)
        _assert_same_shift(res, ref_shift_test(y, v, reps=199, rng=rng_ref, phi=phi, var_a=var_a))
        # the one-series test is the same computation
        one = shift_test(y, v, reps=199, rng=np.random.default_rng(SEED), phi=phi, var_a=var_a)
        _assert_same_shift(one, res)


@pytest.mark.parametrize("reps", [999, 199])
def test_shift_tests_screen_keeps_what_bh_decides(reps: int) -> None:
    """With ``screen``, a series is either exactly as without it or reports a
    lower bound of its p-value that is above ``screen``; Benjamini-Hochberg at
    ``screen`` then rejects the same series."""
    rng = np.random.default_rng(14)
    ys: list[FloatArray] = []
    vs: list[FloatArray] = []
    for i in range(150):
        y, v = _noisy(rng, [36, 36, 30, 24][i % 4], step=[0.0, 0.0, 0.0, 12.0, -30.0][i % 5])
        ys.append(y)
        vs.append(v)
    ys.append(np.full(20, 3.0))  # constant: no variance
    vs.append(np.zeros(20))
    full = shift_tests(ys, vs, seed=SEED, reps=reps, phi=0.4, var_a=9.0)
    got = shift_tests(ys, vs, seed=SEED, reps=reps, phi=0.4, var_a=9.0, screen=0.05)
    bounded = 0
    for a, b in zip(full, got, strict=True):
        assert a is not None and b is not None
        if a.p <= 0.05 or b.p == a.p:
            assert a == b
        else:  # only bounded: from below, still above the screen
            bounded += 1
            assert 0.05 < b.p <= a.p
            assert dataclasses.replace(b, p=a.p) == a
    # the screen skipped some series (more than half: most have no step) yet
    # kept every small p-value
    assert bounded > 60
    assert sum(a.p <= 0.05 for a in full if a is not None) > 10
    p_full = bh_adjust([a.p for a in full if a is not None]) < 0.05
    p_got = bh_adjust([b.p for b in got if b is not None]) < 0.05
    np.testing.assert_array_equal(p_full, p_got)
    assert p_full.sum() > 5


def test_shift_tests_checks_its_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        shift_tests([np.zeros(10)], [], seed=1)
    assert shift_tests([], [], seed=1) == []


def test_onset_matches_the_reference() -> None:
    rng = np.random.default_rng(13)
    start = pd.Timestamp("2023-01-01")
    shapes = set()
    for i in range(120):
        t = int(rng.integers(4, 37))
        month = pd.Series(sorted(rng.choice(48, t, replace=False))).map(
            lambda k: start + pd.DateOffset(months=int(k))
        )
        y, _ = _noisy(rng, t)
        hinge = np.clip(np.arange(t) - t / 2, 0, None) * rng.normal() * 4
        y = y + (hinge if i % 2 else np.where(np.arange(t) >= t // 2, 20.0, 0.0))
        k = int(rng.integers(1, t - 1))
        g = pd.DataFrame({"month": pd.to_datetime(month), "y": y})
        want = ref_onset(g, k)
        got = _onset(g.month.to_numpy().astype("datetime64[D]"), y, k)
        assert got == want
        shapes.add(got[1])
    assert shapes == {"step", "gradual"}


# --- the detector on hand-built months --------------------------------------------------


def _monthly(
    rng: np.random.Generator, accounts: int = 40, months: int = 30, n_max: int = 15
) -> pd.DataFrame:
    """Account-months as prepare() gives them, with planted steps, gaps, an account
    with one month, one with a constant mean and months of one respondent."""
    rows = []
    start = dt.date(2023, 1, 1)
    for a in range(accounts):
        name = f"ACC-{a:03d}"
        kept = np.arange(months)
        if a % 7 == 3:  # missing months
            kept = np.sort(rng.choice(months, months - 8, replace=False))
        if a == 5:
            kept = np.array([4])  # one month
        level = rng.normal(70, 5)
        shock = 0.0
        for k in kept:
            shock = 0.5 * shock + rng.normal(0, 3)
            step = 25.0 if a in (1, 2) and k >= months // 2 else 0.0
            step = -20.0 if a == 3 and k >= 2 * months // 3 else step
            n = int(rng.integers(1, n_max + 1)) if a != 6 else 1
            mean = level + shock + step + rng.normal(0, 12 / math.sqrt(n))
            if a == 4:
                mean = 55.0  # constant
            month = dt.date(start.year + (start.month - 1 + int(k)) // 12,
                            (start.month - 1 + int(k)) % 12 + 1, 1)  # fmt: skip
            rows.append({"account_id": name, "month": pd.Timestamp(month), "n": n,
                         "mean": mean - 70, "var": float(rng.uniform(60, 150)) if n > 1 else np.nan,
                         "raw": mean})  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=int(rng.integers(1000))).reset_index(drop=True)


def _prep(monthly: pd.DataFrame, relationships: pd.DataFrame | None = None) -> Any:
    empty = pd.DataFrame()
    return SimpleNamespace(
        monthly=monthly,
        relationships=relationships if relationships is not None else empty,
        goal_waves=empty,
        control_changes=empty,
        as_of=dt.date(2026, 1, 1),
    )


def _relationships(monthly: pd.DataFrame) -> pd.DataFrame:
    """Versions of relationship types: changes of either side on several dates
    (two on one day, accounts with changes near each other), one change after
    the as-of date and one version without a date."""
    rows = []
    days = {"ACC-001": ["2024-06-01"], "ACC-002": ["2024-06-01", "2025-02-14"],
            "ACC-003": ["2024-09-20"], "ACC-010": ["2024-07-03"],
            "ACC-011": ["2026-03-01"], "ACC-012": ["2024-06-17"]}  # fmt: skip
    for account, when in days.items():
        rows.append((account, None, "relational", "relational"))
        for i, d in enumerate(when):
            rows.append((account, d, "transactional" if i % 2 == 0 else "relational",
                         "transactional" if account != "ACC-010" else "relational"))  # fmt: skip
    return pd.DataFrame(rows, columns=["account_id", "valid_from", "relationship_intended",
                                       "relationship_expected"])  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_detector_matches_the_reference_on_hand_built_months(seed: int) -> None:
    rng = np.random.default_rng(seed)
    monthly = _monthly(rng)
    options = DiagnoseOptions(change_reps=199)
    prep = _prep(monthly, _relationships(monthly))
    (new, new_skipped), (ref, ref_skipped) = _detect_both(prep, options)
    assert new_skipped == ref_skipped
    assert [s.account_id for s in new_skipped] == ["ACC-005"]  # the one-month account
    _assert_same_findings(new, ref)
    detectors = {f.detector for f in new}
    # planted steps are found, and the relationship changes give findings
    assert {"improvement_change_point", "relationship_change"} <= detectors
    assert "ACC-004" not in {f.account_id for f in new if "change_point" in f.detector}


def test_detector_matches_the_reference_on_edge_cases() -> None:
    rng = np.random.default_rng(4)
    options = DiagnoseOptions(change_reps=99)
    # every month of every account one respondent (no within-month variance at all)
    ones = _monthly(rng, accounts=12, n_max=1)
    _assert_same_findings(
        detect_c5(_prep(ones), options)[0], ref_detect_c5(_prep(ones), options)[0]
    )
    # every account constant: nothing to find, no failure
    flat = ones.assign(mean=0.0, raw=60.0)
    assert detect_c5(_prep(flat), options)[0] == ref_detect_c5(_prep(flat), options)[0] == []
    # one account only, and one account with one month only
    one = _monthly(rng, accounts=1)
    _assert_same_findings(detect_c5(_prep(one), options)[0], ref_detect_c5(_prep(one), options)[0])
    single = one.iloc[:1]
    assert detect_c5(_prep(single), options) == ref_detect_c5(_prep(single), options)
    assert len(detect_c5(_prep(single), options)[1]) == 1
    # no months at all
    empty = one.iloc[:0]
    assert detect_c5(_prep(empty), options) == ([], []) == ref_detect_c5(_prep(empty), options)


def test_window_change_and_did_match_the_reference() -> None:
    rng = np.random.default_rng(5)
    monthly = _monthly(rng)
    monthly.loc[monthly.index[:5], "raw"] = np.nan  # months without a raw mean are left out
    months = _Months.of(monthly)
    base = monthly.dropna(subset=["raw"])
    checked = 0
    for day in pd.date_range("2022-06-15", "2026-01-20", freq="41D"):
        for window in (30, 200, 365):
            want = ref_window_change(base, day, window)
            got = months.window_change(day, window)
            assert list(got.index) == list(want.index)
            for col in ("before", "after", "change"):
                assert got[col].to_numpy(float).tolist() == want[col].to_numpy(float).tolist()
            for treated in [*list(want.index[:3]), "ACC-999"]:
                excluded = {treated, *want.index[5:9]}
                ref = ref_did(want, treated, excluded)
                new = _did(got, treated, excluded)
                assert (new is None) == (ref is None)
                if new is not None and ref is not None:
                    assert _same(new, ref)
                    checked += 1
    assert checked > 40


# --- demo and independent worlds (slow) -------------------------------------------------


def _world_prep(path: Path) -> tuple[Prepared, DiagnoseOptions]:
    ws = b2bcx.open_workspace(path)
    options = DiagnoseOptions()
    return prepare(ws.backend, options), options


@pytest.mark.slow
@pytest.mark.parametrize(("size", "seed"), [(20000, 1), (3000, 3), (3000, 8)])
def test_detector_matches_the_reference_on_the_demo(tmp_path: Path, size: int, seed: int) -> None:
    from b2bcx.demo import generate_world

    generate_world(tmp_path / "bundle", size=size, seed=seed)
    ws = b2bcx.open_workspace(tmp_path / "ws.duckdb")
    ws.import_bundle(tmp_path / "bundle")
    options = DiagnoseOptions()
    prep = prepare(ws.backend, options)
    (new, new_skipped), (ref, ref_skipped) = _detect_both(prep, options)
    assert new_skipped == ref_skipped
    assert new, "the demo plants C5 changes"
    _assert_same_findings(new, ref)


@pytest.mark.slow
@pytest.mark.parametrize("null", [False, True])
def test_detector_matches_the_reference_on_independent_worlds(tmp_path: Path, null: bool) -> None:
    from benchmarks.worlds import WorldSpec, generate_world

    spec = WorldSpec(accounts=200, seed=7, null=null, effect="moderate")
    generate_world(tmp_path / "bundle", spec)
    ws = b2bcx.open_workspace(tmp_path / "ws.duckdb")
    ws.import_bundle(tmp_path / "bundle")
    options = DiagnoseOptions()
    prep = prepare(ws.backend, options)
    (new, new_skipped), (ref, ref_skipped) = _detect_both(prep, options)
    assert new_skipped == ref_skipped
    _assert_same_findings(new, ref)
    if not null:
        assert any("change_point" in f.detector for f in new)
