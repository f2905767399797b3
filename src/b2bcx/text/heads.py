"""The heads that turn an embedding into probabilities.

- :class:`EmotionHead`: a linear layer (or a small network) on the emotion
  features, trained on GoEmotions by ``scripts/train_text.py`` together with a
  fine-tuned copy of the encoder's last layer (the *branch*,
  :mod:`b2bcx.text.branch`), shipped as ``data/goemotions_head.npz``, with a
  decision threshold per label tuned on the dev split;
- :class:`SeedHeads`: one logistic regression per label fitted on the embedded
  seed examples (``seeds.yaml``) plus the user's own labelled examples, for the
  goals, effort and cognitive responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from b2bcx.errors import ConfigurationError
from b2bcx.text.labels import COGNITIVE, EMOTIONS, GOALS

FloatArray = npt.NDArray[np.float64]
HEAD_FILE = "goemotions_head.npz"


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))
    return out


@dataclass(frozen=True)
class EmotionHead:
    """GoEmotions probabilities: ``sigmoid(F W + b)`` on the emotion features ``F``
    (or a network with ReLU between its layers)."""

    layers: tuple[tuple[FloatArray, FloatArray], ...]
    thresholds: FloatArray
    encoder: str
    version: str
    #: The fine-tuned last encoder layer the head reads (weight name → array, as
    #: in ``branch.LAYER_WEIGHTS``); empty: the head reads the sentence embedding
    branch: dict[str, npt.NDArray[np.floating[Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> EmotionHead:
        """The shipped head (or one saved at ``path``)."""
        if path is None:
            ref = resources.files("b2bcx.text").joinpath("data").joinpath(HEAD_FILE)
            with resources.as_file(ref) as file:
                return cls._read(Path(file))
        return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> EmotionHead:
        if not path.exists():
            raise ConfigurationError(
                f"{path}: the emotion head is missing; rebuild it with "
                "`python scripts/train_text.py` (needs ../shared/data/goemotions)"
            )
        data = np.load(path, allow_pickle=False)
        n = int(data["n_layers"])
        layers = tuple((data[f"w{i}"].astype(np.float64), data[f"b{i}"].astype(np.float64))
                       for i in range(n))  # fmt: skip
        branch = {k[len("branch:") :]: data[k] for k in data.files if k.startswith("branch:")}
        return cls(layers, data["thresholds"].astype(np.float64), str(data["encoder"]),
                   str(data["version"]), branch)  # fmt: skip

    def save(self, path: str | Path) -> None:
        """Write the head (float32 weights) and its branch (as stored, float16)."""
        arrays: dict[str, Any] = {"n_layers": np.array(len(self.layers)),
                                  "thresholds": self.thresholds.astype(np.float32),
                                  "encoder": np.array(self.encoder),
                                  "version": np.array(self.version)}  # fmt: skip
        for i, (w, b) in enumerate(self.layers):
            arrays[f"w{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        for name, value in self.branch.items():
            arrays[f"branch:{name}"] = np.asarray(value)
        np.savez_compressed(path, **arrays)

    def predict(self, embeddings: npt.ArrayLike) -> FloatArray:
        """Probabilities, one column per GoEmotions label."""
        h = np.asarray(embeddings, dtype=np.float64)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return _sigmoid(h)

    def decide(self, probabilities: FloatArray) -> list[list[str]]:
        """The labels over their tuned thresholds (neutral when none is)."""
        out = []
        neutral = EMOTIONS.index("neutral")
        for row in probabilities:
            chosen = [EMOTIONS[j] for j in np.flatnonzero(row >= self.thresholds)]
            out.append(chosen or [EMOTIONS[neutral]])
        return out


def load_seeds() -> dict[str, Any]:
    """The seed examples shipped with the package (``seeds.yaml``)."""
    text = resources.files("b2bcx.text").joinpath("seeds.yaml").read_text(encoding="utf-8")
    seeds: dict[str, Any] = yaml.safe_load(text)
    return seeds


def seed_examples(seeds: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(text, label) pairs: goals, ``effort``, ``cognitive:<kind>`` and ``none``."""
    seeds = seeds or load_seeds()
    pairs = [(t, g) for g, texts in seeds["goals"].items() for t in texts]
    pairs += [(t, "effort") for t in seeds["effort"]]
    pairs += [(t, f"cognitive:{k}") for k, texts in seeds["cognitive"].items() for t in texts]
    pairs += [(t, "none") for t in seeds["none"]]
    return pairs


#: The labels the seed heads predict.
SEED_LABELS: tuple[str, ...] = (*GOALS, "effort", *(f"cognitive:{c}" for c in COGNITIVE))


@dataclass
class SeedHeads:
    """One logistic regression per seed label on embeddings."""

    coef: FloatArray  # (labels × dim)
    intercept: FloatArray
    labels: tuple[str, ...]
    examples: list[tuple[str, str]]
    example_embeddings: FloatArray

    @classmethod
    def fit(
        cls,
        embeddings: npt.ArrayLike,
        texts_labels: list[tuple[str, str]],
        *,
        extra: list[tuple[str, str, int]] | None = None,
        extra_embeddings: npt.ArrayLike | None = None,
        c: float = 4.0,
    ) -> SeedHeads:
        """Fit on seed examples (each a positive of its label, a negative of the others)
        and optional user examples ``(text, label, 0|1)``."""
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(embeddings, dtype=np.float64)
        labels = [lab for _, lab in texts_labels]
        extra = extra or []
        xe = (np.asarray(extra_embeddings, dtype=np.float64) if extra
              else np.zeros((0, x.shape[1])))  # fmt: skip
        coef, intercept = [], []
        for label in SEED_LABELS:
            y = np.array([lab == label for lab in labels], dtype=int)
            xs, ys = x, y
            mine = [(i, v) for i, (_, lab, v) in enumerate(extra) if lab == label]
            if mine:
                xs = np.vstack([x, xe[[i for i, _ in mine]]])
                ys = np.concatenate([y, [v for _, v in mine]])
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            model.fit(xs, ys)
            coef.append(model.coef_[0])
            intercept.append(model.intercept_[0])
        return cls(np.array(coef), np.array(intercept), SEED_LABELS, texts_labels, x)

    def predict(self, embeddings: npt.ArrayLike) -> FloatArray:
        """Probabilities, one column per label of :data:`SEED_LABELS`."""
        e = np.asarray(embeddings, dtype=np.float64)
        return _sigmoid(e @ self.coef.T + self.intercept)

    def nearest(self, embeddings: npt.ArrayLike, label: str) -> list[str]:
        """For each row, the seed example of ``label`` closest to it (the explanation)."""
        idx = [i for i, (_, lab) in enumerate(self.examples) if lab == label]
        if not idx:
            return [""] * len(np.asarray(embeddings))
        sims = np.asarray(embeddings, dtype=np.float64) @ self.example_embeddings[idx].T
        return [self.examples[idx[int(j)]][0] for j in sims.argmax(axis=1)]
