"""Import benchmark: generate demo worlds and import them, against a raw-load baseline.

For each size, the demo generator writes a bundle once; then, each in a fresh
child process (so peak RSS belongs to that run alone):

- ``b2bcx``: the validated import (``Workspace.import_bundle``) into a new
  DuckDB workspace — types, scales, enumerations, keys, references, rejects,
  one transaction;
- ``baseline``: DuckDB's own ``read_csv`` of every file into tables, with no
  validation at all — the floor any importer is measured against.

- ``before`` (with ``--before-src``): the validated import from another source
  tree, e.g. the last commit before a change (``git archive HEAD src | tar -x
  -C /tmp/before``), for a before/after comparison in the same run.

The runs are interleaved (b2bcx, baseline, before, b2bcx, ...) so that a busy
spell on a shared machine slows all of them, and each clock starts once the
child has loaded its libraries (``duckdb`` for the baseline; b2bcx with Ibis,
pandas and PyArrow, whose load time is reported as
``library_import_seconds_median``). Opening (and creating) the workspace, the
import and closing it are timed. Reports medians over ``--repeat`` runs,
rows/s, peak RSS and the ratios to the baseline's median from the same run.
Usage::

    python benchmarks/import_bench.py --sizes 1000000 10000000 --repeat 3

``--bundles DIR ...`` times bundles that already exist (e.g. a 10 M world, whose
generation takes minutes) instead of generating them; they are left in place.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The clock starts once the libraries are loaded, for both children (the baseline's
# `import duckdb` is not timed either); the import of b2bcx's own modules (Ibis,
# pandas, PyArrow) is printed separately as the 4th figure.
_CHILD_B2BCX = """
import sys, time, resource
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
t0 = time.perf_counter()
import b2bcx
import b2bcx.workspace
t, c = time.perf_counter(), cpu()
with b2bcx.open_workspace(sys.argv[2]) as ws:
    result = ws.import_bundle(sys.argv[1])
print(time.perf_counter() - t, result.n_rows, result.tables["interactions"].read, t - t0,
      cpu() - c)
"""

#: The same validated import from another source tree (``--before-src``): the
#: importer as it was, timed in the same run for a before/after comparison.
_CHILD_BEFORE = "import sys; sys.path.insert(0, {src!r})\n" + _CHILD_B2BCX

_CHILD_BASELINE = """
import sys, time, pathlib, duckdb, resource
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
t, c = time.perf_counter(), cpu()
con = duckdb.connect(sys.argv[2])
n = 0
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv('{f}', all_varchar=true)")
    n += con.execute(f"SELECT count(*) FROM {f.stem}").fetchone()[0]
