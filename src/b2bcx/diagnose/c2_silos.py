"""C2, siloed customer experiences (Witell et al. 2020, section 3.1.2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as _stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, has, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import (
    FloatArray,
    bh_adjust,
    empirical_null_scale,
    hierarchical_fdr,
    variance_prior,
)


def detect_c2(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C2: inside an account, experiences differ between functions, levels or units
    (:func:`detect_c2_tested`, without its table of tests)."""
    findings, skipped, _ = detect_c2_tested(prep, options)
    return findings, skipped


def detect_c2_tested(
    prep: Prepared, options: DiagnoseOptions
) -> tuple[list[Finding], list[Skipped], pd.DataFrame]:
    """C2: inside an account, experiences differ between functions, levels or units.

    People's scores are their levels net of the *portfolio-wide* effect of each
    touchpoint they met (``r_tp``) and of their account's stages, the latter
    learnt from the people who meet several stages (:func:`_adjusted_people`):
    a function that meets the supplier only at a hard stage is compared with
    what that stage gives everywhere and with its colleagues at the stages they
    share (the old adjustment, the account's mean at the same stage, absorbed a
    silo whose people were the only ones at their stages). Two tests per account
    and dimension
    (function, level, unit):

    - ``between_groups``: one-way ANOVA over the groups with at least
      ``min_people`` people; a silo needs ω² ≥ ``silo_omega2``;
    - ``group_vs_rest``: each group (even one person) against the rest of the
      account (at least ``min_people`` people), every rating counted
      (:func:`_group_vs_rest_gls`: people weighted ``1 / (τ² + σ²/n)``, the
      account's own scale moderated towards the portfolio's, the gap net of the
      group's portfolio norm, z calibrated on the empirical null). Below
      :data:`MIN_ACCOUNTS_POOLED` accounts, the per-account pooled-variance t
      (:func:`_group_vs_rest`).

    Benjamini–Hochberg within each family (test × dimension) over all
    accounts; a silo needs the adjusted p < ``alpha`` and a gap ≥ ``silo_gap``.
    One finding per account and dimension (the ANOVA's when both fire; else the
    group with the smallest p).

    Returns
    -------
    findings, skipped
        As :func:`detect_c2`.
    tests : pandas.DataFrame
        Every ``group_vs_rest`` test the multiple-testing step saw: one row per
        account × dimension × group with ``se`` (points, the empirical-null
        scale included), ``p``, ``p_adj``, ``df``, ``null_scale`` and
        ``test`` (``"z"`` for the pooled GLS test, ``"t"`` for the per-account
        t); empty when none ran. Read by :mod:`b2bcx.diagnose.sensitivity`.
    """
    skipped: list[Skipped] = []
    tests: list[pd.DataFrame] = []
    people = _adjusted_people(prep)
    dims = [d for d in ("function", "level", "unit") if d in people and people[d].notna().any()]
    findings: dict[tuple[str, str], Finding] = {}
    comps = _components(people, prep.person_tp)
    rests = {d: _group_vs_rest_gls(people, d, options.min_people, comps) for d in dims}
    pooled = [r for r in rests.values() if r is not None and not r.empty]
    if comps is not None and pooled and all(r is not None for r in rests.values()):
        # Benjamini–Hochberg per dimension over all groups of all accounts (as
        # before issue 16's statistics update); the group's Holm p among the
        # account's groups goes into the evidence. Measured on the independent
        # worlds, one Simes family per account (Benjamini–Bogomolov) found 8 of
        # 60 strong silos against 13 of 60 this way, at the same null rate.
        table = pd.concat(pooled, ignore_index=True)
        _, within, _ = hierarchical_fdr(table.account_id.to_numpy(), table.p.to_numpy(),
                                        options.alpha)  # fmt: skip
        adjusted = table.groupby("dimension").p.transform(
            lambda x: pd.Series(bh_adjust(x.to_numpy()), index=x.index)
        )
        table = table.assign(p_adj=adjusted, p_within=within)
        tests.append(table.assign(test="z"))
        hits = table[(table.p_adj < options.alpha) & (table.gap.abs() >= options.silo_gap)]
        hits = hits.sort_values(["account_id", "dimension", "p"])
        for r in records_of(hits.groupby(["account_id", "dimension"]).head(1)):
            findings[(r.account_id, r.dimension)] = _rest_finding(r, r.dimension, options)
    else:
        for dim in dims:
            rest = _group_vs_rest(people, dim, options.min_people)
            if rest.empty:
                continue
            rest["p_adj"] = bh_adjust(rest.p.to_numpy())
            tests.append(rest.assign(dimension=dim, test="t"))
            hits = rest[(rest.p_adj < options.alpha) & (rest.gap.abs() >= options.silo_gap)]
            hits = hits.assign(size=hits.gap.abs()).sort_values(["account_id", "size"])
            for r in records_of(hits.groupby("account_id").tail(1)):
                findings[(r.account_id, dim)] = _rest_finding(r, dim, options)
    for dim in dims:
        anova = _anova_by_account(people, dim, options.min_people)
        if anova.empty:
            continue
        anova["p_adj"] = bh_adjust(anova.p.to_numpy())
        hits = anova[(anova.p_adj < options.alpha) & (anova.omega2 >= options.silo_omega2)
                     & (anova.gap >= options.silo_gap)]  # fmt: skip
        for r in records_of(hits):
            findings[(r.account_id, dim)] = _anova_finding(r, options)
    table = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    return [findings[k] for k in sorted(findings)], skipped, table


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
    if has(getattr(r, "norm", None)):
        ev |= {"raw_gap": abs(r.raw_gap), "norm": r.norm, "se": r.se, "z": r.z,
               "null_scale": r.null_scale, "p_within_account": r.p_within,
               "test": "GLS group against the rest of the account, people weighted by "
               "1/(tau2 + sigma2/n), net of the group's portfolio norm; Simes per "
               "account, BH over accounts, Holm inside (Benjamini-Bogomolov)"}  # fmt: skip
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


