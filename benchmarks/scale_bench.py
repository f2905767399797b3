"""Scale benchmark: measures and diagnosis on DuckDB, Spark ``local[2]`` and PostgreSQL.

For each size it builds (or reuses, under ``--workdir``) a demo world
(``b2bcx demo``), imports it into a DuckDB file, writes the typed Parquet layout
for Spark (:func:`b2bcx.storage.spark.write_tables`) and, for the PostgreSQL
sizes, imports it into a database of a PostgreSQL cluster kept in
``WORKDIR/pg`` (started for the run and stopped after it, never removed, so a
later run reuses the imported databases). Everything prepared is reused: a
timing-only run prepares nothing. The DuckDB world of ``measure_bench.py`` and
``diagnose_bench.py`` (``measure-SIZE-SEED.duckdb``, and its bundle
``measure-bundle-SIZE``) is reused when it lies in ``--workdir``.
``--prepare-only`` prepares without timing anything.
Then, in a fresh child process per engine and task, it times:

- ``measures``: ``measure_units(by="account")`` — individual CX of every
  stakeholder in the engine, then agreement, verdicts, NPS and the portfolio;
- ``diagnose``: ``diagnose(backend)`` — every detector, risk and priorities.

Reported per run: wall seconds of the call (connecting — e.g. starting the
SparkSession — is timed apart as ``connect_seconds``), the CPU seconds of the
child process (DuckDB's threads included, not Spark's JVM nor the PostgreSQL
server), the CPU seconds of the
engine's other processes (``engine_cpu_seconds``: Spark's JVM from its start,
the connection included; the PostgreSQL server and its backends), the load
averages (1, 5, 15 minutes) at the start and end of the run
(``load_start``, ``load_end``: a loaded machine shows there), and peak
resident memory of everything the run used, sampled every 0.2 s: the child
process and its children (Spark's JVM) plus, for PostgreSQL, the server's
processes. ``growth`` gives, per engine and task, the exponent ``b`` of
``time ∝ size^b`` between consecutive sizes (1 = linear), of wall seconds
(``exponent``) and of CPU seconds, the child's and the engine's together
(``cpu_exponent``).

With ``--out FILE --key KEY`` the report goes under ``KEY`` in ``FILE`` (other
keys are kept) and its runs are merged with the runs already there (a cell run
again replaces its row), so cells run one invocation at a time add up to one
table.

Usage::

    python benchmarks/scale_bench.py --sizes 1000000 10000000 --pg-sizes 1000000 \\
        --workdir /tmp/scale-bench --out benchmarks/results/scale.json

    # one cell per invocation, merged under a key
    python benchmarks/scale_bench.py --engines spark --sizes 1000000 --tasks diagnose \\
        --workdir /tmp/scale-bench --out benchmarks/results/scale_engines.json --key idle
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import platform
import shutil
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


def _tree_cpu(pids: list[int], skip: int) -> dict[int, float]:
    """CPU seconds of each process of the trees of ``pids`` but ``skip``.

    A process's reaped children are counted with it (``children_user``), so a
    server's finished backends are not lost between two samples.
    """
    out: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            if p.pid == skip:
                continue
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                out[p.pid] = t.user + t.system + t.children_user + t.children_system
    return out


def _code() -> str:
    """The b2bcx the children run: the commit, with the source files modified.

    A copy of the source elsewhere (``PYTHONPATH=copy/src``, to time committed
    code while the working tree changes) is named by its folder and, when it
    holds one, by the commit in its ``COMMIT`` file.
    """
    out = subprocess.run(
        [sys.executable, "-c", "import b2bcx; print(b2bcx.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    src = Path(out.stdout.strip()).resolve().parents[1]
    if (src.parent / "COMMIT").exists():
        return f"{(src.parent / 'COMMIT').read_text().strip()} (copy in {src})"
    git = ["git", "-C", str(src)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return str(src)
    modified = sorted(line[3:] for line in changed if line.strip())
    return f"{head} + uncommitted {', '.join(modified)}" if modified else head


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def run_child(
    url: str,
    task: str,
    *,
    extra_pids: tuple[int, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 7200,
) -> dict[str, Any]:
    """Run one task in a fresh process; its result with the peak RSS of the run."""
    load_start = _load()
    cpu_before = _tree_cpu(list(extra_pids), skip=-1)
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, task],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak = 0
    cpu_seen: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss([proc.pid, *extra_pids]))
            cpu_seen.update(_tree_cpu([proc.pid, *extra_pids], skip=proc.pid))
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
    cpu_seen.update(_tree_cpu(list(extra_pids), skip=proc.pid))
    load_end = _load()
    if proc.returncode != 0:
        raise RuntimeError(f"{task} on {url} failed:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(peak / 2**20)
    result["seconds"] = round(result["seconds"], 2)
    result["connect_seconds"] = round(result["connect_seconds"], 2)
    # this process's CPU (the engine's threads included; not Spark's JVM or the
    # PostgreSQL server): comparable between runs when the machine is shared
    result["cpu_seconds"] = round(result["cpu_seconds"], 2)
    # the engine's own processes (Spark's JVM, the PostgreSQL server), sampled
    engine = sum(cpu_seen.values()) - sum(cpu_before.get(pid, 0.0) for pid in cpu_seen) + 0.0
    result["engine_cpu_seconds"] = round(engine, 2)
    result["load_start"] = load_start
    result["load_end"] = load_end
    return result


def world(size: int, workdir: Path, seed: int) -> Path:
    """The demo bundle of ``size`` interactions (generated once)."""
    folder = workdir / f"world-{size}"
    theirs = workdir / f"measure-bundle-{size}"  # measure_bench's (generate_world)
    if not (folder / "truth.json").exists() and (theirs / "truth.json").exists():
        return theirs
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
    theirs = workdir / f"measure-{size}-{seed}.duckdb"  # measure_bench's, same world
    if not path.exists() and theirs.exists():
        return theirs, None
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


class PgKept:
    """A PostgreSQL cluster in ``root`` that outlives the run.

    Created (``initdb``) the first time, started on a free port for each run
    and stopped after it; its databases stay, so a later run reuses them.
    The throwaway cluster of the tests (``pgcluster``) supplies the binaries,
    the ``postgres`` user when running as root, and the server options.
    """

    def __init__(self, root: Path) -> None:
        from pgcluster import PgCluster, find_pg_bin, free_port

        as_postgres = os.geteuid() == 0
        root.mkdir(parents=True, exist_ok=True)
        if as_postgres:
            shutil.chown(root, user="postgres", group="postgres")
        self.cluster = PgCluster(find_pg_bin(), root, free_port(), "b2bcx", as_postgres)
        self.root = root

    def start(self) -> None:
        """Create the cluster if needed, then start it (a stale server is stopped)."""
        c = self.cluster
        if not (c.data / "PG_VERSION").exists():
            shutil.rmtree(c.data, ignore_errors=True)
            c.start()
            return
        if (c.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                c._run("pg_ctl", "-D", str(c.data), "-m", "fast", "-w", "stop")
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {c.port} "
            f"-c unix_socket_directories={c.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        c._run(
            "pg_ctl", "-D", str(c.data), "-l", str(c.root / "server.log"),
            "-o", opts, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server; the cluster's folder stays."""
        c = self.cluster
        with contextlib.suppress(Exception):
            c._run("pg_ctl", "-D", str(c.data), "-m", "fast", "-w", "stop")

    def postmaster(self) -> int:
        """The server's process id."""
        return int((self.cluster.data / "postmaster.pid").read_text().split()[0])

    def database(self, size: int, bundle: Path) -> tuple[str, dict[str, float | None]]:
        """The URL of the database holding ``bundle``; seconds of what was done now.

        After the import the database is vacuumed and analysed once (a
        benchmark-only step, not part of b2bcx's import), so that the timed
        runs neither plan without statistics nor share the machine with
        autovacuum catching up on millions of new rows.
        """
        import psycopg

        import b2bcx

        name = f"scale{size}"
        marker = self.root / f"imported-{name}"
        url = self.cluster.url(name)
        took: dict[str, float | None] = {
            "postgres_import_seconds": None,
            "postgres_vacuum_analyze_seconds": None,
        }
        if not marker.exists():
            with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{name}"')  # a failed import's
            self.cluster.create_database(name)
            t = time.perf_counter()
            with b2bcx.open_workspace(url) as ws:
                ws.import_bundle(bundle)
            took["postgres_import_seconds"] = time.perf_counter() - t
            marker.write_text(f"{bundle}\n", encoding="utf-8")
        if "analyzed" not in marker.read_text(encoding="utf-8"):
            t = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as con:
                con.execute("VACUUM ANALYZE")
            took["postgres_vacuum_analyze_seconds"] = time.perf_counter() - t
            with marker.open("a", encoding="utf-8") as f:
                f.write("analyzed\n")
        return url, took


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
                    **_cpu_growth(a, b),
                }
            )
    return out


