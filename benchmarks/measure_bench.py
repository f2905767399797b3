"""Measure benchmark: all account-level measures with agreement on a demo world.

Builds (or reuses) a workspace from the demo generator at each size, then in a
fresh child process per run (so peak RSS is that run's own) times
``measure_units(by="account")``: individual CX for every stakeholder inside
the engine, then rwg, AD, verdicts, NPS and the portfolio ICC for all accounts
at once. Side by side in the same run, the baseline runs the same engine query
and then a per-account pandas loop computing only the mean and rwg — what a
script without vectorization would do.

Usage::

    python benchmarks/measure_bench.py --sizes 1000000 10000000 --repeat 3 --workdir /tmp
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import resource, sys, time
import b2bcx
from b2bcx.measures.collective import measure_units
ws = b2bcx.open_workspace(sys.argv[1])
t = time.perf_counter()
r = measure_units(ws.backend, by="account")
took = time.perf_counter() - t
print(took, len(r.units), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_BASELINE = """
import resource, sys, time
import numpy as np
import b2bcx
from b2bcx.measures.individual import individual_cx_expr
ws = b2bcx.open_workspace(sys.argv[1])
t = time.perf_counter()
people = individual_cx_expr(ws.backend).execute()   # the same engine query
out = {}
for account, g in people.groupby("account_id"):   # one Python step per account
    s = g.score.to_numpy()
    out[account] = (s.mean(), 1 - s.var(ddof=1) / 10 if len(s) > 1 else np.nan)
took = time.perf_counter() - t
print(took, len(out), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(code: str, workspace: Path) -> tuple[float, int, float]:
    out = (
        subprocess.run(
            [sys.executable, "-c", code, str(workspace)], check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )  # the engine may print a progress bar first
    return float(out[0]), int(out[1]), int(out[2]) / 1024


def _workspace(size: int, seed: int, workdir: Path) -> Path:
    import b2bcx
    from b2bcx.demo import generate_world

    path = workdir / f"measure-{size}-{seed}.duckdb"
    if not path.exists():
        bundle = workdir / f"measure-bundle-{size}"
        generate_world(bundle, size=size, seed=seed)
        with b2bcx.open_workspace(path) as ws:
            ws.import_bundle(bundle)
    return path


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and optionally save) the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        ws = _workspace(size, args.seed, args.workdir)
        row: dict[str, object] = {"size": size}
        for name, code in (("b2bcx", _CHILD), ("pandas_loop_mean_rwg_only", _BASELINE)):
            runs = [_run(code, ws) for _ in range(args.repeat)]
            row[name] = {
                "seconds_median": round(statistics.median(r[0] for r in runs), 3),
                "seconds_all": [round(r[0], 3) for r in runs],
                "units": runs[0][1],
                "peak_rss_mib_max": round(max(r[2] for r in runs)),
            }
        results.append(row)
    text = json.dumps({"measure": results}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
