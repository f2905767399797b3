"""C3, mismatches across the customer journey (Witell et al. 2020, section 3.2.1)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected, fmt, has, severity
from b2bcx.diagnose.findings import Finding, Skipped, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import (
    bh_adjust,
    empirical_null_scale,
    partially_overlapping_t,
    random_person_contrast,
    variance_prior,
    welch,
)
from b2bcx.model.enums import BUYING_STAGES, STAGE_ORDER, USAGE_STAGES


def _person_phase(person_stage: pd.DataFrame) -> pd.DataFrame:
    ps = person_stage.dropna(subset=["mean"])
    phase = {s.value: "early" for s in BUYING_STAGES} | {s.value: "late" for s in USAGE_STAGES}
    ps = ps.assign(phase=ps.stage.map(phase))
    ps = ps.dropna(subset=["phase"]).assign(s=lambda d: d["mean"] * d["n"])
    grouped = ps.groupby(["account_id", "phase", "stakeholder_id"])[["s", "n"]].sum()
    grouped["mean"] = grouped.s / grouped.n
    return grouped.reset_index()


def detect_c3(prep: Prepared, options: DiagnoseOptions) -> Detected:
    """C3: the buying-centre and usage-centre stages tell different stories
    (:func:`detect_c3_tested`, without its table of tests)."""
    findings, skipped, _ = detect_c3_tested(prep, options)
    return findings, skipped


def detect_c3_tested(
    prep: Prepared, options: DiagnoseOptions
) -> tuple[list[Finding], list[Skipped], pd.DataFrame]:
    """C3: the buying-centre stages (pre-bid, negotiation) and the usage-centre stages
    (implementation, operations) tell different stories, in either direction;
    promises made early are not kept later; concurrent journeys of one account
    disagree.

    Each person's mean ``r_tp`` (each touchpoint's portfolio-wide effect
    removed) in each phase is one observation, so ratings nested in people
    count once. People who rated both phases are compared with themselves and
    people who rated one phase join as independent observations: the
    partially overlapping samples t-test (Derrick et al. 2017), which is the
    paired t-test when everyone rated both and Welch's test when nobody did;
    each phase's variance between people is moderated towards its spread
    across the portfolio's accounts (Smyth 2004), so a buying centre of three
    people is not judged on its own three-person variance.
    Benjamini–Hochberg over accounts; a finding needs the adjusted p <
    ``alpha`` and a gap ≥ ``journey_gap`` either way.

    Returns
    -------
    findings, skipped
        As :func:`detect_c3`.
    tests : pandas.DataFrame
        The ``buying_vs_usage_stages`` tests the Benjamini–Hochberg step saw,
        one row per account with ``gap``, ``se`` (points, the empirical-null
        scale included; ``|gap / t|`` for the per-account t), ``p``, ``p_adj``,
        ``df`` and ``test`` (``"z"`` pooled GLS, ``"t"`` per-account t); empty
        when none ran. Read by :mod:`b2bcx.diagnose.sensitivity`.
    """
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    phase = _person_phase(prep.person_stage)
    table = _phase_gls(phase, prep.person_tp, options, skipped)
    kind = "z"
    if table is None:
        table, kind = _phase_tests(phase, options, skipped), "t"
    promises = prep.promises.set_index("account_id") if not prep.promises.empty else None
    if not table.empty:
        table["p_adj"] = bh_adjust(table.p.to_numpy())
        hit = (table.gap.abs() >= options.journey_gap) & (table.p_adj < options.alpha)
        hits = table[hit.to_numpy()]
        # the stage means of the accounts with a finding only (each account's own rows)
        ps = prep.person_stage
        stage_means = _stage_means(ps[ps.account_id.isin(hits.account_id.tolist())])
        for r in records_of(hits):
            broken = int(promises.broken.get(r.account_id, 0)) if promises is not None else 0
            made = int(promises.made.get(r.account_id, 0)) if promises is not None else 0
            findings.append(_phase_finding(r, stage_means.get(r.account_id, {}), made, broken,
                                           options))  # fmt: skip
    findings += _journeys(prep, options)
    tests = table.assign(test=kind) if not table.empty else pd.DataFrame()
    if kind == "t" and not tests.empty:
        with np.errstate(divide="ignore", invalid="ignore"):
            tests["se"] = (tests.gap / tests.t).abs()
    return findings, skipped, tests


#: Fewest accounts with both phases from which the variance components of
#: :func:`_phase_gls` are pooled; below it the per-account test is used.
MIN_ACCOUNTS_POOLED = 20


def _variance_components(
    phase: pd.DataFrame, person_tp: pd.DataFrame
) -> tuple[float, float, float] | None:
    """σ² (one rating around its person), ω² (a phase mean beyond σ²/n) and τ²
    (between people), pooled over the portfolio by moments; None without enough data.

    σ² is the pooled variance of each person's ratings; ω² comes from the people
    who rated both phases, as the robust (MAD) variance of their phase
    differences around the median, net of σ²/n, halved; τ² is the spread of
    people's phase means within an account and phase, net of ω² + σ²/n. Robust
    or pooled over hundreds of accounts, a minority of accounts with a real
    mismatch hardly moves them.
    """
    if person_tp.empty or "var" not in person_tp:
        return None
    tp = person_tp.dropna(subset=["var"])
    dof = (tp.n - 1).clip(lower=0).to_numpy(dtype=float)
    if dof.sum() < 30:
        return None
    within = float((tp["var"].to_numpy(dtype=float) * dof).sum() / dof.sum())
    if phase.empty or set(phase.phase.unique().tolist()) != {"early", "late"}:
        return None  # a portfolio without one of the phases has nothing to compare
    wide = phase.pivot_table(index=["account_id", "stakeholder_id"], columns="phase",
                             values=["mean", "n"])  # fmt: skip
    both = wide.dropna()
    if len(both) >= 10:
        d = (both[("mean", "late")] - both[("mean", "early")]).to_numpy(dtype=float)
        mad = float(np.median(np.abs(d - np.median(d)))) / 0.6744897501960817
        inv = (1 / both[("n", "early")] + 1 / both[("n", "late")]).to_numpy(dtype=float)
        extra = max(0.0, (mad**2 - within * float(inv.mean())) / 2)
    else:
        extra = 0.0
    cell = phase.assign(noise=extra + within / phase.n.clip(lower=1))
    grp = cell.groupby(["account_id", "phase"])
    stats_ = grp.agg(var=("mean", "var"), k=("mean", "size"), noise=("noise", "mean"))
    stats_ = stats_[stats_.k >= 2]
    if stats_.empty:
        return None
    k1 = (stats_.k - 1).to_numpy(dtype=float)
    excess = (stats_["var"] - stats_.noise).to_numpy(dtype=float)
    between = max(0.0, float((excess * k1).sum() / k1.sum()))
    return within, extra, between


def _phase_gls(
    phase: pd.DataFrame, person_tp: pd.DataFrame, options: DiagnoseOptions,
    skipped: list[Skipped],
) -> pd.DataFrame | None:  # fmt: skip
    """Per account: usage against buying stages, every rating counted, people as
    random effects (:func:`~b2bcx.diagnose.stats.random_person_contrast`).

    The variance components are pooled over the portfolio
    (:func:`_variance_components`), so the test is a z test; its z statistics
    are divided by their empirical-null spread (Efron 2004) when the bulk of
    accounts is wider than N(0, 1), so a mis-specified component cannot make
    it liberal. None (the caller falls back to :func:`_phase_tests`) with fewer
    than :data:`MIN_ACCOUNTS_POOLED` accounts or without the components.
    """
    comps = _variance_components(phase, person_tp)
    if comps is None:
        return None
    counts = phase.groupby(["account_id", "phase"]).size().unstack("phase")
    counts = counts.reindex(columns=["early", "late"]).fillna(0).astype(int)
    enough = (counts.early >= options.min_people) & (counts.late >= options.min_people)
    if int(enough.sum()) < MIN_ACCOUNTS_POOLED:
        return None
    few = counts[~enough.to_numpy()]
    for account, early, late in zip(few.index.tolist(), few.early.tolist(), few.late.tolist(),
                                    strict=True):  # fmt: skip
        reason = (
            f"fewer than {options.min_people} people rated the buying stages "
            f"({early}) or the usage stages ({late})"
        )
        skipped.append(Skipped("C3", str(account), reason))
    cells = phase[phase.account_id.isin(counts.index[enough.to_numpy()])]
    within, extra, between = comps
    g_codes, accounts = pd.factorize(cells.account_id.astype(str), sort=True)
    p_codes, _ = pd.factorize(cells.stakeholder_id.astype(str))
    res = random_person_contrast(
        g_codes, p_codes, (cells.phase == "late").to_numpy(dtype=np.int64),
        cells.n.to_numpy(dtype=float), cells["mean"].to_numpy(dtype=float),
        within=within, extra=extra, between=between,
    )  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        z = res.estimate / res.se
    scale = empirical_null_scale(z)
    z = z / scale
    by = cells.groupby(["account_id", "phase"])
    simple = by["mean"].mean().unstack("phase")
    people = by.size().unstack("phase")
    r = between / (between + extra + within / max(float(cells.n.median()), 1.0))
    out = pd.DataFrame({
        "account_id": list(accounts), "gap": -res.estimate, "se": res.se * scale,
        "t": -z, "p": 2 * stats.norm.sf(np.abs(z)),
        "paired_people": res.paired.astype(int),
    })  # fmt: skip
    out = out[np.isfinite(out.p)]
    out["early"] = out.account_id.map(simple.early).astype(float)
    out["late"] = out.account_id.map(simple.late).astype(float)
    out["early_people"] = out.account_id.map(people.early).astype(int)
    out["late_people"] = out.account_id.map(people.late).astype(int)
    out["df"] = float(len(cells) - 2 * len(accounts))
    out["r"] = r
    out["test_name"] = "GLS, people as random effects, variance components pooled (z)"
    out["null_scale"] = scale
    out["components"] = [{"within": within, "extra": extra, "between": between}] * len(out)
    result: pd.DataFrame = out.reset_index(drop=True)
    return result


def _phase_tests(
    phase: pd.DataFrame, options: DiagnoseOptions, skipped: list[Skipped]
) -> pd.DataFrame:
    """Per account: buying-stage against usage-stage person means (partially overlapping t)."""
    rows: list[dict[str, Any]] = []
    wide = phase.pivot_table(index=["account_id", "stakeholder_id"], columns="phase",
                             values="mean").reindex(columns=["early", "late"])  # fmt: skip
    # each phase's spread between people, moderated across accounts (Smyth 2004):
    # a buying centre of three people borrows the portfolio's estimate
    spread = wide.groupby(level="account_id").agg(["var", "count"])
    priors = {
        ph: variance_prior(spread[(ph, "var")].to_numpy(), spread[(ph, "count")].to_numpy() - 1)
        for ph in ("early", "late")
    }
    # how alike one person's two phases are, pooled over the accounts' people who
    # rated both (each phase centred on its account's mean): most accounts have
    # one or two such people, too few for a correlation of their own
    both_all = wide.dropna()
    r_pooled: float | None = None
    if len(both_all) >= 10:
        centred = both_all - both_all.groupby(level="account_id").transform("mean")
        keep = both_all.groupby(level="account_id").early.transform("size") >= 2
        if int(keep.sum()) >= 10 and centred[keep].std().min() > 0:
            r_pooled = float(np.corrcoef(centred[keep].early, centred[keep].late)[0, 1])
    for account, w in wide.groupby(level="account_id", sort=True):
        early, late = w.early.dropna(), w.late.dropna()
        both = w.dropna()
        if len(early) < options.min_people or len(late) < options.min_people:
            reason = (
                f"fewer than {options.min_people} people rated the buying stages "
                f"({len(early)}) or the usage stages ({len(late)})"
            )
            skipped.append(Skipped("C3", str(account), reason))
            continue
        test = partially_overlapping_t(
            early.drop(both.index).to_numpy(), late.drop(both.index).to_numpy(),
            both.early.to_numpy(), both.late.to_numpy(),
            prior_1=priors["early"], prior_2=priors["late"], r_prior=r_pooled,
        )  # fmt: skip
        if test is None:
            skipped.append(Skipped("C3", str(account), "no variance between people's phase means"))
            continue
        rows.append({
            "account_id": str(account), "early": float(early.mean()), "late": float(late.mean()),
            "early_people": len(early), "late_people": len(late), "paired_people": len(both),
            "gap": test.difference, "p": test.p, "t": test.t, "df": test.df, "r": test.r,
            "test_name": "partially overlapping samples t (Derrick et al. 2017)",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _phase_finding(
    r: Any, steps: dict[str, float], made: int, broken: int, options: DiagnoseOptions
) -> Finding:
    worse = r.gap > 0  # usage stages below the buying stages
    ev = {"buying_stages_cx": r.early, "usage_stages_cx": r.late, "gap": abs(r.gap),
          "direction": "usage_worse" if worse else "usage_better",
          "p": r.p, "p_adjusted": r.p_adj, "people": {"buying_stages": r.early_people,
          "usage_stages": r.late_people, "both": r.paired_people},
          "test": {"name": r.test_name, "t": r.t, "df": r.df, "paired_correlation": r.r,
                   **({"se": r.se, "null_scale": r.null_scale,
                       "variance_components": r.components}
                      if has(getattr(r, "se", None)) else {})},
          "stage_cx_vs_touchpoint_norm": steps, "largest_drop": _worst_transition(steps),
          "promises_made_early": made, "promises_broken_later": broken}  # fmt: skip
    sev = severity(r.gap, options.journey_gap)
    if worse and broken:
        sev = min(1.0, sev + 0.15)
    if worse:
        note = (
            f" Customers wrote {broken} times that early promises were not kept." if broken else ""
        )
        summary = (
            f"{r.account_id} rated the bid and negotiation well but implementation and "
            f"operations {fmt(abs(r.gap))} points worse than those touchpoints usually score."
            + note
        )
        implication = (
            "The people who buy and the people who use have different experiences; "
            "expectations set early are not met later (Witell et al. 2020, C3)."
        )
        actions: tuple[str, ...] = (
            "Involve the users' functions before the contract is signed.",
            "Hand over explicitly from sales to delivery, with the commitments made.",
            *(
                (
                    "Review what was promised free of charge to land the deal and either "
                    "deliver it or reset expectations openly.",
                )
                if broken
                else ()
            ),
        )
    else:
        summary = (
            f"{r.account_id}'s users rate implementation and operations {fmt(abs(r.gap))} points "
            "better than the bid and negotiation were rated, against those touchpoints' norms."
        )
        implication = (
            "The buying centre's experience lags the users': a hard negotiation or bid can "
            "cost the renewal although the offering works (Witell et al. 2020, C3)."
        )
        actions = (
            "Review the bid and negotiation with the buying centre: what made them hard?",
            "Bring the users' good experience into the renewal conversation.",
        )
    return Finding(
        challenge="C3",
        account_id=r.account_id,
        subject_kind="account",
        subject_id=r.account_id,
        severity=sev,
        evidence=ev,
        summary=summary,
        implication=implication,
        actions=actions,
        detector="buying_vs_usage_stages",
    )


def _stage_means(person_stage: pd.DataFrame) -> dict[str, dict[str, float]]:
    ps = person_stage.dropna(subset=["mean"]).assign(s=lambda d: d["mean"] * d["n"])
    g = ps.groupby(["account_id", "stage"])[["s", "n"]].sum()
    g["m"] = g.s / g.n
    out: dict[str, dict[str, float]] = {}
    flat = g.reset_index()
    for a, stage, m in zip(flat.account_id.tolist(), flat.stage.tolist(), flat.m.tolist(),
                           strict=True):  # fmt: skip
        out.setdefault(str(a), {})[str(stage)] = round(float(m), 2)
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
    # one pass over the (account, journey) rows, sorted by account and mean
    journeys: dict[Any, dict[str, float]] = {}
    for a, j, m in zip(per.account_id.tolist(), per.journey_id.tolist(), per["mean"].tolist(),
                       strict=True):  # fmt: skip
        journeys.setdefault(a, {})[str(j)] = round(float(m), 1)
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
                severity=severity(r.gap, options.journey_gap),
                evidence={
                    "journeys_cx_vs_touchpoint_norm": r.journeys,
                    "gap": r.gap,
                    "p_adjusted": r.p_adj,
                    "better_journey": r.high,
                },
                summary=f"In {r.account_id}, journey {r.low} goes {fmt(r.gap)} points worse than "
                f"journey {r.high}.",
                implication="Concurrent journeys for different offerings leave different "
                "impressions of one "
                "supplier (Witell et al. 2020, C3).",
                actions=(f"Find what journey {r.high} does right and carry it over to {r.low}.",),
                detector="concurrent_journeys",
            )
        )
    return out
