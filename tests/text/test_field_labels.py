"""An import's field labels ("Liked best:", "Disliked:" from the G2 mapping's
comment template) are not part of what the customer wrote: topics' key phrases
and quotes leave them out (issue 20, the text page on the G2 export)."""

from __future__ import annotations

import numpy as np
import pytest

from b2bcx.text.sentences import FIELD_LABEL, comment_sentences, without_field_label
from b2bcx.text.topics import _phrases, key_phrases

G2 = "{title}\nLiked best: {liked}\nDisliked: {disliked}\nBenefits: {benefits}"


def _review(title: str, liked: str, disliked: str, benefits: str) -> str:
    return G2.format(title=title, liked=liked, disliked=disliked, benefits=benefits)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Liked best: the reports are clear.", "The reports are clear."),
        ("Disliked: Support takes days to answer.", "Support takes days to answer."),
        ("benefits:   more qualified leads", "More qualified leads"),
        ("Pros: fast onboarding", "Fast onboarding"),
        ("What I like best: the intent data.", "The intent data."),
        # not a label, or nothing would be left but one word
        ("Support: slow to answer.", "Support: slow to answer."),
        ("Disliked: Nothing.", "Disliked: Nothing."),
        ("I liked best: the team.", "I liked best: the team."),
        ("", ""),
    ],
)
def test_without_field_label(sentence: str, expected: str) -> None:
    assert without_field_label(sentence) == expected


def test_a_label_is_matched_only_at_the_start() -> None:
    assert FIELD_LABEL.match("The part we liked best: reports") is None
    assert without_field_label("Disliked: nothing", min_words=1) == "Nothing"


def test_sentences_are_scored_without_the_label() -> None:
    # the coded corpus was split field by field, without labels: the scored units match it
    review = _review("Great tool", "The account manager is great.", "Nothing.", "More leads.")
    assert comment_sentences(review) == [
        "Great tool", "The account manager is great.", "Nothing.", "More leads."]  # fmt: skip
    # a word that only looks like a label stays
    assert comment_sentences("Support: slow to answer.") == ["Support: slow to answer."]


def test_the_model_scores_a_labelled_comment_like_its_answers() -> None:
    from b2bcx.text import HashingEncoder, TextModel
    from b2bcx.text.model import HEADS_VERSION

    model = TextModel(HashingEncoder())
    labelled = _review("Solid", "Reports are great.", "Support never answers.", "Fewer calls.")
    plain = "Solid\nReports are great.\nSupport never answers.\nFewer calls."
    a, b = model.score([labelled, plain])
    assert [s["text"] for s in a["sentences"]] == [s["text"] for s in b["sentences"]]
    assert a["sentiment"] == b["sentiment"] and a["goals"] == b["goals"]
    assert f"heads{HEADS_VERSION}+" in model.name


def test_phrases_leave_the_field_labels_out() -> None:
    grams = _phrases(_review("Great", "Great reports every month.", "Nothing at all.",
                             "More qualified leads."))  # fmt: skip
    assert "great reports" in grams and "qualified leads" in grams
    assert not [g for g in grams if "liked" in g.split() or "disliked" in g.split()
                or g.startswith("benefits")], grams  # fmt: skip


def test_no_topic_is_named_after_a_field_label() -> None:
    managers = [_review(f"Review {k}", "The account manager answers fast.", "Nothing at all.",
                        "Account manager support.") for k in range(6)]  # fmt: skip
    invoices = [_review(f"Review {k}", "Invoice portal works.", "Invoice errors every month.",
                        "Fewer invoice errors.") for k in range(6)]  # fmt: skip
    phrases = key_phrases(managers + invoices, np.array([0] * 6 + [1] * 6))
    assert "account manager" in phrases[0]
    assert any("errors" in p for p in phrases[1]), phrases
    labels = {"liked", "best", "disliked", "benefits"}  # before: "benefits fewer", "best invoice"
    for chosen in phrases.values():
        for phrase in chosen:
            assert not labels & set(phrase.split()), phrase
