"""Train the goal, value-proposition, level and sentiment heads shipped in
src/b2bcx/text/data/goals_head.npz on the coded G2 corpus (issue 20).

Reproducible from ``../shared/data/g2-reviews`` and the committed codes in
``benchmarks/text_codes/`` (``scripts/text_corpus.py`` joins them):

1. every coded sentence is embedded by the packaged all-MiniLM-L6-v2 (the
   embedding the package stores and scores);
2. per label (six goals, three value propositions, two levels; the last two
   follow from the goals by Wirtz et al. 2025, Table 1) a class-balanced
   logistic regression (C = 2); the decision threshold is the one with the best
   F1 on out-of-fold probabilities (5 folds grouped by review: the sentences of
   one review are never split between training and test);
3. the honest figures are nested: in each of 5 outer folds (grouped by review)
   the threshold is chosen by an inner grouped 5-fold cross-validation on the
   training part only and applied to the held-out part; precision, recall and F1
   pool the held-out predictions;
4. sentiment: a three-class (−1, 0, +1) class-balanced logistic regression
   (C = 0.25) on the embedding and the emotion features side by side (the
   GoEmotions branch's pooled output, computed in the same forward pass); the
   score is P(positive) − P(negative); AUC of positive against negative
   sentences on held-out folds (class balance: the G2 sentences are 72 %
   positive, and an unbalanced head reads "I am furious and disappointed" as
   neutral);
5. writes the heads (float32, well under 1 MB) and
   ``benchmarks/results/text_goals.json`` (with the coders' kappa per label).

Usage::

    python scripts/text_corpus.py corpus      # optional: the corpus as a CSV
    python scripts/train_goals.py             # --cache FILE.npz keeps the embeddings
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from text_corpus import CODES, SHARED, cohen_kappa, corpus, read_codes

from b2bcx.text.encoder import MiniLM
from b2bcx.text.goals import (
    GOAL_HEAD_LABELS,
    MIN_F1,
    MIN_POSITIVES,
    GoalHeads,
    derived_labels,
)
from b2bcx.text.heads import EmotionHead

ROOT = Path(__file__).resolve().parent.parent
HEAD = ROOT / "src" / "b2bcx" / "text" / "data" / "goals_head.npz"
RESULTS = ROOT / "benchmarks" / "results" / "text_goals.json"
GOAL_C = 2.0
SENTIMENT_C = 0.25
GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The threshold on ``GRID`` with the best F1 (the lowest of ties)."""
    pred = p[:, None] >= GRID[None, :]
    tp = (pred & (y[:, None] > 0)).sum(0)
    f1 = 2 * tp / np.maximum(pred.sum(0) + y.sum(), 1)
    return float(GRID[int(f1.argmax())])


def prf(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of 0/1 predictions."""
    tp = float((pred & (y > 0)).sum())
    p = tp / max(float(pred.sum()), 1.0)
    r = tp / max(float(y.sum()), 1.0)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def folds(groups: np.ndarray, k: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped k-fold splits (sklearn's GroupKFold: deterministic)."""
    from sklearn.model_selection import GroupKFold

    return list(GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups))