con.close()
print(time.perf_counter() - t, n, 0, 0, cpu() - c)
"""


def _peak_rss_of(code: str, bundle: Path, workdir: Path) -> tuple[float, int, float, float, float]:
    """Run one child in a fresh process: (seconds, rows, peak RSS in MiB, seconds
    spent loading the libraries before the clock started, CPU seconds (user +
    system, all threads) on the clock)."""
    target = workdir / "bench.duckdb"
    for stale in (target, workdir / "bench.duckdb.wal"):
        stale.unlink(missing_ok=True)
    script = workdir / "child.py"
    script.write_text(code)
    wrapper = (
        "import resource, runpy, sys\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, str(script), str(bundle), str(target)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[5]) / 1024, float(out[3]), float(out[4])


def bench_size(
    size: int,
    repeat: int,
    seed: int,
    workdir: Path,
    before_src: Path | None = None,
    existing: Path | None = None,
) -> dict[str, object]:
    """Generate one world of ``size`` interactions (or take the bundle ``existing``)
    and time the importers on it: b2bcx, the baseline and (with ``before_src``)
    b2bcx from that source tree."""
    rows: dict[str, object] = {"size": size}
    if existing is None:
        from b2bcx.demo import generate_world

        bundle = workdir / f"bundle-{size}"
        t = time.perf_counter()
        summary = generate_world(bundle, size=size, seed=seed)
        rows["interactions"] = summary.rows.get("interactions")
        rows["total_rows"] = sum(summary.rows.values())
        rows["generate_seconds"] = round(time.perf_counter() - t, 2)
    else:
        bundle = existing
        rows["bundle"] = str(existing)
    rows["bundle_mib"] = round(sum(f.stat().st_size for f in bundle.iterdir()) / 2**20, 1)
    rows["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    children = {"b2bcx": _CHILD_B2BCX, "baseline": _CHILD_BASELINE}
    if before_src is not None:
        children["before"] = _CHILD_BEFORE.format(src=str(before_src.resolve()))
    # interleaved (b2bcx, baseline, b2bcx, ...): a busy spell on the shared machine
    # slows both, not one of them
    all_runs: dict[str, list[tuple[float, int, float, float, float]]] = {
        name: [] for name in children
    }
    for _ in range(repeat):
        for name, code in children.items():
            all_runs[name].append(_peak_rss_of(code, bundle, workdir))
    rows["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if existing is not None:  # the rows as b2bcx read them
        first = all_runs["b2bcx"][0]
        rows["total_rows"] = first[1]
    for name, runs in all_runs.items():
        secs = [r[0] for r in runs]
        med = statistics.median(secs)
        rows[name] = {
            "seconds_median": round(med, 2),
            "seconds_all": [round(s, 2) for s in secs],
            "rows_per_second": round(runs[0][1] / med),
            "peak_rss_mib_max": round(max(r[2] for r in runs)),
            "library_import_seconds_median": round(statistics.median(r[3] for r in runs), 2),
            # CPU time is less sensitive than wall time to others' load on the machine
            "cpu_seconds_median": round(statistics.median(r[4] for r in runs), 2),
        }
    b2 = rows["b2bcx"]
    base = rows["baseline"]
    assert isinstance(b2, dict) and isinstance(base, dict)
    rows["ratio_b2bcx_to_baseline"] = round(b2["seconds_median"] / base["seconds_median"], 2)
    rows["cpu_ratio_b2bcx_to_baseline"] = round(
        b2["cpu_seconds_median"] / base["cpu_seconds_median"], 2
    )
    before = rows.get("before")
    if isinstance(before, dict):
        rows["ratio_before_to_baseline"] = round(
            before["seconds_median"] / base["seconds_median"], 2
        )
        rows["cpu_ratio_before_to_baseline"] = round(
            before["cpu_seconds_median"] / base["cpu_seconds_median"], 2
        )
    if existing is None:
        shutil.rmtree(bundle)
    return rows


def _interactions_of(bundle: Path) -> int:
    """The size of an existing bundle: its interactions (records, not lines), rounded
    to two significant digits."""
    import duckdb

    path = str(bundle / "interactions.csv").replace("'", "''")
    row = duckdb.sql(f"SELECT count(*) FROM read_csv('{path}', all_varchar=true)").fetchone()
    assert row is not None
    n = int(row[0])
    digits = max(len(str(n)) - 2, 0)
    return round(n, -digits)


def growth(results: list[dict[str, object]]) -> list[dict[str, object]]:
    """The exponent ``b`` of ``time ∝ rows^b`` between consecutive sizes, per importer
    (1 is linear; the issue asks ≤ 1.05 for the import)."""
    out: list[dict[str, object]] = []
    ordered = sorted(results, key=lambda r: int(str(r["total_rows"])))
    for small, large in itertools.pairwise(ordered):
        row: dict[str, object] = {"from": small["size"], "to": large["size"]}
        rows = math.log(int(str(large["total_rows"])) / int(str(small["total_rows"])))
        for name in ("b2bcx", "baseline", "before"):
            a, b = small.get(name), large.get(name)
            if isinstance(a, dict) and isinstance(b, dict):
                row[name] = round(math.log(b["seconds_median"] / a["seconds_median"]) / rows, 3)
                if "cpu_seconds_median" in a and "cpu_seconds_median" in b:
                    ratio = b["cpu_seconds_median"] / a["cpu_seconds_median"]
                    row[f"{name}_cpu"] = round(math.log(ratio) / rows, 3)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and optionally save) the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="write the results JSON here too")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument(
        "--before-src",
        type=Path,
        help="a b2bcx source tree (its src/ folder, e.g. from `git archive`) to time as "
        "'before' in the same run",
    )
    parser.add_argument(
        "--bundles",
        type=Path,
        nargs="+",
        help="existing bundle folders to time instead of generating --sizes (named by "
        "their interactions, rounded)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.bundles:
            results = [
                bench_size(_interactions_of(b), args.repeat, args.seed, Path(tmp),
                           args.before_src, existing=b)
                for b in args.bundles
            ]  # fmt: skip
        else:
            results = [
                bench_size(s, args.repeat, args.seed, Path(tmp), args.before_src)
                for s in args.sizes
            ]
    report: dict[str, object] = {"import": results}
    if len(results) > 1:
        report["growth"] = growth(results)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
