"""ICC(1)/ICC(2) and rwg: vectorized b2bcx vs a per-group pandas loop (and pingouin).

Run: ``python benchmarks/agreement_bench.py``. Prints medians of several repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from b2bcx.measures.agreement import rwg
from b2bcx.measures.icc import icc

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


def run(name: str, df: pd.DataFrame) -> None:
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
    try:
        import pingouin as pg

        wide = df.assign(r=df.groupby("g").cumcount()).query("r < 3")
        wide = wide[wide.groupby("g").g.transform("size") == 3]
        t_pg = median_time(
            lambda: pg.intraclass_corr(wide, targets="g", raters="r", ratings="y"), 3
        )
        print(f"  pingouin.intraclass_corr (balanced 3 raters subset) {t_pg * 1e3:8.2f} ms")
    except ImportError:
        print("  pingouin not installed: skipped")


def main() -> None:
    if (SHARED / "bh1996.csv").exists():
        bh = pd.read_csv(SHARED / "bh1996.csv")
        run("bh1996 HRS", pd.DataFrame({"y": bh.HRS, "g": bh.GRP.astype(int)}))
    rng = np.random.default_rng(0)
    g = rng.integers(0, 10_000, 100_000)
    y = rng.integers(1, 6, 100_000) + (g % 3)
    run("synthetic 10k groups", pd.DataFrame({"y": y.astype(float), "g": g}))


if __name__ == "__main__":
    main()
