"""C5, dynamics of the customer experience (Witell et al. 2020, section 3).

"Over time, customer expectations and requirements change the desired form or
type of customer experience", incrementally or disruptively (T 1550-1561). Four
checks, each tested against the rest of the portfolio rather than as a raw
before/after mean:

- ``decline_change_point`` / ``improvement_change_point``: a change of an
  account's level at an unknown month, in either direction. Monthly means of the
  within-person residuals, net of the portfolio's month (season, portfolio-wide
  shocks: the comparison accounts), are tested with a sup-Wald statistic whose
  null distribution is simulated from an AR(1) month shock (its coefficient
  pooled over the portfolio) plus each month's sampling noise
  (:func:`~b2bcx.diagnose.stats.shift_test`); Benjamini–Hochberg over accounts.
- ``relationship_change``: a change of relationship type is a finding only when
  the account's CX moved after it more than comparison accounts without a change
  did over the same window (a difference-in-differences with accounts as
  clusters); a planned change by itself is not a finding.
- ``goal_shift``: an account's mean change of goal importance between survey
  waves against the other accounts' (random-effects z, accounts as clusters).
- ``control_change``: a touchpoint whose controller changed is a finding when
  its accounts' ratings of it moved more than the portfolio did (per-account
  before/after differences, so accounts are the clusters).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, has, severity
from b2bcx.diagnose.findings import Finding, Skipped
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import (
    FloatArray,
    Shift,
    bh_adjust,
    pooled_ar1_params,
    robust_ar1_params,
    shift_tests,
)

#: Seed of the simulated null distributions (a diagnosis is deterministic).
SEED = 20200


def detect_c5(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C5: a change of level in an account's CX (either direction); changes of
    relationship type, touchpoint control or goal importance whose aftermath
    differs from comparison accounts'."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    m = prep.monthly.dropna(subset=["mean"]).sort_values(["account_id", "month"])
    m = m.assign(month=pd.to_datetime(m.month))
    months = m.groupby("account_id").size()
    for account in months.index[(months < options.min_months).to_numpy()]:
        skipped.append(Skipped("C5", str(account), f"fewer than {options.min_months} months "
                               "with ratings for a trend"))  # fmt: skip
    if not m.empty:
        findings += _level_changes(m, months, options)
    findings += _relationship_changes(prep, options)
    findings += _goal_shifts(prep, options)
    findings += _control_changes(prep, options)
    return findings, skipped


def _level_changes(m: pd.DataFrame, months: pd.Series, options: DiagnoseOptions) -> list[Finding]:
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
    if m.empty:
        return []
    # every account's months as slices of arrays (m is sorted by account, month)
    ids = m.account_id.astype(str).to_numpy()
    cut = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts, ends = np.r_[0, cut], np.r_[cut, len(ids)]
    accounts = [str(a) for a in ids[starts]]
    own = dfw.reindex(accounts).to_numpy(float) >= 5
    v_of = np.where(own, (ssw.reindex(accounts) / dfw.reindex(accounts)).to_numpy(float), pooled_v)
    y_all, n_all = m.y.to_numpy(float), m.n.to_numpy(float)
    ys = {a: y_all[s:e] for a, s, e in zip(accounts, starts, ends, strict=True)}
    vs = {a: float(v) / n_all[s:e] for a, v, s, e in zip(accounts, v_of, starts, ends, strict=True)}
    where = {a: (int(s), int(e)) for a, s, e in zip(accounts, starts, ends, strict=True)}

    # The null's AR(1) is estimated over the portfolio's accounts in two passes.
    # Pass 1 takes the median of each account's estimate (robust: a few changed
    # accounts, whose change reads as persistence, hardly move it) to find the
    # clearly changed accounts; pass 2 pools the other accounts (sums of auto-
    # covariances: efficient, about unbiased) and gives the final test. Under
    # the null hardly any account is left out, so the test keeps its size.
    # Every account's test draws from its own generator seeded SEED (the
    # accounts' tests are computed together: shift_tests).
    # Both passes only need which accounts BH rejects at alpha (and, for those,
    # their p and adjusted p): that depends on the p-values at or below alpha
    # only, so the others are just bounded (shift_tests' screen).
    def run(var_a: float, phi: float) -> dict[str, Shift]:
        res = shift_tests(list(ys.values()), list(vs.values()), seed=SEED,
                          reps=options.change_reps, phi=phi, var_a=var_a,
                          screen=options.alpha)  # fmt: skip
        return {a: r for a, r in zip(ys, res, strict=True) if r is not None}

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
    names = list(tests)
    # an adjusted p below alpha is a minimum over p-values at or below alpha only
    # (exact with the screen); the bounded ones stay above alpha
    p_adj = bh_adjust([tests[a].p for a in names])
    month_all = m.month.to_numpy().astype("datetime64[D]")
    raw_all = m.raw.to_numpy(float)
    out = []
    for account, pa in zip(names, p_adj.tolist(), strict=True):
        res = tests[account]
        if not (pa < options.alpha and abs(res.shift) >= options.decline_drop):
            continue
        # the evidence, for the findings only
        s, e = where[account]
        y, n, raw, mon = ys[account], n_all[s:e], raw_all[s:e], month_all[s:e]
        k = res.k
        since, shape = _onset(mon, y, k)
        if len(y) - k >= 3:
            t = (mon[k:] - mon[k]).astype(float) / 365.25
            slope = float(np.polyfit(t, y[k:], 1)[0])
        else:
            slope = 0.0
        down = res.shift < 0
        out.append(
            Finding(
                challenge="C5",
                account_id=account,
                subject_kind="account",
                subject_id=account,
                severity=severity(res.shift, options.decline_drop) * (1.0 if down else 0.5),
                evidence={
                    "since": since,
                    "shape": shape,
                    "direction": "decline" if down else "improvement",
                    "shift": res.shift,
                    "slope_per_year": slope,
                    "drop_since": res.shift,
                    "cx_before": _wmean_of(raw[:k], n[:k]),
                    "cx_after": _wmean_of(raw[k:], n[k:]),
                    "sup_wald": res.sup_wald,
                    "p": res.p,
                    "p_adjusted": pa,
                    "ar1_phi": phi,
                    "test": "sup-Wald mean shift, AR(1) null simulated "
                    f"({options.change_reps} series), net of the portfolio's month",
                    "months": res.months,
                    "ratings": int(n.sum()),
                    "recent_cx": float(raw[-3:].mean()),
                },
                summary=(
                    f"{account}'s experience "
                    + ("fell" if down else "rose")
                    + f" by {fmt(abs(res.shift))} points from {since:%B %Y}, against the "
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


def _onset(month: npt.NDArray[np.datetime64], y: FloatArray, k: int) -> tuple[Any, str]:
    """When a change began, for the evidence: the break month of the step, or the
    start of a linear change (a hinge ``a + b · max(0, t − τ)``) when that fits
    the months better. Description only: the test is the step test's.

    ``month`` are the months (days resolution) of the monthly means ``y``. Every
    candidate start ``τ`` (the 2nd to the 4th-last month) is fitted at once: the
    residual sum of squares of a line in ``h = max(0, t − τ)`` is
    ``Syy − Sxy² / Sxx`` (sums around the means)."""
    t = (month - month[0]).astype(float) / 365.25
    step = np.where(np.arange(len(y)) >= k, y[k:].mean(), y[:k].mean())
    step_rss = float(((y - step) ** 2).sum())
    if len(y) > 3:
        h = np.clip(t[None, :] - t[1 : len(y) - 2, None], 0.0, None)
        h -= h.mean(axis=1, keepdims=True)
        e = y - y.mean()
        rss = float(e @ e) - (h @ e) ** 2 / np.einsum("ij,ij->i", h, h)
        best = int(rss.argmin())
        if float(rss[best]) < step_rss:
            return pd.Timestamp(month[best + 1]).date(), "gradual"
    return pd.Timestamp(month[k]).date(), "step"


def _wmean_of(raw: FloatArray, n: FloatArray) -> float | None:
    total = float(n.sum())
    return float((raw * n).sum() / total) if total else None


def _wmean(d: pd.DataFrame) -> float | None:
    n = float(d.n.sum())
    return float((d.raw * d.n).sum() / n) if n else None


@dataclass(frozen=True)
class _Months:
    """The rated account-months (``prep.monthly`` without a raw mean) as arrays,
    for the before/after windows of many dates (:meth:`window_change`)."""

    names: npt.NDArray[np.object_]  # account ids, sorted; ``code`` indexes them
    code: npt.NDArray[np.int64]
    distinct: npt.NDArray[np.datetime64]  # the months present, sorted
    at: npt.NDArray[np.int64]  # each row's month as an index into ``distinct``
    s: FloatArray  # raw mean × ratings
    n: npt.NDArray[np.int64]
    cache: dict[tuple[int, int, int], pd.DataFrame] = field(default_factory=dict)
    #: each cached frame's rows by account id, by the frame's ``id``
    rows_of: dict[int, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, monthly: pd.DataFrame) -> _Months:
        m = monthly.dropna(subset=["raw"])
        code, names = pd.factorize(m.account_id.astype(str), sort=True)
        month = pd.to_datetime(m.month).to_numpy().astype("datetime64[us]")
        distinct, at = np.unique(month, return_inverse=True)
        return cls(
            names=np.asarray(names, dtype=object),
            code=code.astype(np.int64),
            distinct=distinct,
            at=at.astype(np.int64).reshape(-1),
            s=(m.raw * m.n).to_numpy(dtype=float),
            n=m.n.to_numpy(dtype=np.int64),
        )

    def window_change(self, day: pd.Timestamp, window: int) -> pd.DataFrame:
        """Per account: mean raw CX in the ``window`` days before and after ``day``
        (ratings-weighted) and their difference (accounts with both sides only),
        indexed by account id in sorted order.

        Which months fall before, after and outside is all that matters, so dates
        that split the months alike share one computation (the frame is cached:
        do not change it)."""
        d = pd.Timestamp(day).to_datetime64().astype("datetime64[us]")
        span = np.timedelta64(window, "D")
        bounds = np.searchsorted(self.distinct, [d - span, d, d + span], side="left")
        key3 = (int(bounds[0]), int(bounds[1]), int(bounds[2]))
        if key3 not in self.cache:
            self.cache[key3] = self._change(*key3)
        return self.cache[key3]

    def positions(self, change: pd.DataFrame) -> dict[str, int]:
        """Each account's row in ``change``, a frame :meth:`window_change` returned
        (computed once per frame)."""
        key = id(change)
        if key not in self.rows_of:
            self.rows_of[key] = {str(a): i for i, a in enumerate(change.index.tolist())}
        return self.rows_of[key]

    def _change(self, lo: int, mid: int, hi: int) -> pd.DataFrame:
        inside = (self.at >= lo) & (self.at < hi)
        key = self.code[inside] * 2 + (self.at[inside] >= mid)  # 2 · account + after
        if len(key) == 0:
            return pd.DataFrame(columns=["before", "after", "change"])
        # pandas' grouped sum (compensated) in the months' order, as a frame's
        # group-by by account and side sums them
        s = pd.Series(self.s[inside]).groupby(key, sort=True).sum()
        slots = 2 * len(self.names)
        total = np.zeros(slots)
        total[s.index.to_numpy()] = s.to_numpy()
        n = np.bincount(key, weights=self.n[inside], minlength=slots)
        rows = np.bincount(key, minlength=slots)
        if not rows[0::2].any() or not rows[1::2].any():
            return pd.DataFrame(columns=["before", "after", "change"])
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total / n
        before, after = mean[0::2], mean[1::2]
        both = (rows[0::2] > 0) & (rows[1::2] > 0) & ~np.isnan(before) & ~np.isnan(after)
        # object ids: the DiD looks accounts up in it for every event
        index = pd.Index(self.names[both], name="account_id", dtype=object)
        return pd.DataFrame(
            {"before": before[both], "after": after[both], "change": after[both] - before[both]},
            index=index,
        )


def _window_change(monthly: pd.DataFrame, day: pd.Timestamp, window: int) -> pd.DataFrame:
    """Per account: mean raw CX in the ``window`` days before and after ``day``
    (ratings-weighted) and their difference (accounts with both sides only)."""
    return _Months.of(monthly).window_change(day, window)


def _did(
    change: pd.DataFrame, treated: str, excluded: set[str],
    positions: dict[str, int] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The treated account's before/after change against the comparison accounts'
    (accounts as clusters: a t statistic for one new draw from their distribution).
    ``positions``: each account's row in ``change`` (:meth:`_Months.positions`),
    when the caller has them."""
    if positions is None:
        positions = {str(a): i for i, a in enumerate(change.index.tolist())}
    at = positions.get(treated)
    if at is None:
        return None
    diffs = change["change"].to_numpy(dtype=float)
    keep = np.ones(len(diffs), dtype=bool)
    keep[[i for i in (positions.get(a) for a in excluded) if i is not None]] = False
    comp = diffs[keep]
    if len(comp) < 5:
        return None
    sd = float(comp.std(ddof=1))
    own = {k: float(change[k].to_numpy(dtype=float)[at]) for k in ("before", "after", "change")}
    centre = float(comp.mean())
    did = own["change"] - centre
    se = sd * math.sqrt(1 + 1 / len(comp))
    p = float(2 * stats.t.sf(abs(did / se), len(comp) - 1)) if se > 0 else float("nan")
    return {"cx_before": own["before"], "cx_after": own["after"], "change": own["change"],
            "comparison_change": centre, "did": did, "did_se": se,
            "comparison_accounts": len(comp), "p": p}  # fmt: skip


