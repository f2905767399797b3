"""C2, siloed customer experiences (Witell et al. 2020, section 3.1.2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import bh_adjust, variance_prior


def detect_c2(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C2: inside an account, experiences differ between functions, levels or units.

    People's scores are their mean CX net of the *portfolio-wide* effect of each
    touchpoint they met (``r_tp``), so a function that meets the supplier only
    at a hard stage is compared with what that stage gives everywhere, not with
    its own account at that stage (which would absorb the silo when the
    function is the only one there). Two tests per account and dimension
    (function, level, unit):

    - ``between_groups``: one-way ANOVA over the groups with at least
      ``min_people`` people; a silo needs ω² ≥ ``silo_omega2``;
    - ``group_vs_rest``: each group (even one person) against the rest of the
      account (at least ``min_people`` people), pooled-variance t; a one-person
      group takes its variance from the rest (a prediction test), so it is
      never more certain than the rest allows; the variance is moderated
      towards the portfolio's spread between people (Smyth 2004).

    Benjamini–Hochberg within each family (test × dimension) over all
    accounts; a silo needs the adjusted p < ``alpha`` and a gap ≥ ``silo_gap``.
    One finding per account and dimension (the ANOVA's when both fire).
    """
    skipped: list[Skipped] = []
    people = _adjusted_people(prep)
    dims = [d for d in ("function", "level", "unit") if d in people and people[d].notna().any()]
    findings: dict[tuple[str, str], Finding] = {}
    for dim in dims:
        rest = _group_vs_rest(people, dim, options.min_people)
        if not rest.empty:
            rest["p_adj"] = bh_adjust(rest.p.to_numpy())
            hits = rest[(rest.p_adj < options.alpha) & (rest.gap.abs() >= options.silo_gap)]
            hits = hits.assign(size=hits.gap.abs()).sort_values(["account_id", "size"])
            for r in records_of(hits.groupby("account_id").tail(1)):
                findings[(r.account_id, dim)] = _rest_finding(r, dim, options)
        table = _anova_by_account(people, dim, options.min_people)
        if table.empty:
            continue
        table["p_adj"] = bh_adjust(table.p.to_numpy())
        hits = table[(table.p_adj < options.alpha) & (table.omega2 >= options.silo_omega2)
                     & (table.gap >= options.silo_gap)]  # fmt: skip
        for r in records_of(hits):
            findings[(r.account_id, dim)] = _anova_finding(r, options)
    return [findings[k] for k in sorted(findings)], skipped


_IMPLICATION = (
    "A better experience for one unit can come at another's cost; unmanaged, the "
    "unhappy side pushes back (Witell et al. 2020, C2)."
)


def _actions(low: str, high: str) -> tuple[str, ...]:
    return (
        f"Meet {low} separately to learn their objectives and what the offering costs them.",
        f"Help the customer show {low} how the gains seen by {high} reach them too.",
        "Design touchpoints for both units rather than only for the contract holder.",
    )


def _anova_finding(r: Any, options: DiagnoseOptions) -> Finding:
    ev = {"dimension": r.dimension, "groups": r.groups, "gap": r.gap, "omega2": r.omega2,
          "eta2": r.eta2, "p": r.p, "p_adjusted": r.p_adj, "people": r.people,
          "happy": {"group": r.high, "cx": r.high_mean, "people": r.high_n},
          "unhappy": {"group": r.low, "cx": r.low_mean, "people": r.low_n}}  # fmt: skip
    return Finding(
        challenge="C2",
        account_id=r.account_id,
        subject_kind="unit",
        subject_id=f"{r.account_id}:{r.dimension}",
        severity=severity(r.gap, options.silo_gap),
        evidence=ev,
        summary=f"In {r.account_id}, {r.high} is happy (CX {fmt(r.high_mean)}) while {r.low} is "
        f"not (CX {fmt(r.low_mean)}): the {r.dimension}s experience the supplier differently.",
        implication=_IMPLICATION,
        actions=_actions(str(r.low), str(r.high)),
        detector="between_groups",
    )


