"""The report is built from the standard analyses (one Analyses): it picks
attributes, takes their thresholds and answers, and the backend path of callers
written before the front door gives the same report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from api_world import World

import b2bcx
from b2bcx.analyses import AnalysisOptions
from b2bcx.diagnose import DiagnoseOptions
from b2bcx.report import ReportData, gather, render_report
from b2bcx.strategy import load_answers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy" / "answers.yaml"
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _html(data: ReportData) -> str:
    """The report, with its date fixed and long decimals cut to 6 places (the
    engine's parallel sums may differ in the last bits between two runs)."""
    html = render_report(dataclasses.replace(data, generated=WHEN))
    return re.sub(r"(\d+\.\d{6})\d+", r"\1", html)


def test_the_report_picks_the_analyses_it_is_given(gathered: Any, report_world: World) -> None:
    a, data = gathered
    # each result is the analyses' own, computed once and shared
    assert {"units:account", "diagnosis", "profile", "assessment", "plan"} <= set(a.computed())
    assert data.get("diagnosis") == a.diagnosis.to_dict()
    assert data.get("plan") == a.plan.to_dict()
    assert data.get("accounts") is a.units("account")
    assert not data.missing.keys() - {"text"}  # only text: this world has none analysed
    with b2bcx.open_workspace(report_world.path) as ws:
        old = gather(ws.backend)  # the path of callers written before the front door
    assert _html(data) == _html(old)


def test_the_report_shows_the_thresholds_and_answers_of_its_analyses(
    gathered: Any, report_world: World
) -> None:
    answers = load_answers(EXAMPLE)
    options = AnalysisOptions(diagnose=DiagnoseOptions(silo_gap=100.0), answers=answers, n_boot=0)
    with b2bcx.open_workspace(report_world.path) as ws:
        strict = gather(ws.analyses(options))
        with pytest.raises(TypeError, match="options"):
            gather(ws.analyses(), answers=answers)
    default = gathered.data
    assert any(f["challenge"] == "C2" for f in default.get("diagnosis")["findings"])
    assert not any(f["challenge"] == "C2" for f in strict.get("diagnosis")["findings"])
    assert strict.get("answers").startswith(f"{len(answers.values)} items answered")
    assert default.get("assessment")["impact"]["score"] is None
    assert strict.get("assessment")["impact"]["score"] is not None