#: Fewest accounts over which C2's variance components and group norms are pooled.
MIN_ACCOUNTS_POOLED = 20
#: Fewest accounts a group label must appear in for its portfolio norm to be removed.
MIN_ACCOUNTS_NORM = 10


def _components(people: pd.DataFrame, person_tp: pd.DataFrame) -> tuple[float, float] | None:
    """σ² (one rating around its person) and τ² (people's levels around their
    group's in an account), pooled over the portfolio by moments; None without
    enough data (then C2 falls back to :func:`_group_vs_rest`)."""
    if (
        person_tp.empty
        or "var" not in person_tp
        or people.account_id.nunique() < MIN_ACCOUNTS_POOLED
    ):
        return None
    tp = person_tp.dropna(subset=["var"])
    dof = (tp.n - 1).clip(lower=0).to_numpy(dtype=float)
    if dof.sum() < 30:
        return None
    within = float((tp["var"].to_numpy(dtype=float) * dof).sum() / dof.sum())
    n = people.stakeholder_id.map(person_tp.set_index("stakeholder_id").n)
    g = people.assign(noise=within / n.clip(lower=1)).dropna(subset=["noise", "score"])
    key = (
        ["account_id", "function"]
        if "function" in g and g.function.notna().any()
        else ["account_id"]
    )
    cell = g.groupby(key).agg(var=("score", "var"), k=("score", "size"), noise=("noise", "mean"))
    cell = cell[cell.k >= 2]
    if cell.empty:
        return None
    k1 = (cell.k - 1).to_numpy(dtype=float)
    excess = (cell["var"] - cell.noise).to_numpy(dtype=float)
    return within, max(0.0, float((excess * k1).sum() / k1.sum()))


