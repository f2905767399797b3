"""Text analytics with the hashing encoder (fast); the real model is tested in
test_model.py (marked ``model``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.errors import ConfigurationError
from b2bcx.text import EKMAN, EMOTIONS, GOALS, HashingEncoder, TextModel, analyze, load_scores
from b2bcx.text.heads import EmotionHead
from b2bcx.text.labels import SENTIMENT_MAP
from b2bcx.text.topics import topics

CONTRACT = {"sentiment", "emotions", "ekman", "goals", "value_proposition", "effort",
            "emotion_labels", "ekman_labels"}  # fmt: skip


def fixed_head(probabilities: dict[str, float], dim: int = 384) -> EmotionHead:
    """A head that returns the same probabilities for every text (bias only)."""
    p = np.array([probabilities.get(e, 0.01) for e in EMOTIONS])
    bias = np.log(p / (1 - p))
    return EmotionHead(((np.zeros((dim, len(EMOTIONS))), bias),), np.full(len(EMOTIONS), 0.5),
                       "hashing-384", "fixed")  # fmt: skip


@pytest.fixture
def random_head() -> EmotionHead:
    """A small random two-layer head (deterministic)."""
    rng = np.random.default_rng(0)
    return EmotionHead(
        ((rng.normal(0, 0.3, (384, 16)), np.zeros(16)),
         (rng.normal(0, 0.3, (16, len(EMOTIONS))), np.full(len(EMOTIONS), -1.0))),
        np.full(len(EMOTIONS), 0.4), "hashing-384", "random",
    )  # fmt: skip


@pytest.fixture
def make_fixed_head() -> object:
    """The :func:`fixed_head` builder."""
    return fixed_head


def test_hashing_encoder_is_deterministic_and_normalized() -> None:
    enc = HashingEncoder()
    a = enc.encode(["The delivery was late again", "great support"])
    b = enc.encode(["The delivery was late again", "great support"])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    assert a.shape == (2, 384)


def test_head_round_trip_and_neutral_fallback(tmp_path: Path, random_head: EmotionHead) -> None:
    path = tmp_path / "h.npz"
    random_head.save(path)
    again = EmotionHead.load(path)
    x = HashingEncoder().encode(["hello there", "what a mess"])
    np.testing.assert_allclose(again.predict(x), random_head.predict(x), rtol=1e-5)
    none = EmotionHead(random_head.layers, np.full(len(EMOTIONS), 2.0), "x", "y")
    assert none.decide(none.predict(x)) == [["neutral"], ["neutral"]]
    with pytest.raises(ConfigurationError, match=r"train_text\.py"):
        EmotionHead.load(tmp_path / "missing.npz")


def test_contract_and_sentiment_formula(make_fixed_head: Any) -> None:
    fixed_head = make_fixed_head
    probs = {"gratitude": 0.8, "joy": 0.6, "anger": 0.3, "confusion": 0.2, "neutral": 0.1}
    model = TextModel(HashingEncoder(), emotion_head=fixed_head(probs))
    (row,) = model.score(["Thanks, the technician fixed it fast."])
    assert set(row) >= CONTRACT | {"goal_labels", "sentences", "goals_not_learned"}
    assert list(row["emotions"]) == list(EMOTIONS) and list(row["ekman"]) == list(EKMAN)
    assert set(row["goals"]) == set(GOALS) and set(row["goal_labels"]) <= set(GOALS)
    assert set(row["value_proposition"]) == {"relieving", "enriching", "enabling"}
    # sentiment: the business sentiment head, P(positive) − P(negative) (one sentence)
    e = HashingEncoder().encode(["Thanks, the technician fixed it fast."])
    p3 = model.goals.sentiment_probabilities(e, e)[0]
    assert row["sentiment"] == pytest.approx(p3[2] - p3[0], abs=1e-3)
    # the GoEmotions sentiment stays beside it, on emotions gated by P(positive)
    p = {e: probs.get(e, 0.01) for e in EMOTIONS}
    p = {e: v * (1 - p3[2]) if e in SENTIMENT_MAP["negative"] else v for e, v in p.items()}
    group = {k: sum(p[e] for e in v) for k, v in SENTIMENT_MAP.items()}
    expected = (group["positive"] - group["negative"]) / (sum(group.values()) + p["neutral"])
    assert row["emotion_sentiment"] == pytest.approx(expected, abs=1e-3)
    assert row["emotion_labels"] == ["joy", "gratitude"] or set(row["emotion_labels"]) == {
        "gratitude", "joy"}  # fmt: skip
    assert row["ekman_labels"] == ["joy"]
    assert row["ekman"]["joy"] == pytest.approx(0.8, abs=1e-3)  # the strongest member
    assert row["goals"]["empowerment"] >= 0 and "empowerment" in row["goals_not_learned"]
    assert "in the sentence 'Thanks, the technician fixed it fast.'" in row["explanation"]["goal"]


def test_seed_heads_learn_the_seeds_and_adapt_to_user_labels(random_head: EmotionHead) -> None:
    import pandas as pd

    base = TextModel(HashingEncoder(), emotion_head=random_head)
    seeds = base.seeds
    text = "Ordering spare parts now takes me two clicks instead of an hour."
    (row,) = base.score([text])
    assert row["effort"] < 0.5
    new = "the portal crashed and we re-entered every order by hand"
    before = base.score([new])[0]["effort"]
    labels = pd.DataFrame({"text": [new, "re-entered every order by hand again"],
                           "label": ["effort", "effort"], "value": [1, 1]})  # fmt: skip
    adapted = TextModel(HashingEncoder(), emotion_head=random_head, user_labels=labels)
    assert adapted.score([new])[0]["effort"] > before
    assert adapted.user_examples == 2 and len(seeds.labels) == len(adapted.seeds.labels)


def _workspace(path: Path) -> Path:
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A"]}))
    b.append("stakeholders", pa.table({"stakeholder_id": ["s"], "account_id": ["A"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["TP-HOT", "TP-INV"], "name": ["Support hotline", "Invoice"],
        "stage": ["operations", "operations"], "controller": ["supplier", "supplier"],
    }))  # fmt: skip
    comments = [
        "The support hotline kept me waiting for an hour", "Invoice had wrong prices again",
        "Great training, I learned a lot", "Support hotline solved it in minutes",
        "Invoice errors cost us a day", "The training sessions were excellent",
        None, "  ", "Fast delivery, thanks", "Delivery was late and damaged",
    ]  # fmt: skip
    b.append("interactions", pa.table({
        "interaction_id": [f"i{k}" for k in range(len(comments))],
        "stakeholder_id": ["s"] * len(comments),
        "occurred_at": [dt.datetime(2024, 1, 1 + k) for k in range(len(comments))],
        "comment": comments,
    }))  # fmt: skip
    ws.close()
    return path


def test_analyze_is_incremental_and_stores_every_head(
    tmp_path: Path, random_head: EmotionHead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmotionHead, "load", classmethod(lambda cls, path=None: random_head))
    path = _workspace(tmp_path / "w.duckdb")
    with b2bcx.open_workspace(path) as ws:
        assert load_scores(ws.backend) is None
        first = analyze(ws.backend, encoder=HashingEncoder(), limit=5)
        second = analyze(ws.backend, encoder=HashingEncoder())
        third = analyze(ws.backend, encoder=HashingEncoder())
        scores = load_scores(ws.backend)
        emb = ws.backend.table("text_embeddings").count().execute()
    assert (first.scored, second.scored, third.scored) == (5, 3, 0)  # 8 non-empty comments
    assert scores is not None and len(scores) == 8 and int(emb) == 8
    assert scores.interaction_id.is_unique
    assert set(scores.interaction_id) == {f"i{k}" for k in (0, 1, 2, 3, 4, 5, 8, 9)}
    row = scores.set_index("interaction_id").loc["i0"]
    assert row.touchpoint_id == "TP-HOT" and row.stage == "operations"  # named verbatim
    assert set(json.loads(row.emotions)) == set(EMOTIONS)
    assert -1 <= row.sentiment <= 1


def test_new_labels_rescore_everything_and_keep_one_row_per_interaction(
    tmp_path: Path, random_head: EmotionHead, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.storage import textstore

    monkeypatch.setattr(EmotionHead, "load", classmethod(lambda cls, path=None: random_head))
    path = _workspace(tmp_path / "w.duckdb")
    with b2bcx.open_workspace(path) as ws:
        before = analyze(ws.backend, encoder=HashingEncoder())
        textstore.add_labels(ws.backend, [("invoice errors cost us a day", "effort", 1)])
        after = analyze(ws.backend, encoder=HashingEncoder())
        again = analyze(ws.backend, encoder=HashingEncoder())
        scores = load_scores(ws.backend)
        emb = ws.backend.table("text_embeddings").count().execute()
    assert before.model != after.model and "+labels-" in after.model
    assert (before.scored, after.scored, again.scored) == (8, 8, 0)
    assert scores is not None and len(scores) == 8 and set(scores.model) == {after.model}
    assert int(emb) == 8


def test_topics_are_stable_for_a_seed(
    tmp_path: Path, random_head: EmotionHead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmotionHead, "load", classmethod(lambda cls, path=None: random_head))
    path = _workspace(tmp_path / "w.duckdb")
    with b2bcx.open_workspace(path) as ws:
        with pytest.raises(ConfigurationError, match="text analyze"):
            topics(ws.backend)
        analyze(ws.backend, encoder=HashingEncoder())
        a = topics(ws.backend, k=3, seed=1)
        b = topics(ws.backend, k=3, seed=1)
        by = topics(ws.backend, k=3, seed=1, by="touchpoint")
        stored = ws.backend.table("text_scores").topic_id.notnull().sum().execute()
    assert a.equals(b)
    assert a.comments.sum() == 8 and a.label.str.len().min() > 0
    assert by.comments.sum() == 8 and "touchpoint_id" in by
    assert int(stored) == 8


def test_cli_score_jsonl_rows_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,comment\n1,Great service\n2,"Slow, slow support"\n3,\n')
    runner = CliRunner()
    res = runner.invoke(app, ["text", "score", "--input", str(src), "--column", "comment",
                              "--format", "jsonl", "--encoder", "hashing"])  # fmt: skip
    assert res.exit_code == 0, res.output
    objs = [json.loads(line) for line in res.output.strip().splitlines()]
    assert [o["row"] for o in objs] == [2, 3, 4]
    assert all(set(o) >= CONTRACT | {"goal_labels"} for o in objs)
    bad = runner.invoke(app, ["text", "score", "--input", str(src), "--column", "text",
                              "--encoder", "hashing"])  # fmt: skip
    assert bad.exit_code != 0 and "no column 'text'" in bad.output


def test_cli_train_validates_labels(tmp_path: Path) -> None:
    path = _workspace(tmp_path / "w.duckdb")
    labels = tmp_path / "l.csv"
    labels.write_text("text,label,value\nwe chased them for weeks,effort,1\n")
    runner = CliRunner()
    res = runner.invoke(app, ["text", "train", "--labels", str(labels), "-w", str(path)])
    assert res.exit_code == 0, res.output
    labels.write_text("text,label,value\nhello,joyful,1\n")
    res = runner.invoke(app, ["text", "train", "--labels", str(labels), "-w", str(path)])
    assert res.exit_code != 0 and "row 2, column label" in res.output


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting the texts it encodes."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Any, *, batch_size: int = 64) -> Any:
        self.seen += list(texts)
        return super().encode(texts, batch_size=batch_size)


def test_equal_comments_are_encoded_once_and_scored_alike(
    tmp_path: Path, random_head: EmotionHead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmotionHead, "load", classmethod(lambda cls, path=None: random_head))
    path = _workspace(tmp_path / "w.duckdb")
    with b2bcx.open_workspace(path) as ws:
        ws.backend.append("interactions", pa.table({
            "interaction_id": ["d1", "d2"], "stakeholder_id": ["s", "s"],
            "occurred_at": [dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 2)],
            "comment": ["Invoice had wrong prices again"] * 2,
        }))  # fmt: skip
        enc = CountingEncoder()
        result = analyze(ws.backend, encoder=enc)
        scores = load_scores(ws.backend)
        emb = ws.backend.table("text_embeddings").to_pandas().set_index("interaction_id")
    assert result.scored == 10 and result.encoded == 8  # 8 distinct texts
    assert enc.seen.count("Invoice had wrong prices again") == 1
    assert scores is not None
    same = scores.set_index("interaction_id").loc[["i1", "d1", "d2"]]
    assert same.sentiment.nunique() == 1 and same.emotions.nunique() == 1
    np.testing.assert_array_equal(np.asarray(emb.loc["d1", "embedding"]),
                                  np.asarray(emb.loc["i1", "embedding"]))  # fmt: skip


def test_topic_labels_skip_words_in_most_comments() -> None:
    from b2bcx.text.topics import label_topics

    texts = ["Liked: delivery. Disliked: nothing"] * 6 + ["Liked: invoice. Disliked: nothing"] * 6
    labels = label_topics(texts, np.array([0] * 6 + [1] * 6))
    assert "delivery" in labels[0] and "invoice" in labels[1]
    assert not any(w in label for label in labels.values() for w in ("liked", "disliked"))


def test_calibration_folds_into_the_head_and_keeps_decisions() -> None:
    """scripts/train_text.py's Platt step: over-confident probabilities become
    calibrated on held-out rows, the folded head gives the calibrated probabilities,
    and every decision stays the same."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_text.py"
    spec = importlib.util.spec_from_file_location("train_text", path)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 5))
    w_true = rng.normal(size=(5, 3))
    b_true = np.array([-3.0, -1.0, 0.5])
    y = (rng.random((4000, 3)) < 1 / (1 + np.exp(-(x @ w_true + b_true)))).astype(float)
    w, b = w_true * 3.0, b_true + 2.0  # an over-confident, shifted head
    p = 1 / (1 + np.exp(-(x @ w + b)))
    thresholds = np.array([0.5, 0.4, 0.6])
    w2, b2, t2, _, report = train.calibrate(w, b, thresholds, p, y, 0)
    assert report["ece_after"] < report["ece_before"] / 3
    assert report["brier_after"] < report["brier_before"]
    p2 = 1 / (1 + np.exp(-(x @ w2 + b2)))
    assert ((p2 >= t2) == (p >= thresholds)).all()
    assert train.ece(p2, y) < train.ece(p, y)
