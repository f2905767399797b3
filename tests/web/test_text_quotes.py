"""The text page's quotes as people read them (issue 19 review): no discourse
opener ("In short:"), near-duplicates shown once with how many more said the
same, and each quote naming its account (linked to its page) and person."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.demo.language import OPENERS
from b2bcx.server.settings import load_server_settings
from b2bcx.text.insights import text_insights
from b2bcx.web.app import mount_dashboard
from b2bcx.web.routes.text import (
    alike,
    distinct_quotes,
    person_label,
    shown_insights,
    shown_topics,
    without_opener,
)


def _swap(text: str, i: int) -> str:
    """A typo: the characters at ``i`` and ``i + 1`` swapped (as people type)."""
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


SENTENCE = "The technician fixed the problem but had to come back for a missing part."


# -- the functions ------------------------------------------------------------------


@pytest.mark.parametrize("opener", OPENERS)
def test_every_opener_of_the_demo_is_dropped(opener: str) -> None:
    assert without_opener(f"{opener} {SENTENCE}") == SENTENCE
    assert (
        without_opener(f"{opener.lower()} {SENTENCE.lower()}") == SENTENCE[0] + SENTENCE[1:].lower()
    )


def test_an_opener_stays_where_it_is_the_sentence() -> None:
    assert without_opener("Overall: fine.") == "Overall: fine."
    assert without_opener("Overall the service is fine.") == "Overall the service is fine."
    assert without_opener("Shortly: the portal logs us out.") == "Shortly: the portal logs us out."
    assert without_opener("") == ""


def test_alike_catches_openers_typos_and_case_but_not_other_statements() -> None:
    for i in (5, 17, 30, 44):
        assert alike(SENTENCE, _swap(SENTENCE, i))
    assert alike(f"Honestly, {SENTENCE}", SENTENCE.upper())
    assert alike(SENTENCE, SENTENCE + " Please follow up.")  # one contains the other
    assert not alike(SENTENCE, "Delivery was punctual and the driver coordinated well.")
    assert not alike("The portal works.", "The portal never works.")
    assert not alike("Delivery was punctual.", "Delivery was not punctual.")
    assert not alike("Good.", "Bad.")


def test_distinct_quotes_keep_the_first_and_count_the_rest() -> None:
    quotes = [
        {"sentence": f"In short: {SENTENCE}", "account_id": "A"},
        {"sentence": "The portal keeps logging us out.", "account_id": "B"},
        {"sentence": _swap(SENTENCE, 20), "account_id": "C"},
        {"comment": SENTENCE.lower(), "account_id": "D"},  # no sentence: the comment
    ]
    kept = distinct_quotes(quotes)
    assert [q["account_id"] for q in kept] == ["A", "B"]
    assert [q["alike"] for q in kept] == [2, 0]
    assert kept[0]["shown"] == SENTENCE and kept[0]["sentence"] == quotes[0]["sentence"]
    assert distinct_quotes([]) == []
    one = distinct_quotes([{"sentence": "Only one."}])
    assert one == [{"sentence": "Only one.", "shown": "Only one.", "alike": 0}]
    assert quotes[0] == {"sentence": f"In short: {SENTENCE}", "account_id": "A"}  # not changed


def test_shown_insights_and_topics_do_not_change_the_results() -> None:
    insights = {"comments": 3, "complaints": [{"sentence": "A b c d."}] * 2, "praise": [],
                "goals": [{"goal": "efficiency", "examples": [{"sentence": "X y z."}] * 3}],
                "ekman": []}  # fmt: skip
    shown = shown_insights(insights)
    assert [q["alike"] for q in shown["complaints"]] == [1]
    assert shown["goals"][0]["examples"][0]["alike"] == 2 and shown["comments"] == 3
    assert len(insights["complaints"]) == 2 and "alike" not in insights["goals"][0]["examples"][0]
    topics = shown_topics([{"label": "t", "examples": [f"Overall: {SENTENCE}", SENTENCE]}])
    assert topics[0]["examples"] == [SENTENCE]


def test_person_label_never_shows_the_id() -> None:
    assert person_label({"stakeholder_id": "S1", "name": "Ana Ruiz", "role": "buyer"}) == "Ana Ruiz"
    assert (
        person_label({"stakeholder_id": "S1", "name": "", "role": "plant director"})
        == "plant director"
    )
    assert person_label({"stakeholder_id": "S1", "function": "quality", "level": "manager"}) == (
        "quality manager"
    )
    assert person_label({"stakeholder_id": "S1"}) == "a person"


# -- the page -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(web_world: World) -> Iterator[str]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.admin)
        r = c.get("/text")
        assert r.status_code == 200
        yield r.text


_QUOTE = re.compile(
    r'<div class="comment quote"(?: data-alike="(\d+)")?><blockquote>“(.*?)”</blockquote>\s*'
    r'<span class="muted source">(.*?)</span></div>',
    re.S,
)


def _sections(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """Each card or heading's quotes: (alike count, text, source)."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for part in re.split(r"(?=<h[23])", page):
        found = _QUOTE.findall(part)
        if found:
            title = re.sub(r"<[^>]+>", "", part.split(">", 1)[1].split("</h", 1)[0])
            out.setdefault(title, []).extend(found)
    return out


