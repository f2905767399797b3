"""Diagnosis benchmark: the full diagnosis (C1–C5, at-risk, priorities) on demo worlds.

In a fresh child process per run (so peak RSS is that run's own) it times
``diagnose(backend)`` and, side by side on the same workspace, the account
measures alone (``measure_units(by="account")``) as the baseline a diagnosis
builds on; the ratio says what the detectors add. The target is ≤ 60 s for the
10 M-interaction world on a 2-core machine.

Usage::

    python benchmarks/diagnose_bench.py --sizes 1000000 10000000 --repeat 3 --workdir /tmp
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the account measures, the worlds and the child runs are measure_bench's own
from measure_bench import _CHILD as _MEASURE
from measure_bench import _run, _workspace

_DIAGNOSE = """
import resource, sys, time
import b2bcx
from b2bcx.diagnose import diagnose
ws = b2bcx.open_workspace(sys.argv[1])
t = time.perf_counter()
r = diagnose(ws.backend)
took = time.perf_counter() - t
print(took, len(r.findings), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


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
        for name, code in (("diagnose", _DIAGNOSE), ("measure_units_baseline", _MEASURE)):
            runs = [_run(code, ws) for _ in range(args.repeat)]
            row[name] = {
                "seconds_median": round(statistics.median(r[0] for r in runs), 3),
                "seconds_all": [round(r[0], 3) for r in runs],
                "count": runs[0][1],
                "peak_rss_mib_max": round(max(r[2] for r in runs)),
            }
        d, m = row["diagnose"], row["measure_units_baseline"]
        assert isinstance(d, dict) and isinstance(m, dict)
        row["ratio_diagnose_to_measure"] = round(d["seconds_median"] / m["seconds_median"], 2)
        results.append(row)
        print(json.dumps(row), flush=True)
    text = json.dumps({"diagnose": results}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
