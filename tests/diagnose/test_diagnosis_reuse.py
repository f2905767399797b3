"""diagnose() reuses account units and key drivers it is given, and the typed
results keep one ``to_dict()`` contract."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

import b2bcx
from b2bcx.diagnose import AtRisk, Diagnosis, Finding, Priority, diagnose
from b2bcx.diagnose.options import DiagnoseOptions
from demo_workspace import demo_workspace, forbidden


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("reuse"))


OPTIONS = DiagnoseOptions(min_ratings=3)


_boom = forbidden("recomputed although it was given")


def _same(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-12 relative: the diagnosis's own account units are
    summed over its shared frame, in another order than ``measure_units`` alone."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12, nan_ok=True), where
    else:
        assert a == b, where


def test_given_units_and_drivers_are_used_not_recomputed(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.measures import collective, keydrivers
    from b2bcx.measures.collective import AgreementOptions, measure_units
    from b2bcx.measures.individual import DecayOptions, resolve_as_of
    from b2bcx.measures.keydrivers import key_drivers

    b = demo.backend
    expected = diagnose(b, OPTIONS)
    stamp = resolve_as_of(b, None)
    units = measure_units(b, by="account", metric=OPTIONS.metric,
                          decay=DecayOptions(as_of=stamp),
                          agreement=AgreementOptions(chance_reps=0))  # fmt: skip
    touchpoints = key_drivers(b, drivers="touchpoints", n_boot=0, as_of=stamp)
    goals = key_drivers(b, drivers="goals", n_boot=0, as_of=stamp)
    monkeypatch.setattr(collective, "measure_units", _boom)
    monkeypatch.setattr(keydrivers, "key_drivers", _boom)
    with pytest.raises(AssertionError, match="recomputed"):
        diagnose(b, OPTIONS)  # the patch bites when nothing is given
    reused = diagnose(b, OPTIONS, account_units=units, touchpoint_drivers=touchpoints,
                      goal_drivers=goals)  # fmt: skip
    assert expected.priorities, "the world should give priorities to compare"
    _same(reused.to_dict(), expected.to_dict())


def test_given_drivers_change_the_priorities_weights(demo: b2bcx.Workspace) -> None:
    from b2bcx.measures.individual import resolve_as_of
    from b2bcx.measures.keydrivers import key_drivers

    b = demo.backend
    stamp = resolve_as_of(b, None)
    goals = key_drivers(b, drivers="goals", n_boot=0, as_of=stamp)
    # goal drivers passed as touchpoint drivers: no touchpoint matches, so every
    # touchpoint takes the median weight; the result must differ from the default
    odd = diagnose(b, OPTIONS, touchpoint_drivers=goals, goal_drivers=goals)
    normal = diagnose(b, OPTIONS)
    assert [p.driver_weight for p in odd.priorities] != [p.driver_weight for p in normal.priorities]


def test_results_are_frozen_typed_values_with_one_contract(demo: b2bcx.Workspace) -> None:
    result = diagnose(demo.backend, OPTIONS)
    assert isinstance(result, Diagnosis)
    assert result.findings and result.at_risk and result.priorities
    assert all(isinstance(f, Finding) for f in result.findings)
    assert all(isinstance(r, AtRisk) for r in result.at_risk)
    assert all(isinstance(p, Priority) for p in result.priorities)
    values: list[Any] = [result, result.meta, *result.findings[:3], *result.at_risk[:3],
                         *result.priorities[:3], *result.skipped[:3]]  # fmt: skip
    for value in values:
        assert value.to_json() == value.to_dict()
        field = dataclasses.fields(value)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
    top = result.at_risk[0]
    entry = result.to_dict()["at_risk"][0]
    # the contract's keys (newer keys, e.g. the risk components, are additive)
    assert {k: entry[k] for k in (
        "account_id", "risk", "annual_value", "value_at_risk", "cx_recent", "slope_per_year",
        "rwg", "terms", "reasons")} == {
        "account_id": top.account_id, "risk": top.risk, "annual_value": top.annual_value,
        "value_at_risk": top.value_at_risk, "cx_recent": top.cx_recent,
        "slope_per_year": top.slope_per_year, "rwg": top.rwg, "terms": top.terms,
        "reasons": list(top.reasons),
    }  # fmt: skip
    assert [p.rank for p in result.priorities] == list(range(1, len(result.priorities) + 1))


def test_finding_takes_keywords_only() -> None:
    args = ("C1", "A", "account", "A", 0.5, {}, "s", "i", ())
    with pytest.raises(TypeError):
        Finding(*args)  # type: ignore[misc]
    finding = Finding(challenge="C1", account_id="A", subject_kind="account", subject_id="A",
                      severity=0.5, evidence={"x": float("nan")}, summary="s",
                      implication="i", actions=("a",))  # fmt: skip
    assert finding.to_dict()["evidence"] == {"x": None}
    with pytest.raises(ValueError, match="severity"):
        dataclasses.replace(finding, severity=1.5)
