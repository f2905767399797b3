"""C4, lack of touchpoint control (Witell et al. 2020, section 3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust


def detect_c4(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C4: partner-, customer- or externally controlled touchpoints underperform the
    supplier-controlled touchpoints of the same stage (within the accounts served),
    per touchpoint and per partner; and accounts the supplier has not met directly
    for a long time while a partner has."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    tp = prep.touchpoints.dropna(subset=["effect"])
    names = (prep.catalogue.drop_duplicates("touchpoint_id").set_index("touchpoint_id")["name"]
             if not prep.catalogue.empty else pd.Series(dtype=str))  # fmt: skip
    supplier = tp[tp.controller == "supplier"]
    ref = _pooled(supplier, "stage")
    other = tp[tp.controller.isin(["partner", "customer", "external"])].copy()
    if not other.empty and not ref.empty:
        other = other.merge(ref, on="stage", how="left", suffixes=("", "_ref"))
        other["gap"] = other.effect_ref - other.effect
        other["gap_se"] = np.sqrt(other.se**2 + other.se_ref**2)
        z = other.gap / other.gap_se
        other["p"] = [math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else np.nan for v in z]
        other["p_adj"] = bh_adjust(other.p.to_numpy())
        few = other[other.n < options.min_ratings]
        for r in records_of(few):
            skipped.append(Skipped("C4", None, f"touchpoint {r.touchpoint_id}: only {r.n} "
                                   f"ratings (< {options.min_ratings})"))  # fmt: skip
        ok = other[(other.n >= options.min_ratings) & (other.p_adj < options.alpha)
                   & (other.gap >= options.control_gap)]  # fmt: skip
        for r in records_of(ok):
            label = names.get(r.touchpoint_id, r.touchpoint_id)
            who = f"partner {r.partner_id}" if r.controller == "partner" else f"the {r.controller}"
            ev = {"touchpoint_id": r.touchpoint_id, "controller": r.controller,
                  "partner_id": None if pd.isna(r.partner_id) else r.partner_id,
                  "stage": r.stage, "effect": r.effect, "supplier_same_stage": r.effect_ref,
                  "gap": r.gap, "ci95": [r.gap - 1.96 * r.gap_se, r.gap + 1.96 * r.gap_se],
                  "raw_cx": r.raw, "ratings": int(r.n), "accounts": int(r.accounts),
                  "p_adjusted": r.p_adj}  # fmt: skip
            findings.append(
                Finding(
                    challenge="C4",
                    account_id=None,
                    subject_kind="touchpoint",
                    subject_id=r.touchpoint_id,
                    severity=severity(r.gap, options.control_gap),
                    evidence=ev,
                    summary=f"'{label}', run by {who}, scores {fmt(r.gap)} points below the "
                    "supplier's own "
                    f"{r.stage.replace('_', '-')} touchpoints for the same accounts.",
                    implication="The supplier does not control this touchpoint and cannot manage "
                    "its "
                    "experience directly (Witell et al. 2020, C4).",
                    actions=_control_actions(r.controller),
                    detector="controlled_touchpoint",
                )
            )
        findings += _partners(other, options)
    findings += _lost_contact(prep, options)
    return findings, skipped


def _pooled(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: the ratings-weighted mean effect of the cells and its standard error."""
    rows = []
    for k, g in table.groupby(key):
        n = float(g.n.sum())
        effect = float((g.effect * g.n).sum() / n)
        se = math.sqrt(float((g.n**2 * g.se**2).sum())) / n
        rows.append({key: k, "n": n, "effect": effect, "se": se})
    return pd.DataFrame(rows, columns=[key, "n", "effect", "se"])


def _control_actions(controller: str) -> tuple[str, ...]:
    if controller == "partner":
        return ("Give the partner clear experience standards and standardized processes.",
                "Tie the partner's incentives to the experience at this touchpoint and "
                "monitor it monthly.",
                "Decide whether to take the touchpoint back in house.")  # fmt: skip
    if controller == "customer":
        return ("Co-design this touchpoint with the customer and agree who does what.",)
    return ("Monitor what external actors say and respond where the supplier can.",)


def _partners(other: pd.DataFrame, options: DiagnoseOptions) -> list[Finding]:
    """Per partner: all its touchpoints against the supplier's, pooled."""
    part = other[(other.controller == "partner") & other.partner_id.notna()]
    out = []
    for pid, g in part.groupby("partner_id"):
        n = g.n.sum()
        if n < options.min_ratings:
            continue
        gap = float((g.gap * g.n).sum() / n)
        se = math.sqrt(float((g.n**2 * g.gap_se**2).sum())) / n
        z = gap / se if se > 0 else 0.0
        p = math.erfc(abs(z) / math.sqrt(2))
        if gap < options.control_gap or p * max(1, part.partner_id.nunique()) >= options.alpha:
            continue
        out.append(
            Finding(
                challenge="C4",
                account_id=None,
                subject_kind="partner",
                subject_id=str(pid),
                severity=severity(gap, options.control_gap),
                evidence={
                    "partner_id": pid,
                    "gap": gap,
                    "ci95": [gap - 1.96 * se, gap + 1.96 * se],
                    "ratings": int(n),
                    "touchpoints": sorted(g.touchpoint_id.unique().tolist()),
                    "p_bonferroni": min(1.0, p * part.partner_id.nunique()),
                },
                summary=f"Partner {pid} delivers experiences {fmt(gap)} points below the "
                "supplier's own "
                "touchpoints in the same stages.",
                implication="Customers may come to see the partner's poor service as the "
                "supplier's "
                "(Witell et al. 2020, C4).",
                actions=(
                    "Review the partner's scorecard with them; agree targets and incentives.",
                    "Standardize the partner's processes at the touchpoints it runs.",
                ),
                detector="partner_scorecard",
            )
        )
    return out


def _lost_contact(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    out: list[Finding] = []
    c = prep.contact
    if c.empty:
        return out
    as_of = pd.Timestamp(prep.as_of)
    for r in records_of(c):
        if pd.isna(r.partner_after) or r.partner_after < options.min_partner_contacts:
            continue
        last = r.last_direct if not pd.isna(r.last_direct) else r.first_seen
        days = (as_of - pd.Timestamp(last)).days
        if days < options.lost_contact_days:
            continue
        out.append(
            Finding(
                challenge="C4",
                account_id=r.account_id,
                subject_kind="account",
                subject_id=r.account_id,
                severity=severity(days, options.lost_contact_days),
                evidence={
                    "last_direct_contact": None if pd.isna(r.last_direct) else r.last_direct,
                    "days_without_direct_contact": days,
                    "partner_contacts_since": int(r.partner_after),
                    "last_partner_contact": r.last_partner,
                },
                summary=f"The supplier has not met {r.account_id} directly for {days} days, while "
                "partners "
                f"met it {int(r.partner_after)} times.",
                implication="When a partner owns the relationship, the customer may renew with "
                "the partner "
                "rather than the supplier (Witell et al. 2020, C4).",
                actions=(
                    "Schedule a direct supplier touchpoint (account review, site visit) soon.",
                    "Ask the partner to share what it hears from this account.",
                ),
                detector="lost_direct_contact",
            )
        )
    return out
