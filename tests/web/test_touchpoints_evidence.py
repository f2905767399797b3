"""The touchpoints page's findings read as the report's: evidence as one
sentence of formatted numbers, partners and touchpoints by name, no raw keys
such as ``ci95`` or ``p_adjusted`` (issue 19 review)."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard
from b2bcx.web.render import evidence_terms


@pytest.fixture(scope="module")
def page(web_world: World) -> Iterator[str]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.admin)
        r = c.get("/touchpoints")
        assert r.status_code == 200
        yield r.text


def _names(world: World, table: str, key: str) -> dict[str, str]:
    """Id → name from the bundle's CSV (independent of the server)."""
    with (world.bundle / f"{table}.csv").open(encoding="utf-8") as f:
        return {r[key]: r["name"] for r in csv.DictReader(f) if r.get("name")}


def _findings(page: str) -> list[str]:
    return re.findall(r'<div class="finding[^"]*">(.*?)</div>', page, flags=re.S)


def test_evidence_is_a_sentence_without_raw_keys(page: str) -> None:
    findings = _findings(page)
    assert findings, "the demo world's partner has findings"
    for block in findings:
        ev = re.search(
            r'<p class="evidence-sentence muted" data-evidence>(.*?)(?: <span|</p>)', block, re.S
        )
        assert ev, block
        sentence = html.unescape(ev.group(1))
        assert sentence[0].isupper() and sentence.endswith(".")
        assert "<dl" not in block
        for raw in ("ci95", "p_adjusted", "p adjusted", "partner id", "touchpoint id"):
            assert raw not in sentence, (raw, sentence)
        # numbers rounded as the report rounds them: never more than 2 decimals
        assert not re.search(r"\d\.\d{3,}", sentence.replace("< 0.001", "")), sentence
    text = " ".join(html.unescape(b) for b in findings)
    assert "95% interval" in text and re.search(r"\d to \d", text)  # ci95 as "a to b"
    assert "p (adjusted) < 0.001" in text or "p (adjusted) 0." in text


def test_partners_and_touchpoints_are_named_not_ids(page: str, web_world: World) -> None:
    partners = _names(web_world, "partners", "partner_id")
    touchpoints = _names(web_world, "touchpoints", "touchpoint_id")
    text = html.unescape(" ".join(_findings(page)))
    ids = [
        i
        for i in [*partners, *touchpoints]
        if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)
    ]
    assert ids == []
    assert any(name in text for name in partners.values())


def test_statistics_in_the_sentence_keep_their_definitions() -> None:
    terms = dict(evidence_terms({"gap": 1.0, "ci95": [0.1, 2.0], "p_adjusted": 0.2, "p": 0.3}))
    assert list(terms) == ["95% interval", "p (adjusted)", "p"]
    assert "95 % confidence" in terms["95% interval"]
    assert terms["p (adjusted)"] == terms["p"] and "chance" in terms["p"]
    assert evidence_terms({"ratings": 3}) == [] and evidence_terms(None) == []
