"""The engine contract: the same workspace gives the same results on every engine.

One demo world is imported into DuckDB (the reference, in memory), a DuckDB
file, PostgreSQL, and exported as Parquet for Spark. Every analysis below runs
unchanged on each engine (the same Ibis expressions) and must match the
reference: strings, counts and order exactly, numbers to a relative tolerance
of 1e-6 (engines sum floating point numbers in different orders).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import diagnose
from b2bcx.info import describe_workspace
from b2bcx.measures.breakdowns import ACTIVITY_KEYS, activity_cells, monthly_trend, split
from b2bcx.measures.collective import AgreementOptions, measure_units
from b2bcx.measures.individual import individual_cx
from b2bcx.measures.keydrivers import key_drivers
from b2bcx.measures.maps import stage_control_map
from b2bcx.storage import Backend

REL_TOL = 1e-6
ABS_TOL = 1e-9


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")  # type: ignore[return-value]


def _info(b: Backend) -> Any:
    out = describe_workspace(b).to_dict()
    out.pop("url")
    out.pop("schema_version")  # Spark reads the tables, not the bookkeeping
    return out


CASES: dict[str, Callable[[Backend], Any]] = {
    "info": _info,
    "measure_accounts": lambda b: measure_units(b, by="account").to_dict(),
    "measure_function_level": lambda b: measure_units(
        b, by="function_level", agreement=AgreementOptions(chance_reps=200, seed=3)
    ).to_dict(),
    "measure_touchpoints_no_decay": lambda b: measure_units(
        b, by="touchpoint", metric="nps", agreement=AgreementOptions(chance_reps=0)
    ).to_dict(),
    "measure_goal_items": lambda b: measure_units(
        b, by="segment", items=["efficiency", "relationships"]
    ).to_dict(),
    "individual_per_stage": lambda b: _records(individual_cx(b, per="stage")),
    "stage_control_map": lambda b: stage_control_map(b, per_account=True).to_dict(),
    "monthly_trend": lambda b: _records(monthly_trend(b, metric="ces")),
    "split_center": lambda b: _records(split(b, by="center", per_account=True)),
    "activity_cells": lambda b: _records(
        activity_cells(b, metric="ces").sort_values(list(ACTIVITY_KEYS), ignore_index=True)
    ),
    "key_drivers_goals": lambda b: key_drivers(b, n_boot=30).to_dict(),
    "key_drivers_touchpoints": lambda b: key_drivers(
        b, drivers="touchpoints", n_boot=0, min_raters=5
    ).to_dict(),
    "diagnosis": lambda b: diagnose(b).to_json(),
}


def _plain(value: Any) -> Any:
    """Engine-neutral Python values: numpy scalars unwrapped, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.date | pd.Timestamp):
        return pd.Timestamp(value).isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def assert_same(expected: Any, got: Any, where: str = "") -> None:
    """``got`` equals ``expected`` (numbers to the tolerance), with the path on failure."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not a mapping"
        assert sorted(got) == sorted(expected), f"{where}: keys {sorted(got)} != {sorted(expected)}"
        for k in expected:
            assert_same(expected[k], got[k], f"{where}.{k}")
    elif isinstance(expected, list):
        assert isinstance(got, list), f"{where}: {got!r} is not a list"
        assert len(got) == len(expected), f"{where}: {len(got)} items, expected {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            assert_same(e, g, f"{where}[{i}]")
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert got == expected, f"{where}: {got!r} != {expected!r}"
    elif isinstance(expected, int | float):
        assert isinstance(got, int | float) and not isinstance(got, bool), (
            f"{where}: {got!r} is not a number ({expected!r} expected)"
        )
        assert math.isclose(got, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
            f"{where}: {got!r} != {expected!r}"
        )
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


_REFERENCE: dict[str, Any] = {}


def _expected(reference: b2bcx.Workspace, case: str) -> Any:
    if case not in _REFERENCE:
        _REFERENCE[case] = _plain(CASES[case](reference.backend))
    return _REFERENCE[case]


@pytest.mark.parametrize("case", list(CASES))
def test_same_results_on_every_engine(
    case: str, engine_workspace: b2bcx.Workspace, reference: b2bcx.Workspace
) -> None:
    expected = _expected(reference, case)
    got = _plain(CASES[case](engine_workspace.backend))
    assert_same(expected, got, case)


def test_reference_is_not_trivial(reference: b2bcx.Workspace) -> None:
    """The contract would pass vacuously on an empty world: it is not empty."""
    accounts = _expected(reference, "measure_accounts")["units"]
    assert len(accounts) >= 20
    assert any(u["rwg"] is not None for u in accounts)
    assert len(_expected(reference, "diagnosis")["findings"]) > 0
    assert len(_expected(reference, "key_drivers_touchpoints")["table"]) >= 2


def test_assert_same_catches_differences() -> None:
    """The comparison can fail: a changed number, string, length or key is caught."""
    base = {"a": [1.0, "x"], "b": 2}
    for changed in ({"a": [1.001, "x"], "b": 2}, {"a": [1.0, "y"], "b": 2},
                    {"a": [1.0], "b": 2}, {"a": [1.0, "x"], "c": 2}):  # fmt: skip
        with pytest.raises(AssertionError):
            assert_same(base, changed)
    assert_same(base, {"a": [1.0 + 1e-12, "x"], "b": 2})