def _before_after(prep: Prepared, account: str, day: pd.Timestamp, window: int) -> dict[str, Any]:
    m = prep.monthly_of(account)
    lo, hi = day - pd.Timedelta(days=window), day + pd.Timedelta(days=window)
    before = m[(m.month >= lo) & (m.month < day)]
    after = m[(m.month >= day) & (m.month < hi)]
    b, a = _wmean(before), _wmean(after)
    return {"cx_before": b, "cx_after": a, "change": None if a is None or b is None else a - b}


@dataclass(frozen=True)
class _AccountMonths:
    """Every account's rows of ``prep.monthly`` (in their order there) as
    positions into plain arrays, for the before/after means of many accounts
    (:meth:`before_after`, what :func:`_before_after` gives for one)."""

    rows: dict[str, npt.NDArray[np.intp]]
    month: npt.NDArray[np.datetime64]
    raw: FloatArray
    n: npt.NDArray[np.int64]

    @classmethod
    def of(cls, monthly: pd.DataFrame) -> _AccountMonths:
        codes, names = pd.factorize(monthly.account_id)
        order = np.argsort(codes, kind="stable")
        ends = np.searchsorted(codes[order], np.arange(len(names)), side="right")
        starts = np.r_[0, ends[:-1]] if len(names) else ends
        rows = {str(a): order[s:e] for a, s, e in zip(names.tolist(), starts, ends, strict=True)}
        return cls(
            rows=rows,
            month=pd.to_datetime(monthly.month).to_numpy(),
            raw=monthly.raw.to_numpy(dtype=float),
            n=monthly.n.to_numpy(dtype=np.int64),
        )

    def _wmean(self, at: npt.NDArray[np.intp]) -> float | None:
        # as pandas sums a frame's columns: NaN products count as 0
        n = float(self.n[at].sum())
        if not n:
            return None
        prod = self.raw[at] * self.n[at]
        return float(np.where(np.isnan(prod), 0.0, prod).sum() / n)

    def before_after(self, account: str, day: pd.Timestamp, window: int) -> dict[str, Any]:
        """:func:`_before_after` of ``account``."""
        at = self.rows.get(account, np.empty(0, dtype=np.intp))
        month = self.month[at]
        lo = (day - pd.Timedelta(days=window)).to_datetime64()
        hi = (day + pd.Timedelta(days=window)).to_datetime64()
        d = day.to_datetime64()
        b = self._wmean(at[(month >= lo) & (month < d)])
        a = self._wmean(at[(month >= d) & (month < hi)])
        return {"cx_before": b, "cx_after": a, "change": None if a is None or b is None else a - b}


