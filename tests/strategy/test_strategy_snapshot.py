"""The JSON contracts of :class:`~b2bcx.strategy.Profile`,
:class:`~b2bcx.strategy.Assessment` and :class:`~b2bcx.strategy.Plan`, pinned
byte for byte.

The snapshot was written by ``to_json()`` *before* the plan's steps, decisions,
monitors, triggers and trajectory became typed dataclasses, so it proves
``to_dict()`` (and its alias ``to_json()``) still give exactly the JSON the CLI,
API, dashboard and report read. A deliberate change of the contract regenerates
it with ``B2BCX_UPDATE_SNAPSHOTS=1 pytest tests/strategy/test_strategy_snapshot.py``;
review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import b2bcx
from b2bcx.strategy import Answers, assess, load_answers, plan, profile

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "snapshots" / "strategy_demo_3000_3.json"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    from b2bcx.demo import generate_world

    folder = tmp_path_factory.mktemp("snapshot")
    generate_world(folder / "bundle", size=3000, seed=3)
    ws = b2bcx.open_workspace(folder / "ws.duckdb")
    ws.import_bundle(folder / "bundle")
    # one thread: parallel float sums in DuckDB differ in the last digit between runs
    ws.backend.execute("SET threads TO 1")
    yield ws
    ws.close()


def _dump(value: dict[str, Any]) -> str:
    # the CLI's serialisation (b2bcx.cli.app.print_json)
    return json.dumps(value, indent=2, default=str) + "\n"


def _results(ws: b2bcx.Workspace, method: str) -> dict[str, Any]:
    b = ws.backend
    given = load_answers(ROOT / "examples" / "strategy" / "answers.yaml")
    earlier = Answers(
        {k: max(1.0, v - 1.0) for k, v in given.values.items()}, answered_on=dt.date(2023, 1, 1)
    )
    results = {
        "profile": profile(b),
        "profile_segment": profile(b, level="segment"),
        "assess": assess(b),
        "assess_answers": assess(b, given),
        "plan": plan(b),
        "plan_answers": plan(b, given, previous=earlier),
        "plan_target": plan(b, given, target="minimalist"),
    }
    return {name: getattr(result, method)() for name, result in results.items()}


@pytest.mark.slow
@pytest.mark.parametrize("method", ["to_dict", "to_json"])
def test_strategy_json_is_byte_identical_to_the_snapshot(
    demo: b2bcx.Workspace, method: str
) -> None:
    if not hasattr(profile(demo.backend), method):
        pytest.skip(f"{method} not defined yet")
    text = _dump(_results(demo, method))
    if os.environ.get("B2BCX_UPDATE_SNAPSHOTS") and method == "to_json":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")
