"""``python -m benchmarks.worlds FOLDER [--accounts N] [--seed S] [--effect L] [--null]``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.worlds import WorldSpec, generate_world


def main() -> None:
    """Generate one world and print a one-line summary."""
    parser = argparse.ArgumentParser(description="Generate an independent or null world.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--effect", default="mixed")
    parser.add_argument("--null", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    truth = generate_world(
        args.folder,
        WorldSpec(accounts=args.accounts, seed=args.seed, effect=args.effect, null=args.null),
    )
    info = truth["generator"]
    summary = {
        "folder": str(args.folder),
        "seconds": round(time.perf_counter() - t0, 2),
        "interactions": info["interactions"],
        "planted": len(truth["planted"]),
        "churned": len(truth["churn"]),
        "dropped": info["dropped_columns"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