def _relationship_changes(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    rel = prep.relationships
    if rel.empty or prep.monthly.empty:
        return []
    rel = rel.assign(_from=pd.to_datetime(rel.valid_from)).sort_values(
        ["account_id", "_from"], na_position="first"
    )
    events = []
    as_of = pd.Timestamp(prep.as_of)
    # one pass over the versions, sorted by account then date (an account's
    # consecutive versions are the pairs)
    records = [r for r in rel.to_dict("records") if not pd.isna(r["account_id"])]
    for account, versions in itertools.groupby(records, key=lambda r: r["account_id"]):
        for before, after in itertools.pairwise(versions):
            day = after["_from"]
            if pd.isna(day) or day > as_of:
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
    months = _Months.of(prep.monthly)
    window = options.change_window_days
    who = np.array([e[0] for e in events], dtype=object)
    when = np.array([pd.Timestamp(e[1]).to_datetime64() for e in events]).astype("datetime64[us]")
    rows = []
    for (account, day, changes, after), d in zip(events, when, strict=True):
        # comparison accounts: no change of their own within the window
        apart = (when - d) // np.timedelta64(1, "D")
        near = {str(a) for a in who[np.abs(apart) <= window]}
        change = months.window_change(day, window)
        did = _did(change, account, near, months.positions(change))
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


#: A re-asked account whose own change of a goal's importance has a p-value
#: above this (one-sample t) serves as a comparison account without an event.
GOAL_REFERENCE_P = 0.2


def _own_change_p(ok: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Two-sided one-sample t p-value of each account's mean change (0 when the
    people agree exactly on a non-zero change, 1 on no change at all)."""
    mean = ok["mean"].to_numpy(dtype=float)
    var = ok["var"].fillna(0.0).to_numpy(dtype=float)
    size = ok["size"].to_numpy(dtype=float)
    se = np.sqrt(np.where(var > 0, var, 0.0) / size)
    out = np.where(mean != 0, 0.0, 1.0)
    has = se > 0
    t = np.abs(mean[has]) / se[has]
    out[has] = 2 * stats.t.sf(t, np.maximum(size[has] - 1, 1))
    return out


def _goal_shifts(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """Each account's mean change of a goal's importance against the other accounts'."""
    w = prep.goal_waves
    if w.empty:
        return []
    w = w.assign(delta=(w["last"] - w["first"]).astype(float))
    per = w.groupby(["goal", "account_id"]).agg(
        mean=("delta", "mean"), var=("delta", "var"), size=("delta", "size"),
        last_at=("last_at", "max"),
    ).reset_index()  # fmt: skip
    rows = []
    for _goal, g in per.groupby("goal"):
        ok = g[g["size"] >= options.min_people]
        own_p = _own_change_p(ok)
        # the comparison accounts are those without an event of their own: re-asked
        # accounts whose own change is not even weakly significant. When every
        # re-asked account shifted (a survey re-run only where priorities moved),
        # their median is no reference for "no shift".
        without = ok[own_p > GOAL_REFERENCE_P]
        if len(without) < 5:
            # too few accounts without an event to compare with: the people's own
            # changes (one-sample t), which cannot rule out a portfolio-wide shift
            for d, p in zip(ok.to_dict("records"), own_p.tolist(), strict=True):
                se = math.sqrt(d["var"] / d["size"]) if d["var"] > 0 else 0.0
                t = d["mean"] / se if se > 0 else (math.inf if d["mean"] else 0.0)
                rows.append({**d, "others": None, "did": d["mean"], "z": t, "p": float(p)})
            continue
        within = float((ok["var"].fillna(0) * (ok["size"] - 1)).sum() / (ok["size"] - 1).sum())
        # the centre of the accounts without an event, and the spread of all,
        # robustly (median, MAD), so that accounts with shifts of their own do
        # not mask this one; the between-account variance is what the spread
        # shows beyond sampling
        means = ok["mean"].to_numpy(dtype=float)
        centre = float(np.median(without["mean"].to_numpy(dtype=float)))
        spread2 = (1.4826 * float(np.median(np.abs(means - centre)))) ** 2
        tau2 = max(0.0, spread2 - float((within / ok["size"]).median()))
        count = len(ok)
        for d in ok.to_dict("records"):
            others = centre
            se = math.sqrt(within / d["size"] + tau2 + (within / d["size"] + tau2) / (count - 1))
            z = (d["mean"] - others) / se if se > 0 else 0.0
            rows.append({**d, "others": others, "did": d["mean"] - others, "z": z,
                         "p": math.erfc(abs(z) / math.sqrt(2))})  # fmt: skip
    if not rows:
        return []
    table = pd.DataFrame(rows)
    table["p_adj"] = bh_adjust(table.p.to_numpy())
    hits = table[(table.p_adj < options.alpha) & (table.did.abs() >= options.goal_shift)]
    out: list[Finding] = []
    if hits.empty:
        return out
    # each account's hits (in the table's order) and their extremes, in one pass
    by_account: dict[str, list[dict[Hashable, Any]]] = {}
    for d in hits.to_dict("records"):
        by_account.setdefault(str(d["account_id"]), []).append(d)
    per = hits.assign(_abs=hits.did.abs()).groupby("account_id").agg(
        last_at=("last_at", "max"), worst=("_abs", "max"), p_adj=("p_adj", "min"),
        size=("size", "max"),
    )  # fmt: skip
    series = _AccountMonths.of(prep.monthly)
    for account, last_at, worst, p_min, people in zip(
        per.index.tolist(), per.last_at.tolist(), per.worst.tolist(), per.p_adj.tolist(),
        per["size"].tolist(), strict=True,
    ):  # fmt: skip
        found = by_account[str(account)]
        day = pd.Timestamp(last_at)
        cx = series.before_after(str(account), day, options.change_window_days)
        changes = {str(r["goal"]): round(float(r["did"]), 2) for r in found}
        out.append(
            Finding(
                challenge="C5",
                account_id=str(account),
                subject_kind="account",
                subject_id=str(account),
                severity=severity(float(worst), options.goal_shift),
                evidence={
                    "date": day.date(),
                    "goal_importance_change": changes,
                    "own_change": {str(r["goal"]): round(float(r["mean"]), 2) for r in found},
                    "others_change": {
                        str(r["goal"]): None if (o := r["others"]) is None else round(float(o), 2)
                        for r in found
                    },
                    "p_adjusted": float(p_min),
                    "people": int(people),
                    "test": "account's mean change against the accounts' median change "
                    "(random-effects z with a robust between-account spread; accounts as "
                    "clusters)",
                    **cx,
                },
                summary=f"{account}'s priorities shifted ({_changes_text(changes)} on a 1–5 "
                "importance scale, beyond the other accounts' change).",
                implication="Changing customer goals change the experience they want; the value "
                "proposition must follow (Witell et al. 2020, C5; Wirtz et al. 2025, step 4).",
                actions=(
                    "Revisit the value proposition for this account with its decision makers.",
                ),
                detector="goal_shift",
            )
        )
    return out


def _changes_text(changes: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.1f}" for k, v in changes.items())


def _control_changes(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """A change of a touchpoint's controller whose accounts' ratings of it moved
    more than the portfolio did over the same window."""
    cc = prep.control_changes
    if cc.empty or prep.monthly.empty:
        return []
    months = _Months.of(prep.monthly)
    rows = []
    for r in cc.to_dict("records"):
        per = r.get("per_account")
        day = pd.Timestamp(r["date"])
        portfolio = months.window_change(day, options.change_window_days)
        base = float(portfolio.change.mean()) if not portfolio.empty else 0.0
        diffs = (
            np.array([a["after"] - a["before"] for a in per], dtype=float)
            if isinstance(per, list)
            else np.array([], dtype=float)
        )
        test: dict[str, Any] = {"accounts_both_sides": len(diffs), "portfolio_change": base}
        if len(diffs) >= 3 and diffs.std(ddof=1) > 0:
            did = float(diffs.mean() - base)
            se = float(diffs.std(ddof=1) / math.sqrt(len(diffs)))
            test |= {"did": did, "did_se": se,
                     "p": float(2 * stats.t.sf(abs(did / se), len(diffs) - 1))}  # fmt: skip
        rows.append((r, test))
    ps = bh_adjust([t.get("p", np.nan) for _, t in rows])
    out = []
    for (r, test), p_adj in zip(rows, ps, strict=True):
        if not (p_adj < options.alpha and abs(test["did"]) >= options.decline_drop):
            continue
        b, a = r.get("before_raw"), r.get("after_raw")
        change = None if b is None or a is None or pd.isna(a) or pd.isna(b) else a - b
        worse = test["did"] < 0
        frm = r["from_controller"] + (
            f" ({r['from_partner']})" if has(r.get("from_partner")) else ""
        )
        to = r["to_controller"] + (f" ({r['to_partner']})" if has(r.get("to_partner")) else "")
        keys = ("date", "from_controller", "to_controller", "from_partner", "to_partner",
                "before_n", "after_n", "before_raw", "after_raw")  # fmt: skip
        out.append(
            Finding(
                challenge="C5",
                account_id=None,
                subject_kind="touchpoint",
                subject_id=str(r["touchpoint_id"]),
                severity=severity(test["did"], options.decline_drop) * (1.0 if worse else 0.5),
                evidence={k: r.get(k) for k in keys}
                | {
                    "change": change,
                    **test,
                    "p_adjusted": float(p_adj),
                    "test": "per-account before/after change against the portfolio's "
                    "(accounts as clusters)",
                },
                summary=f"Control of '{r.get('name') or r['touchpoint_id']}' moved from {frm} to "
                f"{to} on {r['date']:%d %b %Y}; its CX moved {test['did']:+.0f} points against "
                "the portfolio.",
                implication="Touchpoint control changes over a relationship; each change needs "
                "the experience monitored again (Witell et al. 2020, C4–C5).",
                actions=(
                    "Compare the touchpoint before and after the handover monthly and agree "
                    "standards with the new controller.",
                ),
                detector="control_change",
            )
        )
    return out
