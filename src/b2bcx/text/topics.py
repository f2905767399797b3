"""Topics: comments grouped into readable themes.

k-means on the stored comment embeddings (scikit-learn, fixed seed, so the same
workspace gives the same topics), k chosen by the silhouette over a small range.
Each topic is named by a short phrase: its most distinctive two- and three-word
phrases (class-based TF-IDF over phrases that neither start nor end with a stop
word), with its most distinctive words beside them (``keywords``). Its examples
are sentences, not whole comments: from the comments nearest the centre, the
sentence that best matches the topic's phrases and words, near-duplicates
removed; each quote links to its interaction, stakeholder and account. The
topic's spread over accounts, touchpoints and stages comes with ``by``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.storage import Backend, textstore
from b2bcx.text.sentences import comment_sentences, without_field_label

_WORD = re.compile(r"[a-z][a-z'-]{2,}")
STOPWORDS = frozenset(
    """
    the and for with that this was were are have has had
    but not you your our they their them from all very just
    more most been will would could should can about into than then
    there what when which who why how also only some any its
    it's we're i'm don't didn't isn't was wasn't one two get got
    out over again because after before being both each few other such
    own same too under until while where here these those does did
    doing his her him she he me my myself ours yourself themselves
    itself us
    """.split()  # noqa: SIM905
)  # fmt: skip
BY = {"account": "account_id", "touchpoint": "touchpoint_id", "stage": "stage"}


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def label_topics(texts: list[str], assignment: np.ndarray, *, top: int = 4) -> dict[int, str]:
    """Class-based TF-IDF labels: the words most over-represented in each topic.

    Words in more than half of all comments (with ten or more comments) never
    label a topic: they are the corpus's own boilerplate (e.g. the section
    headings of a review form), not a theme.
    """
    counts: dict[int, Counter[str]] = {int(k): Counter() for k in np.unique(assignment)}
    overall: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for text, k in zip(texts, assignment, strict=True):
        words = _words(text)
        counts[int(k)].update(words)
        overall.update(words)
        documents.update(set(words))
    common = {w for w, n in documents.items() if n > len(texts) / 2} if len(texts) >= 10 else set()
    total = sum(overall.values()) or 1
    labels: dict[int, str] = {}
    for k, c in counts.items():
        size = sum(c.values()) or 1
        scored = {w: (n / size) * math.log(1 + (n / size) / (overall[w] / total)) for w, n in
                  c.items() if n >= 2 and w not in common}  # fmt: skip
        best = sorted(scored, key=lambda w: -scored[w])[:top]
        labels[k] = " · ".join(best) if best else f"topic {k}"
    return labels


_TOKEN = re.compile(r"[a-z0-9][a-z0-9'-]*")


def _phrases(text: str) -> list[str]:
    """The two- and three-word phrases of ``text`` (within one sentence) that
    neither start nor end with a stop word nor hold a one-letter word."""
    out = []
    for sentence in comment_sentences(text):
        words = _TOKEN.findall(without_field_label(sentence, min_words=1).lower())
        for n in (2, 3):
            for k in range(len(words) - n + 1):
                gram = words[k : k + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or min(map(len, gram)) < 2:
                    continue
                if len(gram[0]) < 3 or len(gram[-1]) < 3:
                    continue
                out.append(" ".join(gram))
    return out


def key_phrases(texts: list[str], assignment: np.ndarray, *, top: int = 2) -> dict[int, list[str]]:
    """Class-based TF-IDF key phrases: the two- and three-word phrases most
    over-represented in each topic (used by at least two of its comments; phrases
    in more than half of all comments are boilerplate and skipped; a phrase
    inside a better one is dropped).

    >>> key_phrases(["the account manager was great", "our account manager left",
    ...              "invoices were wrong", "wrong invoices again"], np.array([0, 0, 1, 1]))
    {0: ['account manager'], 1: []}
    """
    per: dict[int, Counter[str]] = {int(k): Counter() for k in np.unique(assignment)}
    overall: Counter[str] = Counter()
    for text, k in zip(texts, assignment, strict=True):
        grams = set(_phrases(text))  # document frequency
        per[int(k)].update(grams)
        overall.update(grams)
    n_docs = len(texts)
    common = {g for g, n in overall.items() if n > n_docs / 2} if n_docs >= 10 else set()
    out: dict[int, list[str]] = {}
    for k, c in per.items():
        size = sum(1 for a in assignment if int(a) == k) or 1
        scored = {g: (n / size) * math.log(1 + n_docs / overall[g]) for g, n in c.items()
                  if n >= 2 and g not in common}  # fmt: skip
        chosen: list[str] = []
        for g in sorted(scored, key=lambda g: (-scored[g], g)):
            if any(g in h or h in g for h in chosen):
                continue
            chosen.append(g)
            if len(chosen) == top:
                break
        out[k] = chosen
    return out


def _near_duplicate(a: str, b: str, *, limit: float = 0.7) -> bool:
    """Whether two sentences share most of their words (Jaccard ≥ ``limit``).

    >>> _near_duplicate("Support was slow.", "support was slow!!"), _near_duplicate("a b", "c d")
    (True, False)
    """
    x, y = set(_TOKEN.findall(a.lower())), set(_TOKEN.findall(b.lower()))
    return bool(x | y) and len(x & y) / len(x | y) >= limit


def example_sentences(
    comments: list[str], phrases: list[str], words: list[str], n: int
) -> list[tuple[int, str]]:
    """Up to ``n`` example sentences of a topic: from each comment in the order
    given (nearest the centre first), the sentence with the most of the topic's
    phrases and words, near-duplicates of an earlier example skipped. Returns
    (comment position, sentence)."""
    out: list[tuple[int, str]] = []
    for pos, comment in enumerate(comments):
        sentences = comment_sentences(comment)
        fit = [sum(3 * (p in x.lower()) for p in phrases) + sum(w in x.lower() for w in words)
               for x in sentences]  # fmt: skip
        best = int(np.argmax(fit))  # the first of the best
        sentence = sentences[best]
        if any(_near_duplicate(sentence, s) for _, s in out):
            continue
        out.append((pos, sentence))
        if len(out) == n:
            break
    return out


def _units(backend: Backend) -> pd.DataFrame:
    """Each interaction's stakeholder, account and stage (its own, else its touchpoint's)."""
    it = backend.table("interactions").select("interaction_id", "stakeholder_id", "touchpoint_id",
                                              own_stage="stage")  # fmt: skip
    sh = backend.table("stakeholders").select("stakeholder_id", "account_id")
    tp = backend.table("touchpoints").select(tp_id="touchpoint_id", tp_stage="stage").distinct()
    tp = tp.group_by("tp_id").aggregate(tp_stage=tp.tp_stage.min())
    joined = it.inner_join(sh, "stakeholder_id")
    joined = joined.left_join(tp, joined.touchpoint_id == tp.tp_id)
    out: pd.DataFrame = joined.select(
        "interaction_id", "stakeholder_id", "account_id",
        stage=joined.own_stage.coalesce(joined.tp_stage),
    ).to_pandas()  # fmt: skip
    return out


def _text_or_none(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def topics(
    backend: Backend,
    *,
    by: str | None = None,
    k: int | None = None,
    seed: int = 0,
    examples: int = 3,
    store: bool = True,
) -> pd.DataFrame:
    """Themes of the analysed comments (run ``b2bcx text analyze`` first).

    One row per topic (``by=None``) or per topic and unit (``by`` = account,
    touchpoint or stage): ``topic_id``, ``label`` (the topic's key phrases, its
    key words where no phrase recurs), ``keywords``, ``comments``, ``share``,
    ``sentiment`` (mean), ``examples`` (sentences) and ``quotes`` (each example
    sentence with its ``interaction_id``, ``stakeholder_id`` and ``account_id``).
    ``store`` writes each comment's topic to ``text_scores.topic_id``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if by is not None and by not in BY:
        raise ConfigurationError(f"unknown --by {by!r}; choose from {', '.join(BY)}")
    scores = textstore.read_scores(backend)
    if scores is None:
        raise ConfigurationError("no analysed comments: run `b2bcx text analyze` first")
    emb = textstore.embeddings_for(backend).select("interaction_id", "embedding").to_pandas()
    it = backend.table("interactions").select("interaction_id", "comment",
                                              tp_own="touchpoint_id").to_pandas()  # fmt: skip
    data = emb.merge(it, on="interaction_id").merge(
        scores[["interaction_id", "sentiment", "touchpoint_id"]],
        on="interaction_id", suffixes=("", "_text"),
    ).sort_values("interaction_id").reset_index(drop=True)  # fmt: skip
    if len(data) < 4:
        raise ConfigurationError(f"only {len(data)} analysed comments: too few for topics")
    x = np.vstack(data.embedding.to_numpy()).astype(np.float64)
    candidates = [k] if k else [c for c in (4, 6, 8, 10, 12) if c < len(data)]
    best: tuple[float, Any] = (-2.0, None)
    sample = np.random.default_rng(seed).permutation(len(x))[:5000]
    for c in candidates:
        km = KMeans(n_clusters=c, n_init=4, random_state=seed).fit(x)
        score = (silhouette_score(x[sample], km.labels_[sample]) if len(set(km.labels_)) > 1
                 else -1.0)  # fmt: skip
        if score > best[0]:
            best = (score, km)
    km = best[1]
    assignment = km.labels_
    texts = [str(t) for t in data.comment]
    words = label_topics(texts, assignment)
    phrases = key_phrases(texts, assignment)
    labels = {k: " · ".join(phrases.get(k) or []) or words[k] for k in words}
    dist = np.linalg.norm(x - km.cluster_centers_[assignment], axis=1)
    data = data.assign(topic_id=assignment, _dist=dist)
    if store:
        textstore.set_topics(backend, data[["interaction_id", "topic_id"]])
    data = data.merge(_units(backend), on="interaction_id", how="left")
    if by == "touchpoint":  # the interaction's own touchpoint, else the one its text names
        data["touchpoint_id"] = data.tp_own.fillna(data.touchpoint_id)
    keys = ["topic_id"] + ([BY[by]] if by else [])
    rows = []
    for key, g in data.groupby(keys, dropna=False):
        topic = int(key[0] if isinstance(key, tuple) else key)
        near = g.sort_values("_dist").head(examples * 10)
        keywords = [w for w in words[topic].split(" · ") if not w.startswith("topic ")]
        picked = example_sentences([str(c) for c in near.comment], phrases.get(topic, []),
                                   keywords, examples)  # fmt: skip
        quotes = [{"sentence": sentence, "interaction_id": str(near.interaction_id.iloc[pos]),
                   "stakeholder_id": _text_or_none(near.stakeholder_id.iloc[pos]),
                   "account_id": _text_or_none(near.account_id.iloc[pos])}
                  for pos, sentence in picked]  # fmt: skip
        row: dict[str, Any] = {"topic_id": topic, "label": labels[topic],
                               "keywords": words[topic], "comments": len(g),
                               "share": len(g) / len(data), "sentiment": float(g.sentiment.mean()),
                               "examples": [q["sentence"] for q in quotes],
                               "quotes": quotes}  # fmt: skip
        if by:
            row[BY[by]] = key[1] if isinstance(key, tuple) else None
        rows.append(row)
    out = pd.DataFrame(rows).sort_values(["comments"], ascending=False).reset_index(drop=True)
    return out
