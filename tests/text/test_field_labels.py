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


def test_the_splitter_keeps_the_label_with_its_answer() -> None:
    # the stored sentences are what was written; only phrases and the display drop it
    review = _review("Great tool", "The account manager is great.", "Nothing at all.", "Leads.")
    assert comment_sentences(review)[1] == "Liked best: The account manager is great."


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
