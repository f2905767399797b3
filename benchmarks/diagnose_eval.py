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
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Any

import b2bcx
from b2bcx.bundle.results import ImportOptions
from b2bcx.demo import generate_world
from b2bcx.diagnose import diagnose

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


def main() -> None:
    """Run the evaluation and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/b2bcx-diagnose-eval"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    for size in args.sizes:
        for seed in args.seeds:
            run = run_one(seed, size, args.workdir)
            runs.append(run)
            line = " ".join(
                f"{c} P={s['precision'] if s['precision'] is None else round(s['precision'], 2)}"
                f" R={s['recall'] if s['recall'] is None else round(s['recall'], 2)}"
                for c, s in run["scores"].items()
            )
            print(f"size {size} seed {seed}: {line} AUC={run['auc']} ({run['seconds']:.1f} s)",
                  flush=True)  # fmt: skip
    report = {"runs": runs, "summary": summarize(runs)}
    print(json.dumps(report["summary"], indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
