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
    """C4: partner-, customer- or externally controlled touchpoints underperform
    comparable supplier-controlled touchpoints, per touchpoint and per partner;
    accounts whose contact runs mostly (or increasingly) through partners, even
    when the partner is rated well (relationship ownership); and accounts the
    supplier has not met directly for a long time while a partner has.

    Like is compared with like: a touchpoint's effect is net of the people who
    rated it (so a partner met mostly by harsher raters, e.g. IT staff, is not
    blamed for them) and is compared with the supplier's touchpoints of the same
    stage and, where the catalogue records it, the same channel."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    within = prep.touchpoints_within_people
    basis = "people" if not within.empty else "accounts"
    tp = (within if not within.empty else prep.touchpoints).dropna(subset=["effect"])
    names = (prep.catalogue.drop_duplicates("touchpoint_id").set_index("touchpoint_id")["name"]
             if not prep.catalogue.empty else pd.Series(dtype=str))  # fmt: skip
    tp = tp.assign(channel=_channels(prep).reindex(tp.touchpoint_id).to_numpy())
    supplier = tp[tp.controller == "supplier"]
    other = tp[tp.controller.isin(["partner", "customer", "external"])].copy()
    if not other.empty and not supplier.empty:
        other = _like_with_like(other, supplier)
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
                  "p_adjusted": r.p_adj, "compared_with": r.compared_with,
                  "net_of": basis}  # fmt: skip
            findings.append(
                Finding(
                    challenge="C4",
                    account_id=None,
                    subject_kind="touchpoint",
                    subject_id=r.touchpoint_id,
                    severity=severity(r.gap, options.control_gap),
                    evidence=ev,
                    summary=f"'{label}', run by {who}, scores {fmt(r.gap)} points below "
                    f"{r.compared_with}, rated by the same {basis}.",
                    implication="The supplier does not control this touchpoint and cannot manage "
                    "its experience directly (Witell et al. 2020, C4).",
                    actions=_control_actions(r.controller),
                    detector="controlled_touchpoint",
                )
            )
        findings += _partners(other, options)
    findings += _ownership(prep, options)
    findings += _lost_contact(prep, options)
    return findings, skipped


def _channels(prep: Prepared) -> pd.Series:
    """Each touchpoint's channel (its first recorded one; None without the column)."""
    cat = prep.catalogue
    if cat.empty or "channel" not in cat or not cat.channel.notna().any():
        return pd.Series(dtype=object)
    return (
        cat.dropna(subset=["channel"])
        .drop_duplicates("touchpoint_id")
        .set_index("touchpoint_id")
        .channel
    )


def _like_with_like(other: pd.DataFrame, supplier: pd.DataFrame) -> pd.DataFrame:
    """Each non-supplier touchpoint's reference: the supplier's touchpoints of the
    same stage and channel, else of the same stage."""
    by_both = _pooled(supplier.dropna(subset=["channel"]), ["stage", "channel"])
    by_stage = _pooled(supplier, ["stage"])
    out = other.merge(by_both, on=["stage", "channel"], how="left", suffixes=("", "_ref"))
    stage_ref = other[["stage"]].merge(by_stage, on="stage", how="left")
    use_stage = out.effect_ref.isna().to_numpy()
    for col in ("effect", "se", "n"):
        ref = out[f"{col}_ref"].to_numpy(dtype=float, copy=True)
        ref[use_stage] = stage_ref[col].to_numpy(dtype=float)[use_stage]
        out[f"{col}_ref"] = ref
    out["compared_with"] = [
        f"the supplier's own {str(st).replace('_', '-')} touchpoints"
        + ("" if both else f" of the {ch} channel")
        for st, ch, both in zip(out.stage, out.channel, use_stage, strict=True)
    ]
    return out


