"""One detector per B2B CEM challenge (Witell et al. 2020, section 3 and Table 3).

Each detector reads the prepared aggregates (:mod:`b2bcx.diagnose.data`), tests
what the paper describes with a documented statistic, and returns findings with
their evidence, or the reason it could not decide. Severity is the size of the
effect relative to its threshold, ``min(1, effect / (2 · threshold))`` unless
said otherwise, so a finding just over the line is about 0.5.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust, change_points, welch
from b2bcx.model.enums import BUYING_STAGES, STAGE_ORDER, USAGE_STAGES

Detected = tuple[list[Finding], list[Skipped]]


def _severity(effect: float, threshold: float) -> float:
    return float(min(1.0, max(0.0, abs(effect) / (2.0 * threshold))))


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


# --------------------------------------------------------------------------- C1


def _current_relationships(prep: Prepared) -> pd.DataFrame:
    """Intended and expected relationship type per account as of the diagnosis date."""
    acc = prep.accounts.set_index("account_id")
    out = acc[["relationship_intended", "relationship_expected"]].copy()
    rel = prep.relationships
    if not rel.empty:
        day = prep.as_of.date()
        valid = rel[rel.valid_from.isna() | (pd.to_datetime(rel.valid_from).dt.date <= day)]
        # a version without valid_from counts as the earliest
        valid = valid.assign(_from=pd.to_datetime(valid.valid_from))
        ordered = valid.sort_values("_from", na_position="first", kind="stable")
        latest = ordered.groupby("account_id").tail(1).set_index("account_id")
        for col in ("relationship_intended", "relationship_expected"):
            known = latest[col].dropna()
            # relationships may name accounts outside this diagnosis (one account only)
            here = out.index.intersection(known.index)
            out.loc[here, col] = known.loc[here]
    return out


def detect_c1(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C1: the supplier intends one relationship type and the customer expects the other
    (stated, or read from goal importance), made worse for a low-value account expecting
    relational care; and customer-controlled touchpoints dominating an account (power)."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    rel = _current_relationships(prep)
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
                severity=_severity(s, options.customer_control_share),
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


# --------------------------------------------------------------------------- C2


def detect_c2(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C2: inside an account, experiences differ between functions, levels or units.

    One-way ANOVA of stage-adjusted individual CX (0–100) over the groups of each
    dimension with at least ``min_people`` people, Benjamini–Hochberg over the
    accounts within each dimension; a silo needs the adjusted
    p < alpha, omega² ≥ ``silo_omega2`` and a gap ≥ ``silo_gap`` between two groups
    of at least ``min_people`` each.
    """
    skipped: list[Skipped] = []
    people = _stage_adjusted_people(prep)
    dims = [d for d in ("function", "level", "unit") if d in people and people[d].notna().any()]
    parts = [_anova_by_account(people, d, options.min_people) for d in dims]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return [], skipped
    table = pd.concat(parts, ignore_index=True)
    # one family of tests per dimension (functions, levels, units are separate questions)
    table["p_adj"] = table.groupby("dimension").p.transform(lambda p: bh_adjust(p.to_numpy()))
    hits = table[(table.p_adj < options.alpha) & (table.omega2 >= options.silo_omega2)
                 & (table.gap >= options.silo_gap)]  # fmt: skip
    findings = []
    for r in records_of(hits):
        ev = {"dimension": r.dimension, "groups": r.groups, "gap": r.gap, "omega2": r.omega2,
              "eta2": r.eta2, "p": r.p, "p_adjusted": r.p_adj, "people": r.people,
              "happy": {"group": r.high, "cx": r.high_mean, "people": r.high_n},
              "unhappy": {"group": r.low, "cx": r.low_mean, "people": r.low_n}}  # fmt: skip
        findings.append(
            Finding(
                challenge="C2",
                account_id=r.account_id,
                subject_kind="unit",
                subject_id=f"{r.account_id}:{r.dimension}",
                severity=_severity(r.gap, options.silo_gap),
                evidence=ev,
                summary=f"In {r.account_id}, {r.high} is happy (CX {_fmt(r.high_mean)}) while "
                f"{r.low} is not "
                f"(CX {_fmt(r.low_mean)}): the {r.dimension}s experience the supplier differently.",
                implication="A better experience for one unit can come at another's cost; "
                "unmanaged, the "
                "unhappy side pushes back (Witell et al. 2020, C2).",
                actions=(
                    f"Meet {r.low} separately to learn their objectives and what the offering "
                    "costs them.",
                    f"Help the customer show {r.low} how the gains seen by {r.high} reach them "
                    "too.",
                    "Design touchpoints for both units rather than only for the contract holder.",
                ),
                detector="between_groups",
            )
        )
    return findings, skipped


