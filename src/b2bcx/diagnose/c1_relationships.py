"""C1, mismatches in business relationships (Witell et al. 2020, section 3.1.1).

Three detectors: the relationship type the supplier intends against the one the
customer expects (stated, or read from the relationships goal with an
interval); a divergence about what an excellent experience is (the goals the
account's people value most delivered worse than elsewhere); and customer power
(the customer controls most of the touchpoints).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, current_relationships, has, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust
from b2bcx.model.enums import Goal

#: 1–5 → 0–100: a difference of one scale point is 25 points.
_GOAL_POINTS = 25.0


def detect_c1(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C1: mismatches in business relationships.

    - ``relationship_type``: the supplier intends one relationship type and the
      customer expects the other (stated, or read from the relationships goal:
      :func:`_expected_from_goals`), more severe for a low-value account
      expecting relational care;
    - ``excellent_experience``: :func:`_excellence_divergence`;
    - ``customer_power``: customer-controlled touchpoints carry most of the
      account's experience.
    """
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    rel = current_relationships(prep)
    values = prep.accounts.set_index("account_id")["annual_value"].astype(float)
    low_cut = float(values.quantile(options.low_value_quantile)) if values.notna().any() else 0.0
    inferred = _expected_from_goals(prep, options)
    shares = _customer_shares(prep)
    for account, row in zip(rel.index, records_of(rel), strict=True):
        intended, expected = row.relationship_intended, row.relationship_expected
        source = "stated by the customer"
        guess = inferred.get(str(account))
        if pd.isna(expected) and guess is not None and guess.call is not None:
            expected, source = guess.call, "read from the importance of the relationships goal"
        if pd.isna(intended) or pd.isna(expected):
            skipped.append(Skipped("C1", str(account), _unknown_reason(intended, guess, options)))
            continue
        if intended == expected:
            continue
        value = float(values.get(account, np.nan))
        low = bool(not math.isnan(value) and value <= low_cut)
        stated = source[0] == "s"
        severity_ = 0.6 + 0.2 * (expected == "relational" and low) + 0.2 * stated
        evidence: dict[str, Any] = {
            "intended": intended,
            "expected": expected,
            "expected_source": source,
            "annual_value": value,
            "low_value_cut": low_cut,
            "low_value_expects_relational": bool(low and expected == "relational"),
            "customer_controlled_share": shares.get(str(account)),
        }
        if not stated and guess is not None:
            evidence["relationships_goal_importance"] = {
                "mean": guess.mean, "interval": [guess.low, guess.high],
                "threshold": options.relational_importance, "people": guess.people,
                "rwg": guess.rwg,
            }  # fmt: skip
        findings.append(_type_finding(str(account), intended, expected, low, severity_, evidence))
    found, skipped_here = _excellence_divergence(prep, options)
    findings += found
    skipped += skipped_here
    findings += _customer_power(prep, options)
    return findings, skipped


def _unknown_reason(
    intended: Any, guess: ExpectedFromGoals | None, options: DiagnoseOptions
) -> str:
    if pd.isna(intended):
        return "relationship type the supplier intends unknown (accounts.relationship_intended)"
    if guess is None:
        return (
            "relationship type the customer expects unknown: not stated "
            "(accounts.relationship_expected) and fewer than "
            f"{options.min_people} people rated the importance of the relationships goal (goals)"
        )
    return (
        "relationship type the customer expects unknown: not stated "
        "(accounts.relationship_expected), and the importance of the relationships goal "
        f"({guess.mean:.2f}, interval {guess.low:.2f}–{guess.high:.2f}, {guess.people} people) "
        f"does not lie clearly above or below {options.relational_importance:g}"
    )


