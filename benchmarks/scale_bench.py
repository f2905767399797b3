"""Scale benchmark: measures and diagnosis on DuckDB, Spark ``local[2]`` and PostgreSQL.

For each size it builds (or reuses, under ``--workdir``) a demo world
(``b2bcx demo``), imports it into a DuckDB file, writes the typed Parquet layout
for Spark (:func:`b2bcx.storage.spark.write_tables`) and, for the PostgreSQL
sizes, imports it into a database of a throwaway cluster started for the run.
Then, in a fresh child process per engine and task, it times:

- ``measures``: ``measure_units(by="account")`` — individual CX of every
  stakeholder in the engine, then agreement, verdicts, NPS and the portfolio;
- ``diagnose``: ``diagnose(backend)`` — every detector, risk and priorities.

Reported per run: wall seconds of the call (connecting — e.g. starting the
SparkSession — is timed apart as ``connect_seconds``), the CPU seconds of the
child process (DuckDB's threads included, not Spark's JVM nor the PostgreSQL
server), and peak resident memory
of everything the run used, sampled every 0.2 s: the child process and its
children (Spark's JVM) plus, for PostgreSQL, the server's processes. ``growth``
gives, per engine and task, the exponent ``b`` of ``time ∝ size^b`` between
consecutive sizes (1 = linear).

Usage::

    python benchmarks/scale_bench.py --sizes 1000000 10000000 --pg-sizes 1000000 \\
        --workdir /tmp/scale-bench --out benchmarks/results/scale.json
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "backends"))

_CHILD = """
import json, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0 = time.perf_counter()
import b2bcx
ws = b2bcx.open_workspace(sys.argv[1])
connected = time.perf_counter() - t0
task = sys.argv[2]
t, c = time.perf_counter(), cpu()
if task == "measures":
    from b2bcx.measures.collective import measure_units
    n = len(measure_units(ws.backend, by="account").units)
else:
    from b2bcx.diagnose import diagnose
    n = len(diagnose(ws.backend).to_json()["findings"])
took, used = time.perf_counter() - t, cpu() - c
print(json.dumps({"seconds": took, "cpu_seconds": used, "connect_seconds": connected, "count": n}))
"""


def _tree_rss(pids: list[int]) -> int:
    """Resident bytes of the processes ``pids`` and all their descendants."""
    total = 0
    seen: set[int] = set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
    return total


def run_child(
    url: str,
    task: str,
    *,
    extra_pids: tuple[int, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 7200,
) -> dict[str, Any]:
    """Run one task in a fresh process; its result with the peak RSS of the run."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, task],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss([proc.pid, *extra_pids]))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{task} on {url} failed:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(peak / 2**20)
    result["seconds"] = round(result["seconds"], 2)
    result["connect_seconds"] = round(result["connect_seconds"], 2)
    # this process's CPU (the engine's threads included; not Spark's JVM or the
    # PostgreSQL server): comparable between runs when the machine is shared
    result["cpu_seconds"] = round(result["cpu_seconds"], 2)
    return result


def world(size: int, workdir: Path, seed: int) -> Path:
    """The demo bundle of ``size`` interactions (generated once)."""
    folder = workdir / f"world-{size}"
    if not (folder / "truth.json").exists():
        subprocess.run(
            [str(Path(sys.executable).parent / "b2bcx"), "demo", "--size", str(size),
             "--seed", str(seed), "--out", str(folder)],
            check=True, capture_output=True,
        )  # fmt: skip
    return folder


def duckdb_workspace(size: int, workdir: Path, seed: int) -> tuple[Path, float | None]:
    """The world imported into a DuckDB file; the import seconds if it was made now."""
    import b2bcx

    path = workdir / f"scale-{size}.duckdb"
    if path.exists():
        return path, None
    bundle = world(size, workdir, seed)
    t = time.perf_counter()
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(bundle)
    return path, time.perf_counter() - t


def parquet_folder(size: int, workdir: Path, duck: Path) -> tuple[Path, float | None]:
    """The typed Parquet layout of the DuckDB workspace, for Spark."""
    import b2bcx
    from b2bcx.storage.spark import write_tables

    folder = workdir / f"parquet-{size}"
    if (folder / "interactions.parquet").exists():
        return folder, None
    t = time.perf_counter()
    with b2bcx.open_workspace(duck) as ws:
        write_tables(ws.backend, folder)
    return folder, time.perf_counter() - t


def _growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exponent of time ∝ size^b between consecutive sizes, per engine and task."""
    out = []
    rows = [r for r in rows if "seconds" in r]
    keys = sorted({(r["engine"], r["task"]) for r in rows})
    for engine, task in keys:
        runs = sorted((r for r in rows if (r["engine"], r["task"]) == (engine, task)),
                      key=lambda r: r["size"])  # fmt: skip
        for a, b in itertools.pairwise(runs):
            exponent = math.log(b["seconds"] / a["seconds"]) / math.log(b["size"] / a["size"])
            out.append(
                {
                    "engine": engine,
                    "task": task,
                    "from": a["size"],
                    "to": b["size"],
                    "time_ratio": round(b["seconds"] / a["seconds"], 2),
                    "size_ratio": b["size"] / a["size"],
                    "exponent": round(exponent, 2),
                }
            )
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; print and optionally save the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--pg-sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark", "postgres"])
    parser.add_argument("--tasks", nargs="+", default=["measures", "diagnose"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scale-bench"))
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spark-driver-memory", default="4g")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per cell")
    parser.add_argument("--note", default="one run per cell", help="how the machine was used")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    prepared: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    spark_env = {"SPARK_LOCAL_IP": "127.0.0.1"}
    cluster = None
    try:
        for size in sorted(set(args.sizes) | set(args.pg_sizes)):
            duck, import_s = duckdb_workspace(size, args.workdir, args.seed)
            prep: dict[str, Any] = {"duckdb_import_seconds": import_s}
            targets: dict[str, tuple[str, tuple[int, ...]]] = {}
            if "duckdb" in args.engines and size in args.sizes:
                targets["duckdb"] = (str(duck), ())
            if "spark" in args.engines and size in args.sizes:
                folder, write_s = parquet_folder(size, args.workdir, duck)
                prep["parquet_write_seconds"] = write_s
                url = (
                    f"spark://{args.spark_master}?path={folder}"
                    f"&spark.driver.memory={args.spark_driver_memory}"
                )
                targets["spark"] = (url, ())
            if "postgres" in args.engines and size in args.pg_sizes:
                from pgcluster import start_cluster

                import b2bcx

                if cluster is None:
                    cluster = start_cluster()
                url = cluster.create_database(f"scale{size}")
                t = time.perf_counter()
                with b2bcx.open_workspace(url) as ws:
                    ws.import_bundle(world(size, args.workdir, args.seed))
                prep["postgres_import_seconds"] = round(time.perf_counter() - t, 1)
                postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
                targets["postgres"] = (url, (postmaster,))
            prepared[str(size)] = {
                k: (round(v, 1) if isinstance(v, float) else v) for k, v in prep.items()
            }
            for engine, (url, extra) in targets.items():
                for task in args.tasks:
                    try:
                        result = run_child(
                            url, task, extra_pids=extra, env=spark_env, timeout=args.timeout
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        # a cell that fails (out of memory, time limit) is reported, not fatal
                        result = {"error": str(exc).strip().splitlines()[-1][:500]}
                    row = {"engine": engine, "size": size, "task": task, **result}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    finally:
        if cluster is not None:
            cluster.stop()
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "note": args.note,
        },
        "prepared": prepared,
        "runs": rows,
        "growth": _growth(rows),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
