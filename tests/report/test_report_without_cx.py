"""A workspace without cx ratings (like a G2 review import): the report, the
dashboard's results and the API fall back on the rating it has, and say so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.individual import default_metric, rating_counts
from b2bcx.report.builder import gather, render_report


def _workspace(tmp_path: Path, drop: list[str]) -> Path:
    bundle = tmp_path / "bundle"
    generate_world(bundle, size=1500, seed=5)
    interactions = pd.read_csv(bundle / "interactions.csv", dtype=str, keep_default_na=False)
    interactions.drop(columns=drop).to_csv(bundle / "interactions.csv", index=False)
    path = tmp_path / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(bundle)
    return path


@pytest.mark.parametrize(("drop", "expected"), [([], "cx"), (["cx"], "nps"),
                                                (["cx", "nps"], "csat")])  # fmt: skip
def test_default_metric_is_cx_else_the_first_rating_there_is(
    tmp_path: Path, drop: list[str], expected: str
) -> None:
    with b2bcx.open_workspace(_workspace(tmp_path, drop)) as ws:
        counts = rating_counts(ws.backend)
        assert all(counts[m] == 0 for m in drop) and counts[expected] > 0
        assert default_metric(ws.backend) == expected


def test_report_without_cx_uses_nps_and_says_so(tmp_path: Path) -> None:
    with b2bcx.open_workspace(_workspace(tmp_path, ["cx"])) as ws:
        data = gather(ws.backend)
    assert data.get("metric") == "nps"
    measured = data.get("accounts")
    assert measured is not None and measured.metric == "nps" and len(measured.units) > 0
    assert data.get("diagnosis")["meta"]["metric"] == "nps"
    html = render_report(data)
    assert 'data-metric="nps"' in html and "no CX ratings" in html
    assert "Collective NPS" in html  # the metric named (issue 19 item 3)


def test_empty_workspace_keeps_cx(tmp_path: Path) -> None:
    with b2bcx.open_workspace(tmp_path / "empty.duckdb") as ws:
        assert default_metric(ws.backend) == "cx"
        assert set(rating_counts(ws.backend).values()) == {0}


def test_interactions_without_a_touchpoint_are_labelled_not_nan() -> None:
    from b2bcx.cli.app import cell as _cell
    from b2bcx.report.figures import controller_bars

    rows = [{"controller": None, "score": 92.2, "nps": 77.8, "n_rated": 749},
            {"controller": float("nan"), "score": 50.0, "nps": 0.0, "n_rated": 3},
            {"controller": "partner", "score": 61.0, "nps": 10.0, "n_rated": 40}]  # fmt: skip
    labels = [bar.label for bar in controller_bars(rows)]
    assert labels == ["no touchpoint recorded", "no touchpoint recorded", "partner"]
    assert [_cell(v, 1) for v in (None, float("nan"), pd.NA, 2.345, "x", 3)] == [
        "–", "–", "–", "2.3", "x", "3"]  # fmt: skip