def _rest_finding(r: Any, dim: str, options: DiagnoseOptions) -> Finding:
    lower = r.gap < 0
    group, rest = {"group": r.group, "cx": r.group_mean, "people": r.group_n}, {
        "group": f"the rest of {r.account_id}", "cx": r.rest_mean, "people": r.rest_n}  # fmt: skip
    happy, unhappy = (rest, group) if lower else (group, rest)
    ev = {"dimension": dim, "group": r.group, "direction": "lower" if lower else "higher",
          "groups": r.groups, "gap": abs(r.gap), "p": r.p, "p_adjusted": r.p_adj,
          "df": r.df, "people": r.group_n + r.rest_n, "happy": happy,
          "unhappy": unhappy}  # fmt: skip
    word = "worse" if lower else "better"
    return Finding(
        challenge="C2",
        account_id=r.account_id,
        subject_kind="unit",
        subject_id=f"{r.account_id}:{dim}",
        severity=severity(r.gap, options.silo_gap),
        evidence=ev,
        summary=f"In {r.account_id}, {r.group} ({r.group_n} people, CX {fmt(r.group_mean)}) "
        f"experiences the supplier {fmt(abs(r.gap))} points {word} than the rest of the account "
        f"(CX {fmt(r.rest_mean)}).",
        implication=_IMPLICATION,
        actions=_actions(str(unhappy["group"]), str(happy["group"])),
        detector="group_vs_rest",
    )


def _group_vs_rest(people: pd.DataFrame, dim: str, min_people: int) -> pd.DataFrame:
    """Each group of ``dim`` against the rest of its account (vectorized, pooled t).

    With ``n_g`` people in the group and ``n_r`` in the rest, the variance is
    pooled over both (``n_g + n_r − 2`` df); a one-person group contributes no
    variance, so its test is the prediction test of one new person from the
    rest (``n_r − 1`` df).
    """
    g = people.dropna(subset=[dim, "score"])
    cell = g.groupby(["account_id", dim]).score.agg(["size", "sum", "var"]).reset_index()
    cell["ss"] = cell["var"].fillna(0.0) * (cell["size"] - 1)
    g2 = g.assign(sq=g.score**2).groupby("account_id").agg(
        n=("score", "size"), s=("score", "sum"), sq=("sq", "sum"))  # fmt: skip
    cell = cell.merge(g2, on="account_id")
    cell["rest_n"] = cell.n - cell["size"]
    cell = cell[(cell.rest_n >= min_people) & (cell.groupby("account_id")[dim].transform("size")
                                                >= 2)]  # fmt: skip
    if cell.empty:
        return pd.DataFrame()
    # the rest's sums from the account's minus the group's
    group_sq = cell.ss + cell["sum"] ** 2 / cell["size"]
    rest_sum = cell.s - cell["sum"]
    rest_ss = (cell.sq - group_sq) - rest_sum**2 / cell.rest_n
    df = cell["size"] + cell.rest_n - 2
    s2 = (cell.ss + rest_ss.clip(lower=0)) / df
    out = pd.DataFrame({
        "account_id": cell.account_id.astype(str), "group": cell[dim].astype(str),
        "group_n": cell["size"].astype(int), "rest_n": cell.rest_n.astype(int),
        "group_mean": cell["sum"] / cell["size"], "rest_mean": rest_sum / cell.rest_n, "df": df,
    })  # fmt: skip
    out["gap"] = out.group_mean - out.rest_mean
    # the spread between people of one account, moderated towards the portfolio's
    # (Smyth 2004): a five-person account borrows strength from the others
    prior = variance_prior(s2.to_numpy(), df.to_numpy())
    if prior is not None:
        moderated, df_m = prior.moderate(s2.to_numpy(), df.to_numpy())
        s2 = pd.Series(moderated, index=s2.index)
        df = pd.Series(df_m, index=df.index)
        out["df"] = df.to_numpy()
    se = np.sqrt(s2 * (1 / out.group_n + 1 / out.rest_n))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out.gap / se
        p = 2 * _stats.t.sf(np.abs(t), df.clip(upper=1e6))
    out["p"] = np.where(se > 0, p, np.where(out.gap == 0, 1.0, 0.0))
    groups = {a: {str(k): round(float(v), 1) for k, v in zip(c[dim], c["sum"] / c["size"],
                                                            strict=True)}
              for a, c in cell.groupby("account_id")}  # fmt: skip
    out["groups"] = [groups[a] for a in cell.account_id]
    return out.reset_index(drop=True)


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


def _adjusted_people(prep: Prepared) -> pd.DataFrame:
    """Each person's mean CX net of the portfolio-wide touchpoint effects (``r_tp``).

    The touchpoint effects (each touchpoint's mean against the grand mean) are
    estimated across the portfolio, so they carry each stage's norm without
    being estimated from the account's own people: a unit that alone meets
    the supplier at its stages keeps its gap. People without any touchpoint
    are on their raw mean. Falls back to the decay-weighted individual score
    when the prepared data has no ``person_tp``.
    """
    people = prep.people
    if prep.person_tp.empty:
        return people.dropna(subset=["score"])
    per = prep.person_tp[["stakeholder_id", "mean"]].rename(columns={"mean": "adjusted"})
    out = people.merge(per, on="stakeholder_id", how="inner")
    out["score"] = out.pop("adjusted")
    return out.dropna(subset=["score"])
