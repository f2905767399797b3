"""The report's portfolio sentence counts every verdict: on a G2-like workspace
(trios who all give 10 among single reviewers giving 9-10) none is aligned or
diverse, three are "agreement not proven" and the report says what that means."""

from __future__ import annotations

import re
from pathlib import Path

from b2bcx.report.builder import gather, render_report
from verdict_world import G2_LIKE, ratings_workspace


def _portfolio_sentence(html: str) -> str:
    found = re.search(r"<p>An account is <em>collective &amp; aligned</em>.*?</p>", html, re.S)
    assert found, "the portfolio sentence is missing"
    return " ".join(found.group(0).split())


def test_report_counts_not_proven_apart(tmp_path: Path) -> None:
    with ratings_workspace(tmp_path / "w.duckdb", G2_LIKE) as ws:
        html = render_report(gather(ws.backend))
    sentence = _portfolio_sentence(html)
    n = len(G2_LIKE)
    assert f"0 of {n} accounts are aligned, 0 diverse, 3 not proven." in sentence
    assert "<em>agreement not proven</em>" in sentence
    assert "neither aligned nor diverse" in sentence


def test_report_without_not_proven_keeps_its_sentence(tmp_path: Path) -> None:
    people = {"A": {"a1": [1.0], "a2": [5.0], "a3": [10.0]}, "B": {"b1": [7.0]}}
    with ratings_workspace(tmp_path / "w.duckdb", people) as ws:
        html = render_report(gather(ws.backend))
    sentence = _portfolio_sentence(html)
    assert "0 of 2 accounts are aligned, 1 diverse." in sentence
    assert "not proven" not in sentence
