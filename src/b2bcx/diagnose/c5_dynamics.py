"""C5, dynamics of the customer experience (Witell et al. 2020, section 3)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, has, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust, change_points


def detect_c5(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C5: a decline after a change point in an account's CX; changes of relationship
    type, touchpoint control or goal importance and what CX did after them."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    m = prep.monthly.dropna(subset=["mean"]).sort_values(["account_id", "month"])
    m = m.assign(month=pd.to_datetime(m.month))
    first = pd.Timestamp(m.month.min()) if not m.empty else pd.Timestamp(prep.as_of)
    months = m.groupby("account_id").size()
    for account in months.index[(months < options.min_months).to_numpy()]:
        skipped.append(Skipped("C5", str(account), f"fewer than {options.min_months} months "
                               "with ratings for a trend"))  # fmt: skip
    m = m[m.account_id.map(months) >= options.min_months]
    if not m.empty:
        grid = pd.date_range(first, m.month.max(), freq="MS")
        col = grid.get_indexer(pd.DatetimeIndex(m.month))
        accounts, row = np.unique(m.account_id.to_numpy(), return_inverse=True)
        shape = (len(accounts), len(grid))
        mean, n = np.zeros(shape), np.zeros(shape)
        mean[row, col], n[row, col] = m["mean"].to_numpy(), m.n.to_numpy()
        ssw = np.bincount(row, (m["var"].fillna(0) * (m.n - 1)).to_numpy(), len(accounts))
        t = (grid - first).days.to_numpy() / 365.25
        cps = change_points(t, mean, n, ssw)
        raw_last = m.groupby("account_id").tail(3).groupby("account_id").raw.mean()
        table = pd.DataFrame({"account_id": accounts, "p": cps.p, "tau": cps.tau,
                              "slope": cps.slope, "drop": cps.drop, "n": cps.n,
                              "months": months.reindex(accounts).to_numpy(),
                              "raw_last": raw_last.reindex(accounts).to_numpy()})  # fmt: skip
        table = table.dropna(subset=["p"])
        table["p_adj"] = bh_adjust(table.p.to_numpy())
        for r in records_of(table):
            if not (r.p_adj < options.alpha and r.slope <= -options.decline_per_year
                    and -r.drop >= options.decline_drop):  # fmt: skip
                continue
            since = (first + pd.Timedelta(days=r.tau * 365.25)).date()
            findings.append(
                Finding(
                    challenge="C5",
                    account_id=r.account_id,
                    subject_kind="account",
                    subject_id=r.account_id,
                    severity=severity(r.drop, options.decline_drop),
                    evidence={
                        "since": since,
                        "slope_per_year": r.slope,
                        "drop_since": r.drop,
                        "p_adjusted": r.p_adj,
                        "months": r.months,
                        "ratings": r.n,
                        "recent_cx": r.raw_last,
                    },
                    summary=f"{r.account_id}'s experience has been falling since {since:%B %Y}, by "
                    f"{fmt(-r.drop)} points so far.",
                    implication="Customer expectations and requirements change over time; the "
                    "experience "
                    "design has not kept up (Witell et al. 2020, C5).",
                    actions=(
                        "Ask the account what changed around that time (needs, people, contract).",
                        "Re-check the account's goals and relationship type and adapt the "
                        "touchpoints.",
                    ),
                    detector="decline_change_point",
                )
            )
    findings += _relationship_changes(prep, options)
    findings += _goal_shifts(prep, options)
    findings += _control_changes(prep, options)
    return findings, skipped


def _before_after(prep: Prepared, account: str, day: pd.Timestamp, window: int) -> dict[str, Any]:
    m = prep.monthly_of(account)
    lo, hi = day - pd.Timedelta(days=window), day + pd.Timedelta(days=window)
    before = m[(m.month >= lo) & (m.month < day)]
    after = m[(m.month >= day) & (m.month < hi)]

    def wmean(d: pd.DataFrame) -> float | None:
        return float((d.raw * d.n).sum() / d.n.sum()) if d.n.sum() else None

    b, a = wmean(before), wmean(after)
    return {"cx_before": b, "cx_after": a, "change": None if a is None or b is None else a - b}


def _relationship_changes(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    rel = prep.relationships
    out: list[Finding] = []
    if rel.empty:
        return out
    rel = rel.assign(_from=pd.to_datetime(rel.valid_from)).sort_values(
        ["account_id", "_from"], na_position="first"
    )
    for account, g in rel.groupby("account_id"):
        recs = g.to_dict("records")
        for before, after in itertools.pairwise(recs):
            day = after["_from"]
            if pd.isna(day) or day > pd.Timestamp(prep.as_of):
                continue
            changes = {
                k: (before[k], after[k])
                for k in ("relationship_intended", "relationship_expected")
                if before[k] != after[k]
            }
            if not changes:
                continue
            cx = _before_after(prep, str(account), day, options.change_window_days)
            mismatch = after["relationship_intended"] != after["relationship_expected"]
            worse = cx["change"] is not None and cx["change"] < 0
            sev = 0.4 + 0.3 * mismatch + 0.3 * min(1.0, -(cx["change"] or 0) / 20) * worse
            what = "; ".join(f"{k.split('_')[1]} {a} → {b}" for k, (a, b) in changes.items())
            out.append(
                Finding(
                    challenge="C5",
                    account_id=str(account),
                    subject_kind="account",
                    subject_id=str(account),
                    severity=float(min(1.0, sev)),
                    evidence={
                        "date": day.date(),
                        "changes": {k: list(v) for k, v in changes.items()},
                        "mismatch_after": bool(mismatch),
                        **cx,
                    },
                    summary=f"{account}'s relationship changed on {day:%d %b %Y} ({what})"
                    + (
                        f"; CX moved {cx['change']:+.0f} points after."
                        if cx["change"] is not None
                        else "."
                    ),
                    implication="A shift between transactional and relational exchange calls for "
                    "a redesign of "
                    "the key touchpoints (Witell et al. 2020, C5).",
                    actions=(
                        "Review the touchpoints and service level against the new relationship "
                        "type.",
                    ),
                    detector="relationship_change",
                )
            )
    return out


def _goal_shifts(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    w = prep.goal_waves
    out: list[Finding] = []
    if w.empty:
        return out
    w = w.assign(delta=w["last"] - w["first"])
    for account, g in w.groupby("account_id"):
        per = g.groupby("goal").delta.agg(["mean", "std", "size"])
        per = per[per["size"] >= options.min_people]
        moved = per[per["mean"].abs() >= options.goal_shift]
        if moved.empty:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            t = moved["mean"] / (moved["std"] / np.sqrt(moved["size"]))
        if not (t.abs() > 3).any() and not (moved["std"].fillna(0) == 0).any():
            continue
        day = pd.Timestamp(g.last_at.max())
        cx = _before_after(prep, str(account), day, options.change_window_days)
        changes = {str(k): round(float(v), 2) for k, v in moved["mean"].items()}
        out.append(
            Finding(
                challenge="C5",
                account_id=str(account),
                subject_kind="account",
                subject_id=str(account),
                severity=severity(float(moved["mean"].abs().max()), options.goal_shift),
                evidence={
                    "date": day.date(),
                    "goal_importance_change": changes,
                    "people": int(moved["size"].max()),
                    **cx,
                },
                summary=f"{account}'s priorities shifted ({_changes_text(changes)} on a 1–5 "
                "importance scale).",
                implication="Changing customer goals change the experience they want; the value "
                "proposition "
                "must follow (Witell et al. 2020, C5; Wirtz et al. 2025, step 4).",
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
    out: list[Finding] = []
    for r in prep.control_changes.to_dict("records"):
        b, a = r.get("before_raw"), r.get("after_raw")
        change = None if b is None or a is None or pd.isna(a) or pd.isna(b) else a - b
        sev = 0.4 + (0.6 * min(1.0, -change / 20) if change is not None and change < 0 else 0.0)
        frm = r["from_controller"] + (
            f" ({r['from_partner']})" if has(r.get("from_partner")) else ""
        )
        to = r["to_controller"] + (f" ({r['to_partner']})" if has(r.get("to_partner")) else "")
        out.append(
            Finding(
                challenge="C5",
                account_id=None,
                subject_kind="touchpoint",
                subject_id=str(r["touchpoint_id"]),
                severity=float(sev),
                evidence={
                    k: r.get(k)
                    for k in (
                        "date",
                        "from_controller",
                        "to_controller",
                        "from_partner",
                        "to_partner",
                        "before_n",
                        "after_n",
                        "before_raw",
                        "after_raw",
                    )
                }
                | {"change": change},
                summary=f"Control of '{r.get('name') or r['touchpoint_id']}' moved from {frm} to "
                f"{to} on "
                f"{r['date']:%d %b %Y}"
                + (f"; its CX moved {change:+.0f} points." if change is not None else "."),
                implication="Touchpoint control changes over a relationship; each change needs "
                "the experience "
                "monitored again (Witell et al. 2020, C4–C5).",
                actions=(
                    "Compare the touchpoint before and after the handover monthly and agree "
                    "standards with the new controller.",
                ),
                detector="control_change",
            )
        )
    return out
