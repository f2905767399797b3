"""Diagnosis benchmark: the full diagnosis (C1–C5, at-risk, priorities) on demo worlds.

In a fresh child process per run (so peak RSS is that run's own) it times
``diagnose(backend)`` and, side by side on the same workspace, the account
measures alone (``measure_units(by="account")``) as the baseline a diagnosis
builds on; the ratio says what the detectors add (target ≤ 2, and ≤ 20 s for
the 10 M-interaction world on a 2-core machine). Besides wall seconds each run
reports the CPU seconds of its process (all threads, the engine's included),
which stay comparable when other work shares the machine, and the diagnosis
can be broken down by step (``--steps``: the shared frame and aggregates, each
detector, the risk score's agreement, the key drivers, risk and priorities).
``growth`` gives the exponent ``b`` of ``time ∝ size^b`` between consecutive
sizes (1 = linear; target ≤ 1.05).

Usage::

    python benchmarks/diagnose_bench.py --sizes 1000000 10000000 --repeat 3 --workdir /tmp
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the worlds are measure_bench's own
from measure_bench import _workspace

_PRELUDE = """
import json, resource, sys, time
import b2bcx
ws = b2bcx.open_workspace(sys.argv[1])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
steps = {}
"""

_MEASURE = (
    _PRELUDE
    + """
from b2bcx.measures.collective import measure_units
t, c = time.perf_counter(), cpu()
n = len(measure_units(ws.backend, by="account").units)
"""
)

_DIAGNOSE = (
    _PRELUDE
    + """
from b2bcx.diagnose import diagnose
t, c = time.perf_counter(), cpu()
n = len(diagnose(ws.backend).findings)
"""
)

# the steps of diagnose() one by one, as diagnose() runs them (same shared frame)
_STEPS = (
    _PRELUDE
    + """
from b2bcx.diagnose import DiagnoseOptions, _account_units, _shares
from b2bcx.diagnose.data import prepare
from b2bcx.diagnose.detectors import DETECTORS
from b2bcx.diagnose.risk import at_risk, priorities, risk_model
def step(name, fn):
    t0, c0 = time.perf_counter(), cpu()
    out = fn()
    took, used = time.perf_counter() - t0, cpu() - c0
    steps[name] = {"seconds": round(took, 3), "cpu_seconds": round(used, 3)}
    return out
o = DiagnoseOptions()
t, c = time.perf_counter(), cpu()
try:  # the frame kept for the later steps (before it was shared: rebuilt by each)
    prep = step("prepare", lambda: prepare(ws.backend, o, keep_frame=True))
except TypeError:
    prep = step("prepare", lambda: prepare(ws.backend, o))
found = []
try:  # as diagnose() runs them since issue 16: with each detector's tests for the MDEs
    from b2bcx.diagnose.sensitivity import assess, run_detector
except ImportError:
    run_detector = None
if run_detector is None:
    for name, detect in DETECTORS.items():
        found += step(f"detect {name}", lambda: detect(prep, o))[0]
else:
    tests, skipped = {}, []
    for name, detect in DETECTORS.items():
        run = lambda: run_detector(name, detect, prep, o)  # noqa: E731
        here, skip, tests[name] = step(f"detect {name}", run)
        found += here
        skipped += skip
    step("sensitivity", lambda: assess(prep, o, tests, skipped))
try:  # since issue 22: rwg alone, from the people's moments prepare fetched
    from b2bcx.diagnose import _account_rwg
    rwg = step("risk agreement (rwg)", lambda: _account_rwg(ws.backend, o, prep))
except ImportError:  # before: the whole account measure, of which rwg was read
    whole = lambda: _account_units(ws.backend, o, prep)  # noqa: E731
    units = step("risk agreement (account units)", whole).units
    rwg = {str(a): float(v) for a, v in zip(units.account_id, units.rwg)}
model = step("risk model", lambda: risk_model(prep, o))
step("at risk", lambda: at_risk(prep, found, rwg, options=o, model=model))
tw = step("key drivers (touchpoints)", lambda: _shares(None, ws.backend, prep, "touchpoints"))
gw = step("key drivers (goals)", lambda: _shares(None, ws.backend, prep, "goals"))
step("priorities", lambda: priorities(ws.backend, prep, o, touchpoint_weights=tw, goal_weights=gw))
getattr(prep, "release", lambda: None)()
n = len(found)
"""
)

_REPORT = """
took, used = time.perf_counter() - t, cpu() - c
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = {"seconds": took, "cpu_seconds": used, "count": n, "rss_kib": rss, "steps": steps}
print(json.dumps(result))
"""


def _run(code: str, workspace: Path) -> dict[str, Any]:
    """One child run: wall and CPU seconds, count, peak RSS (MiB), steps."""
    out = subprocess.run(
        [sys.executable, "-c", code + _REPORT, str(workspace)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    result: dict[str, Any] = json.loads(out.splitlines()[-1])  # the engine may print first
    result["peak_rss_mib"] = result.pop("rss_kib") / 1024
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "seconds_median": round(statistics.median(r["seconds"] for r in runs), 3),
        "seconds_all": [round(r["seconds"], 3) for r in runs],
        "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 3),
        "cpu_seconds_all": [round(r["cpu_seconds"], 3) for r in runs],
        "count": runs[0]["count"],
        "peak_rss_mib_max": round(max(r["peak_rss_mib"] for r in runs)),
    }


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exponent of time ∝ size^b between consecutive sizes (wall and CPU), per task."""
    out = []
    for task in ("diagnose", "measure_units_baseline"):
        for a, b in itertools.pairwise(sorted(rows, key=lambda r: r["size"])):
            scale = math.log(b["size"] / a["size"])
            entry: dict[str, Any] = {"task": task, "from": a["size"], "to": b["size"]}
            for key in ("seconds_median", "cpu_seconds_median"):
                entry[f"exponent_{key.removesuffix('_median')}"] = round(
                    math.log(b[task][key] / a[task][key]) / scale, 2
                )
            out.append(entry)
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and optionally save) the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--steps", action="store_true", help="one more run, step by step")
    parser.add_argument("--note", default="", help="how the machine was used")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    results = []
    load_before = [round(x, 2) for x in os.getloadavg()]
    for size in args.sizes:
        ws = _workspace(size, args.seed, args.workdir)
        row: dict[str, Any] = {"size": size}
        for name, code in (("diagnose", _DIAGNOSE), ("measure_units_baseline", _MEASURE)):
            row[name] = _summary([_run(code, ws) for _ in range(args.repeat)])
        d, m = row["diagnose"], row["measure_units_baseline"]
        row["ratio_diagnose_to_measure"] = round(d["seconds_median"] / m["seconds_median"], 2)
        row["ratio_diagnose_to_measure_cpu"] = round(
            d["cpu_seconds_median"] / m["cpu_seconds_median"], 2
        )
        if args.steps:
            row["diagnose_steps"] = _run(_STEPS, ws)["steps"]
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {
        "note": args.note,
        # 1, 5 and 15 minute load averages when the runs began and ended (others' work)
        "load_average": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "diagnose": results,
        "growth": growth(results),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
