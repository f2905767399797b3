"""What the analysed comments say, for people to read: the goals, emotions and
sentiment of the analysed comments with example sentences (the dashboard's text
page, the API's text result and the report's text section).

Examples quote the sentence that carries the goal, emotion or complaint (stored
with the scores, ``text_scores.sentences``), not the whole comment; scores
stored before sentences were kept fall back to the whole comment.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.model.enums import STAGE_ORDER
from b2bcx.storage import Backend, textstore
from b2bcx.text.labels import EKMAN, EKMAN_MAP, GOALS

__all__ = ["text_insights"]


def _json_means(column: pd.Series, labels: tuple[str, ...]) -> dict[str, float]:
    """Mean probability of each label over a column of JSON ``{label: p}`` texts."""
    parsed = [json.loads(v) if isinstance(v, str) and v else {} for v in column]
    frame = pd.DataFrame.from_records(parsed, columns=list(labels)).astype(float)
    return {k: float(frame[k].mean()) for k in labels if k in frame and frame[k].notna().any()}


def _not_learned() -> dict[str, str]:
    """The goals the shipped heads never decide, with the reason (empty without them)."""
    try:
        from b2bcx.text.goals import GoalHeads

        return {g: why for g, why in GoalHeads.load().not_learned().items() if g in GOALS}
    except Exception:  # the heads are optional here: insights read stored scores
        return {}


def _carrier(
    sentences: list[dict[str, Any]], *, goal: str | None = None, emotion: str | None = None
) -> str | None:
    """The sentence of a comment that carries ``goal`` (decided in it) or the Ekman
    ``emotion`` (one of its decided emotions in that group); None when none does."""
    for s in sentences:
        if goal is not None and goal in s.get("goals", []):
            return str(s["text"])
        if emotion is not None and set(s.get("emotions", [])) & set(EKMAN_MAP[emotion]):
            return str(s["text"])
    return None


def _quotes(sentences: dict[str, list[dict[str, Any]]], n: int) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` most negative and most positive sentences (one per comment, equal
    sentences once): ``interaction_id``, ``sentence``, ``sentiment``."""
    flat = [(float(s.get("sentiment", 0.0)), i, str(s["text"]))
            for i, v in sentences.items() for s in v]  # fmt: skip
    out: dict[str, list[dict[str, Any]]] = {}
    for key, ordered in (("complaints", sorted(flat)), ("praise", sorted(flat, reverse=True))):
        chosen: list[dict[str, Any]] = []
        seen: set[str] = set()
        for value, i, text in ordered:
            if (key == "complaints" and value >= 0) or (key == "praise" and value <= 0):
                break
            norm = " ".join(text.lower().split())
            if i in seen or norm in seen:
                continue
            seen |= {i, norm}
            chosen.append({"interaction_id": i, "sentence": text, "sentiment": round(value, 4)})
            if len(chosen) == n:
                break
        out[key] = chosen
    return out


