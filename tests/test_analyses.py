"""The front door: ``Workspace.analyses()`` computes each standard analysis at
most once, hands what it computed to the diagnosis and the plan instead of
letting them compute it again, and gives the same results as the library
functions called one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import b2bcx
from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.demo.generate import generate_world
from b2bcx.diagnose import DiagnoseOptions, DriversUnavailable, diagnose
from b2bcx.errors import B2bcxError, ConfigurationError


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    root = tmp_path_factory.mktemp("analyses")
    generate_world(root / "b", size=1500, seed=3)
    ws = b2bcx.open_workspace(root / "w.duckdb")
    ws.import_bundle(root / "b")
    yield ws
    ws.close()


def _count(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: Counter[str]) -> None:
    """Count the calls of ``module.name`` (still calling the real function)."""
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def test_each_analysis_is_computed_once_and_shared(
    world: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.diagnose as diagnose_pkg
    import b2bcx.measures.collective as collective
    import b2bcx.measures.keydrivers as keydrivers
    import b2bcx.strategy as strategy_pkg

    calls: Counter[str] = Counter()
    _count(monkeypatch, collective, "measure_units", calls)
    _count(monkeypatch, keydrivers, "key_drivers", calls)
    _count(monkeypatch, strategy_pkg, "assess", calls)
    _count(monkeypatch, strategy_pkg, "profile", calls)
    _count(monkeypatch, diagnose_pkg, "diagnose", calls)

    a = world.analyses()
    drivers = (a.units("account"), a.drivers("touchpoints"), a.drivers("goals"))
    first = (*drivers, a.diagnosis, a.plan, a.assessment, a.profile)
    again = (a.units("account"), a.drivers("touchpoints"), a.drivers("goals"), a.diagnosis,
             a.plan, a.assessment, a.profile)  # fmt: skip
    assert all(x is y for x, y in zip(first, again, strict=True))
    # the diagnosis used both driver kinds computed above, and the plan the
    # assessment and profile: nothing was computed twice
    assert calls["measure_units"] == 1
    assert calls["key_drivers"] == 2  # touchpoints and goals, once each
    assert calls["diagnose"] == 1
    assert calls["assess"] == 1  # no saved answers: no previous assessment
    assert calls["profile"] == 1
    assert {"units:account", "diagnosis", "plan", "assessment", "profile"} <= set(a.computed())


def test_the_diagnosis_waits_for_no_measure_and_no_bootstrap(
    world: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.measures.collective as collective
    import b2bcx.measures.keydrivers as keydrivers

    boots: list[int] = []
    real = keydrivers.key_drivers

    def recorded(*args: Any, **kwargs: Any) -> Any:
        boots.append(kwargs["n_boot"])
        return real(*args, **kwargs)

    calls: Counter[str] = Counter()
    _count(monkeypatch, collective, "measure_units", calls)
    monkeypatch.setattr(keydrivers, "key_drivers", recorded)
    alone = world.analyses()
    found = alone.diagnosis
    # a diagnosis asked for first computes neither the account measures nor the
    # drivers' resamples: the drivers' point estimates alone, once per kind
    assert calls["measure_units"] == 0 and boots == [0, 0]
    assert "units:account" not in alone.computed()
    # the shares (all the diagnosis reads of them) are those of the bootstrapped
    # drivers bit for bit: the priorities are the same whichever came first
    given = world.analyses()
    for kind in ("touchpoints", "goals"):
        full = given.drivers(kind).table.set_index("driver").share
        points = alone._diagnosis_drivers(kind)
        assert not isinstance(points, DriversUnavailable)
        assert points.table.set_index("driver").share.to_dict() == full.to_dict()
    assert boots == [0, 0, 100, 100]
    assert [p.to_dict() for p in given.diagnosis.priorities] == [
        p.to_dict() for p in found.priorities
    ]
    assert given._diagnosis_drivers("touchpoints") is given.drivers("touchpoints")


def _rounded(value: Any) -> Any:
    """``value`` with floats to 6 places: the engine sums in parallel, so the last
    digits of an aggregate can differ between two runs of the same query."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def test_results_equal_the_library_functions_called_alone(world: b2bcx.Workspace) -> None:
    a = world.analyses()
    alone = diagnose(world.backend, DiagnoseOptions(metric=a.metric), as_of=a.as_of)
    assert _rounded(a.diagnosis.to_dict()) == _rounded(alone.to_dict())

    from b2bcx.strategy import plan

    assert _rounded(a.plan.to_dict()) == _rounded(plan(world.backend, as_of=a.as_of).to_dict())


def test_options_reach_every_analysis(
    world: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.diagnose as diagnose_pkg

    seen: list[DiagnoseOptions] = []
    real = diagnose_pkg.diagnose

    def spy(backend: Any, options: DiagnoseOptions, **kwargs: Any) -> Any:
        seen.append(options)
        return real(backend, options, **kwargs)

    monkeypatch.setattr(diagnose_pkg, "diagnose", spy)
    strict = AnalysisOptions(metric="nps", diagnose=DiagnoseOptions(silo_gap=99.0))
    a = world.analyses(strict)
    assert a.metric == "nps"
    assert a.diagnosis.to_json()["meta"]["metric"] == "nps"
    assert a.units("account").to_dict()["metric"] == "nps"
    # the thresholds given reach the diagnosis, with the shared metric
    assert [(o.silo_gap, o.metric) for o in seen] == [(99.0, "nps")]


def test_an_error_is_kept_and_raised_again_without_recomputing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import b2bcx.measures.breakdowns as breakdowns

    calls: Counter[str] = Counter()

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["split"] += 1
        raise ConfigurationError("no such split")

    monkeypatch.setattr(breakdowns, "split", failing)
    with b2bcx.open_workspace(":memory:") as ws:
        a = ws.analyses(AnalysisOptions(metric="cx"))
        for _ in range(3):
            with pytest.raises(B2bcxError, match="no such split"):
                a.split("controller")
    assert calls["split"] == 1


def test_an_empty_workspace_gives_empty_results_not_errors() -> None:
    with b2bcx.open_workspace(":memory:") as ws:
        a = ws.analyses()
        assert isinstance(a, Analyses)
        assert len(a.diagnosis.findings) == 0
        assert a.plan.as_is is None
        assert a.text is None
        assert a.info.counts["accounts"] == 0


def test_analyses_is_reached_from_the_package_root(tmp_path: Path) -> None:
    assert b2bcx.Analyses is Analyses
    assert b2bcx.AnalysisOptions is AnalysisOptions


def test_drivers_the_data_cannot_carry_are_tried_once(
    world: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the key drivers fail, the diagnosis is told so (DriversUnavailable)
    instead of trying key_drivers again and failing again."""
    import b2bcx.measures.keydrivers as keydrivers

    tried: list[str] = []

    def fails(*args: Any, drivers: str = "goals", **kwargs: Any) -> Any:
        tried.append(drivers)
        raise ConfigurationError("too few people rated touchpoints")

    monkeypatch.setattr(keydrivers, "key_drivers", fails)
    found = world.analyses().diagnosis
    # each kind tried once, by the front door; never again inside diagnose()
    assert sorted(tried) == ["goals", "touchpoints"]
    assert found.meta.accounts > 0
    said = world.analyses()._diagnosis_drivers("touchpoints")
    assert isinstance(said, DriversUnavailable) and "too few" in said.reason