def _group_vs_rest_gls(
    people: pd.DataFrame, dim: str, min_people: int, comps: tuple[float, float] | None
) -> pd.DataFrame | None:
    """Each group of ``dim`` against the rest of its account, every rating counted.

    A person's score weighs ``1 / (τ² + σ²/n)`` (``n`` their ratings, the
    components from :func:`_components`): the GLS mean of people as random
    effects, so a person with two ratings after turnover no longer counts as
    much as one with thirty. The gap is taken net of the group's portfolio norm
    (the median gap of groups with that label across accounts, where it appears
    in at least :data:`MIN_ACCOUNTS_NORM` accounts): a silo is a unit that stands
    apart from its colleagues more than such units usually do; a function that
    is less happy everywhere is a portfolio pattern, not this account's silo.
    The variances' level is the account's own (weighted residuals around its
    group means, moderated towards the portfolio's, Smyth 2004), so an account
    whose people disagree widely is judged on that; the t statistic (moderated
    df) is turned into the z of the same p, and the z's are divided by their
    empirical-null spread when it is above 1 (Efron 2004).
    None without the components (the caller falls back to :func:`_group_vs_rest`).
    """
    if comps is None:
        return None
    within, between = comps
    g = people.dropna(subset=[dim, "score"])
    if g.empty:
        return pd.DataFrame()
    n = g["n"].clip(lower=1).to_numpy(dtype=float) if "n" in g else np.ones(len(g))
    w = 1.0 / (between + within / n)
    g = g.assign(w=w, ws=w * g.score.to_numpy(dtype=float))
    # one grouping (its codes computed once) for the cells, the fitted values and
    # the groups' means
    by = g.groupby(["account_id", dim])
    cell = by.agg(size=("score", "size"), w=("w", "sum"), ws=("ws", "sum"),
                  raw=("score", "mean"))  # fmt: skip
    # the account's own scale of those variances: weighted residuals around the
    # group means, moderated towards the portfolio's (Smyth 2004), so an account
    # whose people disagree more than the pooled components say is judged on it
    fitted = (by.ws.transform("sum") / by.w.transform("sum")).to_numpy(dtype=float)
    g = g.assign(wr=g.w * (g.score - fitted) ** 2)
    acc = cell.groupby(level="account_id").agg(n=("size", "sum"), k=("size", "size"),
                                                 w=("w", "sum"), ws=("ws", "sum"))  # fmt: skip
    acc["ss"] = g.groupby("account_id").wr.sum()
    dof_a = (acc.n - acc.k).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi_raw = (acc.ss / (acc.n - acc.k)).to_numpy(dtype=float)
    prior = variance_prior(phi_raw, dof_a)
    if prior is not None:
        phi_mod, phi_df = prior.moderate(phi_raw, dof_a)
    else:
        phi_mod, phi_df = np.where(dof_a > 0, phi_raw, 1.0), np.maximum(dof_a, 1.0)
    acc["phi"], acc["phi_df"] = phi_mod, np.asarray(phi_df, dtype=float)
    cell = cell.reset_index().merge(acc.add_prefix("acc_").reset_index(), on="account_id")
    cell["rest_n"] = cell.acc_n - cell["size"]
    cell = cell[(cell.rest_n >= min_people) & (cell.acc_k >= 2)]
    if cell.empty:
        return pd.DataFrame()
    rest_w = cell.acc_w - cell.w
    group_mean = cell.ws / cell.w
    rest_mean = (cell.acc_ws - cell.ws) / rest_w
    raw_gap = (group_mean - rest_mean).to_numpy(dtype=float)
    label = cell[dim].astype(str)
    counts = label.map(label.value_counts())
    norm = pd.Series(raw_gap, index=cell.index).groupby(label).transform("median")
    norms = norm.where(counts >= MIN_ACCOUNTS_NORM, 0.0).to_numpy(dtype=float)
    gap = raw_gap - norms
    se = np.sqrt(
        cell.acc_phi.to_numpy(dtype=float)
        * (1.0 / cell.w.to_numpy(dtype=float) + 1.0 / rest_w.to_numpy(dtype=float))
    )
    dof = cell.acc_phi_df.clip(lower=1, upper=1e6).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = gap / se
    # the t statistic as the z of the same two-sided p, so z's of accounts with
    # different df share one empirical null
    z = np.sign(t) * _stats.norm.isf(_stats.t.sf(np.abs(t), dof))
    scale = empirical_null_scale(z)
    z = z / scale
    out = pd.DataFrame({
        "account_id": cell.account_id.astype(str).to_numpy(), "group": label.to_numpy(),
        "group_n": cell["size"].astype(int).to_numpy(),
        "rest_n": cell.rest_n.astype(int).to_numpy(),
        "group_mean": group_mean.to_numpy(dtype=float),
        "rest_mean": rest_mean.to_numpy(dtype=float),
        "gap": gap, "raw_gap": raw_gap, "norm": norms, "se": se * scale, "z": z,
        "p": 2 * _stats.norm.sf(np.abs(z)), "null_scale": scale,
    })  # fmt: skip
    out["df"] = dof
    means = by.score.mean()
    groups: dict[str, dict[str, float]] = {}
    firsts, seconds = _index_pairs(means.index)
    for a, k, v in zip(firsts, seconds, means.to_numpy(dtype=float).tolist(), strict=True):
        groups.setdefault(a, {})[k] = round(v, 1)
    out["groups"] = pd.Series([groups[a] for a in out.account_id.tolist()], index=out.index,
                              dtype=object)  # fmt: skip
    out["dimension"] = dim
    result: pd.DataFrame = out[np.isfinite(out.p)].reset_index(drop=True)
    return result


