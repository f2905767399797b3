"""Commands as thin adapters on the front door: the standard runs come from
``ws.analyses(options)``, parameterised runs call the library; ``report`` and
``serve`` take the same thresholds and answers files as ``diagnose`` and
``strategy``; read-only commands open existing workspaces read-only."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.analyses import Analyses
from b2bcx.cli import app
from b2bcx.cli.app import open_ws
from b2bcx.cli.errors import EXIT_USER_ERROR
from b2bcx.errors import SchemaMismatchError

runner = CliRunner()
ANSWERS = Path(__file__).parents[2] / "examples" / "strategy" / "answers.yaml"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small demo workspace file (read by the tests, never changed)."""
    from b2bcx.demo import generate_world

    folder = tmp_path_factory.mktemp("frontdoor")
    generate_world(folder / "bundle", size=1500, seed=5)
    path = folder / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(folder / "bundle")
    yield path


def _spy_units(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = Analyses.units

    def units(self: Analyses, by: str = "account") -> Any:
        calls.append(by)
        return real(self, by)

    monkeypatch.setattr(Analyses, "units", units)
    return calls


def test_default_measure_is_the_front_doors_units_and_equals_the_library(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.measures.collective import accounts_json, measure_units

    calls = _spy_units(monkeypatch)
    result = runner.invoke(app, ["measure", "-w", str(world), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert calls == ["account"]
    with b2bcx.open_workspace(world, read_only=True) as ws:
        alone = accounts_json(measure_units(ws.backend, by="account", metric="cx"))
    # the engine sums in parallel, so the last digits of an aggregate may differ
    # between two runs of the same query: compare to 9 places
    shown = json.loads(result.stdout)
    assert _rounded(shown) == _rounded(json.loads(json.dumps(alone, default=str)))


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, 9)
    return value


def test_a_measure_with_options_is_a_parameterised_run(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_units(monkeypatch)
    result = runner.invoke(
        app, ["measure", "-w", str(world), "-f", "json", "--by", "function", "--chance-reps", "0"]
    )
    assert result.exit_code == 0, result.output
    assert calls == []  # not the standard analysis: measure_units with the options given
    units = json.loads(result.stdout)["units"]
    assert units and all(u["p_chance"] is None for u in units)


def test_report_takes_the_thresholds_and_answers(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.report

    seen: list[Analyses] = []

    def write_report(analyses: Analyses, out: Path, *, pdf: bool = False) -> list[Path]:
        seen.append(analyses)
        return [Path(out)]

    monkeypatch.setattr(b2bcx.report, "write_report", write_report)
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("silo_gap: 15\nalpha: 0.1\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "report",
            "-w",
            str(world),
            "-o",
            str(out),
            "--thresholds",
            str(thresholds),
            "--answers",
            str(ANSWERS),
        ],
    )
    assert result.exit_code == 0, result.output
    (analyses,) = seen
    assert analyses.options.diagnose is not None
    assert (analyses.options.diagnose.silo_gap, analyses.options.diagnose.alpha) == (15, 0.1)
    assert analyses.options.answers is not None and analyses.options.answers.values
    assert analyses.backend.is_read_only  # an existing workspace, only read


def test_report_refuses_an_unknown_threshold_with_one_message(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("silo_gapp: 15\n", encoding="utf-8")
    result = runner.invoke(
        app, ["report", "-w", str(tmp_path / "w.duckdb"), "--thresholds", str(bad)]
    )
    assert result.exit_code == EXIT_USER_ERROR
    assert "unknown threshold(s) silo_gapp" in result.stderr
    assert "Traceback" not in result.output


def test_serve_passes_the_thresholds_and_answers_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from b2bcx.server.settings import analysis_options

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: served.append(application))
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("silo_gap: 12\n", encoding="utf-8")
    ws = str(tmp_path / "w.duckdb")
    result = runner.invoke(
        app,
        [
            "serve",
            "-w",
            ws,
            "--dev",
            "--no-warm",
            "--thresholds",
            str(thresholds),
            "--answers",
            str(ANSWERS),
        ],
    )
    assert result.exit_code == 0, result.output
    (application,) = served
    settings = application.state.b2bcx.settings
    assert settings.thresholds == thresholds and settings.strategy_answers == ANSWERS
    options = analysis_options(settings)
    assert options.diagnose is not None and options.diagnose.silo_gap == 12
    application.state.b2bcx.close()


def test_serve_stops_on_a_bad_thresholds_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served"))
    bad = tmp_path / "t.yaml"
    bad.write_text("- not a mapping\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["serve", "-w", str(tmp_path / "w.duckdb"), "--dev", "--no-warm", "--thresholds", str(bad)],
    )
    assert result.exit_code == EXIT_USER_ERROR
    assert "expected a mapping of threshold: value" in result.stderr


def test_read_only_opens_only_existing_files(world: Path, tmp_path: Path) -> None:
    with open_ws(str(world), read_only=True) as ws:
        assert ws.backend.is_read_only
    with open_ws(str(world)) as ws:
        assert not ws.backend.is_read_only
    new = tmp_path / "new.duckdb"
    with open_ws(str(new), read_only=True) as ws:  # created, as before
        assert not ws.backend.is_read_only
    assert new.is_file()
    with open_ws(":memory:", read_only=True) as ws:
        assert not ws.backend.is_read_only


def test_a_workspace_that_needs_a_migration_is_opened_for_writing(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.workspace

    real = b2bcx.workspace.open_workspace
    modes: list[bool] = []

    def opener(url: Any, *, read_only: bool = False) -> b2bcx.Workspace:
        modes.append(read_only)
        if read_only:
            raise SchemaMismatchError("needs migration 6")
        return real(url)

    monkeypatch.setattr(b2bcx.workspace, "open_workspace", opener)
    result = runner.invoke(app, ["info", "-w", str(world), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert modes == [True, False]
    assert json.loads(result.stdout)["counts"]["accounts"] > 0


def test_ad_rule_is_the_librarys_c_over_6_rule(world: Path) -> None:
    # Burke & Dunlap (2002): AD(M) ≤ c/6; cx is rated 0–10, so c = 11 options
    base = ["measure", "-w", str(world), "-f", "json", "--by", "function", "--chance-reps", "0"]
    by_rule = runner.invoke(app, [*base, "--ad-rule"])
    by_value = runner.invoke(app, [*base, "--max-ad", str(11 / 6)])
    assert by_rule.exit_code == 0 and by_value.exit_code == 0, by_rule.output
    rule, value = json.loads(by_rule.stdout), json.loads(by_value.stdout)
    assert rule["methods"]["verdict"]["ad_rule"] is True
    assert rule["methods"]["verdict"]["max_ad"] == pytest.approx(11 / 6)
    assert [u["verdict"] for u in rule["units"]] == [u["verdict"] for u in value["units"]]
