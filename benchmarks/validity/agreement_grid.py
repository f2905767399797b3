"""Does the default verdict call noise "collective & aligned"? And does it find real agreement?

Simulates portfolios of units (accounts) with ``people`` per unit and
``ratings`` per person on the 0–10 scale, with exponential decay weights
(ages uniform over a year, half-life 180 days) as ``measure`` uses, and runs
the production code path on them: per-person moments →
:func:`b2bcx.measures.consensus.unit_variance` (rwg),
:func:`b2bcx.measures.resampling.chance_p_values` (the random group test) →
:func:`b2bcx.measures.verdict.verdicts` with the default :class:`VerdictRule`.

- **random**: every rating uniform on 0…10 (random responders). The share of
  units called aligned is the false "aligned" rate; target ≤ 5 % in every cell.
- **shared**: people of a unit share an experience: unit level μ ~ U(1.5, 8.5),
  person offset N(0, 0.5), rating noise N(0, 0.8), rounded and clipped to the
  scale (person spread small against the scale's SD of 3.2). The share called
  aligned is the power; target ≥ 80 % in every cell with ≥ 5 people.

The old rule (rwg of person means ≥ .70, no chance test) is shown beside it,
and so are the shares of the other verdicts: *agreement not proven* (rwg ≥ .70
but the chance test fails: random responders who happen to agree land here,
not in *diverse & unaligned*) and *diverse & unaligned* (rwg < .70).

Run: ``python benchmarks/validity/agreement_grid.py [--units 400] [--out FILE]``
(default output ``benchmarks/results/validity_agreement.json``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from b2bcx.measures.consensus import unit_variance
from b2bcx.measures.resampling import chance_p_values
from b2bcx.measures.verdict import ALIGNED, NOT_PROVEN, UNALIGNED, VerdictRule, verdicts

PEOPLE = (3, 5, 10, 20)
RATINGS = (1, 5, 15)
NULL_VAR = 10.0  # 0–10: 11 options, (11² − 1)/12
OUT = Path(__file__).resolve().parents[1] / "results" / "validity_agreement.json"


def simulate(
    people: int, ratings: int, *, shared: bool, units: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-person moments of a simulated portfolio (what the engine aggregates)."""
    total = units * people
    if shared:
        mu = rng.uniform(1.5, 8.5, units).repeat(people)
        level = mu + rng.normal(0, 0.5, total)
        x = np.clip(np.rint(level[:, None] + rng.normal(0, 0.8, (total, ratings))), 0, 10)
    else:
        x = rng.integers(0, 11, (total, ratings)).astype(float)
    w = 0.5 ** (rng.uniform(0, 365, (total, ratings)) / 180.0)
    sw = w.sum(axis=1)
    return {
        "unit": np.arange(units).repeat(people),
        "score": (w * x).sum(axis=1) / sw,
        "h": (w * w).sum(axis=1) / sw**2,
        "ss": ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1),
        "df": np.full(total, ratings - 1.0),
    }


def wilson(share: float, n: int, z: float = 1.96) -> list[float]:
    """Wilson 95 % interval of a simulated rate (Monte Carlo error)."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(float(centre - half), 4), round(float(centre + half), 4)]


def verdict_rates(
    sim: dict[str, np.ndarray], *, rule: VerdictRule, chance_reps: int, seed: int
) -> dict[str, float]:
    """Share of units the default verdict (and the old rule) call aligned."""
    _, v = unit_variance(
        sim["score"], sim["unit"], m_eff_inv=sim["h"], ss_within=sim["ss"], df_within=sim["df"]
    )
    _, p = chance_p_values(sim["score"], sim["unit"], reps=chance_reps, seed=seed)
    verdict, _ = verdicts(v.n, v.rwg(NULL_VAR), rule, p_chance=p)
    old, _ = verdicts(v.n, v.rwg_means(NULL_VAR), VerdictRule(chance_alpha=None))
    return {
        "aligned": float(np.mean([x == ALIGNED for x in verdict])),
        "aligned_old_rule": float(np.mean([x == ALIGNED for x in old])),
        "not_proven": float(np.mean([x == NOT_PROVEN for x in verdict])),
        "unaligned": float(np.mean([x == UNALIGNED for x in verdict])),
        "mean_rwg": float(np.nanmean(v.rwg(NULL_VAR))),
        "mean_rwg_means": float(np.nanmean(v.rwg_means(NULL_VAR))),
    }


def run(units: int, chance_reps: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    rule = VerdictRule()
    cells = []
    for people in PEOPLE:
        for ratings in RATINGS:
            row: dict[str, Any] = {"people": people, "ratings": ratings}
            for kind in ("random", "shared"):
                sim = simulate(people, ratings, shared=kind == "shared", units=units, rng=rng)
                rates: dict[str, Any] = verdict_rates(
                    sim, rule=rule, chance_reps=chance_reps, seed=seed
                )
                rates["aligned_ci95"] = wilson(rates["aligned"], units)
                row[kind] = rates
            cells.append(row)
    false_ok = all(c["random"]["aligned"] <= 0.05 for c in cells)
    # a test at level .05 gives ≈ .05 in expectation: judge with the Monte Carlo error
    false_consistent = all(c["random"]["aligned_ci95"][0] <= 0.05 for c in cells)
    power_cells = [c for c in cells if c["people"] >= 5]
    power_ok = all(c["shared"]["aligned"] >= 0.80 for c in power_cells)
    return {
        "units_per_cell": units,
        "chance_reps": chance_reps,
        "seed": seed,
        "rule": rule.methods(11),
        "cells": cells,
        "false_aligned_max": max(c["random"]["aligned"] for c in cells),
        "power_min_5plus": min(c["shared"]["aligned"] for c in power_cells),
        "share_of_5plus_cells_with_power_80": float(
            np.mean([c["shared"]["aligned"] >= 0.80 for c in power_cells])
        ),
        "false_aligned_target_met": false_ok,
        "false_aligned_consistent_with_5pct": false_consistent,
        "power_target_met": power_ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=400, help="units per cell and kind")
    ap.add_argument("--chance-reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t = time.perf_counter()
    result = run(args.units, args.chance_reps, args.seed)
    result["seconds"] = round(time.perf_counter() - t, 1)
    print(f"{'people':>6} {'ratings':>7} | {'false aligned':>13} {'(old rule)':>10} "
          f"{'not proven':>10} | {'power':>6} {'(old rule)':>10} {'not proven':>10} | "
          f"{'mean rwg random':>15}")  # fmt: skip
    for c in result["cells"]:
        r, s = c["random"], c["shared"]
        print(
            f"{c['people']:>6} {c['ratings']:>7} | {r['aligned']:>13.3f} "
            f"{r['aligned_old_rule']:>10.3f} {r['not_proven']:>10.3f} | {s['aligned']:>6.3f} "
            f"{s['aligned_old_rule']:>10.3f} {s['not_proven']:>10.3f} | {r['mean_rwg']:>15.3f}"
        )
    print(
        f"max false aligned {result['false_aligned_max']:.3f} (target ≤ .05: "
        f"{result['false_aligned_target_met']}); min power with ≥ 5 people "
        f"{result['power_min_5plus']:.3f} (target ≥ .80: {result['power_target_met']}); "
        f"cells with ≥ 5 people and power ≥ .80: "
        f"{result['share_of_5plus_cells_with_power_80']:.0%}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
