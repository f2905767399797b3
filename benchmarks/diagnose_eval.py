"""Diagnosis quality on demo worlds: precision and recall per challenge, and the
AUC of the at-risk score against later churn.

For each seed and size it generates a demo world (``generate_world``), imports
it into a fresh DuckDB workspace and runs ``diagnose`` at default settings. A
finding counts for what it is about: an account (account-level findings), a
partner or a touchpoint (portfolio-level findings). The planted truth
(``truth.json``) maps onto the challenges as the issue defines them:

- C1: ``c1_relationship_mismatch`` accounts;
- C2: ``c2_siloed`` accounts;
- C3: ``c3_stage_mismatch`` accounts;
- C4: ``c4_lost_direct_contact`` accounts, the ``c4_weak_partner`` partners and
  their touchpoints;
- C5: ``c5_declining``, ``c5_goal_shift`` and ``c5_relationship_shift`` accounts
  and the ``c4_control_change`` touchpoint (a change of touchpoint control is a
  dynamic of the experience, issue 5 item C5).

Risk is validated honestly: the diagnosis is rerun as of 70 % of the world's
time span, and its risk score is compared (AUC, Mann–Whitney) with churn that
happened *after* that date.

Usage::

    python benchmarks/diagnose_eval.py --seeds 1 2 3 4 5 --sizes 20000 200000 \
        --workdir /tmp/diag --out benchmarks/results/diagnose_eval.json

**Independent and null worlds** (issue 16, item 1). ``--worlds
independent,null,demo`` also evaluates on worlds from ``benchmarks/worlds``
(a generator written from its own description, not from the demo's code), one
world per seed and effect level (``--levels``), and on null worlds that plant
nothing, and writes ``--worlds-out``
(``benchmarks/results/diagnose_eval_worlds.json``). Only the public API is
used: ``b2bcx.open_workspace``, ``ws.import_bundle``, ``diagnose(...).to_json()``.

Matching rule between ``truth.json`` and the findings:

- an *account item* (``account_id`` set) is found by any finding of the same
  challenge about the same account (``finding.account_id``), whatever its
  detector; for C2 the stricter ``subject_hits`` also require the finding's
  subject to be the planted unit (``ACCOUNT:function``);
- a *portfolio item* (``account_id`` null: a weak partner, a touchpoint whose
  control changed) is found by a portfolio-level finding of the same challenge
  whose subject is that partner, or one of that partner's touchpoints, or that
  touchpoint;
- precision counts the distinct subjects the diagnosis named (accounts, and
  partners/touchpoints for portfolio findings): a subject is a hit when it
  belongs to a planted item of the same challenge;
- recall is over all planted items and, separately, over the observable ones
  (``truth["planted"][i]["observable"]``).

On null worlds the false-finding rate of a challenge (or a detector) is the
share of accounts with at least one finding of it; portfolio-level findings
are counted per world. Risk: the at-risk score of the full diagnosis on null
worlds (mean, share above 0.5), and on independent worlds the AUC of the risk
as of 70 % of the period against churn after that date (the churn mechanism:
lost decision maker, partner ownership, price uplift, and CX only as a minor
term; see ``benchmarks/worlds/README.md``), beside the AUC of its level term.

Usage::

    python benchmarks/diagnose_eval.py --worlds independent,null,demo --seeds 1 2 3 \
        --accounts 200 --sizes 20000 --workdir /tmp/diag-worlds
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import b2bcx
from b2bcx.bundle.results import ImportOptions
from b2bcx.demo import generate_world
from b2bcx.diagnose import diagnose

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ beside src/
from benchmarks.worlds import WorldSpec
from benchmarks.worlds import generate_world as generate_independent_world
from benchmarks.worlds.generate import VERSION as WORLDS_VERSION
from benchmarks.worlds.spec import EFFECT_LEVELS

CHALLENGES = ("C1", "C2", "C3", "C4", "C5")


def truth_items(truth: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """The planted (kind, id) items per challenge."""
    out: dict[str, set[tuple[str, str]]] = {c: set() for c in CHALLENGES}

    def accounts(key: str) -> set[tuple[str, str]]:
        return {("account", r["account_id"]) for r in truth.get(key, [])}

    out["C1"] = accounts("c1_relationship_mismatch")
    out["C2"] = accounts("c2_siloed")
    out["C3"] = accounts("c3_stage_mismatch")
    out["C4"] = accounts("c4_lost_direct_contact")
    for weak in truth.get("c4_weak_partner", []):
        out["C4"].add(("partner", weak["partner_id"]))
        out["C4"] |= {("touchpoint", t) for t in weak["touchpoints"]}
    out["C5"] = accounts("c5_declining") | accounts("c5_goal_shift")
    out["C5"] |= accounts("c5_relationship_shift")
    change = truth.get("c4_control_change")
    if change:
        out["C5"].add(("touchpoint", change["touchpoint_id"]))
    return out


def found_items(findings: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    """What the diagnosis named, per challenge."""
    out: dict[str, set[tuple[str, str]]] = {c: set() for c in CHALLENGES}
    for f in findings:
        if f["account_id"] is not None:
            out[f["challenge"]].add(("account", f["account_id"]))
        else:
            out[f["challenge"]].add((f["subject"]["kind"], f["subject"]["id"]))
    return out


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (ties count half); None without both classes."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def run_one(seed: int, size: int, workdir: Path) -> dict[str, Any]:
    """Generate, import, diagnose and score one world."""
    folder = workdir / f"world-{size}-{seed}"
    db = workdir / f"world-{size}-{seed}.duckdb"
    if not db.exists():
        generate_world(folder, size=size, seed=seed)
        with b2bcx.open_workspace(db) as ws:
            ws.import_bundle(folder, ImportOptions())
    truth = json.loads((folder / "truth.json").read_text())
    with b2bcx.open_workspace(db) as ws:
        t0 = time.perf_counter()
        result = diagnose(ws.backend).to_json()
        seconds = time.perf_counter() - t0
        start = dt.date.fromisoformat(truth["generator"]["start"])
        end = dt.date.fromisoformat(truth["generator"]["end"])
        cut = start + (end - start) * 0.7
        early = diagnose(ws.backend, as_of=cut).to_json()
    want, got = truth_items(truth), found_items(result["findings"])
    scores: dict[str, dict[str, Any]] = {}
    for c in CHALLENGES:
        tp = len(want[c] & got[c])
        scores[c] = {
            "truth": len(want[c]), "found": len(got[c]), "hits": tp,
            "precision": tp / len(got[c]) if got[c] else None,
            "recall": tp / len(want[c]) if want[c] else None,
            "missed": sorted(f"{k}:{i}" for k, i in want[c] - got[c]),
            "extra": sorted(f"{k}:{i}" for k, i in got[c] - want[c]),
        }  # fmt: skip
    churned = {r["account_id"] for r in truth.get("churned", [])
               if dt.date.fromisoformat(r["date"]) > cut}  # fmt: skip
    risk = [(r["risk"], r["account_id"] in churned) for r in early["at_risk"]]
    return {
        "seed": seed, "size": size, "seconds": seconds, "scores": scores,
        "churned_after_cut": len(churned), "accounts": len(risk),
        "auc": auc([r for r, _ in risk], [y for _, y in risk]),
    }  # fmt: skip


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled precision and recall per challenge and size, and pooled AUC inputs."""
    out: dict[str, Any] = {}
    for size in sorted({r["size"] for r in runs}):
        mine = [r for r in runs if r["size"] == size]
        row: dict[str, Any] = {}
        for c in CHALLENGES:
            hits = sum(r["scores"][c]["hits"] for r in mine)
            found = sum(r["scores"][c]["found"] for r in mine)
            truth = sum(r["scores"][c]["truth"] for r in mine)
            row[c] = {"precision": hits / found if found else None,
                      "recall": hits / truth if truth else None,
                      "hits": hits, "found": found, "truth": truth}  # fmt: skip
        aucs = [r["auc"] for r in mine if r["auc"] is not None]
        row["auc_median"] = statistics.median(aucs) if aucs else None
        row["auc_runs"] = len(aucs)
        row["seconds_median"] = statistics.median(r["seconds"] for r in mine)
        out[str(size)] = row
    return out


