"""The management report: self-contained, the four playbook steps, evidence, PDF."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from api_world import World
from markupsafe import escape
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.report import render_report, write_report
from b2bcx.report.charts import Bar, Cell, bar_chart, heatmap, line_chart, strategy_matrix
from b2bcx.report.summary import named


@pytest.fixture(scope="module")
def html(gathered: Any) -> str:
    return render_report(gathered.data)


def test_report_is_self_contained(html: str) -> None:
    assert "<script" not in html
    links = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert not links, links  # no external resources: opens offline
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "<style>" in html


def test_report_follows_the_four_steps(html: str) -> None:
    positions = [html.index(f'id="step{i}"') for i in range(1, 5)]
    assert positions == sorted(positions)
    assert "Customer goals and value propositions" in html
    assert "The CXM archetype" in html and "Monitor and adapt" in html


def test_report_draws_its_charts_with_data(html: str) -> None:
    for kind in ("bars", "heatmap", "matrix", "line"):
        assert f'data-chart="{kind}"' in html, kind
    assert html.count('class="mark"') > 30


def test_every_statement_has_its_evidence(html: str, gathered: Any) -> None:
    data = gathered.data
    diagnosis = data.get("diagnosis")
    assert diagnosis and diagnosis["findings"]
    first = diagnosis["findings"][0]
    rendered = render_report(data)
    # the report names accounts (issue 19 item 5): ids in the summary become names
    summary = named(first["summary"], data.names)
    assert str(escape(summary))[:40] in rendered
    assert rendered.count('class="evidence"') >= min(5, len(diagnosis["findings"]))
    top = diagnosis["at_risk"][0]
    assert data.names[top["account_id"]] in rendered and top["reasons"][0][:20] in rendered


def test_missing_text_is_said_plainly(html: str) -> None:
    # what would unlock the section, in words (no command for a reader to run)
    assert 'data-missing="text"' in html and "comments have not been analysed" in html


def test_report_command(report_world: World, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "-w", str(report_world.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000


def test_report_to_a_missing_folder_is_a_clear_error(report_world: World, tmp_path: Path) -> None:
    out = tmp_path / "nope" / "r.html"
    result = CliRunner().invoke(app, ["report", "-w", str(report_world.path), "--out", str(out)])
    assert result.exit_code == 1 and "does not exist" in result.output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_pdf(report_world: World, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    with b2bcx.open_workspace(report_world.path) as ws:
        written = write_report(ws.backend, out, pdf=True)
    pdf = written[1]
    assert pdf.suffix == ".pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000


def test_charts_escape_labels_and_mark_data() -> None:
    svg = bar_chart([Bar("<script>x</script>", 40.0), Bar("b", None)], title="t & u")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "t &amp; u" in svg
    assert svg.count('class="mark"') == 2
    grid = heatmap(["r"], ["c", "d"], {("r", "c"): Cell(70.0, "n=3")}, title="g")
    assert 'data-empty="false"' in grid and 'data-empty="true"' in grid
    line = line_chart([("a", 10.0), ("b", None), ("c", 30.0)], title="l")
    assert line.count('class="mark"') == 2 and line.count("<polyline") == 2
    matrix = strategy_matrix(0.8, 0.2, title="m")
    assert 'data-label="as-is"' in matrix and "Cherry Picker" in matrix


def test_priorities_show_what_detractors_wrote(html: str, gathered: Any) -> None:
    assert "no analysed comments" in html  # this world's comments were not analysed
    data = copy.deepcopy(gathered.data)
    first = data.get("diagnosis")["priorities"][0]
    worst = {"comment": "Nobody <b>called</b> back", "sentiment": -0.9}
    first["text"] = {"comments": 7, "sentiment": -0.42, "effort": 0.3, "negative_share": 0.57,
                     "emotions": {"anger": 0.4}, "most_negative": worst}  # fmt: skip
    rendered = render_report(data)
    assert "7 comments, sentiment -0.42, 57% negative" in rendered
    assert "Nobody &lt;b&gt;called&lt;/b&gt; back" in rendered  # escaped
