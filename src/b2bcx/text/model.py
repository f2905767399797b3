"""Scoring: each comment split into sentences, each distinct sentence encoded
once, every head on it, the sentence scores rolled up to the comment."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections import OrderedDict
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
from b2bcx.text.goals import LEVELS, GoalHeads
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
from b2bcx.text.sentences import MAIN_WEIGHT, comment_sentences, contrast_clauses

#: Version of the heads and the scoring rules; part of the stored model name
#: (4: sentences are scored without an import's field label, "Disliked: ...").
HEADS_VERSION = "4"
#: A comment matches a touchpoint when its similarity to the touchpoint's
#: description (name and cues) reaches this (cosine, MiniLM space).
TOUCHPOINT_MATCH = 0.35
BATCH = 512
#: Encoder outputs kept per model for texts seen before (sentences repeat across
#: comments and batches: survey answers, templates); about 3 kB each.
CACHE_TEXTS = 50_000

_EMO = {e: i for i, e in enumerate(EMOTIONS)}


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


#: Emotions whose probability a clearly positive business sentence scales down
#: (Google's negative sentiment group): see :func:`gate_emotions`.
_NEGATIVE_EMOTIONS = np.array([_EMO[e] for e in SENTIMENT_MAP["negative"]])


def gate_emotions(probabilities: npt.ArrayLike, positive: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """GoEmotions probabilities recalibrated for business text: each negative
    emotion's probability times ``1 − P(positive)`` of the business sentiment
    head, so praise ("the reports are killer") is not read as disgust or fear
    (GoEmotions is Reddit). Other emotions are unchanged.

    >>> gate_emotions(np.full((1, 28), 0.5), [0.9])[0, [_EMO["disgust"], _EMO["joy"]]]
    array([0.05, 0.5 ])
    """
    p = np.array(probabilities, dtype=np.float64)
    keep = 1.0 - np.asarray(positive, dtype=np.float64)
    p[:, _NEGATIVE_EMOTIONS] *= keep[:, None]
    return p


#: Clauses of a contrast "differ" when their sentiments have opposite signs and
#: each is at least this far from 0.
POLARITY_MARGIN = 0.2


def mixed_sentiment(
    sentence: npt.ArrayLike,
    conceded: npt.ArrayLike,
    main: npt.ArrayLike,
    *,
    main_weight: float = MAIN_WEIGHT,
    always: bool = False,
    margin: float = POLARITY_MARGIN,
    complaint_only: bool = False,
) -> npt.NDArray[np.float64]:
    """Sentiment probabilities (negative, neutral, positive) of a sentence with
    two contrasting clauses (:func:`~b2bcx.text.sentences.contrast_clauses`):
    ``main_weight`` of its main clause's and the rest of its conceded clause's,
    so "Good platform concept, poorly delivered!" does not read as its praise.

    By default (what ships) only where the clauses' sentiments have opposite
    signs, each at least ``margin`` from 0 (``complaint_only``: and the main
    clause is the negative one); elsewhere the whole sentence's probabilities.
    ``always=True`` mixes every contrast. Rows or single vectors.

    >>> mixed_sentiment([0.1, 0.1, 0.8], [0.0, 0.1, 0.9], [0.8, 0.1, 0.1]).round(2)
    array([0.48, 0.1 , 0.42])
    >>> mixed_sentiment([0.1, 0.1, 0.8], [0.0, 0.2, 0.8], [0.0, 0.1, 0.9])
    array([0.1, 0.1, 0.8])
    """
    whole = np.asarray(sentence, dtype=np.float64)
    c, m = np.asarray(conceded, dtype=np.float64), np.asarray(main, dtype=np.float64)
    mixed = (1.0 - main_weight) * c + main_weight * m
    if always:
        return mixed
    sc, sm = c[..., 2] - c[..., 0], m[..., 2] - m[..., 0]
    differ = (sc * sm < 0) & (np.abs(sc) >= margin) & (np.abs(sm) >= margin)
    if complaint_only:
        differ = differ & (sm < 0)
    out: npt.NDArray[np.float64] = np.where(np.asarray(differ)[..., None], mixed, whole)
    return out


@dataclass(frozen=True)
class SentenceScores:
    """Every head on each distinct sentence of a batch (rows align with ``texts``)."""

    texts: tuple[str, ...]
    embeddings: npt.NDArray[np.float32]
    goal_probabilities: npt.NDArray[np.float64]  # sentences × GOAL_HEAD_LABELS
    goal_decided: npt.NDArray[np.bool_]
    sentiment: npt.NDArray[np.float64]  # P(positive) − P(negative)
    emotions: npt.NDArray[np.float64]  # gated GoEmotions probabilities
    emotions_raw: npt.NDArray[np.float64]  # as the GoEmotions head gives them
    emotion_labels: tuple[tuple[str, ...], ...]
    seeds: npt.NDArray[np.float64]  # sentences × SEED_LABELS (effort, cognitive)


class TextModel:
    """The encoder with every head; ``score`` turns texts into the contract objects.

    A comment is split into sentences (:func:`~b2bcx.text.sentences.comment_sentences`);
    each distinct sentence of a batch is encoded once and scored by every head,
    and the sentence scores are rolled up to the comment (docs/text.md):

    - a goal, value proposition or level is decided for the comment when any
      sentence carries it; its probability is the highest of its sentences;
    - sentiment is the mean of the sentence sentiments (business sentiment head),
      so the praise in one sentence and the complaint in the next both count;
    - effort and cognitive judgements: the highest of the sentences;
    - emotions: per label the highest probability of the sentences; the decided
      labels are the union of the sentences' (``neutral`` only when nothing else);
    - the stored comment embedding is the normalized mean of its sentences'.
    """

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        emotion_head: EmotionHead | None = None,
        user_labels: pd.DataFrame | None = None,
        goal_heads: GoalHeads | None = None,
    ) -> None:
        self.encoder = encoder or default_encoder()
        self.emotions = emotion_head or EmotionHead.load()
        if self.emotions.branch and isinstance(self.encoder, MiniLM):
            # the head reads the fine-tuned last layer: run it beside the packaged one
            self.encoder.use_branch(self.emotions.branch)
        goals = goal_heads or GoalHeads.load()
        examples = seed_examples()
        extra: list[tuple[str, str, int]] = []
        extra_emb = None
        if user_labels is not None and not user_labels.empty:
            triples = zip(user_labels.text, user_labels.label, user_labels.value, strict=True)
            extra = [(str(t), str(lab), int(v)) for t, lab, v in triples]
            extra_emb = self.encoder.encode([t for t, _, _ in extra])
        self.seeds = SeedHeads.fit(self.encoder.encode([t for t, _ in examples]), examples,
                                   extra=extra, extra_embeddings=extra_emb)  # fmt: skip
        for label in GOALS:  # the user's goal examples adapt the trained goal heads
            mine = [k for k, (_, lab, _) in enumerate(extra) if lab == label]
            if mine and extra_emb is not None:
                goals = goals.adapt(label, np.asarray(extra_emb)[mine],
                                    [extra[k][2] for k in mine])  # fmt: skip
        self.goals = goals
        self.not_learned = {g: why for g, why in goals.not_learned().items() if g in GOALS}
        self._col = {lab: i for i, lab in enumerate(goals.labels)}
        self.user_examples = len(extra)
        self._labels_tag = ""
        self._cache: OrderedDict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]
        self._cache = OrderedDict()
        #: texts (sentences and clauses) the encoder has run on, cache misses only
        self.encoded = 0
        if extra:
            digest = hashlib.sha256(json.dumps(sorted(extra)).encode()).hexdigest()[:8]
            self._labels_tag = f"+labels-{digest}"

    @property
    def name(self) -> str:
        """Encoder and heads version (and a digest of the user's labelled examples),
        stored with every score: a new name makes ``analyze`` rescore everything."""
        base = f"{self.encoder.name}+heads{HEADS_VERSION}+{self.emotions.version}"
        return f"{base}+{self.goals.version}{self._labels_tag}"

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts once (sentence embeddings of the texts as they are)."""
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

    def clear_cache(self) -> None:
        """Forget the cached encoder outputs (benchmarks time a cold model)."""
        self._cache.clear()

    def encode_cached(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """:meth:`encode_views` of distinct ``texts``, each text the model encoded
        before (within the last :data:`CACHE_TEXTS`) taken from its cache."""
        cache = self._cache
        todo = list(dict.fromkeys(t for t in texts if t not in cache))
        self.encoded += len(todo)
        if todo:
            emb, emo = self.encode_views(todo)
            for k, t in enumerate(todo):
                cache[t] = (emb[k], emo[k])
        dim = self.encoder.dim
        out_emb = np.zeros((len(texts), dim), dtype=np.float32)
        out_emo = np.zeros((len(texts), dim), dtype=np.float32)
        for k, t in enumerate(texts):
            out_emb[k], out_emo[k] = cache[t]
            cache.move_to_end(t)
        while len(cache) > CACHE_TEXTS:
            cache.popitem(last=False)
        return out_emb, out_emo

    def score_sentences(
        self,
        texts: Sequence[str],
        embeddings: npt.ArrayLike | None = None,
        emotion_features: npt.ArrayLike | None = None,
    ) -> SentenceScores:
        """Every head on each of ``texts`` taken as one unit (encoded here unless
        ``embeddings`` are given; the emotion head reads ``emotion_features``, else
        the embeddings)."""
        pairs = [contrast_clauses(t) for t in texts]
        clauses = list(dict.fromkeys(c for pair in pairs if pair for c in pair))
        if embeddings is None:
            emb, emo_features = self.encode_cached([*texts, *clauses])
            clause_emb, clause_emo = emb[len(texts) :], emo_features[len(texts) :]
            emb, emo_features = emb[: len(texts)], emo_features[: len(texts)]
        else:
            emb = np.asarray(embeddings, dtype=np.float32)
            emo_features = emb if emotion_features is None else np.asarray(emotion_features)
            clause_emb, clause_emo = self.encode_cached(clauses)
        e = np.asarray(emb, dtype=np.float64)
        probs = self.goals.predict(e)
        sentiment_p = self.goals.sentiment_probabilities(e, emo_features)
        if clauses:  # mixed sentences: the main clause of a contrast weighs more
            clause_p = self.goals.sentiment_probabilities(clause_emb, clause_emo)
            row = {c: k for k, c in enumerate(clauses)}
            for i, pair in enumerate(pairs):
                if pair is not None:
                    sentiment_p[i] = mixed_sentiment(
                        sentiment_p[i], clause_p[row[pair[0]]], clause_p[row[pair[1]]], always=False
                    )
        raw = self.emotions.predict(emo_features)
        gated = gate_emotions(raw, sentiment_p[:, 2])
        decided = tuple(tuple(x) for x in self.emotions.decide(gated))
        return SentenceScores(tuple(texts), emb, probs, self.goals.decide(probs),
                              sentiment_p[:, 2] - sentiment_p[:, 0], gated, raw, decided,
                              self.seeds.predict(e))  # fmt: skip

    def score_comments(
        self,
        texts: Sequence[str],
        *,
        catalogue: Catalogue | None = None,
        explain: bool = True,
    ) -> tuple[list[dict[str, Any]], npt.NDArray[np.float32], int]:
        """Score comments sentence by sentence (class docstring): the contract
        objects, the comment embeddings (normalized mean of their sentences') and
        how many texts the encoder ran on (distinct sentences and contrast
        clauses not in the model's cache)."""
        before = self.encoded
        units = [comment_sentences(t) for t in texts]
        first: dict[str, int] = {}
        for sents in units:
            for sent in sents:
                first.setdefault(sent, len(first))
        scored = self.score_sentences(list(first))
        rows_of = [[first[sent] for sent in sents] for sents in units]
        dim = scored.embeddings.shape[1] if len(first) else self.encoder.dim
        comment_emb = np.zeros((len(texts), dim), dtype=np.float32)
        for i, rows in enumerate(rows_of):
            v = scored.embeddings[rows].mean(axis=0)
            norm = float(np.linalg.norm(v))
            comment_emb[i] = v / norm if norm > 0 else v
        matches = (catalogue.match(comment_emb, texts) if catalogue is not None
                   else [(None, 0.0, None)] * len(texts))  # fmt: skip
        out = [self._rollup(scored, rows, units[i], matches[i], explain)
               for i, rows in enumerate(rows_of)]  # fmt: skip
        return out, comment_emb, self.encoded - before

    def _rollup(
        self,
        s: SentenceScores,
        rows: list[int],
        sentences: list[str],
        match: tuple[str | None, float, str | None],
        explain: bool,
    ) -> dict[str, Any]:
        """One comment's object from its sentences' scores."""
        col = self._col
        seed_col = {lab: i for i, lab in enumerate(self.seeds.labels)}
        probs = s.goal_probabilities[rows]
        decided = s.goal_decided[rows]
        top = probs.max(axis=0)
        p = s.emotions[rows].max(axis=0)
        labels_set = {x for r in rows for x in s.emotion_labels[r]}
        if len(labels_set) > 1:
            labels_set.discard("neutral")
        labels = [e for e in EMOTIONS if e in labels_set]
        ekman = {k: float(max(p[_EMO[x]] for x in EKMAN_MAP[k])) for k in EKMAN}
        ekman_labels = [k for k in EKMAN if any(x in EKMAN_MAP[k] for x in labels)]
        sent = s.sentiment[rows]
        seeds = s.seeds[rows].max(axis=0)
        goals = {g: float(top[col[g]]) for g in GOALS}
        goal_labels = [g for g in GOALS if decided[:, col[g]].any()]
        vp = {v: float(top[col[f"vp:{v}"]]) for v in VALUE_PROPOSITIONS}
        levels = {lvl: float(top[col[f"level:{lvl}"]]) for lvl in LEVELS}
        groups = {k: float(sum(p[_EMO[x]] for x in v)) for k, v in SENTIMENT_MAP.items()}
        total = sum(groups.values()) + float(p[_EMO["neutral"]])
        tp, tp_score, stage = match
        row: dict[str, Any] = {
            "sentiment": round(float(np.clip(sent.mean(), -1, 1)), 4),
            "emotions": {k: round(float(p[j]), 4) for j, k in enumerate(EMOTIONS)},
            "ekman": {k: round(v, 4) for k, v in ekman.items()},
            "goals": {k: round(v, 4) for k, v in goals.items()},
            "value_proposition": {k: round(v, 4) for k, v in vp.items()},
            "goal_level": {k: round(v, 4) for k, v in levels.items()},
            "effort": round(float(seeds[seed_col["effort"]]), 4),
            "cognitive": {c: round(float(seeds[seed_col[f"cognitive:{c}"]]), 4)
                          for c in COGNITIVE},
            "emotion_labels": labels,
            "ekman_labels": ekman_labels,
            "touchpoint": {"touchpoint_id": tp, "score": round(tp_score, 4), "stage": stage},
            "goal_labels": goal_labels,
            "value_proposition_labels": [v for v in VALUE_PROPOSITIONS
                                         if decided[:, col[f"vp:{v}"]].any()],
            "goal_level_labels": [lvl for lvl in LEVELS
                                  if decided[:, col[f"level:{lvl}"]].any()],
            "goals_not_learned": dict(self.not_learned),
            "emotion_sentiment": round(
                (groups["positive"] - groups["negative"]) / total if total > 0 else 0.0, 4),
            "sentences": [
                {"text": text, "sentiment": round(float(s.sentiment[r]), 4),
                 "goal_labels": [g for g in GOALS if s.goal_decided[r, col[g]]],
                 "effort": round(float(s.seeds[r, seed_col["effort"]]), 4),
                 "emotion_labels": list(s.emotion_labels[r])}
                for text, r in zip(sentences, rows, strict=True)
            ],
        }  # fmt: skip
        if explain:
            top_goal = max(goals, key=goals.__getitem__)
            carrier = sentences[int(probs[:, col[top_goal]].argmax())]
            top_emo = sorted(range(len(EMOTIONS)), key=lambda j: -p[j])[:2]
            low = int(sent.argmin())
            row["explanation"] = {
                "emotions": ", ".join(f"{EMOTIONS[j]} {p[j]:.2f}" for j in top_emo),
                "goal": f"{top_goal} {goals[top_goal]:.2f}, in the sentence '{carrier}'"
                        + (f" ({top_goal}: {self.not_learned[top_goal]})"
                           if top_goal in self.not_learned else ""),
                "sentiment": f"mean of {len(rows)} sentence sentiment(s); lowest "
                             f"{sent[low]:+.2f}: '{sentences[low]}'",
            }  # fmt: skip
        return row

    def score_embeddings(
        self,
        embeddings: npt.ArrayLike,
        texts: Sequence[str],
        *,
        catalogue: Catalogue | None = None,
        explain: bool = True,
        emotion_features: npt.ArrayLike | None = None,
    ) -> list[dict[str, Any]]:
        """Every head on given embeddings of ``texts``, each text taken as one
        sentence (no splitting) → one dict per text.

        ``emotion_features`` are what the emotion head reads (from
        :meth:`encode_views`); without them it reads the embeddings.
        """
        s = self.score_sentences(texts, embeddings, emotion_features)
        matches = (catalogue.match(s.embeddings, texts) if catalogue is not None
                   else [(None, 0.0, None)] * len(texts))  # fmt: skip
        return [self._rollup(s, [i], [t], matches[i], explain) for i, t in enumerate(texts)]

    def score(
        self, texts: Sequence[str], *, catalogue: Catalogue | None = None
    ) -> list[dict[str, Any]]:
        """Score ``texts`` sentence by sentence (the objects of ``b2bcx text score``)."""
        return self.score_comments(texts, catalogue=catalogue)[0]


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
    #: texts the encoder ran on (each distinct sentence or contrast clause once per run)
    encoded: int = 0

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"model": self.model, "scored": self.scored, "encoded": self.encoded,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def analyze_local(
    backend: Backend,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> AnalyzeResult:
    """Score every comment not yet scored by this model; store scores and embeddings.

    Incremental and safe to re-run: each batch is written in one transaction,
    and a comment scored before is skipped. A DuckDB or PostgreSQL workspace;
    :func:`b2bcx.text.analysis.analyze` chooses between this and the Spark job.
    """
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
    texts the encoder ran on (``analyze`` here, the Spark job per partition).
    """
    first: dict[str, int] = {}
    inverse = [first.setdefault(t, len(first)) for t in texts]
    distinct = list(first)
    scored, emb, sentences = model.score_comments(distinct, catalogue=catalogue, explain=False)
    scores = _scores_table(model.name, ids, [scored[j] for j in inverse])
    return scores, _embeddings_table(model.encoder.name, ids, emb[inverse]), sentences


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
    # the sentences with what each carries (quoted by text_insights); stored where
    # the workspace has the column (migration 9)
    cols["sentences"] = [json.dumps(_stored_sentences(r), ensure_ascii=False) for r in rows]
    return pa.table(cols)


def _stored_sentences(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A comment's sentences as stored: text, sentiment, decided goals and
    emotions, effort."""
    return [{"text": s["text"], "sentiment": s["sentiment"], "goals": s["goal_labels"],
             "emotions": s["emotion_labels"], "effort": s["effort"]}
            for s in row["sentences"]]  # fmt: skip


def _embeddings_table(model: str, ids: list[str], emb: npt.NDArray[np.float32]) -> pa.Table:
    flat = pa.array(np.asarray(emb, dtype=np.float32).reshape(-1))
    lists = pa.FixedSizeListArray.from_arrays(flat, emb.shape[1]).cast(pa.list_(pa.float32()))
    return pa.table({"interaction_id": ids, "model": [model] * len(ids), "embedding": lists})
