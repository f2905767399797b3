"""The dashboard's text page quotes sentences, not whole comments, each linked
to its account and naming its person (issue 20)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.storage import textstore
from b2bcx.text.insights import text_insights
from b2bcx.web.app import mount_dashboard
from b2bcx.web.routes.text import distinct_quotes, without_opener


@pytest.fixture(scope="module")
def app_client(web_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c


def _people(web_world: World) -> dict[str, tuple[str, str]]:
    """interaction → (person, account), read from the workspace independently."""
    with b2bcx.open_workspace(web_world.path) as ws:
        it = ws.backend.table("interactions").to_pandas()
        sh = ws.backend.table("stakeholders").to_pandas()
    account = dict(zip(sh.stakeholder_id, sh.account_id, strict=True))
    return {str(i): (str(s), str(account[s]))
            for i, s in zip(it.interaction_id, it.stakeholder_id, strict=True)}  # fmt: skip


def test_insight_quotes_are_sentences_of_their_comment_with_account_and_person(
    web_world: World,
) -> None:
    people = _people(web_world)
    with b2bcx.open_workspace(web_world.path) as ws:
        insights = text_insights(ws.backend)
        scores = textstore.read_scores(ws.backend)
        comments = ws.backend.table("interactions").to_pandas()
    assert insights is not None and scores is not None
    stored = {str(i): [s["text"] for s in textstore.sentences_of(v)]
              for i, v in zip(scores.interaction_id, scores.sentences, strict=True)}  # fmt: skip
    comment = dict(zip(comments.interaction_id.astype(str), comments.comment, strict=True))
    quotes = [e for g in [*insights["goals"], *insights["ekman"]] for e in g["examples"]]
    quotes += insights["complaints"] + insights["praise"]
    assert quotes
    shorter = 0
    for q in quotes:
        i = q["interaction_id"]
        assert q["sentence"] in stored[i]  # one of the comment's own sentences
        assert q["sentence"] in comment[i]
        shorter += len(q["sentence"]) < len(comment[i])
        assert (q["stakeholder_id"], q["account_id"]) == people[i]
    assert shorter > 0  # at least some quotes are not the whole comment
    for q in insights["complaints"]:
        assert q["sentiment"] < 0
    for q in insights["praise"]:
        assert q["sentiment"] > 0


def test_text_page_links_each_quote_to_its_account(
    app_client: TestClient, web_world: World
) -> None:
    client = sign_in(app_client, web_world.admin)
    page = client.get("/text")
    assert page.status_code == 200
    people = _people(web_world)
    by_sentence: dict[str, set[str]] = {}
    with b2bcx.open_workspace(web_world.path) as ws:
        insights = text_insights(ws.backend)
    assert insights is not None
    for q in insights["complaints"] + insights["praise"]:
        shown = without_opener(q["sentence"])  # the page drops "In short:" and the like
        by_sentence.setdefault(shown, set()).add(people[q["interaction_id"]][1])
    blocks = re.findall(
        r'<div class="comment quote"(?: data-alike="\d+")?><blockquote>“(.*?)”</blockquote>\s*'
        r'<span class="muted source">(.*?)</span></div>',
        page.text,
        flags=re.S,
    )
    # near-duplicate quotes are shown once (tests/web/test_text_quotes.py)
    distinct = distinct_quotes(insights["complaints"]) + distinct_quotes(insights["praise"])
    assert len(blocks) >= len(distinct)
    linked = 0
    for sentence, source in blocks:
        link = re.search(r'href="/accounts/([^"#]+)#comments"', source)
        assert link, source  # every quote in this world has an account
        assert '<span class="person" title="Person ' in source  # named, the id on hover
        text = html.unescape(sentence)
        if text in by_sentence:
            from urllib.parse import unquote

            assert unquote(link.group(1)) in by_sentence[text]
            linked += 1
    assert linked >= 2
    assert 'id="complaints"' in page.text and 'id="praise"' in page.text
