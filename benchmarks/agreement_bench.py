"""ICC(1)/ICC(2) and rwg: vectorized b2bcx vs a per-group pandas loop, and the six
Shrout & Fleiss forms vs pingouin's ``intraclass_corr`` on the same table.

Run: ``python benchmarks/agreement_bench.py [--out FILE.json]``. Prints medians
of several repeats. pingouin is optional (``pip install -e .[bench]``); with it,
the run also checks that both give the same six ICCs (an independent check).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from b2bcx.measures.agreement import rwg
from b2bcx.measures.icc import icc, shrout_fleiss

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "multilevel"


def median_time(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def loop_icc_rwg(df: pd.DataFrame) -> tuple[float, list[float]]:
    rows = []
    for _, part in df.groupby("g"):
        rows.append((len(part), part.y.mean(), part.y.var()))
    n = np.array([r[0] for r in rows], float)
    m = np.array([r[1] for r in rows])
    v = np.nan_to_num(np.array([r[2] for r in rows]))
    grand = (n * m).sum() / n.sum()
    msb = (n * (m - grand) ** 2).sum() / (len(n) - 1)
    msw = ((n - 1) * v).sum() / (n.sum() - len(n))
    k = n.sum() / len(n)
    rw = [max(0.0, 1 - r[2] / 2.0) for r in rows]
    return (msb - msw) / (msb + (k - 1) * msw), rw


def run(name: str, df: pd.DataFrame) -> dict[str, object]:
    x, g = df.y.to_numpy(), df.g.to_numpy()

    def fast() -> None:
        icc(x, g)
        rwg(x, g, null_var=2.0)

    t_fast = median_time(fast)
    t_loop = median_time(lambda: loop_icc_rwg(df))
    print(f"{name}: {len(df)} rows, {df.g.nunique()} groups")
    print(
        f"  vectorized {t_fast * 1e3:8.2f} ms | pandas loop {t_loop * 1e3:8.2f} ms"
        f" | ratio {t_loop / t_fast:6.1f}x"
    )
    result: dict[str, object] = {
        "rows": len(df),
        "groups": int(df.g.nunique()),
        "b2bcx_ms": t_fast * 1e3,
        "pandas_loop_ms": t_loop * 1e3,
        "ratio": t_loop / t_fast,
    }
    # a balanced targets × raters table: the first 3 members of each group
    long = df.assign(r=df.groupby("g").cumcount()).query("r < 3")
    long = long[long.groupby("g").g.transform("size") == 3]
    table = long.pivot(index="g", columns="r", values="y").to_numpy()
    t_sf = median_time(lambda: shrout_fleiss(table))
    result["shrout_fleiss_ms"] = t_sf * 1e3
    try:
        import pingouin as pg
    except ImportError:
        print("  pingouin not installed (pip install -e .[bench]): its side skipped")
        return result
    t_pg = median_time(lambda: pg.intraclass_corr(long, targets="g", raters="r", ratings="y"), 3)
    theirs = pg.intraclass_corr(long, targets="g", raters="r", ratings="y").ICC.to_numpy()
    ours = shrout_fleiss(table).icc.to_numpy()
    # pingouin orders ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k
    diff = float(np.max(np.abs(np.sort(ours) - np.sort(theirs))))
    print(
        f"  Shrout & Fleiss on {table.shape[0]} targets × 3 raters: b2bcx {t_sf * 1e3:8.2f} ms"
        f" | pingouin {t_pg * 1e3:8.2f} ms | ratio {t_pg / t_sf:6.1f}x | max |ΔICC| {diff:.1e}"
    )
    result.update(pingouin_ms=t_pg * 1e3, pingouin_ratio=t_pg / t_sf, max_icc_difference=diff)
    return result


def main() -> None:
    """Run the benchmark; print it and optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = {}
    if (SHARED / "bh1996.csv").exists():
        bh = pd.read_csv(SHARED / "bh1996.csv")
        results["bh1996"] = run("bh1996 HRS", pd.DataFrame({"y": bh.HRS, "g": bh.GRP.astype(int)}))
    rng = np.random.default_rng(0)
    g = rng.integers(0, 10_000, 100_000)
    y = rng.integers(1, 6, 100_000) + (g % 3)
    results["synthetic_10k_groups"] = run(
        "synthetic 10k groups", pd.DataFrame({"y": y.astype(float), "g": g})
    )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
