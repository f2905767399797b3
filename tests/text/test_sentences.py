"""Sentence-level text analysis with trained goal and sentiment heads (issue 20),
on the hashing encoder with hand-built heads (fast, no model)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.text import EMOTIONS, GOALS, HashingEncoder, TextModel, analyze, load_scores
from b2bcx.text.goals import GOAL_HEAD_LABELS, MIN_F1, GoalHeads, derived_labels
from b2bcx.text.heads import EmotionHead
from b2bcx.text.model import gate_emotions

ENC = HashingEncoder()
KEYS = {
    "convenience": "easy to use intuitive simple",
    "efficiency": "saves our team hours every week",
    "relationships": "the account manager is friendly and helpful",
    "empowerment": "easy to use intuitive simple",  # as convenience, but too rare
}


def keyword_heads(*, rare: int = 10, f1: float = 0.7) -> GoalHeads:
    """Goal heads that fire on sentences sharing words with :data:`KEYS`, and a
    sentiment head reading 'great … love' as positive, 'slow … broken' negative."""
    coef = np.zeros((len(GOAL_HEAD_LABELS), 384))
    for goal, words in KEYS.items():
        v = 14 * ENC.encode([words])[0]
        coef[GOAL_HEAD_LABELS.index(goal)] = v
        if goal == "empowerment":
            continue
        level, vp = GOALS[goal]
        coef[GOAL_HEAD_LABELS.index(f"vp:{vp}")] += v
        coef[GOAL_HEAD_LABELS.index(f"level:{level}")] += v
    positives = np.full(len(GOAL_HEAD_LABELS), 200)
    positives[GOAL_HEAD_LABELS.index("empowerment")] = rare
    sent = np.zeros((3, 768))
    sent[0, :384] = 14 * ENC.encode(["slow broken never answers wrong again"])[0]
    sent[2, :384] = 14 * ENC.encode(["great love excellent thanks"])[0]
    return GoalHeads(GOAL_HEAD_LABELS, coef, np.full(len(coef), -4.0),
                     np.full(len(coef), 0.5), positives, np.full(len(coef), f1), sent,
                     np.zeros(3), "hashing-384", "keywords")  # fmt: skip


def flat_emotions(probabilities: dict[str, float]) -> EmotionHead:
    p = np.array([probabilities.get(e, 0.01) for e in EMOTIONS])
    return EmotionHead(((np.zeros((384, len(EMOTIONS))), np.log(p / (1 - p))),),
                       np.full(len(EMOTIONS), 0.5), "hashing-384", "flat")  # fmt: skip


@pytest.fixture
def model() -> TextModel:
    return TextModel(ENC, emotion_head=flat_emotions({"neutral": 0.9}), goal_heads=keyword_heads())


def test_praise_and_complaint_do_not_cancel(model: TextModel) -> None:
    text = "Great, we love it, excellent thanks. The portal is slow and broken again."
    (row,) = model.score([text])
    first, second = row["sentences"]
    assert first["text"].startswith("Great") and second["text"].startswith("The portal")
    assert first["sentiment"] > 0.5 and second["sentiment"] < -0.5
    assert row["sentiment"] == pytest.approx((first["sentiment"] + second["sentiment"]) / 2,
                                             abs=1e-3)  # fmt: skip
    assert "The portal is slow" in row["explanation"]["sentiment"]
    # scored as one unit, the two halves would be one blended sentence
    (whole,) = model.score_embeddings(ENC.encode([text]), [text])
    assert len(whole["sentences"]) == 1


def test_goal_labels_are_decided_per_sentence_and_rare_goals_are_never_decided(
    model: TextModel,
) -> None:
    text = "It is easy to use, intuitive and simple. The account manager is friendly and helpful."
    (row,) = model.score([text])
    assert row["goal_labels"] == ["convenience", "relationships"]
    assert row["sentences"][0]["goal_labels"] == ["convenience"]
    assert row["sentences"][1]["goal_labels"] == ["relationships"]
    assert row["value_proposition_labels"] == ["relieving", "enriching"]
    assert row["goal_level_labels"] == ["individual"]
    # empowerment scores as high as convenience but has 10 coded sentences: not decided
    assert row["goals"]["empowerment"] > 0.9 and "empowerment" not in row["goal_labels"]
    assert "too rare" in row["goals_not_learned"]["empowerment"]
    # the comment's probability is the highest of its sentences'
    key = ENC.encode([KEYS["convenience"]])[0]
    sims = ENC.encode([x["text"] for x in row["sentences"]]) @ key
    expected = float(np.max(1 / (1 + np.exp(-(14 * sims - 4)))))
    assert row["goals"]["convenience"] == pytest.approx(expected, abs=1e-3)


def test_a_goal_under_the_f1_floor_is_not_learned() -> None:
    heads = keyword_heads(rare=500, f1=MIN_F1 - 0.01)
    assert not heads.learned("convenience") and "F1" in heads.not_learned()["convenience"]
    assert heads.decide(np.ones((1, len(GOAL_HEAD_LABELS)))).sum() == 0


def test_goal_heads_round_trip(tmp_path: Path) -> None:
    heads = keyword_heads()
    heads.save(tmp_path / "g.npz")
    again = GoalHeads.load(tmp_path / "g.npz")
    x = ENC.encode(["easy to use", "slow and broken"])
    np.testing.assert_allclose(again.predict(x), heads.predict(x), rtol=1e-5)
    np.testing.assert_allclose(again.sentiment(x, x), heads.sentiment(x, x), atol=1e-5)
    assert again.labels == heads.labels and again.not_learned() == heads.not_learned()


def test_derived_labels_follow_wirtz_table_1() -> None:
    for goal, (level, vp) in GOALS.items():
        d = derived_labels({goal})
        assert d[goal] == d[f"vp:{vp}"] == d[f"level:{level}"] == 1
        assert sum(d.values()) == 3
    assert sum(derived_labels(set()).values()) == 0


def test_user_goal_examples_adapt_the_trained_head() -> None:
    import pandas as pd

    emotions = flat_emotions({"neutral": 0.9})
    new = "the quarterly webinars grew my skills"
    base = TextModel(ENC, emotion_head=emotions, goal_heads=keyword_heads())
    labels = pd.DataFrame({"text": [new, "webinars grew my skills a lot"],
                           "label": ["relationships"] * 2, "value": [1, 1]})  # fmt: skip
    adapted = TextModel(ENC, emotion_head=emotions, goal_heads=keyword_heads(),
                        user_labels=labels)  # fmt: skip
    before = base.score([new])[0]["goals"]["relationships"]
    after = adapted.score([new])[0]["goals"]["relationships"]
    assert after > before + 0.3
    other = "It is easy to use, intuitive and simple."
    assert adapted.score([other])[0]["goals"]["convenience"] == pytest.approx(
        base.score([other])[0]["goals"]["convenience"], abs=1e-9)  # fmt: skip
    assert adapted.name != base.name


def test_praise_is_not_disgust_or_fear() -> None:
    p = {"disgust": 0.7, "fear": 0.6, "admiration": 0.8, "neutral": 0.05}
    model = TextModel(ENC, emotion_head=flat_emotions(p), goal_heads=keyword_heads())
    praise, complaint = model.score(["Great, we love it, excellent thanks.",
                                     "Slow, broken, never answers, wrong again."])  # fmt: skip
    assert "disgust" not in praise["emotion_labels"] and "fear" not in praise["emotion_labels"]
    assert {"disgust", "fear"} <= set(complaint["emotion_labels"])
    gated = gate_emotions(np.full((2, len(EMOTIONS)), 0.6), [1.0, 0.0])
    assert gated[0, EMOTIONS.index("disgust")] == 0 and gated[1, EMOTIONS.index("disgust")] == 0.6
    assert gated[0, EMOTIONS.index("joy")] == 0.6


class CountingEncoder(HashingEncoder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: object, *, batch_size: int = 64) -> object:  # type: ignore[override]
        self.seen += list(texts)  # type: ignore[call-overload]
        return super().encode(texts, batch_size=batch_size)  # type: ignore[arg-type]


def test_each_distinct_sentence_is_encoded_once() -> None:
    enc = CountingEncoder()
    model = TextModel(enc, emotion_head=flat_emotions({}), goal_heads=keyword_heads())
    enc.seen.clear()
    _, emb, encoded = model.score_comments(
        ["Invoice wrong. Support great.", "Support great. Delivery late.", "Invoice wrong."]
    )
    assert encoded == 3 and sorted(enc.seen) == ["Delivery late.", "Invoice wrong.",
                                                 "Support great."]  # fmt: skip
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(emb[2], ENC.encode(["Invoice wrong."])[0], rtol=1e-5)


def _workspace(path: Path, comments: list[str]) -> Path:
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A", "B"]}))
    b.append("stakeholders", pa.table({"stakeholder_id": ["s", "t"], "account_id": ["A", "B"]}))
    b.append("interactions", pa.table({
        "interaction_id": [f"i{k}" for k in range(len(comments))],
        "stakeholder_id": ["s" if k % 2 else "t" for k in range(len(comments))],
        "occurred_at": [dt.datetime(2024, 1, 1 + k) for k in range(len(comments))],
        "comment": comments,
    }))  # fmt: skip
    ws.close()
    return path


COMMENTS = [
    "Great, we love it, excellent thanks. The portal is slow and broken again.",
    "It is easy to use, intuitive and simple. Invoices arrive on time.",
    "The account manager is friendly and helpful. Prices went up.",
    "Deliveries were slow and broken, wrong again.",
    "Excellent thanks, great people.",
    "It is easy to use and simple. The reports load fast.",
]


def test_analyze_stores_sentences_and_insights_quote_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.storage import textstore
    from b2bcx.text.insights import text_insights
    from b2bcx.text.topics import topics

    flat = flat_emotions({"neutral": 0.9})
    monkeypatch.setattr(EmotionHead, "load", classmethod(lambda cls, path=None: flat))
    monkeypatch.setattr(GoalHeads, "load", classmethod(lambda cls, path=None: keyword_heads()))
    path = _workspace(tmp_path / "w.duckdb", COMMENTS)
    with b2bcx.open_workspace(path) as ws:
        assert textstore.add_sentence_columns(ws.backend) == []  # migration 9 ran: idempotent
        analyze(ws.backend, encoder=HashingEncoder())
        scores = load_scores(ws.backend)
        insights = text_insights(ws.backend, examples=2)
        found = topics(ws.backend, k=2, examples=2)
    assert scores is not None and "sentences" in scores
    stored = json.loads(scores.set_index("interaction_id").loc["i0", "sentences"])
    assert [s["text"] for s in stored] == ["Great, we love it, excellent thanks.",
                                           "The portal is slow and broken again."]  # fmt: skip
    assert insights is not None
    convenience = next(g for g in insights["goals"] if g["goal"] == "convenience")
    assert convenience["detected"] == 2
    quoted = {e["sentence"] for e in convenience["examples"]}
    assert quoted == {"It is easy to use, intuitive and simple.", "It is easy to use and simple."}
    assert all(e["sentence"] != e["comment"] for e in convenience["examples"])
    empowerment = next(g for g in insights["goals"] if g["goal"] == "empowerment")
    assert "too rare" in empowerment["not_learned"] and empowerment["detected"] == 0
    complaints = {"The portal is slow and broken again.",
                  "Deliveries were slow and broken, wrong again."}  # fmt: skip
    assert insights["complaints"][0]["sentence"] in complaints
    assert insights["praise"][0]["sentiment"] > 0.5
    for _, t in found.iterrows():
        for q in t.quotes:
            assert q["sentence"] in COMMENTS[int(q["interaction_id"][1:])]
            assert q["account_id"] == ("A" if int(q["interaction_id"][1:]) % 2 else "B")
            assert q["stakeholder_id"] in {"s", "t"}
        assert t.examples == [q["sentence"] for q in t.quotes]


def _script(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_thresholds_and_grouped_folds() -> None:
    train = _script("train_goals")
    rng = np.random.default_rng(0)
    p, y = rng.random(400), (rng.random(400) < 0.3).astype(int)
    t = train.best_threshold(p, y)
    f1 = {round(c, 2): train.prf(p >= c, y)[2] for c in train.GRID}
    assert f1[round(t, 2)] == pytest.approx(max(f1.values()))
    groups = np.repeat(np.arange(50), 4)
    for tr, te in train.folds(groups):
        assert not set(groups[tr]) & set(groups[te])
    # a learnable label: held-out F1 well above chance; a random one: near chance
    x = rng.normal(size=(400, 8))
    signal = (x[:, 0] + 0.3 * rng.normal(size=400) > 0.5).astype(int)
    good = train.nested(x, signal, np.repeat(np.arange(100), 4))
    noise = train.nested(x, y, np.repeat(np.arange(100), 4))
    assert good["f1"] > 0.8 and noise["f1"] < 0.6
    assert train.prf(np.array([True, True, False]), np.array([1, 0, 1])) == (0.5, 0.5, 0.5)
