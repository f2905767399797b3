"""Key drivers: does "fix first" separate signal from noise?

Simulated portfolios of ``accounts`` accounts × ``per`` people, ``p`` drivers
with an account effect (people of one account are alike, so the bootstrap must
resample accounts) and the production rule of
:mod:`b2bcx.measures.keydrivers` (cluster bootstrap of Johnson's relative
weights, each share tested against equal importance 1/p, Bonferroni, α = .05;
performance: driver 1 lowest).

- **equal**: every driver has the same true weight; target: "fix first" said
  (for any driver) in ≤ 5 % of runs. The old median split is shown beside it.
- **dominant**: driver 1 has a clearly larger weight; target: driver 1 is
  "fix first" in ≥ 90 % of runs.

Also, with ``--demo SIZE``, the demo world's goal and touchpoint drivers: how
many were "fix first" under the median split and how many now.

Run: ``python benchmarks/validity/drivers_sim.py [--runs 200] [--demo 20000]``
(default output ``benchmarks/results/validity_drivers.json``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from b2bcx.measures.drivers import relative_weights
from b2bcx.measures.keydrivers import FIX_FIRST, _importance_test, _quadrants

OUT = Path(__file__).resolve().parents[1] / "results" / "validity_drivers.json"


def one_run(
    beta: np.ndarray, *, accounts: int, per: int, n_boot: int, rng: np.random.Generator, seed: int
) -> tuple[bool, bool, bool]:
    """(any fix first, driver 1 fix first, any fix first by the old median split)."""
    n, p = accounts * per, len(beta)
    acc = np.repeat(np.arange(accounts), per)
    x = rng.normal(size=(n, p)) + rng.normal(scale=0.5, size=(accounts, p))[acc]
    y = x @ beta + rng.normal(scale=1.5, size=n) + rng.normal(size=accounts)[acc]
    r = relative_weights(x, y, n_boot=n_boot, seed=seed, clusters=acc)
    table = r.to_frame()
    table["performance"] = np.linspace(40, 80, p)
    t = _quadrants(_importance_test(table, r.boot, 0.05)).set_index("driver")
    old = (table.share >= table.share.median()) & (table.performance < table.performance.median())
    return (
        bool((t.quadrant == FIX_FIRST).any()),
        t.loc["x1", "quadrant"] == FIX_FIRST,
        bool(old.any()),
    )


def simulate(runs: int, accounts: int, per: int, p: int, n_boot: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    equal = np.full(p, 0.5)
    dominant = np.r_[1.2, np.full(p - 1, 0.3)]
    eq = [one_run(equal, accounts=accounts, per=per, n_boot=n_boot, rng=rng, seed=i)
          for i in range(runs)]  # fmt: skip
    dom = [one_run(dominant, accounts=accounts, per=per, n_boot=n_boot, rng=rng, seed=i)
           for i in range(runs)]  # fmt: skip
    return {
        "runs": runs, "accounts": accounts, "people_per_account": per, "drivers": p,
        "n_boot": n_boot,
        "equal_any_fix_first": float(np.mean([r[0] for r in eq])),
        "equal_any_fix_first_median_split": float(np.mean([r[2] for r in eq])),
        "dominant_driver_fix_first": float(np.mean([r[1] for r in dom])),
        "dominant_any_other_fix_first": float(
            np.mean([r[0] and not r[1] for r in dom])
        ),
    }  # fmt: skip


def demo(size: int) -> dict[str, Any]:
    import b2bcx
    from b2bcx.demo import generate_world
    from b2bcx.measures.keydrivers import key_drivers

    out: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory() as tmp:
        generate_world(Path(tmp) / "b", size=size, seed=7)
        with b2bcx.open_workspace(Path(tmp) / "w.duckdb") as ws:
            ws.import_bundle(Path(tmp) / "b")
            for drivers in ("goals", "touchpoints"):
                res = key_drivers(ws.backend, target="nps", drivers=drivers)
                t = res.table
                old = (t.share >= t.share.median()) & (t.performance < t.performance.median())
                out[drivers] = {
                    "drivers": len(t),
                    "fix_first_median_split": int(old.sum()),
                    "fix_first_now": int((t.quadrant == FIX_FIRST).sum()),
                    "quadrants": t.quadrant.value_counts().to_dict(),
                    "share_range": [round(float(t.share.min()), 4), round(float(t.share.max()), 4)],
                    "r2": None if np.isnan(res.r2) else round(res.r2, 4),
                }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--accounts", type=int, default=40)
    ap.add_argument("--per", type=int, default=5)
    ap.add_argument("--drivers", type=int, default=6)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--demo", type=int, default=0, help="also run on a demo world of this size")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t = time.perf_counter()
    result: dict[str, Any] = {
        "simulation": simulate(
            args.runs, args.accounts, args.per, args.drivers, args.n_boot, args.seed
        )
    }
    if args.demo:
        result["demo"] = demo(args.demo)
    s = result["simulation"]
    result["equal_target_met"] = s["equal_any_fix_first"] <= 0.05
    result["dominant_target_met"] = s["dominant_driver_fix_first"] >= 0.90
    result["seconds"] = round(time.perf_counter() - t, 1)
    print(
        f"equal importance: fix first in {s['equal_any_fix_first']:.1%} of runs "
        f"(median split: {s['equal_any_fix_first_median_split']:.1%}); "
        f"dominant driver fix first in {s['dominant_driver_fix_first']:.1%}"
    )
    if args.demo:
        for k in ("goals", "touchpoints"):
            d = result["demo"][k]
            print(f"demo {k}: fix first {d['fix_first_median_split']} → {d['fix_first_now']} "
                  f"of {d['drivers']} (shares {d['share_range']}); {d['quadrants']}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