def test_no_quote_starts_with_an_opener(page: str, web_world: World) -> None:
    with b2bcx.open_workspace(web_world.path) as ws:
        insights = text_insights(ws.backend)
    assert insights is not None
    raw = [q for g in [*insights["goals"], *insights["ekman"]] for q in g["examples"]]
    raw += insights["complaints"] + insights["praise"]
    # the analysis quotes some sentences with an opener: the page must drop it
    assert any(
        str(q["sentence"]).lower().startswith(tuple(o.lower() for o in OPENERS)) for q in raw
    )
    quotes = [html.unescape(q) for _, q, _ in _QUOTE.findall(page)]
    assert len(quotes) >= 5
    for q in quotes:
        for opener in OPENERS:
            assert not q.lower().startswith(opener.lower()), q


def test_no_list_shows_a_quote_twice(page: str) -> None:
    sections = _sections(page)
    assert sections
    merged = 0
    for title, quotes in sections.items():
        texts = [" ".join(re.findall(r"\w+", html.unescape(q).lower())) for _, q, _ in quotes]
        assert len(set(texts)) == len(texts), title
        merged += sum(int(n or 0) for n, _, _ in quotes)
        for n, _, source in quotes:
            if n:
                assert f"{n} more comment" in source
    assert merged > 0  # the demo's comments repeat themselves: some were merged


def test_quotes_name_their_account_and_person(page: str, web_world: World) -> None:
    with (web_world.bundle / "accounts.csv").open(encoding="utf-8") as f:
        accounts = {r["account_id"]: r["name"] for r in csv.DictReader(f)}
    with b2bcx.open_workspace(web_world.path) as ws:
        people = ws.backend.table("stakeholders").to_pandas()
    label = {
        str(s): str(n or r)
        for s, n, r in zip(people.stakeholder_id, people.name, people.role, strict=True)
    }
    checked = 0
    for _, _, source in _QUOTE.findall(page):
        link = re.search(
            r'<a class="account-link" href="/accounts/([^"#]+)#comments"[^>]*>(.*?)</a>', source
        )
        assert link, source
        assert html.unescape(link.group(2)) == accounts[unquote(link.group(1))]
        person = re.search(r'<span class="person" title="Person ([^"]+)">(.*?)</span>', source)
        assert person, source
        assert html.unescape(person.group(2)) == label[person.group(1)]
        checked += 1
    assert checked >= 5


# -- an import's field labels and emotions without a quote (issue 20) -----------------


def _g2_labels() -> list[str]:
    """The field labels the G2 mapping's comment template writes ("Liked best:", ...)."""
    from pathlib import Path

    import yaml

    mapping = Path(__file__).resolve().parents[2] / "examples" / "mappings" / "g2-reviews.yaml"
    template = str(yaml.safe_load(mapping.read_text(encoding="utf-8"))["tables"]["interactions"]
                   ["columns"]["comment"]["template"])  # fmt: skip
    return re.findall(r"(?:^|\n)([^{}\n]+?:)\s*\{", template)


def test_the_g2_template_has_field_labels() -> None:
    assert {"Liked best:", "Disliked:", "Benefits:", "Recommendations:"} <= set(_g2_labels())


@pytest.mark.parametrize("label", _g2_labels())
def test_an_imports_field_label_is_dropped_from_the_quote(label: str) -> None:
    assert without_opener(f"{label} {SENTENCE}") == SENTENCE
    assert without_opener(f"{label} easy to use.") == "Easy to use."
    # a label and an opener: both go
    assert without_opener(f"{label} Overall: {SENTENCE}") == SENTENCE
    # the label stays where the answer alone would not say what it is about
    assert without_opener(f"{label} Nothing.") == f"{label} Nothing."


def test_a_label_inside_the_sentence_stays() -> None:
    text = "The part we liked best: the reports."
    assert without_opener(text) == text
    assert without_opener("What we liked best: the reports.") == "The reports."
    assert without_opener("Support: slow to answer.") == "Support: slow to answer."


def test_quotes_with_and_without_a_field_label_are_alike() -> None:
    assert alike("Liked best: The reports are clear.", "The reports are clear.")
    kept = distinct_quotes([{"sentence": "Disliked: The price is too high."},
                            {"sentence": "The price is too high."}])  # fmt: skip
    assert [k["shown"] for k in kept] == ["The price is too high."]
    assert kept[0]["alike"] == 1


def test_an_emotion_without_a_quote_has_no_heading(
    web_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.web.routes import text as route

    original = route.shown_insights

    def with_an_empty_emotion(insights: dict[str, object]) -> dict[str, object]:
        out = original(insights)
        rows = list(out["ekman"])
        out["ekman"] = [{"emotion": "quoteless-emotion", "share": 0.01, "examples": []}, *rows]
        return out

    monkeypatch.setattr(route, "shown_insights", with_an_empty_emotion)
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.admin)
        r = c.get("/text")
    assert r.status_code == 200
    section = r.text.split('id="emotion-quotes"', 1)[1].split("</section>", 1)[0]
    assert "quoteless-emotion" not in section
    headings = re.findall(r"<h3>(.*?)</h3>", section)
    assert headings  # the emotions with quotes keep theirs
    for part in section.split("<h3>")[1:]:
        assert _QUOTE.search(part), part[:80]
