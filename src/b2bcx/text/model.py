"""Scoring: one encoding per comment, every head on it."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend, textstore
from b2bcx.text.encoder import Encoder, MiniLM, default_encoder
from b2bcx.text.heads import EmotionHead, SeedHeads, seed_examples
from b2bcx.text.labels import (
    COGNITIVE,
    EKMAN,
    EKMAN_MAP,
    EMOTIONS,
    GOALS,
    SENTIMENT_MAP,
    VALUE_PROPOSITIONS,
)

#: Version of the heads and the scoring rules; part of the stored model name.
HEADS_VERSION = "1"
#: A comment matches a touchpoint when its similarity to the touchpoint's
#: description (name and cues) reaches this (cosine, MiniLM space).
TOUCHPOINT_MATCH = 0.35
BATCH = 512

_EMO = {e: i for i, e in enumerate(EMOTIONS)}
_VP_GOALS = {v: [g for g, (_, vv) in GOALS.items() if vv == v] for v in VALUE_PROPOSITIONS}


@dataclass(frozen=True)
class Catalogue:
    """The workspace's touchpoints as texts and their embeddings."""

    ids: tuple[str, ...]
    stages: tuple[str | None, ...]
    names: tuple[str, ...]
    embeddings: npt.NDArray[np.float32]

    @classmethod
    def from_backend(cls, backend: Backend, encoder: Encoder) -> Catalogue | None:
        """The latest version of every touchpoint with its cues, embedded once."""
        tps = backend.table("touchpoints").to_pandas()
        if tps.empty:
            return None
        tps = tps.sort_values("valid_from", na_position="first").drop_duplicates(
            "touchpoint_id", keep="last"
        )  # fmt: skip
        cues = backend.table("cues").to_pandas()
        described = []
        for r in tps.itertuples():
            mine = cues[cues.touchpoint_id == r.touchpoint_id].description.dropna().tolist()
            described.append(f"{r.name}. {'; '.join(mine)}".strip(". "))
        return cls(tuple(tps.touchpoint_id), tuple(tps.stage), tuple(tps.name),
                   encoder.encode(described))  # fmt: skip

    def match(
        self, embeddings: npt.ArrayLike, texts: Sequence[str]
    ) -> list[tuple[str | None, float, str | None]]:
        """Best touchpoint per text by meaning; a touchpoint named verbatim counts ≥ 0.6."""
        sims = np.asarray(embeddings, dtype=np.float64) @ self.embeddings.T.astype(np.float64)
        out: list[tuple[str | None, float, str | None]] = []
        for i, text in enumerate(texts):
            row = sims[i].copy()
            low = text.lower()
            for j, name in enumerate(self.names):
                if name and name.lower() in low:
                    row[j] = max(row[j], 0.6)
            j = int(row.argmax())
            if row[j] >= TOUCHPOINT_MATCH:
                out.append((self.ids[j], float(row[j]), self.stages[j]))
            else:
                out.append((None, float(row[j]), None))
        return out


