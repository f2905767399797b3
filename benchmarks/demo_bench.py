"""Demo benchmark: ``b2bcx demo --no-serve`` end to end, as a newcomer runs it.

Each run starts the installed ``b2bcx`` command in a fresh empty folder (the
world is generated, imported, its comments analysed by the packaged model,
diagnosed and written up as the report), exactly as the README's first command
does without the dashboard. Reported per run: wall seconds, the CPU seconds of
the command and its children (user + system), and their peak resident memory;
then the medians, and the load average before and after (the machine may be
shared). Issue 22's target is ≤ 45 s on a 2-core machine.

Usage::

    python benchmarks/demo_bench.py --repeat 3 --out benchmarks/results/demo.json --key idle
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _b2bcx() -> str:
    """The ``b2bcx`` command beside this Python (the project's venv), else on PATH."""
    beside = Path(sys.executable).with_name("b2bcx")
    found = str(beside) if beside.exists() else shutil.which("b2bcx")
    if found is None:
        raise SystemExit("b2bcx is not installed: run scripts/setup.sh first")
    return found


def run_once(extra: list[str]) -> dict[str, Any]:
    """One ``b2bcx demo --no-serve`` in a fresh temporary folder."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="b2bcx-demo-bench-") as folder:
        started = time.perf_counter()
        done = subprocess.run(
            [_b2bcx(), "demo", "--no-serve", *extra],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        report = any(p.suffix == ".html" for p in Path(folder).iterdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"b2bcx demo failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        # ru_maxrss of RUSAGE_CHILDREN: the largest child so far, in KiB on Linux
        "peak_rss_mib": round(after.ru_maxrss / 1024),
        "report_written": report,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and optionally store) its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="a JSON file to add the result to")
    parser.add_argument("--key", default="demo", help="the key of the result in --out")
    parser.add_argument("--note", default="", help="how the machine was used")
    parser.add_argument("demo_args", nargs="*", help="more arguments for b2bcx demo")
    args = parser.parse_args(argv)
    load_before = list(os.getloadavg())
    runs = [run_once(args.demo_args) for _ in range(args.repeat)]
    result = {
        "command": "b2bcx demo --no-serve " + " ".join(args.demo_args),
        "runs": runs,
        "seconds_median": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds_median": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
        "target_seconds": 45,
        "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": list(os.getloadavg())},
        "note": args.note,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        stored = json.loads(args.out.read_text()) if args.out.exists() else {}
        stored[args.key] = result
        args.out.write_text(json.dumps(stored, indent=2) + "\n")


if __name__ == "__main__":
    main()