def _anova_by_account(people: pd.DataFrame, dim: str, min_people: int) -> pd.DataFrame:
    """One-way ANOVA of ``score`` over ``dim`` inside every account at once (vectorized)."""
    g = people.dropna(subset=[dim, "score"])
    size = g.groupby(["account_id", dim]).score.transform("size")
    g = g[size >= min_people]
    cell = g.groupby(["account_id", dim]).score.agg(["size", "mean", "var"]).reset_index()
    cell["ss"] = cell["var"].fillna(0.0) * (cell["size"] - 1)
    acc = cell.groupby("account_id").agg(k=("size", "count"), people=("size", "sum"),
                                         ssw=("ss", "sum"))  # fmt: skip
    cell = cell.merge(acc, on="account_id")
    cell = cell[(cell.k >= 2) & (cell.people - cell.k >= 1)]
    if cell.empty:
        return pd.DataFrame()
    cell["sx"] = cell["mean"] * cell["size"]
    grand = cell.groupby("account_id").sx.sum() / cell.groupby("account_id")["size"].sum()
    cell["dev"] = cell["size"] * (cell["mean"] - cell.account_id.map(grand)) ** 2
    out = cell.groupby("account_id").agg(k=("k", "first"), people=("people", "first"),
                                         ssw=("ssw", "first"), ssb=("dev", "sum"))  # fmt: skip
    df_b, df_w = out.k - 1, out.people - out.k
    msw = out.ssw / df_w
    sst = out.ssb + out.ssw
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (out.ssb / df_b) / msw
        out["p"] = np.where(sst == 0, 1.0, np.where(msw == 0, 0.0, _stats.f.sf(f, df_b, df_w)))
        out["omega2"] = np.where(sst == 0, 0.0, ((out.ssb - df_b * msw) / (sst + msw)).clip(0))
        out["eta2"] = np.where(sst == 0, 0.0, out.ssb / sst)
    ordered = cell.sort_values(["account_id", "mean"])
    low = ordered.groupby("account_id").first()
    high = ordered.groupby("account_id").last()
    out["low"], out["low_mean"], out["low_n"] = low[dim], low["mean"], low["size"]
    out["high"], out["high_mean"], out["high_n"] = high[dim], high["mean"], high["size"]
    out["gap"] = out.high_mean - out.low_mean
    groups = {a: {str(k): round(float(v), 1) for k, v in zip(c[dim], c["mean"], strict=True)}
              for a, c in cell.groupby("account_id")}  # fmt: skip
    out["groups"] = pd.Series([groups[a] for a in out.index], index=out.index, dtype=object)
    out["dimension"] = dim
    return out.reset_index()


def _stage_adjusted_people(prep: Prepared) -> pd.DataFrame:
    """Each person's experience relative to the same account's same stages.

    A person's score is the account mean plus the person's mean deviation from
    the account's mean at each stage they rated (weighted by ratings), so a
    function that only meets the supplier at a poor stage is not a silo (that is
    C3); what remains is how differently people experience the same stages.
    """
    ps = prep.person_stage.dropna(subset=["mean"])
    cell = ps.assign(s=ps["mean"] * ps.n).groupby(["account_id", "stage"])[["s", "n"]].sum()
    cell_mean = (cell.s / cell.n).rename("cell_mean").reset_index()
    ps = ps.merge(cell_mean, on=["account_id", "stage"])
    ps = ps.assign(d=(ps["mean"] - ps.cell_mean) * ps.n)
    per = ps.groupby(["account_id", "stakeholder_id"])[["d", "n"]].sum()
    per["deviation"] = per.d / per.n
    people = prep.people.drop(columns=["account_id"]).merge(
        per.reset_index()[["account_id", "stakeholder_id", "deviation"]], on="stakeholder_id"
    )
    level = people.groupby("account_id").score.transform("mean")
    people["score"] = level + people.deviation
    return people.dropna(subset=["score"])


# --------------------------------------------------------------------------- C3


def _person_phase(person_stage: pd.DataFrame) -> pd.DataFrame:
    ps = person_stage.dropna(subset=["mean"])
    phase = {s.value: "early" for s in BUYING_STAGES} | {s.value: "late" for s in USAGE_STAGES}
    ps = ps.assign(phase=ps.stage.map(phase))
    ps = ps.dropna(subset=["phase"]).assign(s=lambda d: d["mean"] * d["n"])
    grouped = ps.groupby(["account_id", "phase", "stakeholder_id"])[["s", "n"]].sum()
    grouped["mean"] = grouped.s / grouped.n
    return grouped.reset_index()