# --- independent and null worlds (issue 16, item 1) ---------------------------------


def _subject_keys(item: dict[str, Any]) -> set[tuple[str, str]]:
    """The subjects a planted item can be found by (see the matching rule above)."""
    if item["account_id"] is not None:
        return {("account", item["account_id"])}
    subject = item["subject"]
    keys = {(subject["kind"], subject["id"])}
    keys |= {("touchpoint", t) for t in subject.get("touchpoints", [])}
    return keys


def _finding_key(f: dict[str, Any]) -> tuple[str, str]:
    if f["account_id"] is not None:
        return ("account", f["account_id"])
    return (f["subject"]["kind"], f["subject"]["id"])


def score_world(truth: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Hits, misses and false findings of one independent world, per challenge."""
    out: dict[str, Any] = {}
    planted_accounts = {p["account_id"] for p in truth["planted"] if p["account_id"]}
    for c in CHALLENGES:
        items = [p for p in truth["planted"] if p["challenge"] == c]
        mine = [f for f in findings if f["challenge"] == c]
        found = {_finding_key(f) for f in mine}
        wanted = set().union(*(_subject_keys(p) for p in items)) if items else set()
        hits_found = found & wanted
        recalled = [p for p in items if _subject_keys(p) & found]
        subject_hits = 0
        for p in items:
            if p["subject"]["kind"] == "unit":
                subject_hits += any(
                    f["account_id"] == p["account_id"] and f["subject"]["id"] == p["subject"]["id"]
                    for f in mine
                )
        clean_flagged = {f["account_id"] for f in mine if f["account_id"]} - planted_accounts
        out[c] = {
            "truth": len(items),
            "truth_observable": sum(p["observable"] for p in items),
            "recalled": len(recalled),
            "recalled_observable": sum(p["observable"] for p in recalled),
            "unit_items": sum(p["subject"]["kind"] == "unit" for p in items),
            "subject_hits": subject_hits,
            "found": len(found),
            "hits": len(hits_found),
            "clean_accounts_flagged": len(clean_flagged),
            "clean_accounts": truth["generator"]["accounts"] - len(planted_accounts),
            "missed": sorted(f"{k}:{i}" for p in items if p not in recalled
                             for k, i in sorted(_subject_keys(p))[:1]),
            "extra": sorted(f"{k}:{i}" for k, i in found - wanted),
            "by_mechanism": dict(Counter(
                f"{p.get('mechanism', '')}|{p['direction']}|{'hit' if p in recalled else 'miss'}"
                for p in items
            )),
        }  # fmt: skip
    return out


#: Ratio bins (planted effect / reported MDE) of the MDE coverage check.
MDE_BINS = (0.0, 0.5, 0.8, 1.0, 1.25, 1.5, float("inf"))


def mde_coverage(truth: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Whether the reported minimal detectable effects are honest (issue 16).

    For every planted C2 and C3 item: its effect in points (``effect_size`` ×
    the generator's total SD × 10), the MDE the diagnosis reported for it (C2:
    the planted function's own value, else the account's smallest; C3: the
    account's) and whether it was found (a finding of the challenge about the
    account, as recall counts; C2 also with the planted unit as subject).
    """
    from benchmarks.worlds.spec import SD_TOTAL

    blocks = {c["challenge"]: c for c in (result.get("sensitivity") or {}).get("challenges", [])}
    found = {(f["challenge"], f["account_id"]) for f in result["findings"] if f["account_id"]}
    subjects = {(f["challenge"], f["subject"]["id"]) for f in result["findings"]}
    items: list[dict[str, Any]] = []
    for p in truth["planted"]:
        c = p["challenge"]
        if c not in ("C2", "C3") or not p["account_id"]:
            continue
        entry = next(
            (
                a
                for a in blocks.get(c, {}).get("accounts", [])
                if a["account_id"] == p["account_id"]
            ),
            None,
        )
        value = None if entry is None else entry["mde_points"]
        group = p["subject"].get("group")
        if c == "C2" and entry is not None and group is not None:
            own = [g["mde_points"] for g in entry.get("groups", []) if g["group"] == group]
            value = own[0] if own else value
        items.append({
            "challenge": c, "account_id": p["account_id"], "direction": p["direction"],
            "group_size": p.get("group_size"),
            "effect_points": round(float(p["effect_size"]) * SD_TOTAL * 10, 2),
            "mde_points": value, "found": (c, p["account_id"]) in found,
            "subject_found": (c, p["subject"]["id"]) in subjects,
        })  # fmt: skip
    return {"items": items}


def summarize_coverage(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled MDE coverage: share found among planted items above and below their MDE,
    and by the ratio planted effect / MDE (:data:`MDE_BINS`)."""
    items = [i for r in runs for i in r.get("mde_coverage", {}).get("items", [])]
    out: dict[str, Any] = {}
    for c in ("C2", "C3"):
        mine = [i for i in items if i["challenge"] == c]
        rated = [i for i in mine if i["mde_points"] is not None]
        above = [i for i in rated if i["effect_points"] >= i["mde_points"]]
        below = [i for i in rated if i["effect_points"] < i["mde_points"]]
        bins = []
        for lo, hi in itertools.pairwise(MDE_BINS):
            inside = [i for i in rated if lo <= i["effect_points"] / i["mde_points"] < hi]
            hit = sum(i["found"] for i in inside)
            bins.append({"ratio_from": lo, "ratio_to": None if hi == float("inf") else hi,
                         "items": len(inside), "found": hit,
                         "share_found": _ratio(hit, len(inside))})  # fmt: skip
        out[c] = {
            "planted": len(mine),
            "without_mde": len(mine) - len(rated),
            "without_mde_found": sum(i["found"] for i in mine if i["mde_points"] is None),
            "above_mde": len(above),
            "above_mde_found": sum(i["found"] for i in above),
            "share_found_above_mde": _ratio(sum(i["found"] for i in above), len(above)),
            "below_mde": len(below),
            "below_mde_found": sum(i["found"] for i in below),
            "share_found_below_mde": _ratio(sum(i["found"] for i in below), len(below)),
            "by_ratio": bins,
        }
        if c == "C2":
            out[c]["above_mde_subject_found"] = sum(i["subject_found"] for i in above)
    return out


def _null_rates(findings: list[dict[str, Any]], accounts: int) -> dict[str, Any]:
    """Share of accounts with ≥ 1 finding per challenge and per detector; portfolio counts."""
    by_challenge: dict[str, set[str]] = {c: set() for c in CHALLENGES}
    by_detector: dict[str, set[str]] = {}
    portfolio: Counter[str] = Counter()
    for f in findings:
        name = f"{f['challenge']}:{f.get('detector', '?')}"
        if f["account_id"] is None:
            portfolio[name] += 1
            continue
        by_challenge[f["challenge"]].add(f["account_id"])
        by_detector.setdefault(name, set()).add(f["account_id"])
    return {
        "accounts": accounts,
        "challenge_flagged": {c: len(a) for c, a in by_challenge.items()},
        "detector_flagged": {d: len(a) for d, a in sorted(by_detector.items())},
        "portfolio_findings": dict(sorted(portfolio.items())),
    }


def _risk_summary(at_risk: list[dict[str, Any]]) -> dict[str, Any]:
    risk = [r["risk"] for r in at_risk if r["risk"] is not None]
    if not risk:
        return {"accounts": 0, "unknown": len(at_risk)}
    return {
        "accounts": len(risk),
        "unknown": len(at_risk) - len(risk),
        "mean": statistics.fmean(risk),
        "median": statistics.median(risk),
        "share_above_0_5": sum(r > 0.5 for r in risk) / len(risk),
        "share_above_0_9": sum(r > 0.9 for r in risk) / len(risk),
    }


def level_spec(level: str) -> tuple[str, dict[str, float]]:
    """The generator's effect level and per-challenge scale of an evaluation level.

    ``subtle``, ``moderate``, ``strong`` are the generator's levels; ``d<x>``
    (e.g. ``d0.9``, for a power curve) plants every challenge at Cohen's d = x,
    as the ``strong`` level (d = 1.2) scaled by x / 1.2.
    """
    if level.startswith("d"):
        d = float(level[1:])
        return "strong", {c: d / EFFECT_LEVELS["strong"] for c in CHALLENGES}
    return level, {}


def _world(kind: str, seed: int, level: str, accounts: int, workdir: Path) -> tuple[Path, Path]:
    name = f"nw{WORLDS_VERSION}-{kind}-{level}-{accounts}-{seed}"
    folder, db = workdir / name, workdir / f"{name}.duckdb"
    if not db.exists():
        effect, scale = level_spec(level) if kind == "independent" else ("mixed", {})
        spec = WorldSpec(accounts=accounts, seed=seed, null=kind == "null",
                         effect=effect, scale=scale)  # fmt: skip
        generate_independent_world(folder, spec)
        with b2bcx.open_workspace(db) as ws:
            result = ws.import_bundle(folder)
            if result.n_rejected:
                raise RuntimeError(f"{name}: {result.n_rejected} rows rejected")
    return folder, db


def run_world(kind: str, seed: int, level: str, accounts: int, workdir: Path) -> dict[str, Any]:
    """Generate (or reuse), import, diagnose and score one independent or null world."""
    folder, db = _world(kind, seed, level, accounts, workdir)
    truth = json.loads((folder / "truth.json").read_text())
    with b2bcx.open_workspace(db) as ws:
        t0 = time.perf_counter()
        result = diagnose(ws.backend).to_json()
        seconds = time.perf_counter() - t0
        early = None
        if kind == "independent":
            start = dt.date.fromisoformat(truth["generator"]["start"])
            end = dt.date.fromisoformat(truth["generator"]["end"])
            cut = start + (end - start) * 0.7
            early = diagnose(ws.backend, as_of=cut).to_json()
    run: dict[str, Any] = {
        "kind": kind, "seed": seed, "level": level, "accounts": accounts,
        "seconds": seconds, "dropped_columns": truth["generator"]["dropped_columns"],
        "null_rates": _null_rates(result["findings"], result["meta"]["accounts"]),
        "risk": _risk_summary(result["at_risk"]),
    }  # fmt: skip
    if kind == "independent" and early is not None:
        run["scores"] = score_world(truth, result["findings"])
        run["mde_coverage"] = mde_coverage(truth, result)
        churn = {r["account_id"]: dt.date.fromisoformat(r["date"]) for r in truth["churn"]}
        cut_day = (
            dt.date.fromisoformat(truth["generator"]["start"])
            + (
                dt.date.fromisoformat(truth["generator"]["end"])
                - dt.date.fromisoformat(truth["generator"]["start"])
            )
            * 0.7
        )
        rows = [r for r in early["at_risk"] if churn.get(r["account_id"], cut_day) >= cut_day
                and r["risk"] is not None]  # fmt: skip
        labels = [r["account_id"] in churn for r in rows]
        run["churned_after_cut"] = sum(labels)
        run["auc"] = auc([r["risk"] for r in rows], labels)
        run["auc_level_term"] = auc([r["terms"]["level"] for r in rows], labels)
        planted = {p["account_id"] for p in truth["planted"] if p["account_id"]}
        clean = [r for r in result["at_risk"] if r["account_id"] not in planted]
        run["risk_clean_accounts"] = _risk_summary(clean)
    return run


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def summarize_worlds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled precision and recall per challenge and effect level; null false-finding rates."""
    out: dict[str, Any] = {"independent": {}, "null": {}}
    for level in sorted({r["level"] for r in runs if r["kind"] == "independent"}):
        mine = [r for r in runs if r["kind"] == "independent" and r["level"] == level]
        row: dict[str, Any] = {"worlds": len(mine)}
        for c in CHALLENGES:
            tot = {k: sum(r["scores"][c][k] for r in mine) for k in mine[0]["scores"][c]
                   if isinstance(mine[0]["scores"][c][k], int)}  # fmt: skip
            row[c] = {
                "precision": _ratio(tot["hits"], tot["found"]),
                "recall": _ratio(tot["recalled"], tot["truth"]),
                "recall_observable": _ratio(tot["recalled_observable"], tot["truth_observable"]),
                "subject_recall": _ratio(tot["subject_hits"], tot["unit_items"]),
                "clean_false_rate": _ratio(tot["clean_accounts_flagged"], tot["clean_accounts"]),
                **tot,
                "by_mechanism": dict(
                    sorted(
                        sum(
                            (Counter(r["scores"][c]["by_mechanism"]) for r in mine), Counter()
                        ).items()
                    )
                ),
            }
        aucs = [r["auc"] for r in mine if r["auc"] is not None]
        lv = [r["auc_level_term"] for r in mine if r["auc_level_term"] is not None]
        row["auc_median"] = statistics.median(aucs) if aucs else None
        row["auc_level_term_median"] = statistics.median(lv) if lv else None
        row["auc_runs"] = len(aucs)
        row["churned_after_cut"] = sum(r["churned_after_cut"] for r in mine)
        row["seconds_median"] = statistics.median(r["seconds"] for r in mine)
        row["mde_coverage"] = summarize_coverage(mine)
        out["independent"][level] = row
    indep = [r for r in runs if r["kind"] == "independent"]
    if indep:
        out["mde_coverage"] = summarize_coverage(indep)
    nulls = [r for r in runs if r["kind"] == "null"]
    if nulls:
        n_acc = sum(r["null_rates"]["accounts"] for r in nulls)
        detectors = sorted({d for r in nulls for d in r["null_rates"]["detector_flagged"]})
        portfolio = sorted({d for r in nulls for d in r["null_rates"]["portfolio_findings"]})
        out["null"] = {
            "worlds": len(nulls),
            "accounts": n_acc,
            "challenge_rate": {
                c: sum(r["null_rates"]["challenge_flagged"][c] for r in nulls) / n_acc
                for c in CHALLENGES
            },
            "detector_rate": {
                d: sum(r["null_rates"]["detector_flagged"].get(d, 0) for r in nulls) / n_acc
                for d in detectors
            },
            "portfolio_findings_per_world": {
                d: sum(r["null_rates"]["portfolio_findings"].get(d, 0) for r in nulls) / len(nulls)
                for d in portfolio
            },
            "risk_mean": statistics.fmean(r["risk"]["mean"] for r in nulls),
            "risk_share_above_0_5": statistics.fmean(r["risk"]["share_above_0_5"] for r in nulls),
            "risk_share_above_0_9": statistics.fmean(r["risk"]["share_above_0_9"] for r in nulls),
            "seconds_median": statistics.median(r["seconds"] for r in nulls),
        }
    return out


def evaluate_worlds(
    kinds: list[str], seeds: list[int], levels: list[str], accounts: int, workdir: Path
) -> dict[str, Any]:
    """Independent worlds (one per seed and level) and null worlds (one per seed)."""
    runs = []
    plan = [("independent", lv) for lv in levels] if "independent" in kinds else []
    plan += [("null", "none")] if "null" in kinds else []
    for kind, level in plan:
        for seed in seeds:
            t0 = time.perf_counter()
            run = run_world(kind, seed, level, accounts, workdir)
            runs.append(run)
            if kind == "independent":
                line = " ".join(
                    f"{c} P={_fmt(s['hits'], s['found'])} R={_fmt(s['recalled'], s['truth'])}"
                    for c, s in run["scores"].items()
                )
                line += f" AUC={run['auc']}"
            else:
                line = " ".join(
                    f"{c}={v}" for c, v in run["null_rates"]["challenge_flagged"].items()
                )
            print(f"{kind} {level} seed {seed}: {line} ({time.perf_counter() - t0:.1f} s)",
                  flush=True)  # fmt: skip
    return {
        "matching_rule": "challenge + account for account items (C2 subject_hits also need the "
        "planted unit); portfolio items by partner/touchpoint subject; see the module docstring",
        "generator": {"name": "benchmarks/worlds", "version": WORLDS_VERSION},
        "runs": runs,
        "summary": summarize_worlds(runs),
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _fmt(a: int, b: int) -> str:
    return "-" if not b else f"{a / b:.2f}"


def main() -> None:
    """Run the evaluation and write the JSON report(s)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/b2bcx-diagnose-eval"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--worlds", default="demo", help="comma-separated: independent, null, demo (default: demo)"
    )
    parser.add_argument(
        "--accounts", type=int, default=200, help="accounts per independent or null world"
    )
    parser.add_argument(
        "--levels",
        default="subtle,moderate,strong",
        help="effect levels of the independent worlds: subtle, moderate, strong, or d<x> "
        "(every challenge at Cohen's d = x, for a power curve, e.g. d0.9,d1.8)",
    )
    parser.add_argument(
        "--worlds-out",
        type=Path,
        default=Path(__file__).parent / "results" / "diagnose_eval_worlds.json",
    )
    args = parser.parse_args()  # fmt: skip
    kinds = [k.strip() for k in args.worlds.split(",") if k.strip()]
    unknown = set(kinds) - {"independent", "null", "demo"}
    if unknown:
        parser.error(f"unknown worlds: {sorted(unknown)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    if "demo" in kinds:
        runs = []
        for size in args.sizes:
            for seed in args.seeds:
                run = run_one(seed, size, args.workdir)
                runs.append(run)
                line = " ".join(
                    f"{c} P={_round(s['precision'])} R={_round(s['recall'])}"
                    for c, s in run["scores"].items()
                )
                print(f"size {size} seed {seed}: {line} AUC={run['auc']} ({run['seconds']:.1f} s)",
                      flush=True)  # fmt: skip
        report = {"runs": runs, "summary": summarize(runs)}
        print(json.dumps(report["summary"], indent=2))
        if args.out:
            args.out.write_text(json.dumps(report, indent=2) + "\n")
    if "independent" in kinds or "null" in kinds:
        levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
        out = evaluate_worlds(kinds, args.seeds, levels, args.accounts, args.workdir)
        if report:
            out["demo"] = {"sizes": args.sizes, "seeds": args.seeds, "summary": report["summary"]}
        print(json.dumps(out["summary"], indent=2))
        args.worlds_out.parent.mkdir(parents=True, exist_ok=True)
        args.worlds_out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
