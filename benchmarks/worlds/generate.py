"""Generate one independent (or null) world as a bundle folder plus ``truth.json``.

The model is described in ``benchmarks/worlds/README.md``; this module follows
it step by step: accounts and people → plan → month shocks → churn → contacts
and ratings → goals → tables and truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from benchmarks.worlds.people import make_accounts, make_journeys, make_people, vacancies
from benchmarks.worlds.plan import Plan, make_plan
from benchmarks.worlds.spec import (
    DROPPABLE,
    FUNCTION_NAMES,
    FUNCTIONS,
    GOALS,
    MU,
    PARTNER_REPLACEMENT,
    PARTNERS,
    PHI_ACCOUNT,
    PHI_PORTFOLIO,
    RELATIONAL_GOALS,
    SD_ACCOUNT,
    SD_ACCOUNT_SHOCK,
    SD_NOISE,
    SD_PERSON,
    SD_PORTFOLIO_SHOCK,
    SD_TOTAL,
    SD_TOUCHPOINT,
    SEASON_AMPLITUDE,
    STAGE_EFFECT,
    TOUCHPOINT_IDS,
    TOUCHPOINT_WEIGHTS,
    TOUCHPOINTS,
    USAGE_STAGES,
    WorldSpec,
)
from benchmarks.worlds.text import make_comments

GENERATOR = "b2bcx-independent-worlds"
VERSION = 3
TP = {t: i for i, t in enumerate(TOUCHPOINT_IDS)}


def ar1(rng: np.random.Generator, rows: int, months: int, sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) series (rows × months) with marginal SD ``sd``."""
    z = rng.normal(0.0, sd, (rows, months))
    out = np.empty_like(z)
    out[:, 0] = z[:, 0]
    for m in range(1, months):  # a loop over months, vectorised over rows
        out[:, m] = phi * out[:, m - 1] + np.sqrt(1 - phi**2) * z[:, m]
    return out


def _month_starts(spec: WorldSpec) -> np.ndarray:
    first = np.datetime64(spec.start, "M")
    months = first + np.arange(spec.months)
    return (months.astype("datetime64[D]") - np.datetime64(spec.start, "D")).astype(int)


def _dates(spec: WorldSpec, days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.datetime64(spec.start, "D") + days.astype(int), unit="D")