def _type_finding(
    account: str, intended: str, expected: str, low: bool, sev: float, evidence: dict[str, Any]
) -> Finding:
    if expected == "relational":
        summary = (
            f"{account} expects a relational partnership but is served as a "
            f"transactional customer{' — and it is a low-value account' if low else ''}."
        )
        implication = (
            "The customer expects more than the contract delivers; unmanaged, "
            "its experience erodes (Witell et al. 2020, C1; the Shell case)."
        )
        actions: tuple[str, ...] = (
            "Make the value and cost of each service level transparent and agree "
            "which relationship the account pays for.",
            "If the account's value justifies it, add relational touchpoints "
            "(named contact, regular reviews); if not, educate on the transactional "
            "offer and its benefits."
            if low
            else "Consider moving the account to a relational offer with a named account team.",
        )
    else:
        summary = (
            f"{account} wants a transactional, efficient relationship while the "
            "supplier invests in a relational one."
        )
        implication = (
            "Relational effort the customer does not value is unprofitable and "
            "can feel like micro-management (Witell et al. 2020, C1)."
        )
        actions = (
            "Agree with the customer what an excellent experience is for them, "
            "then simplify touchpoints to that level.",
            "Redirect relational resources to accounts that value them.",
        )
    return Finding(
        challenge="C1",
        account_id=account,
        subject_kind="account",
        subject_id=account,
        severity=min(1.0, sev),
        evidence=evidence,
        summary=summary,
        implication=implication,
        actions=actions,
        detector="relationship_type",
    )


@dataclass(frozen=True)
class ExpectedFromGoals:
    """The relationship an account's people expect, read from the relationships goal.

    Attributes
    ----------
    call : str or None
        ``relational``, ``transactional``, or None when the interval straddles
        the threshold (undetermined).
    mean, low, high : float
        Mean importance (1–5) of the relationships goal over the account's
        people (each person's latest answer) and its ``1 − alpha`` t-interval.
    people : int
        People who rated the goal's importance.
    rwg : float
        Their agreement, ``1 − s² / 2`` (uniform null of a 5-point item), 0 below 0.
    """

    call: str | None
    mean: float
    low: float
    high: float
    people: int
    rwg: float


def _expected_from_goals(prep: Prepared, options: DiagnoseOptions) -> dict[str, ExpectedFromGoals]:
    """Expected relationship read from the importance of the *relationships* goal.

    Witell et al.'s relational exchange orientation is the bond with the
    supplier (the ``relationships`` goal: trust, social bonds), not the
    individual's growth (``empowerment``, Wirtz et al.'s individual goal), so
    only the relationships goal counts. The call is calibrated: the account's
    mean importance (people's latest answers, one value per person) gets a
    ``1 − alpha`` t-interval, and the account reads as relational only when the
    whole interval lies above ``relational_importance``, transactional only
    when it lies below; otherwise the expectation stays unknown.
    """
    latest = prep.goal_latest
    if latest.empty:
        return {}
    rel = latest[latest.goal == "relationships"].dropna(subset=["importance"])
    per = rel.groupby("account_id").importance.agg(["mean", "std", "size"])
    out: dict[str, ExpectedFromGoals] = {}
    cut = options.relational_importance
    quantile: dict[int, float] = {}  # the t quantile of each group size, computed once
    for account, mean, std, size in zip(per.index.tolist(), per["mean"].tolist(),
                                        per["std"].tolist(), per["size"].tolist(),
                                        strict=True):  # fmt: skip
        n = int(size)
        if n < options.min_people:
            continue
        sd = float(std) if has(std) else 0.0
        if n not in quantile:
            quantile[n] = float(_stats.t.ppf(1 - options.alpha / 2, n - 1))
        half = quantile[n] * sd / math.sqrt(n)
        low, high = float(mean) - half, float(mean) + half
        call = "relational" if low > cut else "transactional" if high < cut else None
        out[str(account)] = ExpectedFromGoals(
            call=call, mean=float(mean), low=low, high=high, people=n,
            rwg=max(0.0, 1.0 - sd**2 / 2.0),
        )  # fmt: skip
    return out


