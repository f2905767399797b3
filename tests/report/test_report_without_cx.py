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
    assert 'data-metric="nps"' in html and "no <code>cx</code> ratings" in html


def test_empty_workspace_keeps_cx(tmp_path: Path) -> None:
    with b2bcx.open_workspace(tmp_path / "empty.duckdb") as ws:
        assert default_metric(ws.backend) == "cx"
        assert set(rating_counts(ws.backend).values()) == {0}
