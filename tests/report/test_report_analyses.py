"""The report is built from the standard analyses (one Analyses): it picks
attributes, takes their thresholds and answers, and the backend path of callers
written before the front door gives the same report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from api_world import World

import b2bcx
from b2bcx.analyses import AnalysisOptions
from b2bcx.diagnose import DiagnoseOptions
from b2bcx.report import gather, render_report
from b2bcx.strategy import load_answers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy" / "answers.yaml"
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_the_report_picks_the_analyses_it_is_given(report_world: World) -> None:
    with b2bcx.open_workspace(report_world.path) as ws:
        a = ws.analyses(AnalysisOptions(n_boot=0))
        data = gather(a)
        # each result is the analyses' own, computed once and shared
        assert {"units:account", "diagnosis", "profile", "assessment", "plan"} <= set(a.computed())
        assert data.get("diagnosis") == a.diagnosis.to_json()
        assert data.get("plan") == a.plan.to_json()
        assert data.get("accounts") is a.units("account")
        old = gather(ws.backend)  # the path of callers written before the front door
    same = [dataclasses.replace(d, generated=WHEN) for d in (data, old)]
    assert render_report(same[0]) == render_report(same[1])


def test_the_report_shows_the_thresholds_and_answers_of_its_analyses(
    report_world: World,
) -> None:
    answers = load_answers(EXAMPLE)
    with b2bcx.open_workspace(report_world.path) as ws:
        default = gather(ws.analyses(AnalysisOptions(n_boot=0)))
        strict = gather(
            ws.analyses(
                AnalysisOptions(
                    diagnose=DiagnoseOptions(silo_gap=1000.0), answers=answers, n_boot=0
                )
            )
        )
        with pytest.raises(TypeError, match="options"):
            gather(ws.analyses(), answers=answers)
    assert any(f["challenge"] == "C2" for f in default.get("diagnosis")["findings"])
    assert not any(f["challenge"] == "C2" for f in strict.get("diagnosis")["findings"])
    assert strict.get("answers").startswith(f"{len(answers.values)} items answered")
    assert default.get("assessment")["impact"]["score"] is None
    assert strict.get("assessment")["impact"]["score"] is not None
