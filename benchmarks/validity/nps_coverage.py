"""Exact coverage of the NPS interval at B2B sizes (n = 3, 5, 10, 30).

For every true (p₊, p₋) on a grid with step 0.05 (231 points), the coverage of
a nominal 95 % interval is computed *exactly*: the sum, over every trinomial
outcome of n answers, of its probability where the interval holds the true
NPS. No simulation error. Compared: b2bcx's interval
(:func:`b2bcx.measures.nps.nps`, Rocks' 2016 adjusted Wald) and the plain Wald
interval it replaced. Also checked: every interval lies within −100…100.
CSAT/CES (Agresti–Coull) get the same exact check on a binomial grid.

Run: ``python benchmarks/validity/nps_coverage.py [--out FILE]`` (default
``benchmarks/results/validity_nps.json``).
"""

from __future__ import annotations

import argparse
import json
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

from b2bcx.measures.nps import csat, nps

SIZES = (3, 5, 10, 30)
STEP = 0.05
OUT = Path(__file__).resolve().parents[1] / "results" / "validity_nps.json"


def _outcomes(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pro = np.array([a for a in range(n + 1) for b in range(n + 1 - a)])
    det = np.array([b for a in range(n + 1) for b in range(n + 1 - a)])
    logc = np.array(
        [np.log(comb(n, a)) + np.log(comb(n - a, b)) for a, b in zip(pro, det, strict=True)]
    )
    return pro, det, logc


def _prob(pro: np.ndarray, det: np.ndarray, logc: np.ndarray, n: int, p: float, q: float) -> Any:
    r = 1.0 - p - q
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (
            logc
            + np.where(pro > 0, pro * np.log(max(p, 1e-300)), 0.0)
            + np.where(det > 0, det * np.log(max(q, 1e-300)), 0.0)
            + np.where(n - pro - det > 0, (n - pro - det) * np.log(max(r, 1e-300)), 0.0)
        )
    return np.exp(terms)


def coverage(n: int) -> dict[str, Any]:
    pro, det, logc = _outcomes(n)
    # one group per outcome: answers 10 (promoter), 0 (detractor), 7 (passive)
    values = np.concatenate(
        [[10] * a + [0] * b + [7] * (n - a - b) for a, b in zip(pro, det, strict=True)]
    ).astype(float)
    groups = np.repeat(np.arange(len(pro)), n)
    ours = nps(values, groups)
    lo, hi = ours.lower / 100, ours.upper / 100
    s = (pro - det) / n
    se = np.sqrt(np.clip((pro + det) / n - s**2, 0, None) / n)
    wlo, whi = s - 1.96 * se, s + 1.96 * se
    grid = np.arange(0, 1 + 1e-9, STEP)
    rows = []
    for p in grid:
        for q in grid:
            if p + q > 1 + 1e-9:
                continue
            prob = _prob(pro, det, logc, n, float(p), float(q))
            t = p - q
            rows.append(
                (
                    float(prob[(lo <= t + 1e-12) & (hi >= t - 1e-12)].sum()),
                    float(prob[(wlo <= t + 1e-12) & (whi >= t - 1e-12)].sum()),
                )
            )
    ours_cov = np.array([r[0] for r in rows])
    wald_cov = np.array([r[1] for r in rows])
    return {
        "n": n,
        "grid_points": len(rows),
        "adjusted_wald": {
            "mean": round(float(ours_cov.mean()), 4),
            "min": round(float(ours_cov.min()), 4),
            "p05": round(float(np.quantile(ours_cov, 0.05)), 4),
            "share_of_points_at_least_93": round(float((ours_cov >= 0.93).mean()), 4),
        },
        "wald": {
            "mean": round(float(wald_cov.mean()), 4),
            "min": round(float(wald_cov.min()), 4),
            "p05": round(float(np.quantile(wald_cov, 0.05)), 4),
        },
        "within_scale": bool(np.all((ours.lower >= -100) & (ours.upper <= 100))),
        "wald_outside_scale_outcomes": int(((wlo < -1) | (whi > 1)).sum()),
        "wald_zero_width_outcomes": int((whi - wlo <= 0).sum()),
    }


def binomial_coverage(n: int) -> dict[str, Any]:
    k = np.arange(n + 1)
    values = np.concatenate([[5] * int(a) + [1] * (n - int(a)) for a in k]).astype(float)
    r = csat(values, np.repeat(k, n))
    lo, hi = r.lower / 100, r.upper / 100
    logc = np.array([np.log(comb(n, int(a))) for a in k])
    cov = []
    for p in np.arange(0.0, 1 + 1e-9, 0.01):
        with np.errstate(divide="ignore"):
            lp = logc + np.where(k > 0, k * np.log(max(p, 1e-300)), 0.0)
            lp += np.where(n - k > 0, (n - k) * np.log(max(1 - p, 1e-300)), 0.0)
        prob = np.exp(lp)
        cov.append(float(prob[(lo <= p + 1e-12) & (hi >= p - 1e-12)].sum()))
    c = np.array(cov)
    return {"n": n, "mean": round(float(c.mean()), 4), "min": round(float(c.min()), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    cells = [coverage(n) for n in SIZES]
    binom = [binomial_coverage(n) for n in SIZES]
    print(f"{'n':>3} | {'adj. Wald mean':>14} {'min':>6} {'p05':>6} | {'Wald mean':>9} {'min':>6}")
    for c in cells:
        a, w = c["adjusted_wald"], c["wald"]
        print(
            f"{c['n']:>3} | {a['mean']:>14.3f} {a['min']:>6.3f} {a['p05']:>6.3f} | "
            f"{w['mean']:>9.3f} {w['min']:>6.3f}"
        )
    for b in binom:
        print(f"CSAT/CES Agresti–Coull n = {b['n']}: mean {b['mean']:.3f}, min {b['min']:.3f}")
    result = {
        "grid_step": STEP,
        "nominal": 0.95,
        "method": "adjusted Wald (Rocks 2016): +0.75 promoters, +0.75 detractors, n + 3",
        "nps": cells,
        "csat_ces_agresti_coull": binom,
        "mean_coverage_at_least_93_everywhere": all(
            c["adjusted_wald"]["mean"] >= 0.93 for c in cells
        ),
        "always_within_scale": all(c["within_scale"] for c in cells),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
