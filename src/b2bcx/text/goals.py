"""Goal, value-proposition, level and business-sentiment heads trained on real
B2B sentences: the coded G2 corpus of issue 20 (``scripts/text_corpus.py``,
``benchmarks/text_codes/``), fitted by ``scripts/train_goals.py`` and shipped as
``data/goals_head.npz``.

Every goal head is a logistic regression on the packaged sentence embedding; the
sentiment head reads the embedding and the emotion features beside it (the
GoEmotions branch's pooled output, :mod:`b2bcx.text.branch`). A goal
(or value proposition, or level) is *decided* when its probability reaches the
threshold chosen by cross-validation grouped by review. A label that is too rare
in the corpus to learn (:data:`MIN_POSITIVES`) or whose cross-validated F1 stays
under :data:`MIN_F1` is *not learned*: its probability is still given, but it is
never decided, and the output says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError
from b2bcx.text.labels import GOALS, VALUE_PROPOSITIONS

FloatArray = npt.NDArray[np.float64]
GOALS_FILE = "goals_head.npz"
#: The levels of the goals (Wirtz et al. 2025, Table 1).
LEVELS: tuple[str, ...] = ("organizational", "individual")
#: Every label the trained heads predict: six goals, three value propositions
#: (``vp:<name>``) and two levels (``level:<name>``).
GOAL_HEAD_LABELS: tuple[str, ...] = (
    *GOALS,
    *(f"vp:{v}" for v in VALUE_PROPOSITIONS),
    *(f"level:{lvl}" for lvl in LEVELS),
)
#: A label needs at least this many coded positive sentences to be learned ...
MIN_POSITIVES = 50
#: ... and at least this cross-validated F1 (grouped by review) to be decided.
MIN_F1 = 0.5


def derived_labels(goals: set[str] | frozenset[str]) -> dict[str, int]:
    """Every head label (0/1) of a sentence coded with ``goals``: the goals, and
    the value propositions and levels they imply (Wirtz et al. 2025, Table 1).

    >>> derived_labels({"convenience"})["vp:relieving"], derived_labels({"convenience"})["level:individual"]
    (1, 1)
    """  # noqa: E501
    out = {g: int(g in goals) for g in GOALS}
    for v in VALUE_PROPOSITIONS:
        out[f"vp:{v}"] = int(any(GOALS[g][1] == v for g in goals if g in GOALS))
    for lvl in LEVELS:
        out[f"level:{lvl}"] = int(any(GOALS[g][0] == lvl for g in goals if g in GOALS))
    return out


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))
    return out


@dataclass(frozen=True)
class GoalHeads:
    """The trained heads (see the module docstring)."""

    labels: tuple[str, ...]
    coef: FloatArray  # labels × dim
    intercept: FloatArray  # labels
    thresholds: FloatArray  # labels
    positives: npt.NDArray[np.int64]  # coded positive sentences per label
    cv_f1: FloatArray  # cross-validated F1 per label at its threshold
    #: sentiment: a three-class (−1, 0, +1) logistic regression on the embedding
    #: and the emotion features side by side
    sentiment_coef: FloatArray  # 3 × (2 · dim)
    sentiment_intercept: FloatArray  # 3
    encoder: str
    version: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> GoalHeads:
        """The shipped heads (or ones saved at ``path``)."""
        if path is None:
            ref = resources.files("b2bcx.text").joinpath("data").joinpath(GOALS_FILE)
            with resources.as_file(ref) as file:
                return cls._read(Path(file))
        return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> GoalHeads:
        if not path.exists():
            raise ConfigurationError(
                f"{path}: the goal heads are missing; rebuild them with "
                "`python scripts/train_goals.py` (needs ../shared/data/g2-reviews)"
            )
        d = np.load(path, allow_pickle=False)
        f = np.float64
        return cls(tuple(str(x) for x in d["labels"]), d["coef"].astype(f),
                   d["intercept"].astype(f), d["thresholds"].astype(f),
                   d["positives"].astype(np.int64), d["cv_f1"].astype(f),
                   d["sentiment_coef"].astype(f), d["sentiment_intercept"].astype(f),
                   str(d["encoder"]), str(d["version"]))  # fmt: skip

    def save(self, path: str | Path) -> None:
        """Write the heads (float32 weights)."""
        arrays: dict[str, Any] = {
            "labels": np.array(self.labels), "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "thresholds": self.thresholds.astype(np.float32),
            "positives": self.positives.astype(np.int64),
            "cv_f1": self.cv_f1.astype(np.float32),
            "sentiment_coef": self.sentiment_coef.astype(np.float32),
            "sentiment_intercept": self.sentiment_intercept.astype(np.float32),
            "encoder": np.array(self.encoder), "version": np.array(self.version),
        }  # fmt: skip
        np.savez_compressed(path, **arrays)

    def learned(self, label: str) -> bool:
        """Whether ``label`` is decided (enough positives and CV F1 over the floor)."""
        j = self.labels.index(label)
        return bool(self.positives[j] >= MIN_POSITIVES and self.cv_f1[j] >= MIN_F1)

    def not_learned(self) -> dict[str, str]:
        """Each label that is never decided, with the reason."""
        out = {}
        for j, label in enumerate(self.labels):
            if self.positives[j] < MIN_POSITIVES:
                out[label] = (f"too rare to learn: {int(self.positives[j])} coded sentences "
                              f"(fewer than {MIN_POSITIVES})")  # fmt: skip
            elif self.cv_f1[j] < MIN_F1:
                out[label] = (f"not learned: cross-validated F1 {self.cv_f1[j]:.2f} "
                              f"under {MIN_F1:.2f}")  # fmt: skip
        return out

    def predict(self, embeddings: npt.ArrayLike) -> FloatArray:
        """Probabilities, one column per label of :attr:`labels`."""
        e = np.asarray(embeddings, dtype=np.float64)
        return _sigmoid(e @ self.coef.T + self.intercept)

    def decide(self, probabilities: FloatArray) -> npt.NDArray[np.bool_]:
        """Decided labels: over their threshold, and learned."""
        mask = np.array([self.learned(lab) for lab in self.labels])
        out: npt.NDArray[np.bool_] = (probabilities >= self.thresholds) & mask
        return out

    def sentiment_probabilities(
        self, embeddings: npt.ArrayLike, emotion_features: npt.ArrayLike
    ) -> FloatArray:
        """P(negative), P(neutral), P(positive) per row."""
        x = np.hstack([np.asarray(embeddings, dtype=np.float64),
                       np.asarray(emotion_features, dtype=np.float64)])  # fmt: skip
        z = x @ self.sentiment_coef.T
        z = z + self.sentiment_intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        out: FloatArray = p / p.sum(axis=1, keepdims=True)
        return out

    def sentiment(self, embeddings: npt.ArrayLike, emotion_features: npt.ArrayLike) -> FloatArray:
        """Business sentiment per row: P(positive) − P(negative), in −1 … 1."""
        p = self.sentiment_probabilities(embeddings, emotion_features)
        out: FloatArray = p[:, 2] - p[:, 0]
        return out

    def adapt(
        self,
        label: str,
        embeddings: npt.ArrayLike,
        values: npt.ArrayLike,
        *,
        strength: float = 0.25,
    ) -> GoalHeads:
        """The heads with ``label``'s regression refitted on the user's examples
        (``values`` 0/1), pulled towards the trained weights (an L2 penalty of
        ``strength`` on the distance to them; 0.25 is the training's own penalty,
        ``1 / (2C)`` with C = 2): a few examples nudge the head, many move it.
        Threshold and learned status stay."""
        from scipy.optimize import minimize

        j = self.labels.index(label)
        x = np.asarray(embeddings, dtype=np.float64)
        y = np.asarray(values, dtype=np.float64)
        w0 = np.concatenate([self.coef[j], [self.intercept[j]]])
        xb = np.hstack([x, np.ones((len(x), 1))])

        def loss(w: FloatArray) -> tuple[float, FloatArray]:
            p = _sigmoid(xb @ w)
            eps = 1e-12
            nll = -float(np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
            diff = w - w0
            grad = xb.T @ (p - y) + 2 * strength * diff
            return nll + strength * float(diff @ diff), grad

        w = minimize(loss, w0, jac=True, method="L-BFGS-B").x
        coef, intercept = self.coef.copy(), self.intercept.copy()
        coef[j], intercept[j] = w[:-1], w[-1]
        return GoalHeads(self.labels, coef, intercept, self.thresholds, self.positives,
                         self.cv_f1, self.sentiment_coef, self.sentiment_intercept,
                         self.encoder, self.version)  # fmt: skip