def _excellence_divergence(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """Divergence about what an excellent experience is (Witell et al. 2020, 3.1.1).

    The account's people value a goal at least as much as the portfolio does
    (mean latest importance, 1–5) while the supplier delivers that goal to them
    worse than its other goals, compared with the same contrast elsewhere:

    - each person's *contrast* for goal g is their mean performance rating of
      g minus the mean of their ratings of the other goals (so an account whose
      whole experience is poor is not read as a divergence: that is a level);
    - the account's mean contrast (people are the units) is compared with the
      portfolio's median contrast of g; the standard error adds the
      between-account variance of the contrast (a robust moment estimate:
      the squared MAD of the account means less their median sampling
      variance), so the
      account is tested against the spread of real accounts, not only its own
      sampling noise; one-sided t, ``n − 1`` df;
    - Benjamini–Hochberg over every account × goal tested; a finding needs
      the adjusted p < ``alpha`` and a shortfall ≥ ``excellence_gap`` (0–100).
    """
    perf, latest = prep.person_goals, prep.goal_latest
    if perf.empty or latest.empty:
        return [], []
    goals = [g.value for g in Goal if g.value in perf and perf[f"{g.value}_n"].sum() > 0]
    if len(goals) < 2:
        return [], []
    importance = latest.dropna(subset=["importance"])
    acc_imp = importance.groupby(["account_id", "goal"]).importance.mean()
    portfolio_imp = acc_imp.groupby(level="goal").mean()
    # (account, goal) → mean importance, looked up per goal for all accounts at once
    imp_keys = pd.Index(acc_imp.index.tolist(), tupleize_cols=False)
    imp_values = acc_imp.to_numpy(dtype=float)
    parts: list[pd.DataFrame] = []
    values = perf[goals].to_numpy(dtype=float)
    counts = perf[[f"{g}_n" for g in goals]].to_numpy(dtype=float)
    values = np.where(counts > 0, values, np.nan)
    for j, goal in enumerate(goals):
        others = np.delete(values, j, axis=1)
        rated = ~np.isnan(others)
        with np.errstate(invalid="ignore", divide="ignore"):
            other_mean = np.where(rated, others, 0.0).sum(axis=1) / rated.sum(axis=1)
        contrast = values[:, j] - other_mean
        frame = perf[["account_id"]].assign(c=contrast).dropna()
        acc = frame.groupby("account_id").c.agg(["mean", "var", "size"])
        acc = acc[acc["size"] >= options.min_people]
        if len(acc) < 3:
            continue
        sampling = (acc["var"] / acc["size"]).to_numpy()
        # robust centre and spread of the typical account, so the accounts looked
        # for do not widen their own reference
        reference = float(acc["mean"].median())
        mad = float((acc["mean"] - reference).abs().median()) * 1.4826
        tau2 = max(0.0, mad**2 - float(np.nanmedian(sampling)))
        se = np.sqrt(sampling + tau2)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (acc["mean"].to_numpy() - reference) / se
        p = np.asarray(_stats.t.cdf(t, acc["size"].to_numpy() - 1), dtype=float)
        norm = float(portfolio_imp.get(goal, np.nan))
        means, sizes = acc["mean"].to_numpy(dtype=float), acc["size"].to_numpy()
        names = acc.index.tolist()
        at = imp_keys.get_indexer([(a, goal) for a in names])
        imp = np.where(at >= 0, imp_values[at], np.nan)
        # only goals this account values at least as much as others do
        with np.errstate(invalid="ignore"):
            keep = ~np.isnan(imp) & (imp >= norm)
        if not keep.any():
            continue
        chosen = np.flatnonzero(keep)
        parts.append(pd.DataFrame({
            "account_id": [str(names[k]) for k in chosen.tolist()], "goal": goal,
            "importance": imp[chosen], "importance_portfolio": norm,
            "contrast": means[chosen], "contrast_portfolio": reference,
            "people": sizes[chosen].astype(int),
            "shortfall": (reference - means[chosen]) * _GOAL_POINTS,
            "p": np.where(np.isfinite(p[chosen]), p[chosen], np.nan),
        }))  # fmt: skip
    if not parts:
        return [], []
    table = pd.concat(parts, ignore_index=True)
    table["p_adj"] = bh_adjust(table.p.to_numpy())
    hits = table[(table.p_adj < options.alpha) & (table.shortfall >= options.excellence_gap)]
    findings: list[Finding] = []
    for account, group in hits.sort_values("shortfall", ascending=False).groupby(
        "account_id", sort=True
    ):
        worst = next(records_of(group.head(1)))
        account = str(account)
        diverging = [
            {"goal": r.goal, "importance": r.importance,
             "importance_portfolio": r.importance_portfolio,
             "delivery_vs_other_goals": r.contrast,
             "delivery_vs_other_goals_portfolio": r.contrast_portfolio,
             "shortfall": r.shortfall, "people": r.people, "p": r.p, "p_adjusted": r.p_adj}
            for r in records_of(group)
        ]  # fmt: skip
        findings.append(
            Finding(
                challenge="C1",
                account_id=str(account),
                subject_kind="account",
                subject_id=str(account),
                severity=severity(float(worst.shortfall), options.excellence_gap),
                evidence={"goals": diverging, "threshold": options.excellence_gap},
                summary=f"{account}'s people value {worst.goal} (importance "
                f"{worst.importance:.1f} of 5, portfolio {worst.importance_portfolio:.1f}) but "
                f"get it {worst.shortfall:.0f} points worse, against their other goals, than "
                "other accounts do.",
                implication="Supplier and customer disagree on what an excellent experience is: "
                "what the customer values is what the supplier delivers least "
                "(Witell et al. 2020, C1).",
                actions=(
                    f"Ask {account} what an excellent experience of {worst.goal} is for them "
                    "and agree an appropriate level, with its cost, openly.",
                    "Shift the account's touchpoints towards the goals it values.",
                ),
                detector="excellent_experience",
            )
        )
    return findings, []


def _customer_shares(prep: Prepared) -> dict[str, float]:
    contact = prep.contact
    if "customer_share" not in contact:
        return {}
    share = contact.set_index("account_id").customer_share.dropna()
    return {str(a): float(v) for a, v in share.items()}


def _customer_power(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """Accounts whose customer-controlled touchpoints carry most of the contact.

    The share of the account's interactions at touchpoints with a known
    controller that the customer controls (``touchpoints.controller =
    customer``), computed by the engine; at least ``min_ratings`` such
    interactions and a share ≥ ``customer_control_share``.
    """
    contact = prep.contact
    if "customer_share" not in contact:
        return []
    out: list[Finding] = []
    rows = contact.dropna(subset=["customer_share"]).sort_values("account_id")
    keep = (rows.n_controlled >= options.min_ratings) & (
        rows.customer_share >= options.customer_control_share
    )
    for r in records_of(rows[keep.to_numpy()]):
        s, n = float(r.customer_share), int(r.n_controlled)
        out.append(
            Finding(
                challenge="C1",
                account_id=str(r.account_id),
                subject_kind="account",
                subject_id=str(r.account_id),
                severity=severity(s, options.customer_control_share),
                evidence={
                    "customer_controlled_share": s,
                    "interactions": n,
                    "customer_controlled": int(r.n_customer),
                },
                summary=f"The customer controls {s:.0%} of {r.account_id}'s contact with the "
                "supplier (interactions at customer-controlled touchpoints).",
                implication="A powerful customer that controls the touchpoints limits how far "
                "the supplier can shape the experience; fundamental mismatches are more likely "
                "(Witell et al. 2020, C1 and C4).",
                actions=(
                    "Negotiate a shared design of the key touchpoints and agree on what an "
                    "excellent experience means for both sides.",
                ),
                detector="customer_power",
            )
        )
    return out
