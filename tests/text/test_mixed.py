"""Mixed sentences (issue 20): a sentence that praises and then complains is
scored per clause, and the encoder runs once per distinct text (cache)."""

from __future__ import annotations

import numpy as np
import pytest
from test_sentences import ENC, flat_emotions, keyword_heads

from b2bcx.text import TextModel
from b2bcx.text.model import POLARITY_MARGIN, mixed_sentiment
from b2bcx.text.sentences import MAIN_WEIGHT, contrast_clauses


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Good platform concept, poorly delivered!",
         ("Good platform concept", "poorly delivered!")),
        ("The reports are great but support never answers.",
         ("The reports are great", "support never answers.")),
        ("Pricey, but well worth it.", ("Pricey", "well worth it.")),
        ("Easy to set up; however, the exports keep failing.",
         ("Easy to set up", "the exports keep failing.")),
        ("Although the plan is pricey, the platform has many capabilities.",
         ("the plan is pricey", "the platform has many capabilities.")),
        ("Support is slow to reply, although the reports are good.",
         ("the reports are good.", "Support is slow to reply")),
        ("Fast delivery, unfortunately the invoices are wrong.",
         ("Fast delivery", "unfortunately the invoices are wrong.")),
        ("Nothing yet, except that the system may seem confusing.",
         ("Nothing yet", "except that the system may seem confusing.")),
        ("We love it, and yet the app crashes daily.", ("We love it", "the app crashes daily.")),
    ],
)  # fmt: skip
def test_contrast_clauses_split_a_contrast_into_conceded_and_main(
    sentence: str, expected: tuple[str, str]
) -> None:
    assert contrast_clauses(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "It helps not only sales but also marketing.",
        "Nothing but praise for the team.",
        "Not seeing ROI yet.",
        "I don't think we had any serious troubles while running our campaign.",
        "Great reports and a friendly team.",
        "But the invoices are always wrong.",  # the contrast is with the sentence before
        "",
    ],
)
def test_sentences_without_an_inner_contrast_are_not_split(sentence: str) -> None:
    assert contrast_clauses(sentence) is None


def test_mixed_sentiment_weighs_the_main_clause_where_polarities_differ() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        whole, conceded, main = rng.dirichlet(np.ones(3), size=3)
        got = mixed_sentiment(whole, conceded, main)
        sc, sm = conceded[2] - conceded[0], main[2] - main[0]
        differ = sc * sm < 0 and min(abs(sc), abs(sm)) >= POLARITY_MARGIN
        expected = (1 - MAIN_WEIGHT) * conceded + MAIN_WEIGHT * main if differ else whole
        np.testing.assert_allclose(got, expected)
        np.testing.assert_allclose(
            mixed_sentiment(whole, conceded, main, always=True),
            (1 - MAIN_WEIGHT) * conceded + MAIN_WEIGHT * main,
        )
    # rows at once give the same as one at a time
    rows = rng.dirichlet(np.ones(3), size=(3, 50))
    stacked = mixed_sentiment(rows[0], rows[1], rows[2])
    one_by_one = [mixed_sentiment(rows[0][i], rows[1][i], rows[2][i]) for i in range(50)]
    np.testing.assert_allclose(stacked, np.array(one_by_one))
    # praise then a complaint, the complaint the main clause: negative overall
    p = mixed_sentiment([0.05, 0.05, 0.9], [0.0, 0.05, 0.95], [0.9, 0.05, 0.05])
    assert p[2] - p[0] < 0
    # a complaint only where the main clause is the negative one
    keep = mixed_sentiment([0.1, 0.1, 0.8], [0.9, 0.05, 0.05], [0.05, 0.05, 0.9],
                           complaint_only=True)  # fmt: skip
    np.testing.assert_allclose(keep, [0.1, 0.1, 0.8])


@pytest.fixture
def model() -> TextModel:
    return TextModel(ENC, emotion_head=flat_emotions({"neutral": 0.9}), goal_heads=keyword_heads())


def _probabilities(model: TextModel, texts: list[str]) -> np.ndarray:
    emb = ENC.encode(texts)
    out: np.ndarray = model.goals.sentiment_probabilities(emb, emb)
    return out


def test_a_praise_then_complaint_sentence_reads_as_its_complaint(model: TextModel) -> None:
    text = "Great, we love it, excellent thanks but the portal is slow and broken again."
    (row,) = model.score([text])
    assert len(row["sentences"]) == 1
    conceded, main = contrast_clauses(text) or ("", "")
    pw, pc, pm = _probabilities(model, [text, conceded, main])
    assert pw[2] - pw[0] > 0  # the whole sentence alone reads as its praise
    assert pc[2] - pc[0] > POLARITY_MARGIN and pm[2] - pm[0] < -POLARITY_MARGIN
    expected = (1 - MAIN_WEIGHT) * pc + MAIN_WEIGHT * pm
    assert row["sentiment"] == pytest.approx(expected[2] - expected[0], abs=1e-3)
    assert row["sentiment"] < 0
    # a sentence without a contrast keeps the whole sentence's sentiment
    plain = "The portal is slow and broken again."
    (other,) = model.score([plain])
    (p,) = _probabilities(model, [plain])
    assert other["sentiment"] == pytest.approx(p[2] - p[0], abs=1e-3)


def test_each_distinct_text_is_encoded_once_across_batches(model: TextModel) -> None:
    texts = ["Great, we love it. The portal is slow and broken again.",
             "Great, we love it but the portal is slow."]  # fmt: skip
    first, _, encoded = model.score_comments(texts)
    # two sentences, one contrast sentence and its two clauses
    assert encoded == 5
    again, _, encoded_again = model.score_comments(list(reversed(texts)))
    assert encoded_again == 0
    assert again[::-1] == first
    model.clear_cache()
    assert model.score_comments(texts)[2] == 5
