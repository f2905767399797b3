"""Priorities carry what detractors wrote at each cell once comments are analysed."""

from __future__ import annotations

from pathlib import Path

import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.diagnose import diagnose
from b2bcx.text import HashingEncoder, analyze

pytestmark = pytest.mark.slow

# Independent of the diagnosis code: raw SQL over the stored tables.
_CELL_SQL = """
WITH latest AS (
  SELECT stakeholder_id, nps,
         row_number() OVER (PARTITION BY stakeholder_id ORDER BY occurred_at DESC) AS rn
  FROM interactions WHERE nps IS NOT NULL
), det AS (SELECT stakeholder_id FROM latest WHERE rn = 1 AND nps <= 6),
tp AS (SELECT touchpoint_id, any_value(stage) AS tp_stage FROM touchpoints GROUP BY 1)
SELECT count(*), avg(s.sentiment), min(s.sentiment)
FROM interactions i
JOIN det ON det.stakeholder_id = i.stakeholder_id
JOIN text_scores s ON s.interaction_id = i.interaction_id
JOIN tp ON tp.touchpoint_id = i.touchpoint_id
WHERE i.touchpoint_id = ? AND coalesce(i.stage, tp.tp_stage) = ?
"""
# the same cell's comments that speak of one goal (probability >= 0.5)
_GOAL_SQL = _CELL_SQL.rstrip() + " AND s.goal_{goal} >= 0.5\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prio")
    generate_world(folder / "world", size=12000, seed=5)
    path = folder / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(folder / "world")
    return path


def test_priorities_without_text_say_so(workspace: Path) -> None:
    with b2bcx.open_workspace(workspace) as ws:
        ranked = diagnose(ws.backend).to_json()["priorities"]
    assert ranked and all(p["text"] is None for p in ranked)


def test_priorities_carry_the_detractors_comments(workspace: Path) -> None:
    with b2bcx.open_workspace(workspace) as ws:
        analyze(ws.backend, encoder=HashingEncoder())
        ranked = diagnose(ws.backend).to_json()["priorities"]
        with_text = [p for p in ranked if p["text"] is not None]
        assert with_text
        for p in with_text:
            text = p["text"]
            ((n, mean, low),) = ws.backend.execute(_CELL_SQL, [p["touchpoint_id"], p["stage"]])
            assert text["comments"] == n > 0
            assert text["sentiment"] == pytest.approx(mean, abs=1e-6)
            assert text["most_negative"]["sentiment"] == pytest.approx(low, abs=1e-6)
            assert text["most_negative"]["comment"]
            assert 0.0 <= text["negative_share"] <= 1.0
            assert all(0.0 < share <= 1.0 for share in text["emotions"].values())
            spoken = text["goal"]
            assert spoken["goal"] == p["goal"]
            sql = _GOAL_SQL.format(goal=p["goal"])
            ((k, _, worst),) = ws.backend.execute(sql, [p["touchpoint_id"], p["stage"]])
            assert spoken["comments"] == k <= n
            if k:
                assert spoken["most_negative"]["sentiment"] == pytest.approx(worst, abs=1e-6)
            else:
                assert spoken["most_negative"] is None
        assert any(p["text"]["goal"]["comments"] for p in with_text)


def test_no_priorities_when_no_cell_has_enough_ratings(workspace: Path) -> None:
    from b2bcx.diagnose import DiagnoseOptions

    with b2bcx.open_workspace(workspace) as ws:
        ranked = diagnose(ws.backend, DiagnoseOptions(min_ratings=10**9)).to_json()["priorities"]
    assert ranked == []
