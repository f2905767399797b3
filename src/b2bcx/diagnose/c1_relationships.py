"""C1, mismatches in business relationships (Witell et al. 2020, section 3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, current_relationships, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions


def detect_c1(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C1: the supplier intends one relationship type and the customer expects the other
    (stated, or read from goal importance), made worse for a low-value account expecting
    relational care; and customer-controlled touchpoints dominating an account (power)."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    rel = current_relationships(prep)
    values = prep.accounts.set_index("account_id")["annual_value"].astype(float)
    low_cut = float(values.quantile(options.low_value_quantile)) if values.notna().any() else 0.0
    inferred = _expected_from_goals(prep, options)
    for account, row in zip(rel.index, records_of(rel), strict=True):
        intended, expected = row.relationship_intended, row.relationship_expected
        source = "stated by the customer"
        if pd.isna(expected) and account in inferred:
            expected, source = inferred[account], "read from the goals its people rate important"
        if pd.isna(intended) or pd.isna(expected):
            skipped.append(
                Skipped(
                    "C1",
                    str(account),
                    "relationship type intended or expected "
                    "unknown (accounts.relationship_intended/_expected)",
                )
            )
            continue
        if intended == expected:
            continue
        value = float(values.get(account, np.nan))
        low = bool(not math.isnan(value) and value <= low_cut)
        severity = 0.6 + 0.2 * (expected == "relational" and low) + 0.2 * (source[0] == "s")
        evidence = {
            "intended": intended,
            "expected": expected,
            "expected_source": source,
            "annual_value": value,
            "low_value_cut": low_cut,
            "low_value_expects_relational": bool(low and expected == "relational"),
        }
        if expected == "relational":
            summary = (
                f"{account} expects a relational partnership but is served as a "
                f"transactional customer{' — and it is a low-value account' if low else ''}."
            )
            implication = (
                "The customer expects more than the contract delivers; unmanaged, "
                "its experience erodes (Witell et al. 2020, C1; the Shell case)."
            )
            actions = (
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
        findings.append(
            Finding(
                challenge="C1",
                account_id=str(account),
                subject_kind="account",
                subject_id=str(account),
                severity=min(1.0, severity),
                evidence=evidence,
                summary=summary,
                implication=implication,
                actions=actions,
                detector="relationship_type",
            )
        )
    findings += _customer_power(prep, options)
    return findings, skipped


def _expected_from_goals(prep: Prepared, options: DiagnoseOptions) -> dict[str, str]:
    """Expected relationship read from goal importance when the customer did not state it."""
    waves = prep.goal_waves
    if waves.empty:
        return {}
    relational = waves[waves.goal.isin(["relationships", "empowerment"])]
    mean = relational.groupby("account_id")["last"].mean()
    return {str(a): ("relational" if m >= options.relational_importance else "transactional")
            for a, m in mean.items()}  # fmt: skip


def _customer_power(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """Accounts where customer-controlled touchpoints carry most of the experience."""
    share = prep.contact.set_index("account_id")
    if "customer_share" not in share:
        return []
    out: list[Finding] = []
    for account, s in share.customer_share.dropna().items():
        if s < options.customer_control_share:
            continue
        out.append(
            Finding(
                challenge="C1",
                account_id=str(account),
                subject_kind="account",
                subject_id=str(account),
                severity=severity(s, options.customer_control_share),
                evidence={"customer_controlled_share": float(s)},
                summary=f"The customer controls {s:.0%} of {account}'s touchpoints with the "
                "supplier.",
                implication="A powerful customer that controls the touchpoints limits how far "
                "the supplier can shape the experience (Witell et al. 2020, C1 and C4).",
                actions=(
                    "Negotiate a shared design of the key touchpoints and agree on what an "
                    "excellent experience means for both sides.",
                ),
                detector="customer_power",
            )
        )
    return out