def _cx_shift(plan: Plan, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Account-wide planted shift in rating SDs at (account, day): C1 and C5 level changes."""
    d, dirn, tau, ramp = plan.d[acc], plan.direction[acc], plan.tau[acc], plan.ramp[acc]
    ch, kind = plan.challenge[acc], plan.c5_kind[acc]
    shift = np.where(ch == "C1", -d / 2, 0.0)
    after = np.clip((day - tau) / np.maximum(ramp, 1), 0, 1)
    step = (day >= tau).astype(float)
    c5 = (ch == "C5") & (kind != "goal_shift")
    return shift + np.where(c5, dirn * d * np.where(kind == "linear", after, step), 0.0)


def _churn(
    spec: WorldSpec,
    rng: np.random.Generator,
    plan: Plan,
    accounts: pd.DataFrame,
    people: Any,
    shocks: np.ndarray,
    u: np.ndarray,
    partner_support: np.ndarray,
    month_starts: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame, list[dict[str, Any]]]:
    """Renewals (and churn at a renewal); returns churn day per account (horizon+1 = none)."""
    n, horizon = spec.accounts, (spec.end - spec.start).days
    anniversary = rng.integers(0, 365, n)
    k = np.arange(0, spec.months // 12 + 1)
    acc = np.repeat(np.arange(n), k.size)
    day = anniversary[acc] + 365 * np.tile(k, n)
    keep = day <= horizon
    acc, day = acc[keep], day[keep]
    uplift = rng.random(acc.size) < 0.2
    # headless: a decision-maker vacancy of > 90 days overlapping the last year
    gaps = vacancies(people, FUNCTION_NAMES.index("management"))
    gaps = gaps[gaps["gap_to"] - gaps["gap_from"] > 90]
    ren = pd.DataFrame({"account": acc, "day": day, "row": np.arange(acc.size)})
    m = ren.merge(gaps, on="account")
    hit = (m["gap_from"] <= m["day"]) & (m["gap_to"] >= m["day"] - 365)
    headless = np.zeros(acc.size, dtype=bool)
    headless[m.loc[hit, "row"].to_numpy()] = True
    # partner share of the last year's contact (expected, from the contact mix)
    base = np.where(partner_support, 0.35, 0.12)[acc]
    tau = plan.tau[acc]
    frac_after = np.clip((day - np.maximum(tau, 0)) / 365, 0, 1) * (tau >= 0)
    partner_share = base + (1 - base) * plan.take_over[acc] * frac_after
    # CX deviation of the account over the last 6 months, in SDs
    month = np.searchsorted(month_starts, day, side="right") - 1
    window = np.clip(month[:, None] - np.arange(6)[None, :], 0, spec.months - 1)
    dev = (u[acc] + shocks[acc[:, None], window].mean(axis=1)) / SD_TOTAL
    dev = dev + _cx_shift(plan, acc, day)
    logit = -3.0 + 1.6 * headless + 1.4 * partner_share + 1.1 * uplift - 0.35 * dev
    p = 1 / (1 + np.exp(-logit))
    churn_now = (rng.random(acc.size) < p) & spec.churn & (not spec.null)
    churn_day = np.full(n, horizon + 1)
    first = pd.Series(day[churn_now]).groupby(acc[churn_now]).min()
    churn_day[first.index.to_numpy()] = first.to_numpy()
    alive = day <= churn_day[acc]
    value = accounts["annual_value"].to_numpy()[acc] * np.where(uplift, 1.15, 1.03)
    kind = np.where(day == churn_day[acc], "churn", "renewal")
    outcomes = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[acc[alive]],
            "occurred_at": _dates(spec, day[alive]),
            "kind": kind[alive],
            "value": np.round(value[alive], 0),
        }
    )
    truth = [
        {
            "account_id": str(accounts["account_id"].iat[int(a)]),
            "date": str(_dates(spec, np.array([churn_day[a]]))[0]),
            "drivers": {
                "headless": bool(headless[i]),
                "partner_share": round(float(partner_share[i]), 3),
                "price_uplift": bool(uplift[i]),
                "cx_deviation_sd": round(float(dev[i]), 3),
            },
        }
        for i, a in enumerate(acc)
        if churn_now[i] and day[i] == churn_day[a]
    ]
    return churn_day, outcomes, truth


def generate_world(folder: str | Path, spec: WorldSpec | None = None) -> dict[str, Any]:
    """Write one world as a bundle folder with ``truth.json``; return the truth.

    Parameters
    ----------
    folder : str or Path
        Output folder (created; existing table files are overwritten).
    spec : WorldSpec, optional
        What to generate; default ``WorldSpec()``.

    Returns
    -------
    dict
        The content of ``truth.json``: ``generator`` (spec, period, dropped
        columns), ``planted`` (one entry per planted item), ``churn``.
    """
    spec = spec or WorldSpec()
    rng = np.random.default_rng(spec.seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    horizon = (spec.end - spec.start).days
    n = spec.accounts
    month_starts = _month_starts(spec)

    accounts = make_accounts(spec, rng)
    people = make_people(spec, rng, horizon)
    journeys, stages = make_journeys(accounts, rng, spec)
    plan = make_plan(spec, rng)
    # a stream of its own, so the null and independent worlds of one seed lack the same columns
    drop_rng = np.random.default_rng([spec.seed, 1])
    draws = drop_rng.random(len(DROPPABLE))
    dropped = sorted(
        f"{t}.{c}" for (t, c), x in zip(DROPPABLE, draws, strict=True) if x < spec.drop_probability
    )

    # relationship types: C1 accounts intend transactional, expect relational
    c1 = plan.challenge == "C1"
    accounts.loc[c1, "relationship_intended"] = "transactional"
    accounts.loc[c1, "relationship_expected"] = "relational"
    stated = rng.random(n) < np.where(c1, 0.6, 0.7)
    accounts.loc[~stated, "relationship_expected"] = ""

    # account-level terms and month shocks
    u = rng.normal(0, SD_ACCOUNT, n)
    shocks = ar1(rng, n, spec.months, SD_ACCOUNT_SHOCK, PHI_ACCOUNT)
    portfolio = ar1(rng, 1, spec.months, SD_PORTFOLIO_SHOCK, PHI_PORTFOLIO)[0]
    month_of_year = (np.datetime64(spec.start, "M") + np.arange(spec.months)).astype(int) % 12
    season = SEASON_AMPLITUDE * np.cos(2 * np.pi * month_of_year / 12)
    integrator_b = rng.random(n) < 0.45
    partner_support = rng.random(n) < 0.3
    q = rng.normal(0, SD_TOUCHPOINT, len(TOUCHPOINT_IDS))

    churn_day, outcomes, churn_truth = _churn(
        spec, rng, plan, accounts, people, shocks, u, partner_support, month_starts
    )
    p_to = np.minimum(people.active_to, churn_day[people.account])
    # people of a churned account who would only join after churn are dropped
    keep_p = people.active_from < p_to
    n_people = people.account.size

    # contacts: Poisson per person over the active window
    lo = np.maximum(people.active_from, 0)
    hi = np.minimum(p_to, horizon + 1)
    duration = np.where(keep_p, np.maximum(hi - lo, 0), 0)
    rate = np.array([FUNCTIONS[f][5] for f in FUNCTION_NAMES])[people.function]
    rate = rate * np.exp(rng.normal(0, 0.4, n_people) - 0.08)
    k = rng.poisson(rate * duration / 30.44)
    pid = np.repeat(np.arange(n_people), k)
    acc = people.account[pid]
    fun = people.function[pid]
    day = lo[pid] + np.floor(rng.random(pid.size) * duration[pid]).astype(int)
    weights = np.array([TOUCHPOINT_WEIGHTS[f] for f in FUNCTION_NAMES])
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    tp = (rng.random(pid.size)[:, None] > cum[fun]).sum(axis=1)
    tp = np.minimum(tp, len(TOUCHPOINT_IDS) - 1)
    tp = np.where((tp == TP["NW-TP09"]) & integrator_b[acc], TP["NW-TP10"], tp)
    tp = np.where(
        (tp == TP["NW-TP14"]) & partner_support[acc] & (rng.random(pid.size) < 0.8),
        TP["NW-TP15"],
        tp,
    )
    # C4: a partner takes over a share of the supplier's contact from tau
    repl = np.arange(len(TOUCHPOINT_IDS))
    for src, dst in PARTNER_REPLACEMENT.items():
        repl[TP[src]] = TP[dst]
    replaced = repl[tp]
    replaced = np.where((replaced == TP["NW-TP09"]) & integrator_b[acc], TP["NW-TP10"], replaced)
    take = (plan.tau[acc] >= 0) & (day >= plan.tau[acc])
    take &= rng.random(pid.size) < plan.take_over[acc]
    tp = np.where(take & (replaced != tp), replaced, tp)

    stage = np.array([TOUCHPOINTS[t][1] for t in TOUCHPOINT_IDS])[tp]
    controller = np.array([TOUCHPOINTS[t][3] for t in TOUCHPOINT_IDS])[tp]
    partner_of = np.array([TOUCHPOINTS[t][4] for t in TOUCHPOINT_IDS])[tp]
    usage = np.isin(stage, list(USAGE_STAGES))
    month = np.searchsorted(month_starts, day, side="right") - 1
    v = rng.normal(0, SD_PERSON, n_people)
    fun_eff = np.array([FUNCTIONS[f][6] for f in FUNCTION_NAMES])
    stage_eff = np.array([STAGE_EFFECT[TOUCHPOINTS[t][1]] for t in TOUCHPOINT_IDS])
    latent = (
        MU + u[acc] + v[pid] + q[tp] + stage_eff[tp] + fun_eff[fun]
        + season[month] + portfolio[month] + shocks[acc, month]
        + rng.normal(0, SD_NOISE, pid.size)
    )  # fmt: skip

    # planted effects, in rating SDs
    ch, d, dirn = plan.challenge[acc], plan.d[acc], plan.direction[acc]
    shift = _cx_shift(plan, acc, day)
    shift += np.where((ch == "C2") & (fun == plan.group[acc]), dirn * d, 0.0)
    shift += np.where((ch == "C3") & (dirn < 0) & usage, -d, 0.0)
    shift += np.where((ch == "C3") & (dirn > 0) & ~usage, -d, 0.0)
    own_after = (ch == "C4") & (day >= plan.tau[acc]) & (controller == "partner")
    shift += np.where(own_after, -d / 2, 0.0)
    if plan.weak_partner is not None:
        shift += np.where(partner_of == plan.weak_partner, -plan.weak_d, 0.0)
    if plan.control_tp is not None:
        moved = (tp == TP[plan.control_tp]) & (day >= plan.control_day)
        shift += np.where(moved, plan.control_direction * plan.control_d, 0.0)
        controller = np.where(moved, "partner", controller)
    latent = latent + shift * SD_TOTAL

    journey = _journey_of(rng, journeys, acc, day)
    interactions = _interaction_table(
        spec, rng, people, pid, acc, day, tp, stage, latent, plan, journey
    )
    goals = _goals(spec, rng, people, accounts, plan, keep_p, p_to)

    tables = _tables(
        spec, accounts, people, keep_p, p_to, journeys, stages, interactions, goals, outcomes, plan
    )
    for table, column in (x.split(".") for x in dropped):
        tables[table] = tables[table].drop(columns=[column])
        if column == "relationship_expected":
            tables["relationships"] = tables["relationships"].drop(columns=[column])
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)

    truth = {
        "generator": {
            "name": GENERATOR,
            "version": VERSION,
            "seed": spec.seed,
            "kind": "null" if spec.null else "independent",
            "accounts": n,
            "effect": spec.effect,
            "scale": dict(spec.scale),
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
            "dropped_columns": dropped,
            "interactions": int(pid.size),
            "stakeholders": int(keep_p.sum()),
        },
        "planted": _planted(
            spec, plan, accounts, stated, "accounts.relationship_expected" in dropped, churn_day
        ),
        "churn": churn_truth,
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def _interaction_table(
    spec: WorldSpec,
    rng: np.random.Generator,
    people: Any,
    pid: np.ndarray,
    acc: np.ndarray,
    day: np.ndarray,
    tp: np.ndarray,
    stage: np.ndarray,
    latent: np.ndarray,
    plan: Plan,
    journey: np.ndarray,
) -> pd.DataFrame:
    """The interactions table, sorted by time, with ratings, goal ratings and comments."""
    m = pid.size
    source = np.array([TOUCHPOINTS[t][5] for t in TOUCHPOINT_IDS], dtype=object)[tp]
    r = rng.random(m)
    source = np.where(r < 0.35, "survey", np.where(r < 0.43, "email", source))
    cx = np.clip(np.round(latent), 0, 10)
    no_cx = (source == "email") | ((source == "event") & (rng.random(m) < 0.5))
    survey = source == "survey"
    nps = np.clip(np.round(latent + rng.normal(0, 1.0, m)), 0, 10)
    csat = np.clip(np.round(1 + latent / 2.5 + rng.normal(0, 0.5, m)), 1, 5)
    minutes = rng.integers(8 * 60, 18 * 60, m)
    stamp = (
        np.datetime64(spec.start, "m")
        + day.astype("timedelta64[D]")
        + minutes.astype("timedelta64[m]")
    )
    frame = pd.DataFrame(
        {
            "interaction_id": "",
            "stakeholder_id": _person_ids(people.account.size)[pid],
            "occurred_at": np.datetime_as_string(stamp, unit="s"),
            "touchpoint_id": np.array(TOUCHPOINT_IDS)[tp],
            "journey_id": journey,
            "stage": stage,
            "source": source,
            "solicited": np.where(survey, "true", "false"),
            "cx": pd.array(np.where(no_cx, np.nan, cx), dtype="Int64"),
            "nps": pd.array(np.where(survey, nps, np.nan), dtype="Int64"),
            "csat": pd.array(np.where(source == "ticket", csat, np.nan), dtype="Int64"),
        }
    )
    # goal performance (1–5) on survey rows; C1 accounts get worse relational-goal ratings
    z = (latent - MU) / SD_TOTAL
    c1 = (plan.challenge[acc] == "C1") * plan.d[acc]
    for g in GOALS:
        score = 3.4 + 0.8 * z + rng.normal(0, 0.7, m) - (c1 * 0.9 if g in RELATIONAL_GOALS else 0)
        frame[g] = pd.array(np.where(survey, np.clip(np.round(score), 1, 5), np.nan), dtype="Int64")
    buying = ~np.isin(stage, list(USAGE_STAGES))
    frame["comment"] = make_comments(rng, latent, buying, plan.promises[acc])
    order = np.lexsort((frame["stakeholder_id"].to_numpy(), frame["occurred_at"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["interaction_id"] = [f"NW-I{i + 1:07d}" for i in range(m)]
    return frame


def _person_ids(n: int) -> np.ndarray:
    return np.array([f"NW-S{i + 1:06d}" for i in range(n)])


def _journey_of(
    rng: np.random.Generator, journeys: pd.DataFrame, acc: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """A journey of the account already started on that day (the first one otherwise)."""
    j = journeys.sort_values(["account", "started"]).reset_index(drop=True)
    first = j.groupby("account").cumcount().to_numpy() == 0
    first_idx = np.flatnonzero(first)
    count = np.bincount(j["account"].to_numpy(), minlength=int(acc.max()) + 1)
    started = np.zeros(acc.size, dtype=int)
    for nth in range(int(count.max())):  # at most three journeys per account
        idx = first_idx[acc] + nth
        ok = (nth < count[acc]) & (j["started"].to_numpy()[np.minimum(idx, len(j) - 1)] <= day)
        started += ok
    pick = first_idx[acc] + np.floor(rng.random(acc.size) * np.maximum(started, 1)).astype(int)
    return np.asarray(j["journey_id"].to_numpy()[pick], dtype=object)


def _waves(spec: WorldSpec) -> np.ndarray:
    """Days of the annual relationship-survey waves."""
    return np.arange(100, (spec.end - spec.start).days, 380)


def _goals(
    spec: WorldSpec,
    rng: np.random.Generator,
    people: Any,
    accounts: pd.DataFrame,
    plan: Plan,
    keep_p: np.ndarray,
    p_to: np.ndarray,
) -> pd.DataFrame:
    """Annual relationship survey of goal importance (1–5), asked of active people."""
    base = {
        "it": (3.8, 2.6, 2.5, 3.9, 3.3, 2.9),
        "operations": (3.6, 2.4, 2.6, 4.0, 3.2, 2.8),
        "procurement": (4.2, 2.9, 2.4, 3.2, 2.5, 3.0),
        "finance": (4.4, 2.6, 2.3, 3.3, 2.4, 2.7),
        "management": (3.7, 3.9, 3.3, 2.8, 2.9, 3.3),
        "hr": (3.3, 2.5, 2.9, 3.7, 3.6, 3.4),
    }
    asks = _waves(spec)
    n_p = people.account.size
    person_noise = rng.normal(0, 0.6, (n_p, len(GOALS)))
    relational = (accounts["relationship_intended"].to_numpy() == "relational").astype(float)
    orient = rng.normal(0, 0.25, spec.accounts)
    rows = []
    for ask in asks:  # a loop over the (three) survey waves, vectorised over people
        answered = keep_p & (people.active_from <= ask) & (p_to > ask)
        answered &= rng.random(n_p) < 0.7
        who = np.flatnonzero(answered)
        a = people.account[who]
        imp = np.array([base[FUNCTION_NAMES[f]] for f in people.function[who]])
        imp = imp + person_noise[who] + rng.normal(0, 0.5, imp.shape) + orient[a, None]
        for gi, g in enumerate(GOALS):
            if g in RELATIONAL_GOALS:
                imp[:, gi] += np.where(relational[a] > 0, 0.5, -0.2)
                imp[:, gi] += np.where(plan.challenge[a] == "C1", 0.9 * plan.d[a], 0.0)
            shifted = (plan.goal[a] == gi) & (plan.tau[a] <= ask) & (plan.tau[a] >= 0)
            imp[:, gi] += np.where(shifted, plan.direction[a] * 1.2 * plan.d[a], 0.0)
        imp = np.clip(np.round(imp), 1, 5).astype(int)
        rows.append(
            pd.DataFrame(
                {
                    "stakeholder_id": np.repeat(_person_ids(n_p)[who], len(GOALS)),
                    "asked_at": _dates(spec, np.full(who.size * len(GOALS), ask)),
                    "goal": np.tile(GOALS, who.size),
                    "importance": imp.ravel(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _tables(
    spec: WorldSpec,
    accounts: pd.DataFrame,
    people: Any,
    keep_p: np.ndarray,
    p_to: np.ndarray,
    journeys: pd.DataFrame,
    stages: pd.DataFrame,
    interactions: pd.DataFrame,
    goals: pd.DataFrame,
    outcomes: pd.DataFrame,
    plan: Plan,
) -> dict[str, pd.DataFrame]:
    horizon = (spec.end - spec.start).days
    ids = accounts["account_id"].to_numpy()
    names = np.array(FUNCTION_NAMES)[people.function]
    stakeholders = pd.DataFrame(
        {
            "stakeholder_id": _person_ids(people.account.size),
            "account_id": ids[people.account],
            "function": names,
            "level": people.level,
            "center": people.center,
            "role": np.char.add(names.astype(str), np.where(people.level == "executive",
                                " executive", " contact")),
            "unit": people.unit,
            "decision_maker": np.where(people.decision_maker, "true", "false"),
            "active_from": _dates(spec, people.active_from),
            "active_to": np.where(p_to > horizon, "", _dates(spec, np.minimum(p_to, horizon))),
        }
    )[keep_p].reset_index(drop=True)  # fmt: skip
    relationships = pd.DataFrame(
        {
            "account_id": ids,
            "valid_from": "2020-01-01",
            "relationship_intended": accounts["relationship_intended"],
            "relationship_expected": accounts["relationship_expected"],
        }
    )
    tps = pd.DataFrame(
        [
            {"touchpoint_id": t, "name": v[0], "stage": v[1], "channel": v[2],
             "controller": v[3], "partner_id": v[4], "valid_from": "2020-01-01"}
            for t, v in TOUCHPOINTS.items()
        ]
    )  # fmt: skip
    if plan.control_tp is not None:
        partner = "NW-P-HELP" if plan.control_tp == "NW-TP14" else "NW-P-INTA"
        row = tps[tps["touchpoint_id"] == plan.control_tp].copy()
        row["controller"], row["partner_id"] = "partner", partner
        row["valid_from"] = _dates(spec, np.array([plan.control_day]))[0]
        tps = pd.concat([tps, row], ignore_index=True)
    return {
        "accounts": accounts,
        "relationships": relationships,
        "stakeholders": stakeholders,
        "partners": pd.DataFrame(PARTNERS, columns=["partner_id", "name", "kind"]),
        "touchpoints": tps,
        "journeys": pd.DataFrame(
            {
                "journey_id": journeys["journey_id"],
                "account_id": ids[journeys["account"].to_numpy()],
                "offering": journeys["offering"],
                "started_at": _dates(spec, journeys["started"].to_numpy()),
                "contract_value": journeys["contract_value"],
            }
        ),
        "journey_stages": pd.DataFrame(
            {
                "journey_id": stages["journey_id"],
                "stage": stages["stage"],
                "entered_at": _dates(spec, stages["entered"].to_numpy()),
            }
        ),
        "interactions": interactions,
        "goals": goals,
        "outcomes": outcomes,
    }


def _planted(
    spec: WorldSpec,
    plan: Plan,
    accounts: pd.DataFrame,
    stated: np.ndarray,
    no_expected: bool,
    churn_day: np.ndarray,
) -> list[dict[str, Any]]:
    """The truth: one entry per planted item, in a form an evaluator can match.

    An item whose account churned less than 90 days after the change began is
    not ``observable`` (the change barely shows in the data).
    """
    horizon = (spec.end - spec.start).days
    ids = accounts["account_id"].to_numpy()
    out: list[dict[str, Any]] = []

    def day(x: int) -> str:
        return str(_dates(spec, np.array([x]))[0])

    for a in np.flatnonzero(plan.challenge != ""):
        c = str(plan.challenge[a])
        item: dict[str, Any] = {
            "challenge": c,
            "account_id": str(ids[a]),
            "subject": {"kind": "account", "id": str(ids[a])},
            "effect": str(plan.level[a]),
            "effect_size": round(float(plan.d[a]), 4),
            "direction": "down" if plan.direction[a] < 0 else "up",
            "since": day(int(plan.tau[a])) if plan.tau[a] >= 0 else None,
            "observable": bool(plan.tau[a] < 0 or churn_day[a] - plan.tau[a] >= 90),
            "churned": bool(churn_day[a] <= horizon),
        }
        if c == "C1":
            item["mechanism"] = "intended transactional, expected relational"
            item["stated"] = bool(stated[a]) and not no_expected
            item["observable"] = item["stated"] and item["observable"]
        elif c == "C2":
            group = FUNCTION_NAMES[int(plan.group[a])]
            item["mechanism"] = "silo: one function rates every interaction differently"
            item["subject"] = {"kind": "unit", "id": f"{ids[a]}:function", "group": group}
            item["group_size"] = "large" if group == "it" else "small"
        elif c == "C3":
            item["mechanism"] = (
                "usage stages below buying stages"
                if plan.direction[a] < 0
                else "usage stages above buying stages"
            )
            item["broken_promise_comments"] = bool(plan.promises[a])
        elif c == "C4":
            item["mechanism"] = "relationship ownership moves to a partner"
            item["take_over_share"] = float(plan.take_over[a])
        else:
            kind = str(plan.c5_kind[a])
            item["mechanism"] = kind
            if kind == "linear":
                item["ramp_days"] = int(plan.ramp[a])
            if kind == "goal_shift":
                item["goal"] = GOALS[int(plan.goal[a])]
                waves = _waves(spec)  # a shift shows only if a survey wave follows it
                seen = (waves >= plan.tau[a]) & (waves < churn_day[a])
                item["observable"] = bool(seen.any())
        out.append(item)
    if plan.weak_partner is not None:
        tps = [t for t, v in TOUCHPOINTS.items() if v[4] == plan.weak_partner]
        out.append(
            {
                "challenge": "C4",
                "account_id": None,
                "subject": {"kind": "partner", "id": plan.weak_partner, "touchpoints": tps},
                "effect": plan.weak_level,
                "effect_size": round(plan.weak_d, 4),
                "direction": "down",
                "since": None,
                "observable": True,
                "mechanism": "partner's touchpoints underperform everywhere",
            }
        )
    if plan.control_tp is not None:
        out.append(
            {
                "challenge": "C5",
                "account_id": None,
                "subject": {"kind": "touchpoint", "id": plan.control_tp},
                "effect": plan.control_level,
                "effect_size": round(plan.control_d, 4),
                "direction": "down" if plan.control_direction < 0 else "up",
                "since": day(plan.control_day),
                "observable": True,
                "mechanism": "control moves from the supplier to a partner",
            }
        )
    return out