class TextModel:
    """The encoder with every head; ``score`` turns texts into the contract objects."""

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        emotion_head: EmotionHead | None = None,
        user_labels: pd.DataFrame | None = None,
    ) -> None:
        self.encoder = encoder or default_encoder()
        self.emotions = emotion_head or EmotionHead.load()
        if self.emotions.branch and isinstance(self.encoder, MiniLM):
            # the head reads the fine-tuned last layer: run it beside the packaged one
            self.encoder.use_branch(self.emotions.branch)
        examples = seed_examples()
        extra: list[tuple[str, str, int]] = []
        extra_emb = None
        if user_labels is not None and not user_labels.empty:
            triples = zip(user_labels.text, user_labels.label, user_labels.value, strict=True)
            extra = [(str(t), str(lab), int(v)) for t, lab, v in triples]
            extra_emb = self.encoder.encode([t for t, _, _ in extra])
        self.seeds = SeedHeads.fit(self.encoder.encode([t for t, _ in examples]), examples,
                                   extra=extra, extra_embeddings=extra_emb)  # fmt: skip
        self.user_examples = len(extra)
        self._labels_tag = ""
        if extra:
            digest = hashlib.sha256(json.dumps(sorted(extra)).encode()).hexdigest()[:8]
            self._labels_tag = f"+labels-{digest}"

    @property
    def name(self) -> str:
        """Encoder and heads version (and a digest of the user's labelled examples),
        stored with every score: a new name makes ``analyze`` rescore everything."""
        base = f"{self.encoder.name}+heads{HEADS_VERSION}+{self.emotions.version}"
        return base + self._labels_tag

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts once (the stored sentence embeddings)."""
        return self.encode_views(texts)[0]

    def encode_views(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Sentence embeddings and emotion features in one pass (an encoder without
        ``encode_views`` gives its embeddings for both)."""
        views = getattr(self.encoder, "encode_views", None)
        if views is not None:
            emb, emo = views(list(texts))
            return np.asarray(emb, dtype=np.float32), np.asarray(emo, dtype=np.float32)
        emb = np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)
        return emb, emb

    def score_embeddings(
        self,
        embeddings: npt.ArrayLike,
        texts: Sequence[str],
        *,
        catalogue: Catalogue | None = None,
        explain: bool = True,
        emotion_features: npt.ArrayLike | None = None,
    ) -> list[dict[str, Any]]:
        """Every head on embeddings of ``texts`` → one dict per text.

        ``emotion_features`` are what the emotion head reads (from
        :meth:`encode_views`); without them it reads the embeddings.
        """
        e = np.asarray(embeddings, dtype=np.float64)
        emo = self.emotions.predict(e if emotion_features is None else emotion_features)
        decided = self.emotions.decide(emo)
        seeds = self.seeds.predict(e)
        col = {lab: i for i, lab in enumerate(self.seeds.labels)}
        matches = (
            catalogue.match(e, texts) if catalogue is not None else [(None, 0.0, None)] * len(texts)
        )
        nearest = {g: self.seeds.nearest(e, g) for g in GOALS} if explain else {}
        out = []
        for i in range(len(texts)):
            p = emo[i]
            groups = {k: float(sum(p[_EMO[x]] for x in v)) for k, v in SENTIMENT_MAP.items()}
            total = sum(groups.values()) + float(p[_EMO["neutral"]])
            sentiment = (groups["positive"] - groups["negative"]) / total if total > 0 else 0.0
            ekman = {k: float(max(p[_EMO[x]] for x in EKMAN_MAP[k])) for k in EKMAN}
            labels = decided[i]
            ekman_labels = sorted({k for k in EKMAN for x in labels if x in EKMAN_MAP[k]},
                                  key=EKMAN.index)  # fmt: skip
            goals = {g: float(seeds[i, col[g]]) for g in GOALS}
            vp = {v: 1.0 - float(np.prod([1.0 - goals[g] for g in _VP_GOALS[v]]))
                  for v in VALUE_PROPOSITIONS}  # fmt: skip
            levels = {lvl: max(goals[g] for g, (gl, _) in GOALS.items() if gl == lvl)
                      for lvl in ("organizational", "individual")}  # fmt: skip
            tp, tp_score, stage = matches[i]
            row: dict[str, Any] = {
                "sentiment": round(float(np.clip(sentiment, -1, 1)), 4),
                "emotions": {k: round(float(p[j]), 4) for j, k in enumerate(EMOTIONS)},
                "ekman": {k: round(v, 4) for k, v in ekman.items()},
                "goals": {k: round(v, 4) for k, v in goals.items()},
                "value_proposition": {k: round(v, 4) for k, v in vp.items()},
                "goal_level": {k: round(v, 4) for k, v in levels.items()},
                "effort": round(float(seeds[i, col["effort"]]), 4),
                "cognitive": {c: round(float(seeds[i, col[f"cognitive:{c}"]]), 4)
                              for c in COGNITIVE},
                "emotion_labels": labels,
                "ekman_labels": ekman_labels,
                "touchpoint": {"touchpoint_id": tp, "score": round(tp_score, 4), "stage": stage},
            }  # fmt: skip
            if explain:
                top_goal = max(goals, key=goals.__getitem__)
                top_emo = sorted(range(len(EMOTIONS)), key=lambda j: -p[j])[:2]
                row["explanation"] = {
                    "emotions": ", ".join(f"{EMOTIONS[j]} {p[j]:.2f}" for j in top_emo),
                    "goal": f"{top_goal} {goals[top_goal]:.2f}, closest seed: "
                            f"'{nearest[top_goal][i]}'",
                    "sentiment": f"positive {groups['positive']:.2f} vs negative "
                                 f"{groups['negative']:.2f} of all emotion evidence",
                }  # fmt: skip
            out.append(row)
        return out

    def score(
        self, texts: Sequence[str], *, catalogue: Catalogue | None = None
    ) -> list[dict[str, Any]]:
        """Encode and score ``texts``."""
        emb, emo = self.encode_views(texts)
        return self.score_embeddings(emb, texts, catalogue=catalogue, emotion_features=emo)


def score_texts(
    texts: list[str], *, encoder: Encoder | None = None, catalogue: Catalogue | None = None
) -> list[dict[str, Any]]:
    """Score texts (the objects of ``b2bcx text score``, without ``row``)."""
    return TextModel(encoder).score(texts, catalogue=catalogue)


