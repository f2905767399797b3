"""C2, siloed customer experiences (Witell et al. 2020, section 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust


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
                severity=severity(r.gap, options.silo_gap),
                evidence=ev,
                summary=f"In {r.account_id}, {r.high} is happy (CX {fmt(r.high_mean)}) while "
                f"{r.low} is not "
                f"(CX {fmt(r.low_mean)}): the {r.dimension}s experience the supplier differently.",
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
