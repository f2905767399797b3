"""plan() reuses the assessment, profile, previous assessment and key drivers it
is given; the plan's parts are typed values with one ``to_dict()`` contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import b2bcx
from b2bcx.strategy import Answers, assess, load_answers, plan, profile
from b2bcx.strategy.plan import Decision, Monitor, PlanStep, TrajectoryStep, Trigger
from demo_workspace import demo_workspace, forbidden

ROOT = Path(__file__).resolve().parents[2]
# the module (``b2bcx.strategy.plan`` as an attribute is the function)
plan_module = importlib.import_module("b2bcx.strategy.plan")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("reuse"))


_boom = forbidden("recomputed although it was given")


def test_given_results_are_used_not_recomputed(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.measures.individual import resolve_as_of
    from b2bcx.measures.keydrivers import key_drivers

    b = demo.backend
    given = load_answers(ROOT / "examples" / "strategy" / "answers.yaml")
    earlier = Answers({k: max(1.0, v - 1.0) for k, v in given.values.items()},
                      answered_on=dt.date(2023, 1, 1))  # fmt: skip
    expected = plan(b, given, previous=earlier)
    stamp = resolve_as_of(b, None)
    assessment = assess(b, given, as_of=stamp)
    before = assess(b, earlier, as_of=stamp)
    prof = profile(b, as_of=stamp)
    drivers = key_drivers(b, drivers="touchpoints", n_boot=0, as_of=stamp)
    for name in ("assess", "profile_of", "_drivers"):
        monkeypatch.setattr(plan_module, name, _boom)
    with pytest.raises(AssertionError, match="recomputed"):
        plan(b, given, previous=earlier)  # the patch bites when nothing is given
    reused = plan(b, given, previous=earlier, assessment=assessment, profile=prof,
                  previous_assessment=before, touchpoint_drivers=drivers)  # fmt: skip
    assert any(t.trigger == "drift in impact" for t in reused.triggers)
    assert reused.to_dict() == expected.to_dict()
    assert reused.assessment is assessment and reused.profile is prof


def test_plan_parts_are_frozen_typed_values(demo: b2bcx.Workspace) -> None:
    given = load_answers(ROOT / "examples" / "strategy" / "answers.yaml")
    result = plan(demo.backend, given)
    groups: list[tuple[type, tuple[Any, ...]]] = [
        (PlanStep, result.steps), (Decision, result.activities), (Monitor, result.monitor),
        (Trigger, result.triggers), (TrajectoryStep, result.trajectory),
    ]  # fmt: skip
    for kind, values in groups:
        assert values, kind.__name__
        for value in values:
            assert isinstance(value, kind)
            assert value.to_json() == value.to_dict()
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, dataclasses.fields(value)[0].name, None)
    data = result.to_dict()
    assert data == result.to_json()
    assert [s["step"] for s in data["steps"]] == [1, 2, 3, 4]
    assert data["steps"][3]["items"] == [m.text for m in result.monitor] + [
        t.text for t in result.triggers
    ]
    with pytest.raises(TypeError):
        type(result)(None, None)  # keywords only


def test_trigger_leaves_out_what_it_does_not_have() -> None:
    bare = Trigger(trigger="t", now=None, threshold=None, fired=None, text="x")
    assert list(bare.to_dict()) == ["trigger", "now", "threshold", "fired", "text"]
    full = Trigger(trigger="t", now=0.5, threshold=0.1, fired=True, since="2024-01-01",
                   flips=(), text="x")  # fmt: skip
    assert list(full.to_dict()) == ["trigger", "now", "threshold", "fired", "since", "flips",
                                    "text"]  # fmt: skip