@dataclass(frozen=True)
class AnalyzeResult:
    """What ``analyze`` did."""

    model: str
    scored: int
    seconds: float
    #: distinct texts encoded (equal comments are encoded once)
    encoded: int = 0

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"model": self.model, "scored": self.scored, "encoded": self.encoded,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def analyze(
    backend: Backend,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> AnalyzeResult:
    """Score every comment not yet scored by this model; store scores and embeddings.

    Incremental and safe to re-run: each batch is written in one transaction,
    and a comment scored before is skipped. On a ``spark://`` workspace the
    scoring is a Spark job over the partitions (:mod:`b2bcx.text.sparkjob`).
    """
    if backend.kind == "spark":
        from b2bcx.errors import ConfigurationError
        from b2bcx.storage.spark import SparkBackend
        from b2bcx.text.sparkjob import analyze_spark

        assert isinstance(backend, SparkBackend)
        if limit is not None:
            raise ConfigurationError("--limit is not available on a Spark workspace")
        return analyze_spark(backend, encoder=encoder)
    t0 = time.perf_counter()
    progress = progress if progress is not None else NO_PROGRESS
    model = TextModel(encoder, user_labels=textstore.read_labels(backend))
    catalogue = Catalogue.from_backend(backend, model.encoder)
    todo_expr = textstore.unscored_comments(backend, model.name)
    total = int(todo_expr.count().execute())
    if limit is not None:
        total = min(total, limit)
        todo_expr = todo_expr.limit(limit)
    todo = backend.to_arrow(todo_expr)
    # equal comments side by side, so each batch encodes each distinct text once
    todo = todo.take(pc.sort_indices(todo, sort_keys=[("comment", "ascending")]))
    progress.start("text analyze", total=total)
    done = encoded = 0
    for start in range(0, todo.num_rows, BATCH):
        part = todo.slice(start, BATCH)
        ids = part.column("interaction_id").to_pylist()
        texts = [str(t) for t in part.column("comment").to_pylist()]
        scores, vectors, distinct = score_batch(model, ids, texts, catalogue)
        textstore.write_scores(backend, scores, vectors)
        done += len(ids)
        encoded += distinct
        progress.advance("text analyze", len(ids))
    progress.finish("text analyze")
    return AnalyzeResult(model.name, done, time.perf_counter() - t0, encoded)


def score_batch(
    model: TextModel, ids: list[str], texts: list[str], catalogue: Catalogue | None
) -> tuple[pa.Table, pa.Table, int]:
    """Score one batch of comments as stored: each distinct text encoded once.

    Returns the ``text_scores`` rows, the ``text_embeddings`` rows and how many
    distinct texts were encoded (``analyze`` here, the Spark job per partition).
    """
    first: dict[str, int] = {}
    inverse = [first.setdefault(t, len(first)) for t in texts]
    distinct = list(first)
    emb, emo = model.encode_views(distinct)
    scored = model.score_embeddings(emb, distinct, catalogue=catalogue, explain=False,
                                    emotion_features=emo)  # fmt: skip
    scores = _scores_table(model.name, ids, [scored[j] for j in inverse])
    return scores, _embeddings_table(model.encoder.name, ids, emb[inverse]), len(distinct)


def _scores_table(model: str, ids: list[str], rows: list[dict[str, Any]]) -> pa.Table:
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    cols: dict[str, Any] = {
        "interaction_id": ids, "model": [model] * len(ids), "scored_at": [now] * len(ids),
        "sentiment": [r["sentiment"] for r in rows], "effort": [r["effort"] for r in rows],
    }  # fmt: skip
    for g in GOALS:
        cols[f"goal_{g}"] = [r["goals"][g] for r in rows]
    for v in VALUE_PROPOSITIONS:
        cols[f"vp_{v}"] = [r["value_proposition"][v] for r in rows]
    for key in ("emotions", "ekman", "emotion_labels", "ekman_labels", "cognitive"):
        cols[key] = [json.dumps(r[key]) for r in rows]
    cols["touchpoint_id"] = [r["touchpoint"]["touchpoint_id"] for r in rows]
    cols["touchpoint_score"] = [r["touchpoint"]["score"] for r in rows]
    cols["stage"] = [r["touchpoint"]["stage"] for r in rows]
    cols["topic_id"] = pa.array([None] * len(ids), pa.int64())
    return pa.table(cols)


def _embeddings_table(model: str, ids: list[str], emb: npt.NDArray[np.float32]) -> pa.Table:
    flat = pa.array(np.asarray(emb, dtype=np.float32).reshape(-1))
    lists = pa.FixedSizeListArray.from_arrays(flat, emb.shape[1]).cast(pa.list_(pa.float32()))
    return pa.table({"interaction_id": ids, "model": [model] * len(ids), "embedding": lists})