def fit_binary(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """A class-balanced logistic regression: coefficients and intercept."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=GOAL_C, class_weight="balanced", max_iter=5000).fit(x, y)
    return m.coef_[0], float(m.intercept_[0])


def oof(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Out-of-fold probabilities (grouped 5-fold)."""
    p = np.zeros(len(y))
    for tr, te in folds(groups):
        w, b = fit_binary(x[tr], y[tr])
        p[te] = 1 / (1 + np.exp(-(x[te] @ w + b)))
    return p


def nested(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Held-out precision, recall, F1 with thresholds chosen inside each training part."""
    pred = np.zeros(len(y), dtype=bool)
    chosen = []
    for tr, te in folds(groups):
        t = best_threshold(oof(x[tr], y[tr], groups[tr]), y[tr])
        w, b = fit_binary(x[tr], y[tr])
        pred[te] = 1 / (1 + np.exp(-(x[te] @ w + b))) >= t
        chosen.append(t)
    p, r, f = prf(pred, y)
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
            "thresholds_in_folds": chosen}  # fmt: skip


def sentiment_model() -> Any:
    """The sentiment head's (unfitted) regression."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=SENTIMENT_C, class_weight="balanced", max_iter=5000)


def sentiment_cv(x: np.ndarray, s: np.ndarray, groups: np.ndarray) -> dict[str, object]:
    """Held-out sentence sentiment: AUC positive vs negative, accuracy, the scores."""
    from sklearn.metrics import roc_auc_score

    score = np.zeros(len(s))
    label = np.zeros(len(s), dtype=int)
    for tr, te in folds(groups):
        m = sentiment_model().fit(x[tr], s[tr])
        pr = m.predict_proba(x[te])
        score[te] = pr[:, 2] - pr[:, 0]
        label[te] = m.classes_[pr.argmax(1)]
    pn = s != 0
    return {"auc_positive_vs_negative": round(float(roc_auc_score(s[pn] > 0, score[pn])), 4),
            "accuracy_3_class": round(float((label == s).mean()), 4),
            "kappa_3_class": round(cohen_kappa(label.tolist(), s.tolist()), 3)}  # fmt: skip


def coder_kappa() -> dict[str, float]:
    """The two coders' kappa for every head label (goals as coded; value
    propositions and levels as implied by each coder's goals) and sentiment."""
    one, two = read_codes(CODES / "coder1.csv"), read_codes(CODES / "coder2.csv")
    ids = [i for i in one if i in two]
    a = [derived_labels(one[i][0]) for i in ids]
    b = [derived_labels(two[i][0]) for i in ids]
    out = {lab: round(cohen_kappa([r[lab] for r in a], [r[lab] for r in b]), 3)
           for lab in GOAL_HEAD_LABELS}  # fmt: skip
    out["sentiment"] = round(cohen_kappa([one[i][1] for i in ids], [two[i][1] for i in ids]), 3)
    return out


def embed(texts: list[str], ids: list[str], cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The packaged sentence embeddings and the emotion features (from ``cache``
    when it holds these ids)."""
    if cache is not None and cache.exists():
        d = np.load(cache)
        have = {s: k for k, s in enumerate(d["ids"])}
        if "emo" in d and all(i in have for i in ids):
            rows = [have[i] for i in ids]
            return d["emb"][rows].astype(np.float64), d["emo"][rows].astype(np.float64)
    encoder = MiniLM(threads=2)
    encoder.use_branch(EmotionHead.load().branch)
    emb, emo = encoder.encode_views(texts)
    if cache is not None:
        np.savez(cache, ids=np.array(ids), emb=emb, emo=emo)
    return emb.astype(np.float64), emo.astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    """Embed, cross-validate, fit, save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=None, help="embeddings cache (.npz)")
    parser.add_argument("--out", type=Path, default=HEAD)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"{args.data} not found: the G2 reviews live in ../shared/data", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rows = corpus(args.data)
    ids = [r["sentence_id"] for r in rows]
    x, emo = embed([r["sentence"] for r in rows], ids, args.cache)
    groups = np.array([r["review_id"] for r in rows])
    coded = [derived_labels(frozenset(g for g in r["goals"].split(";") if g)) for r in rows]
    y = np.array([[c[lab] for lab in GOAL_HEAD_LABELS] for c in coded], dtype=int)
    s = np.array([int(r["sentiment"]) for r in rows])
    kappa = coder_kappa()
    coef, intercept, thresholds, f1s = [], [], [], []
    per_label: dict[str, object] = {}
    for j, label in enumerate(GOAL_HEAD_LABELS):
        held = nested(x, y[:, j], groups)
        t = best_threshold(oof(x, y[:, j], groups), y[:, j])
        w, b = fit_binary(x, y[:, j])
        coef.append(w)
        intercept.append(b)
        thresholds.append(t)
        f1s.append(float(held["f1"]))
        learned = y[:, j].sum() >= MIN_POSITIVES and float(held["f1"]) >= MIN_F1
        per_label[label] = {"positives": int(y[:, j].sum()), **held, "threshold": t,
                            "coders_kappa": kappa[label], "learned": bool(learned)}  # fmt: skip
        print(label, per_label[label], flush=True)
    sentiment = sentiment_cv(np.hstack([x, emo]), s, groups)
    m = sentiment_model().fit(np.hstack([x, emo]), s)
    assert list(m.classes_) == [-1, 0, 1]
    heads = GoalHeads(
        GOAL_HEAD_LABELS, np.array(coef), np.array(intercept), np.array(thresholds),
        y.sum(0).astype(np.int64), np.array(f1s), m.coef_, m.intercept_, MiniLM.name,
        f"g2coded{len(rows)}",
    )  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    heads.save(args.out)
    results = {
        "corpus_sentences": len(rows), "reviews": len(set(groups.tolist())),
        "adjudicated": (CODES / "adjudicated.csv").exists(),
        "encoder": MiniLM.name, "version": heads.version, "goal_C": GOAL_C,
        "sentiment_C": SENTIMENT_C, "min_positives": MIN_POSITIVES, "min_f1": MIN_F1,
        "cv": "5 outer folds grouped by review; thresholds by inner grouped 5-fold CV",
        "labels": per_label,
        "sentiment": {**sentiment, "coded": {str(k): int((s == k).sum()) for k in (-1, 0, 1)},
                      "coders_kappa": kappa["sentiment"]},
        "head_bytes": args.out.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "labels"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