def detect_c3(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C3: the buying-centre stages (pre-bid, negotiation) and the usage-centre stages
    (implementation, operations) tell different stories; promises made early are not
    kept later; concurrent journeys of one account disagree.

    Stage gaps compare people's mean experience in each phase (Welch on person
    means, so one vocal person is one observation), after removing each
    touchpoint's portfolio-wide effect; Benjamini–Hochberg over accounts.
    """
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    phase = _person_phase(prep.person_stage)
    per = phase.groupby(["account_id", "phase"])["mean"].agg(["mean", "std", "size"]).unstack()
    table = pd.DataFrame(index=per.index)
    if not per.empty:
        sizes = pd.DataFrame(per["size"]).reindex(columns=["early", "late"]).fillna(0)
        enough = (sizes.early >= options.min_people) & (sizes.late >= options.min_people)
        for account in per.index[~enough.to_numpy()]:
            reason = f"fewer than {options.min_people} people rated both buying and usage stages"
            skipped.append(Skipped("C3", str(account), reason))
        per = per[enough.to_numpy()]
        _, p = welch(per["mean"].early, per["std"].early, per["size"].early,
                     per["mean"].late, per["std"].late, per["size"].late)  # fmt: skip
        table = pd.DataFrame({
            "account_id": per.index, "early": per["mean"].early.to_numpy(),
            "late": per["mean"].late.to_numpy(), "early_people": per["size"].early.to_numpy(),
            "late_people": per["size"].late.to_numpy(), "p": p,
        })  # fmt: skip
    promises = prep.promises.set_index("account_id") if not prep.promises.empty else None
    if not table.empty:
        table["gap"] = table.early - table.late
        table["p_adj"] = bh_adjust(table.p.to_numpy())
        stage_means = _stage_means(prep.person_stage)
        for r in records_of(table):
            broken = int(promises.broken.get(r.account_id, 0)) if promises is not None else 0
            made = int(promises.made.get(r.account_id, 0)) if promises is not None else 0
            drop = r.gap >= options.journey_gap and r.p_adj < options.alpha
            if not drop:
                continue
            steps = stage_means.get(r.account_id, {})
            worst = _worst_transition(steps)
            ev = {"buying_stages_cx": r.early, "usage_stages_cx": r.late, "gap": r.gap,
                  "p": r.p, "p_adjusted": r.p_adj, "people": {"buying_stages": r.early_people,
                  "usage_stages": r.late_people}, "stage_cx_vs_touchpoint_norm": steps,
                  "largest_drop": worst, "promises_made_early": made,
                  "promises_broken_later": broken}  # fmt: skip
            sev = _severity(r.gap, options.journey_gap)
            if broken:
                sev = min(1.0, sev + 0.15)
            promise_note = (
                f" Customers wrote {broken} times that early promises were not kept."
                if broken
                else ""
            )
            findings.append(
                Finding(
                    challenge="C3",
                    account_id=r.account_id,
                    subject_kind="account",
                    subject_id=r.account_id,
                    severity=sev,
                    evidence=ev,
                    summary=f"{r.account_id} rated the bid and negotiation well but "
                    "implementation and "
                    f"operations {_fmt(r.gap)} points worse than those touchpoints usually score."
                    + promise_note,
                    implication="The people who buy and the people who use have different "
                    "experiences; "
                    "expectations set early are not met later (Witell et al. 2020, C3).",
                    actions=(
                        "Involve the users' functions before the contract is signed.",
                        "Hand over explicitly from sales to delivery, with the commitments made.",
                        *(
                            (
                                "Review what was promised free of charge to land the deal and "
                                "either "
                                "deliver it or reset expectations openly.",
                            )
                            if broken
                            else ()
                        ),
                    ),
                    detector="buying_vs_usage_stages",
                )
            )
    findings += _journeys(prep, options)
    return findings, skipped


def _stage_means(person_stage: pd.DataFrame) -> dict[str, dict[str, float]]:
    ps = person_stage.dropna(subset=["mean"]).assign(s=lambda d: d["mean"] * d["n"])
    g = ps.groupby(["account_id", "stage"])[["s", "n"]].sum()
    g["m"] = g.s / g.n
    out: dict[str, dict[str, float]] = {}
    for record in g.reset_index().to_dict("records"):
        out.setdefault(str(record["account_id"]), {})[str(record["stage"])] = round(
            float(record["m"]), 2
        )
    return out


def _worst_transition(steps: dict[str, float]) -> dict[str, Any] | None:
    seq = [(s.value, steps[s.value]) for s in STAGE_ORDER if s.value in steps]
    drops = [(a[0], b[0], a[1] - b[1]) for a, b in itertools.pairwise(seq)]
    if not drops:
        return None
    frm, to, size = max(drops, key=lambda d: d[2])
    return {"from": frm, "to": to, "drop": size}


def _journeys(prep: Prepared, options: DiagnoseOptions) -> list[Finding]:
    """Concurrent journeys of one account that disagree (Welch on person means)."""
    pj = prep.person_journey.dropna(subset=["mean"])
    per = pj.groupby(["account_id", "journey_id"])["mean"].agg(["mean", "std", "size"])
    per = per[per["size"] >= max(options.min_people, 3)].reset_index()
    count = per.groupby("account_id").journey_id.transform("size")
    per = per[count >= 2].sort_values(["account_id", "mean"])
    if per.empty:
        return []
    lo = per.groupby("account_id").first()
    hi = per.groupby("account_id").last()
    k = per.groupby("account_id").size()
    _, p = welch(hi["mean"], hi["std"], hi["size"], lo["mean"], lo["std"], lo["size"])
    journeys = {a: {str(j): round(float(m), 1) for j, m in zip(g.journey_id, g["mean"],
                                                                strict=True)}
                for a, g in per.groupby("account_id")}  # fmt: skip
    table = pd.DataFrame({
        "account_id": hi.index, "high": hi.journey_id.to_numpy(), "low": lo.journey_id.to_numpy(),
        "p": np.asarray(p) * k.to_numpy(), "gap": (hi["mean"] - lo["mean"]).to_numpy(),
        "journeys": [journeys[a] for a in hi.index],
    })  # fmt: skip
    table["p_adj"] = bh_adjust(table.p.clip(upper=1.0).to_numpy())
    out = []
    for r in records_of(table[(table.p_adj < options.alpha) & (table.gap >= options.journey_gap)]):
        out.append(
            Finding(
                challenge="C3",
                account_id=r.account_id,
                subject_kind="journey",
                subject_id=str(r.low),
                severity=_severity(r.gap, options.journey_gap),
                evidence={
                    "journeys_cx_vs_touchpoint_norm": r.journeys,
                    "gap": r.gap,
                    "p_adjusted": r.p_adj,
                    "better_journey": r.high,
                },
                summary=f"In {r.account_id}, journey {r.low} goes {_fmt(r.gap)} points worse than "
                f"journey {r.high}.",
                implication="Concurrent journeys for different offerings leave different "
                "impressions of one "
                "supplier (Witell et al. 2020, C3).",
                actions=(f"Find what journey {r.high} does right and carry it over to {r.low}.",),
                detector="concurrent_journeys",
            )
        )
    return out


# --------------------------------------------------------------------------- C4


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
                    severity=_severity(r.gap, options.control_gap),
                    evidence=ev,
                    summary=f"'{label}', run by {who}, scores {_fmt(r.gap)} points below the "
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
                severity=_severity(gap, options.control_gap),
                evidence={
                    "partner_id": pid,
                    "gap": gap,
                    "ci95": [gap - 1.96 * se, gap + 1.96 * se],
                    "ratings": int(n),
                    "touchpoints": sorted(g.touchpoint_id.unique().tolist()),
                    "p_bonferroni": min(1.0, p * part.partner_id.nunique()),
                },
                summary=f"Partner {pid} delivers experiences {_fmt(gap)} points below the "
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
                severity=_severity(days, options.lost_contact_days),
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


# --------------------------------------------------------------------------- C5


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
                    severity=_severity(r.drop, options.decline_drop),
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
                    f"{_fmt(-r.drop)} points so far.",
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
                severity=_severity(float(moved["mean"].abs().max()), options.goal_shift),
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
            f" ({r['from_partner']})" if _has(r.get("from_partner")) else ""
        )
        to = r["to_controller"] + (f" ({r['to_partner']})" if _has(r.get("to_partner")) else "")
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


def _has(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


DETECTORS: dict[str, Callable[[Prepared, DiagnoseOptions], Detected]] = {
    "C1": detect_c1,
    "C2": detect_c2,
    "C3": detect_c3,
    "C4": detect_c4,
    "C5": detect_c5,
}