def _people(backend: Backend, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Each interaction's person and account (``stakeholder_id``, ``account_id``)."""
    it = backend.table("interactions").select("interaction_id", "stakeholder_id")
    it = it.filter(it.interaction_id.isin(ids))
    sh = backend.table("stakeholders").select("stakeholder_id", "account_id").distinct()
    joined = it.left_join(sh, it.stakeholder_id == sh.stakeholder_id)
    rows = backend.to_arrow(
        joined.select(it.interaction_id, it.stakeholder_id, sh.account_id)
    ).to_pylist()
    return {str(r["interaction_id"]): (r["stakeholder_id"], r["account_id"]) for r in rows}


def text_insights(backend: Backend, *, examples: int = 3) -> dict[str, Any] | None:
    """What the analysed comments say: goals, emotions, sentiment, with examples.

    ``None`` when no comment was analysed (run ``b2bcx text analyze``). Goal and
    emotion shares are mean probabilities over analysed comments; ``detected``
    counts the comments with the goal decided in one of their sentences (a goal
    the heads do not learn carries ``not_learned``, the reason). Each goal and
    Ekman emotion comes with examples from the comments that express it most
    clearly: ``sentence`` quotes the sentence that carries it, ``comment`` is the
    whole comment. ``complaints`` and ``praise`` quote the most negative and most
    positive sentences. Every quote names its ``interaction_id``, the person
    (``stakeholder_id``) and the ``account_id``, so it links to its account.
    """
    scores = textstore.read_scores(backend)
    if scores is None or scores.empty:
        return None
    comments = backend.table("interactions").select("interaction_id", "comment")
    scores = scores.sort_values("scored_at").drop_duplicates("interaction_id", keep="last")
    ids = scores.interaction_id.tolist()

    def _examples(order: pd.Series) -> list[str]:
        """Candidate ids, clearest first (de-duplicated by text below)."""
        top = order.nlargest(examples * 20).index
        return [str(i) for i in scores.loc[top, "interaction_id"]]

    stored = [textstore.sentences_of(v) for v in scores.get("sentences", [None] * len(scores))]
    sentences = dict(zip(scores.interaction_id.astype(str), stored, strict=True))
    has_sentences = any(stored)
    not_learned = _not_learned()
    goals: list[dict[str, Any]] = []
    for goal, (level, vp) in GOALS.items():
        col = scores.get(f"goal_{goal}")
        if col is None or col.isna().all():
            continue
        if has_sentences:  # decided in some sentence of the comment
            detected = sum(any(goal in x.get("goals", []) for x in v) for v in stored)
        else:
            detected = int((col >= 0.5).sum())
        row: dict[str, Any] = {
            "goal": goal,
            "level": level,
            "value_proposition": vp,
            "share": float(col.mean()),
            "detected": int(detected),
            "example_ids": _examples(col),
        }
        if goal in not_learned:
            row["not_learned"] = not_learned[goal]
        goals.append(row)
    ekman = _json_means(scores.ekman, EKMAN) if "ekman" in scores else {}
    ekman_rows: list[dict[str, Any]] = []
    if ekman:
        parsed = pd.DataFrame.from_records(
            [json.loads(v) if isinstance(v, str) and v else {} for v in scores.ekman],
            columns=list(EKMAN),
            index=scores.index,
        ).astype(float)
        for label in EKMAN:
            if label in ekman:
                ekman_rows.append(
                    {
                        "emotion": label,
                        "share": ekman[label],
                        "example_ids": _examples(parsed[label].fillna(0)),
                    }
                )
    labels: dict[str, int] = {}
    for value in scores["emotion_labels"] if "emotion_labels" in scores.columns else []:
        for label in json.loads(value) if isinstance(value, str) and value else []:
            labels[label] = labels.get(label, 0) + 1
    by_stage = (
        scores.dropna(subset=["stage"])
        .assign(_order=lambda f: f.stage.map({st.value: k for k, st in enumerate(STAGE_ORDER)}))
        .sort_values("_order")
        .groupby("stage", sort=False)
        .sentiment.agg(["mean", "size"])
        .reset_index()
        .rename(columns={"mean": "sentiment", "size": "comments"})
        if "stage" in scores
        else pd.DataFrame()
    )
    vps = {
        vp: float(scores[f"vp_{vp}"].mean())
        for vp in ("relieving", "enabling", "enriching")
        if f"vp_{vp}" in scores
    }
    quotes = _quotes(sentences, examples)
    wanted = {i for row in [*goals, *ekman_rows] for i in row["example_ids"]}
    wanted |= {q["interaction_id"] for v in quotes.values() for q in v}
    texts: dict[str, str] = {}
    people: dict[str, tuple[str | None, str | None]] = {}
    if wanted:
        rows = backend.to_arrow(comments.filter(comments.interaction_id.isin(sorted(wanted))))
        texts = {r["interaction_id"]: r["comment"] for r in rows.to_pylist()}
        people = _people(backend, sorted(wanted))
    for v in quotes.values():
        for q in v:
            q["stakeholder_id"], q["account_id"] = people.get(q["interaction_id"], (None, None))
    for row in [*goals, *ekman_rows]:
        chosen: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i in row.pop("example_ids"):
            text = texts.get(i)
            quote = _carrier(sentences.get(i, []), goal=row.get("goal"),
                             emotion=row.get("emotion"))  # fmt: skip
            if has_sentences and quote is None:
                continue  # no sentence of this comment carries it
            key = " ".join((quote or text or i).lower().split())
            if key in seen:
                continue
            seen.add(key)
            who, account = people.get(i, (None, None))
            chosen.append({"interaction_id": i, "comment": text, "sentence": quote or text,
                           "stakeholder_id": who, "account_id": account})  # fmt: skip
            if len(chosen) == examples:
                break
        row["examples"] = chosen
    sentiment = scores.sentiment.astype(float)
    return {
        "comments": len(ids),
        "model": str(scores.model.mode().iloc[0]) if "model" in scores else None,
        "sentiment": {
            "mean": float(sentiment.mean()),
            "positive": float((sentiment > 0.05).mean()),
            "negative": float((sentiment < -0.05).mean()),
        },
        "effort": float(scores.effort.mean()) if "effort" in scores else None,
        "goals": goals,
        "value_propositions": vps,
        "ekman": ekman_rows,
        "emotion_labels": dict(sorted(labels.items(), key=lambda kv: -kv[1])),
        "complaints": quotes["complaints"],
        "praise": quotes["praise"],
        "by_stage": [
            {k: (float(v) if isinstance(v, np.floating) else v) for k, v in r.items()}
            for r in by_stage.to_dict("records")
        ],
    }
