"""Saved assessments: answer once, every surface uses the latest, and two or more
show the drift in impact (Wirtz et al. 2025, 7.2 step 4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.report.builder import gather, render_report
from b2bcx.strategy import Answers, assess, load_answers, plan, save_answers, saved_assessments
from b2bcx.strategy.saved import resolve_answers

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy" / "answers.yaml"


def _answers(path: Path, when: str, **changes: int) -> Path:
    text = EXAMPLE.read_text()
    for item, value in changes.items():
        lines = [ln if not ln.strip().startswith(f"{item}:") else f"  {item}: {value}"
                 for ln in text.splitlines()]  # fmt: skip
        text = "\n".join(lines) + "\n"
    path.write_text(f"date: {when}\n" + text)
    return path


def test_saved_answers_round_trip_in_date_order(
    builder: Callable[..., Path], tmp_path: Path
) -> None:
    ws_path = builder(tmp_path / "w.duckdb")
    later = load_answers(_answers(tmp_path / "b.yaml", "2026-06-01", rivalry=2))
    earlier = load_answers(_answers(tmp_path / "a.yaml", "2025-06-01"))
    assert earlier.answered_on is not None and earlier.answered_on.year == 2025
    with b2bcx.open_workspace(ws_path) as ws:
        assert saved_assessments(ws.backend) == []
        save_answers(ws.backend, later)
        save_answers(ws.backend, earlier)  # saved second, answered first
        saved = saved_assessments(ws.backend)
    assert [s.answered_at.year for s in saved] == [2025, 2026]
    assert saved[0].answers.values == earlier.values
    assert saved[1].answers.values["rivalry"] == 2.0
    assert saved[1].answers.respondent == "CX steering committee"
    assert saved[0].assessment_id != saved[1].assessment_id
    assert saved[0].assessment_id.startswith("A-20250601-")


def test_resolve_prefers_given_then_latest_saved(
    builder: Callable[..., Path], tmp_path: Path
) -> None:
    ws_path = builder(tmp_path / "w.duckdb")
    first = load_answers(_answers(tmp_path / "a.yaml", "2025-01-01"))
    second = load_answers(_answers(tmp_path / "b.yaml", "2026-01-01", tm_sca=1))
    given = Answers({"tm_sca": 5.0})
    with b2bcx.open_workspace(ws_path) as ws:
        empty = resolve_answers(ws.backend)
        assert empty.answers is None and empty.previous is None
        save_answers(ws.backend, first)
        save_answers(ws.backend, second)
        latest = resolve_answers(ws.backend)
        assert latest.answers is not None and latest.answers.values == second.values
        assert latest.previous is not None and latest.previous.values == first.values
        assert latest.note is not None and "2026-01-01" in latest.note
        chosen = resolve_answers(ws.backend, given)
        assert chosen.answers is given and chosen.previous is not None
        assert chosen.previous.values == second.values
        assert resolve_answers(ws.backend, use_saved=False).answers is None


def test_plan_reports_the_drift_since_the_previous_assessment(
    builder: Callable[..., Path], tmp_path: Path
) -> None:
    ws_path = builder(tmp_path / "w.duckdb")
    before = load_answers(_answers(tmp_path / "a.yaml", "2025-01-01"))
    after = load_answers(_answers(tmp_path / "b.yaml", "2026-01-01", tm_sca=1,
                                  cx_investment_returns=1, rivalry=1))  # fmt: skip
    with b2bcx.open_workspace(ws_path) as ws:
        b = assess(ws.backend, before).impact.score
        a = assess(ws.backend, after).impact.score
        assert b is not None and a is not None and b - a >= 0.1
        result = plan(ws.backend, after, previous=before).to_json()
        same = plan(ws.backend, before, previous=before).to_json()
        alone = plan(ws.backend, after).to_json()
    [drift] = [t for t in result["triggers"] if t["trigger"] == "drift in impact"]
    assert drift["fired"] is True and drift["now"] == round(a - b, 3)
    assert f"impact {b:.2f} → {a:.2f}" in drift["text"] and "2025-01-01" in drift["text"]
    assert drift["text"] in result["steps"][3]["items"]
    [steady] = [t for t in same["triggers"] if t["trigger"] == "drift in impact"]
    assert steady["fired"] is False and steady["now"] == 0.0
    assert not [t for t in alone["triggers"] if t["trigger"] == "drift in impact"]


def test_cli_save_then_every_command_uses_the_saved_answers(
    builder: Callable[..., Path], tmp_path: Path
) -> None:
    ws = str(builder(tmp_path / "w.duckdb"))
    bare = runner.invoke(app, ["strategy", "assess", "-w", ws, "--format", "json"])
    assert json.loads(bare.stdout)["impact"] is None  # the data alone
    no_answers = runner.invoke(app, ["strategy", "assess", "-w", ws, "--save"])
    assert no_answers.exit_code == 1 and "--save needs answers" in no_answers.output
    path = _answers(tmp_path / "a.yaml", "2025-03-01")
    saved = runner.invoke(app, ["strategy", "assess", "-w", ws, "--answers", str(path),
                                "--save", "--format", "json"])  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert "Saved the answers as A-20250301-" in saved.stderr
    given_impact = json.loads(saved.stdout)["impact"]
    reused = runner.invoke(app, ["strategy", "assess", "-w", ws, "--format", "json"])
    assert json.loads(reused.stdout)["impact"] == given_impact is not None
    assert "Using the answers saved on 2025-03-01 by CX steering committee" in reused.stderr
    alone = runner.invoke(app, ["strategy", "assess", "-w", ws, "--no-saved", "--format", "json"])
    assert json.loads(alone.stdout)["impact"] is None
    history = runner.invoke(app, ["strategy", "history", "-w", ws, "--format", "json"])
    [row] = json.loads(history.stdout)["assessments"]
    assert row["impact"] == given_impact and row["respondent"] == "CX steering committee"
    assert row["answered_at"].startswith("2025-03-01")
    with b2bcx.open_workspace(ws) as w:
        data = gather(w.backend)
    assert data.get("assessment")["impact"]["score"] is not None
    assert "answered 2025-03-01 by CX steering committee" in render_report(data)