def _pooled(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per ``keys``: the ratings-weighted mean effect of the cells and its standard error."""
    rows = []
    for k, g in table.groupby(keys):
        n = float(g.n.sum())
        effect = float((g.effect * g.n).sum() / n)
        se = math.sqrt(float((g.n**2 * g.se**2).sum())) / n
        rows.append({**dict(zip(keys, k, strict=True)), "n": n, "effect": effect, "se": se})
    return pd.DataFrame(rows, columns=[*keys, "n", "effect", "se"])


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


def _ownership(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """Relationship ownership (Witell et al. 2020, C4: the partner may take over the
    relationship): the share of an account's contact (every interaction, rated or
    not) that runs through partner-controlled touchpoints over the last 12 months,
    and its rise against the months before. A finding when the recent share is at
    least ``partner_share``, or when its rise is at least ``partner_share_rise`` and
    larger than other accounts' rises (a new draw from their distribution, BH over
    accounts). Reported at lower severity (≤ 0.5): it is a risk to the relationship
    even when the partner is rated well, not a poor experience."""
    cm = prep.contact_monthly
    if cm.empty or not (cm.n_partner > 0).any():
        return []
    cm = cm.assign(month=pd.to_datetime(cm.month), n_partner=cm.n_partner.astype(float),
                   n_all=cm.n_all.astype(float))  # fmt: skip
    cut = pd.Timestamp(prep.as_of) - pd.Timedelta(days=365)
    recent = cm[cm.month >= cut].groupby("account_id")[["n_partner", "n_all"]].sum()
    earlier = cm[cm.month < cut].groupby("account_id")[["n_partner", "n_all"]].sum()
    table = recent.join(earlier.add_suffix("_before"), how="left")
    table = table[table.n_all >= options.min_ratings]
    table["share"] = table.n_partner / table.n_all
    ok = table.n_all_before >= options.min_ratings
    table["share_before"] = (table.n_partner_before / table.n_all_before).where(ok)
    table["rise"] = table.share - table.share_before
    rises = table.rise.dropna()
    p: dict[str, float] = {}
    if len(rises) >= 10:
        total, count = float(rises.sum()), len(rises)
        sd = float(rises.std(ddof=1))
        for a, r in rises.items():
            others = (total - r) / (count - 1)
            se = sd * math.sqrt(1 + 1 / (count - 1))
            p[str(a)] = 0.5 * math.erfc((r - others) / se / math.sqrt(2)) if se > 0 else np.nan
    table["p_rise"] = pd.Series(p, dtype=float).reindex(table.index.astype(str)).to_numpy()
    table["p_rise_adjusted"] = bh_adjust(table.p_rise.to_numpy())
    out = []
    # only the accounts the test below keeps become row objects (the same test)
    with np.errstate(invalid="ignore"):
        share = table.share.to_numpy(dtype=float)
        rise = table.rise.to_numpy(dtype=float)
        p_adj = table.p_rise_adjusted.to_numpy(dtype=float)
        wanted = (share >= options.partner_share) | (
            ~np.isnan(rise) & (rise >= options.partner_share_rise) & (p_adj < options.alpha)
        )
    for r in records_of(table[wanted].reset_index()):
        high = r.share >= options.partner_share
        rising = (not pd.isna(r.rise) and r.rise >= options.partner_share_rise
                  and r.p_rise_adjusted < options.alpha)  # fmt: skip
        if not (high or rising):
            continue
        what = []
        if high:
            what.append(f"{r.share:.0%} of its contact in the last 12 months ran through partners")
        if rising:
            what.append(f"the partners' share rose by {r.rise:.0%} points on the year before")
        out.append(
            Finding(
                challenge="C4",
                account_id=str(r.account_id),
                subject_kind="account",
                subject_id=str(r.account_id),
                severity=float(min(0.5, 0.25 + 0.25 * r.share)),
                evidence={
                    "partner_share": r.share,
                    "partner_share_before": None if pd.isna(r.share_before) else r.share_before,
                    "rise": None if pd.isna(r.rise) else r.rise,
                    "p_rise_adjusted": None if pd.isna(r.p_rise_adjusted) else r.p_rise_adjusted,
                    "interactions": int(r.n_all),
                    "partner_interactions": int(r.n_partner),
                    "kind": "relationship ownership",
                },
                summary=f"{r.account_id}: {'; '.join(what)}.",
                implication="The partner may come to own the relationship, whatever its "
                "ratings; the supplier's access to the account depends on it "
                "(Witell et al. 2020, C4).",
                actions=(
                    "Keep a direct supplier touchpoint with the account (reviews, visits).",
                    "Agree with the partner what it shares about the account and who owns "
                    "the relationship.",
                ),
                detector="partner_ownership",
            )
        )
    return out


def _lost_contact(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    out: list[Finding] = []
    c = prep.contact
    if c.empty:
        return out
    as_of = pd.Timestamp(prep.as_of)
    # only accounts partners met often enough (the rows, not every account, as objects)
    partner_after = pd.to_numeric(c.partner_after, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        enough = ~np.isnan(partner_after) & (partner_after >= options.min_partner_contacts)
    for r in records_of(c[enough]):
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
