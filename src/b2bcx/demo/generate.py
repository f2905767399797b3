"""Generate the demo world: a seeded, streaming writer of a bundle and its truth.

``generate_world(out, size=..., seed=...)`` writes every bundle table as CSV
to ``out`` plus ``truth.json`` with the planted phenomena. Interactions are
drawn account chunk by account chunk and written as they are made, so memory
stays flat from a few hundred to ten million interactions; the same seed and
size give byte-identical files.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from b2bcx.demo import catalogue as cat
from b2bcx.demo import tables as tb
from b2bcx.demo.language import MIX, NEG, POS, compose_comments
from b2bcx.demo.world import DAYS, END, START, World, build_world, day_to_date
from b2bcx.errors import ConfigurationError
from b2bcx.model.enums import Goal
from b2bcx.progress import NO_PROGRESS, Progress

_CHUNK = 400_000  # interactions per written chunk
_TP = cat.TOUCHPOINTS
_TP_IDS = np.array([t.touchpoint_id for t in _TP])
_TP_STAGE = np.array([cat.STAGES.index(t.stage) for t in _TP])
_TP_PARTNER = np.array([t.partner_id or "" for t in _TP])
_TP_CTRL = np.array([t.controller for t in _TP])
_TP_TOPIC = np.array([t.topic for t in _TP])
_TP_INDEX = {t.touchpoint_id: i for i, t in enumerate(_TP)}
_STAGE_P = {  # stage mix by centre: the buying centre meets the early stages
    "buying": [0.35, 0.4, 0.1, 0.15],
    "usage": [0.04, 0.04, 0.3, 0.62],
    "both": [0.2, 0.2, 0.25, 0.35],
}
_GOALS = [g.value for g in Goal]
_HOTLINE = int(np.flatnonzero(cat.CONTROL_CHANGE[0] == _TP_IDS)[0])
_CHANGE_DAY = (np.datetime64(cat.CONTROL_CHANGE[1]) - np.datetime64(START)).astype(int)


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_world` wrote."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"out": str(self.out), "rows": dict(self.rows), "seconds": self.seconds}


def _write(table: pa.Table, path: Path) -> int:
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return int(table.num_rows)


def _allowed_touchpoints(dealer: str, service: str) -> list[np.ndarray]:
    """Per stage, the touchpoints an account with these partners can meet."""
    assigned = np.isin(_TP_PARTNER, [*cat.DEALERS, *cat.SERVICE_PARTNERS])
    # the account's own dealer and service partner, and the partners every account shares
    ok = ~assigned | (dealer == _TP_PARTNER) | (service == _TP_PARTNER)
    return [np.flatnonzero(ok & (s == _TP_STAGE)) for s in range(4)]


def _ratings(
    rng: np.random.Generator, latent: np.ndarray, source: np.ndarray
) -> dict[str, pa.Array]:
    """Ratings that follow the latent experience, present where the source has them."""
    n = len(latent)
    survey, review = source == "survey", source == "review"
    ticket, call = source == "ticket", source == "call"

    def scale(x: np.ndarray, lo: int, hi: int, mask: np.ndarray, integer: bool = True) -> pa.Array:
        v = np.clip(np.round(x) if integer else np.round(x * 2) / 2, lo, hi)
        return pa.array(v if not integer else v.astype(np.int64), mask=~mask)

    noise = rng.normal(0, 0.8, (n, 10))
    cx_mask = survey | review | (rng.random(n) < 0.12)
    out = {
        "cx": scale(latent + noise[:, 0] * 0.5, 0, 10, cx_mask, integer=False),
        "nps": scale(latent + 1.6 + noise[:, 1], 0, 10, (survey & (rng.random(n) < 0.8)) | review),
        "csat": scale(
            1 + latent / 2.4 + noise[:, 2] * 0.6, 1, 5, (survey & (rng.random(n) < 0.5)) | ticket
        ),
        "ces": scale(
            1 + latent * 0.62 + noise[:, 3], 1, 7, ticket | (call & (rng.random(n) < 0.5))
        ),
    }
    for i, g in enumerate(_GOALS):
        asked = survey & (rng.random(n) < 0.4)
        out[g] = scale(1 + latent / 2.4 + noise[:, 4 + i] * 0.7, 1, 5, asked)
    return out


def _interactions(
    rng: np.random.Generator,
    w: World,
    accounts: np.ndarray,
    counts: np.ndarray,
    journeys: tuple[np.ndarray, np.ndarray],
    offset: int,
) -> pa.Table:
    """Draw the interactions of a chunk of accounts."""
    a = np.repeat(accounts, counts)
    n = len(a)
    sh = w.sh_first[a] + (rng.random(n) * w.sh_count[a]).astype(np.int64)
    end = np.where(w.churn_day[a] >= 0, w.churn_day[a], DAYS)
    day = (rng.random(n) * end).astype(np.int64)
    center = w.sh_center[sh]
    stage = np.empty(n, np.int64)
    for c, p in _STAGE_P.items():
        m = center == c
        stage[m] = rng.choice(4, int(m.sum()), p=p)
    tp = np.empty(n, np.int64)
    combo = np.char.add(w.dealer[a], w.service_partner[a])
    for key in np.unique(combo):
        rows = combo == key
        allowed = _allowed_touchpoints(key[:7], key[7:])
        for s in range(4):
            m = rows & (stage == s)
            tp[m] = allowed[s][(rng.random(int(m.sum())) * len(allowed[s])).astype(np.int64)]
    ctrl = _TP_CTRL[tp].copy()
    partner = _TP_PARTNER[tp].copy()
    late = (tp == _HOTLINE) & (day >= _CHANGE_DAY)
    ctrl[late], partner[late] = "partner", cat.CONTROL_CHANGE[3]
    # C4 lost direct contact: after the change day only partners and others are met
    lost = w.flags["c4_lost_contact"][a] & (day >= w.change_day[a]) & (ctrl == "supplier")
    svc = np.where(w.service_partner[a] == "P-SRV-1", _TP_INDEX["TP-SVC-1"], _TP_INDEX["TP-SVC-2"])
    tp[lost] = svc[lost]
    ctrl[lost], partner[lost] = "partner", w.service_partner[a][lost]
    stage = _TP_STAGE[tp]
    # the latent experience of this interaction
    latent = w.base[a] + w.sh_offset[sh] + rng.normal(0, 0.9, n)
    latent -= 2.6 * (partner == cat.WEAK_PARTNER) + 0.3 * (ctrl == "partner")
    fn = w.sh_function[sh]
    silo = w.flags["c2_siloed"][a]
    latent += silo * (1.8 * (fn == "production") - 2.8 * (fn == "maintenance"))
    c3 = w.flags["c3_stage_mismatch"][a]
    latent += c3 * np.where(stage <= 1, 1.0, -2.2)
    decl = w.flags["c5_declining"][a] & (day > w.change_day[a])
    latent -= decl * (day - w.change_day[a]) / 365.0 * 2.2
    latent = np.clip(latent, 0, 10)
    source = np.where(
        _TP_CTRL[tp] == "external",
        "review",
        rng.choice(
            np.array(["survey", "ticket", "email", "meeting", "call"]),
            n,
            p=[0.45, 0.15, 0.2, 0.1, 0.1],
        ),
    )
    source = np.where((source == "ticket") & (stage < 3), "email", source)
    ts = (
        np.datetime64(START, "s")
        + day.astype("timedelta64[D]")
        + rng.integers(7 * 3600, 18 * 3600, n).astype("timedelta64[s]")
    )
    jf, jk = journeys
    journey = jf[a] + (rng.random(n) * jk[a]).astype(np.int64)
    # comments
    has = rng.random(n) < np.where(source == "survey", 0.25, 0.55)
    idx = np.flatnonzero(has)
    tone = np.where(latent[idx] < 4.5, NEG, np.where(latent[idx] > 7.2, POS, MIX))
    org = np.isin(center[idx], ["buying"])
    goal_pick = np.where(org, rng.integers(0, 3, len(idx)), rng.integers(3, 6, len(idx)))
    promise = np.zeros(len(idx), np.int64)
    pb = w.flags["c3_promise_broken"][a[idx]]
    promise[pb & (stage[idx] <= 1) & (rng.random(len(idx)) < 0.5)] = 1
    promise[pb & (stage[idx] >= 2) & (tone == NEG) & (rng.random(len(idx)) < 0.5)] = 2
    texts = compose_comments(
        rng, _TP_TOPIC[tp[idx]].tolist(), tone, [_GOALS[g] for g in goal_pick], promise
    )
    comment = np.full(n, None, dtype=object)
    comment[idx] = texts
    ids = pc.binary_join_element_wise(
        "INT-",
        pc.utf8_lpad(pc.cast(pa.array(np.arange(offset, offset + n)), pa.string()), 9, "0"),
        "",
    )
    cols: dict[str, Any] = {
        "interaction_id": ids,
        "stakeholder_id": pc.binary_join_element_wise(
            "STK-", pc.utf8_lpad(pc.cast(pa.array(sh), pa.string()), 7, "0"), ""
        ),
        "occurred_at": pc.strftime(pa.array(ts, pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ"),
        "touchpoint_id": _TP_IDS[tp],
        "journey_id": pc.binary_join_element_wise(
            "JRN-", pc.utf8_lpad(pc.cast(pa.array(journey), pa.string()), 6, "0"), ""
        ),
        "source": source,
        "solicited": source == "survey",
    }
    cols.update(_ratings(rng, latent, source))
    cols["comment"] = pa.array(comment, pa.string())
    return pa.table(cols)


def generate_world(
    out: Path, *, size: int = 20_000, seed: int = 7, progress: Progress = NO_PROGRESS
) -> DemoSummary:
    """Write a demo bundle of about ``size`` interactions and its ``truth.json``.

    Parameters
    ----------
    out: the folder to write (created; existing bundle files are replaced).
    size: about how many interactions (from a few hundred to 10 million).
    seed: the same seed and size give byte-identical files.
    """
    if size < 100:
        raise ConfigurationError(f"size must be at least 100 interactions (got {size})")
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w = build_world(rng, size)
    intended, expected = tb.relationship_types(rng, w)
    rows: dict[str, int] = {}
    rows["accounts"] = _write(tb.accounts_table(rng, w, intended, expected), out / "accounts.csv")
    rows["relationships"] = _write(
        tb.relationships_table(w, intended, expected), out / "relationships.csv"
    )
    rows["partners"] = _write(tb.partners_table(), out / "partners.csv")
    rows["touchpoints"] = _write(tb.touchpoints_table(), out / "touchpoints.csv")
    rows["cues"] = _write(tb.cues_table(), out / "cues.csv")
    rows["stakeholders"] = _write(tb.stakeholders_table(rng, w), out / "stakeholders.csv")
    journeys, stages, jfirst, jcount = tb.journeys_tables(rng, w)
    rows["journeys"] = _write(journeys, out / "journeys.csv")
    rows["journey_stages"] = _write(stages, out / "journey_stages.csv")
    goals, goal_shift = tb.goals_table(rng, w)
    rows["goals"] = _write(goals, out / "goals.csv")
    # interactions, streamed
    lam = size * w.sh_count / w.sh_count.sum()
    counts = rng.poisson(lam)
    progress.start("Generating interactions", total=int(counts.sum()))
    written = 0
    level_sum = np.zeros(w.n_accounts)
    writer: pacsv.CSVWriter | None = None
    acc = 0
    while acc < w.n_accounts:
        stop = acc + 1
        while stop < w.n_accounts and counts[acc : stop + 1].sum() <= _CHUNK:
            stop += 1
        chunk = _interactions(
            rng, w, np.arange(acc, stop), counts[acc:stop], (jfirst, jcount), written
        )
        if writer is None:
            writer = pacsv.CSVWriter(
                out / "interactions.csv",
                chunk.schema,
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
        writer.write_table(chunk)
        written += chunk.num_rows
        progress.advance("Generating interactions", chunk.num_rows)
        acc = stop
    if writer is not None:
        writer.close()
    rows["interactions"] = written
    level_sum = w.base - 1.2 * w.flags["c5_declining"] - 0.5 * w.flags["c4_lost_contact"]
    rows["outcomes"] = _write(tb.outcomes_table(rng, w, level_sum), out / "outcomes.csv")
    rows["activities"] = _write(tb.activities_table(), out / "activities.csv")
    progress.finish("Generating interactions")
    truth = _truth(w, intended, expected, goal_shift, seed=seed, size=size)
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    return DemoSummary(out=out, rows=rows, seconds=time.perf_counter() - started)


def _ids(w: World, flag: str) -> list[str]:
    return [str(x) for x in w.account_id[w.flags[flag]].tolist()]


def _truth(
    w: World,
    intended: np.ndarray,
    expected: np.ndarray,
    goal_shift: list[dict[str, object]],
    *,
    seed: int,
    size: int,
) -> dict[str, Any]:
    """The planted phenomena, for validating diagnosis."""
    low_value = w.annual_value < np.quantile(w.annual_value, 0.25)
    weak_tps = [t.touchpoint_id for t in cat.TOUCHPOINTS if t.partner_id == cat.WEAK_PARTNER]
    return {
        "generator": {
            "seed": seed,
            "size": size,
            "start": START.isoformat(),
            "end": END.isoformat(),
            "version": 1,
        },
        "c1_relationship_mismatch": [
            {
                "account_id": str(w.account_id[i]),
                "intended": str(intended[i]),
                "expected": str(expected[i]),
                "low_value_expects_relational": bool(low_value[i] and expected[i] == "relational"),
            }
            for i in np.flatnonzero(w.flags["c1_mismatch"]).tolist()
        ],
        "c2_siloed": [
            {
                "account_id": a,
                "happy_function": "production",
                "unhappy_function": "maintenance",
                "latent_gap": 4.6,
            }
            for a in _ids(w, "c2_siloed")
        ],
        "c3_stage_mismatch": [
            {
                "account_id": str(w.account_id[i]),
                "buying_stage_effect": 1.0,
                "usage_stage_effect": -2.2,
                "promise_broken": bool(w.flags["c3_promise_broken"][i]),
            }
            for i in np.flatnonzero(w.flags["c3_stage_mismatch"]).tolist()
        ],
        "c4_weak_partner": [
            {"partner_id": cat.WEAK_PARTNER, "touchpoints": weak_tps, "latent_effect": -2.6}
        ],
        "c4_lost_direct_contact": [
            {"account_id": str(w.account_id[i]), "since": day_to_date(w.change_day[i]).isoformat()}
            for i in np.flatnonzero(w.flags["c4_lost_contact"]).tolist()
        ],
        "c4_control_change": {
            "touchpoint_id": cat.CONTROL_CHANGE[0],
            "date": cat.CONTROL_CHANGE[1],
            "controller": cat.CONTROL_CHANGE[2],
            "partner_id": cat.CONTROL_CHANGE[3],
        },
        "c5_declining": [
            {
                "account_id": str(w.account_id[i]),
                "since": day_to_date(w.change_day[i]).isoformat(),
                "latent_slope_per_year": -2.2,
            }
            for i in np.flatnonzero(w.flags["c5_declining"]).tolist()
        ],
        "c5_goal_shift": goal_shift,
        "c5_relationship_shift": [
            {
                "account_id": str(w.account_id[i]),
                "date": day_to_date(w.change_day[i]).isoformat(),
                "expected_now": str(expected[i]),
            }
            for i in np.flatnonzero(w.flags["c5_relationship_shift"]).tolist()
        ],
        "aligned": [str(x) for x in w.account_id[~w.flags["unaligned"]].tolist()],
        "unaligned": _ids(w, "unaligned"),
        "churned": [
            {"account_id": str(w.account_id[i]), "date": day_to_date(w.churn_day[i]).isoformat()}
            for i in np.flatnonzero(w.churn_day >= 0).tolist()
        ],
    }