def _cpu_growth(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """The exponent of the CPU seconds (the child's and the engine's processes').

    Less disturbed than wall seconds when other work loads the machine; Spark's
    includes its JVM's start, a fixed cost.
    """
    if "engine_cpu_seconds" not in a or "engine_cpu_seconds" not in b:
        return {}
    ca = a["cpu_seconds"] + a["engine_cpu_seconds"]
    cb = b["cpu_seconds"] + b["engine_cpu_seconds"]
    if ca <= 0 or cb <= 0:
        return {}
    return {
        "cpu_ratio": round(cb / ca, 2),
        "cpu_exponent": round(math.log(cb / ca) / math.log(b["size"] / a["size"]), 2),
    }


def _merge(out: Path, key: str, report: dict[str, Any]) -> dict[str, Any]:
    """Merge ``report`` into ``out[key]``: its runs replace the same cells'."""
    whole: dict[str, Any] = {}
    if out.exists():
        whole = json.loads(out.read_text(encoding="utf-8"))
    old = whole.get(key, {})
    cells = {(r["engine"], r["size"], r["task"]) for r in report["runs"]}
    runs = [r for r in old.get("runs", []) if (r["engine"], r["size"], r["task"]) not in cells]
    runs += report["runs"]
    runs.sort(key=lambda r: (r["size"], r["engine"], r["task"]))
    prepared = dict(old.get("prepared", {}))
    for size, prep in report["prepared"].items():
        kept = prepared.get(size, {})
        # a reused item (None) keeps the seconds an earlier run measured
        prepared[size] = {**kept, **{k: v for k, v in prep.items() if v is not None}}
        prepared[size].update({k: v for k, v in prep.items() if k not in prepared[size]})
    whole[key] = {
        "machine": report["machine"],
        "prepared": prepared,
        "runs": runs,
        "growth": _growth(runs),
    }
    return whole


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
    parser.add_argument(
        "--key", help="save the report under this key of --out, merged with its runs"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="prepare every cell, time nothing"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    prepared: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    spark_env = {"SPARK_LOCAL_IP": "127.0.0.1"}
    cluster: PgKept | None = None
    pg_sizes = set(args.pg_sizes) if "postgres" in args.engines else set()
    try:
        code = _code()
        for size in sorted(set(args.sizes) | pg_sizes):
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
            if size in pg_sizes:
                if cluster is None:
                    cluster = PgKept(args.workdir / "pg")
                    cluster.start()
                url, done = cluster.database(size, world(size, args.workdir, args.seed))
                prep.update(done)
                targets["postgres"] = (url, (cluster.postmaster(),))
            prepared[str(size)] = {
                k: (round(v, 1) if isinstance(v, float) else v) for k, v in prep.items()
            }
            if args.prepare_only:
                continue
            for engine, (url, extra) in targets.items():
                for task in args.tasks:
                    try:
                        result = run_child(
                            url, task, extra_pids=extra, env=spark_env, timeout=args.timeout
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        # a cell that fails (out of memory, time limit) is reported, not fatal
                        result = {"error": str(exc).strip().splitlines()[-1][:500]}
                    row = {"engine": engine, "size": size, "task": task, **result, "code": code}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    finally:
        if cluster is not None:
            cluster.stop()
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "spark_master": args.spark_master,
            "spark_driver_memory": args.spark_driver_memory,
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
        if args.key:
            text = json.dumps(_merge(args.out, args.key, report), indent=2)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