def _index_pairs(index: pd.Index) -> tuple[list[str], list[str]]:
    """``[str(a) for a, _ in index]`` and ``[str(b) for _, b in index]`` of a
    two-level index without NaN, from its levels and codes (no tuples built)."""
    assert isinstance(index, pd.MultiIndex)
    first = [str(x) for x in index.levels[0].tolist()]
    second = [str(x) for x in index.levels[1].tolist()]
    return ([first[c] for c in index.codes[0].tolist()],
            [second[c] for c in index.codes[1].tolist()])  # fmt: skip


def _group_vs_rest(people: pd.DataFrame, dim: str, min_people: int) -> pd.DataFrame:
    """Each group of ``dim`` against the rest of its account (pooled-variance t).

    The variance is the spread between people *within* the account's groups
    of ``dim`` (so a silo does not widen its own yardstick), moderated towards
    the portfolio's (Smyth 2004: accounts differ in how much their people
    disagree, and a five-person account borrows strength from the others); df
    = the account's within-group df plus the prior's. A one-person group
    contributes no variance of its own: its test is the prediction test of one
    new person from the account's spread, never more certain than that allows.
    """
    g = people.dropna(subset=[dim, "score"])
    if g.empty:
        return pd.DataFrame()
    within = g.groupby(["account_id", dim]).score.agg(["var", "size", "sum"])
    within["ss"] = within["var"].fillna(0.0) * (within["size"] - 1)
    by_acc = within.groupby(level="account_id").agg(
        ss=("ss", "sum"), n=("size", "sum"), k=("size", "size"), total=("sum", "sum")
    )
    dof_w = (by_acc.n - by_acc.k).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = (by_acc.ss / (by_acc.n - by_acc.k)).to_numpy()
    prior = variance_prior(raw, dof_w)
    if prior is not None:
        moderated, dof = prior.moderate(raw, dof_w)
    else:
        moderated, dof = raw, dof_w
    spread = pd.Series(moderated, index=by_acc.index)
    acc_df = pd.Series(np.asarray(dof, dtype=float), index=by_acc.index)
    cell = within.reset_index().merge(by_acc[["n", "k", "total"]].reset_index(), on="account_id")
    cell["rest_n"] = cell.n - cell["size"]
    cell = cell[(cell.rest_n >= min_people) & (cell.k >= 2)]
    if cell.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "account_id": cell.account_id.astype(str), "group": cell[dim].astype(str),
        "group_n": cell["size"].astype(int), "rest_n": cell.rest_n.astype(int),
        "group_mean": cell["sum"] / cell["size"],
        "rest_mean": (cell.total - cell["sum"]) / cell.rest_n,
    })  # fmt: skip
    out["gap"] = out.group_mean - out.rest_mean
    s2 = cell.account_id.map(spread).to_numpy(dtype=float)
    se = np.sqrt(s2 * (1.0 / out.group_n + 1.0 / out.rest_n))
    out["se"] = se
    out["df"] = cell.account_id.map(acc_df).clip(lower=1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t: FloatArray = (out.gap / se).to_numpy(dtype=float)
    out["p"] = np.where(se > 0, 2 * _stats.t.sf(np.abs(t), out.df.clip(upper=1e6)),
                        np.where(out.gap == 0, 1.0, 0.0))  # fmt: skip
    means = g.groupby(["account_id", dim]).score.mean()
    groups = {str(a): {str(k): round(float(v), 1) for k, v in m.droplevel(0).items()}
              for a, m in means.groupby(level="account_id")}  # fmt: skip
    out["groups"] = pd.Series([groups[a] for a in out.account_id], index=out.index, dtype=object)
    return out.reset_index(drop=True)


def _anova_by_account(people: pd.DataFrame, dim: str, min_people: int) -> pd.DataFrame:
    """One-way ANOVA of ``score`` over ``dim`` inside every account at once (vectorized)."""
    g = people.dropna(subset=[dim, "score"])
    # groups of at least min_people (a cell's moments are its own rows': dropping
    # the small cells' rows first or the small cells after gives the same cells)
    cell = g.groupby(["account_id", dim]).score.agg(["size", "mean", "var"])
    cell = cell[cell["size"] >= min_people].reset_index()
    cell["ss"] = cell["var"].fillna(0.0) * (cell["size"] - 1)
    acc = cell.groupby("account_id").agg(k=("size", "count"), people=("size", "sum"),
                                         ssw=("ss", "sum"))  # fmt: skip
    cell = cell.merge(acc, on="account_id")
    cell = cell[(cell.k >= 2) & (cell.people - cell.k >= 1)]
    if cell.empty:
        return pd.DataFrame()
    cell["sx"] = cell["mean"] * cell["size"]
    by = cell.groupby("account_id")
    grand = by.sx.sum() / by["size"].sum()
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
    # one pass over the (account, group) rows, which come sorted by account and group
    groups: dict[str, dict[str, float]] = {}
    for a, k, v in zip(cell.account_id.tolist(), cell[dim].tolist(), cell["mean"].tolist(),
                       strict=True):  # fmt: skip
        groups.setdefault(a, {})[str(k)] = round(float(v), 1)
    out["groups"] = pd.Series(
        [groups[a] for a in out.index.tolist()], index=out.index, dtype=object
    )
    out["dimension"] = dim
    return out.reset_index()


def _adjusted_people(prep: Prepared) -> pd.DataFrame:
    """Each person's level net of the stages they met, compared within stage.

    Person × stage cells of ``r_tp`` (each touchpoint's portfolio-wide effect
    already removed) are fitted with an additive person + (account, stage)
    model (:func:`~b2bcx.diagnose.stats.two_way_effects`); a person's score is
    their effect. The stage effects of an account are learnt from the people
    who meet several stages, so an account whose usage stages go worse for
    everyone (a journey mismatch, C3) does not read as a silo of the people who
    meet only those stages, while a unit that is unhappy at every stage it
    shares with others keeps its gap. Where a unit alone meets some stages and
    nobody bridges them, the two cannot be told apart and the gap stays with
    the people (it is then also a C3 candidate). People without staged ratings
    take their plain mean ``r_tp``.
    """
    people = prep.people
    ps = prep.person_stage.dropna(subset=["mean"])
    if ps.empty and prep.person_tp.empty:
        return people.dropna(subset=["score"])
    ids = pd.Index(people.stakeholder_id.astype(str))
    # each person's plain mean r_tp, replaced by their effect where they have
    # staged ratings (the later key wins, as a dict update would)
    score = np.full(len(ids), np.nan)
    tp = prep.person_tp
    if not tp.empty:
        keys = pd.Index(tp.stakeholder_id.astype(str))
        values = tp["mean"].to_numpy(dtype=float)
        if not keys.is_unique:  # the last row of a stakeholder, as dict() keeps
            last = ~keys.duplicated(keep="last")
            keys, values = keys[last], values[last]
        at = keys.get_indexer(ids)
        score = np.where(at >= 0, values[at], np.nan)
    if not ps.empty:
        rows, persons = pd.factorize(ps.stakeholder_id.astype(str))
        cols = _pair_codes(ps.account_id.astype(str), ps.stage.astype(str))
        person = _person_effects(rows, cols, ps.n.to_numpy(dtype=float),
                                 ps["mean"].to_numpy(dtype=float))  # fmt: skip
        at = pd.Index(persons).get_indexer(ids)
        score = np.where(at >= 0, person[: len(persons)][at], score)
    out = people.assign(score=score)
    return out.dropna(subset=["score"])


def _pair_codes(first: pd.Series, second: pd.Series) -> npt.NDArray[np.int64]:
    """Codes of the ``(first, second)`` pairs in order of first appearance: those of
    ``pd.factorize(first + "\\x1f" + second)``, without building the strings."""
    if first.isna().any() or second.isna().any():
        codes, _ = pd.factorize(first + "\x1f" + second)
        return codes.astype(np.int64)
    a, _ = pd.factorize(first)
    b, seconds = pd.factorize(second)
    codes, _ = pd.factorize(a.astype(np.int64) * max(len(seconds), 1) + b)
    return codes.astype(np.int64)


def _person_effects(
    rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], w: FloatArray, y: FloatArray
) -> FloatArray:
    """Person effects of ``y = person + account-stage + e`` with the account-stage
    effects shrunk as random effects (empirical Bayes).

    A first, unshrunk fit gives the per-rating residual variance σ² and the
    spread τ² of the account-stage effects beyond their sampling error (by
    moments); the refit penalises each account-stage effect by ``λ = σ² / τ²``
    ratings. A stage effect seen by many ratings of people who also rate other
    stages is kept (a journey mismatch is not a silo); one resting on a person
    or two is shrunk towards the portfolio norm, so its noise is not passed on to
    every person who meets only that stage (which would create silos).
    """
    n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
    w_row = np.bincount(rows, w, minlength=n_rows)
    w_col = np.bincount(cols, w, minlength=n_cols)

    def fit(lam: float) -> tuple[FloatArray, FloatArray]:
        col = np.zeros(n_cols)
        row = np.zeros(n_rows)
        for _ in range(100):
            row = np.bincount(rows, w * (y - col[cols]), minlength=n_rows) / w_row
            new = np.bincount(cols, w * (y - row[rows]), minlength=n_cols) / (w_col + lam)
            done = bool(np.allclose(new, col, atol=1e-7))
            col = new
            if done:
                break
        return row, col

    row, col = fit(1e-9)
    misfit = float((w * (y - row[rows] - col[cols]) ** 2).sum())
    df = float(w.sum()) - n_rows - n_cols + 1
    sigma2 = misfit / df if df > 0 else float("nan")
    if not (np.isfinite(sigma2) and sigma2 > 0):
        return row
    centred = col - float((w_col * col).sum() / w_col.sum())
    tau2 = float((w_col * centred**2).sum() / w_col.sum()) - sigma2 * n_cols / float(w_col.sum())
    if tau2 <= 0:
        flat: FloatArray = np.bincount(rows, w * y, minlength=n_rows) / w_row
        return flat
    return fit(sigma2 / tau2)[0]
