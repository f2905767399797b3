"""Sentiment on business text, side by side in one run (issue 20, item 4):
VADER, the GoEmotions-based sentiment b2bcx shipped before, and the business
sentiment head trained on the coded G2 sentences.

- **Sentence AUC**: positive (+1) against negative (−1) coded sentences
  (``scripts/text_corpus.py corpus``); the new head is scored on held-out folds
  (5 folds grouped by review, retrained in each), VADER and GoEmotions need no
  training on the corpus.
- **Review level**: each G2 review with an NPS answer scored as a whole, with
  Spearman's ρ against the reviewer's own 0–10 recommend score and the AUC of a
  promoter's review reading more positive than a detractor's. The new head's
  review score is the mean of its sentences' scores (the comment roll-up of
  ``text analyze``), each review scored by heads trained on folds without it
  (grouped by review, so no review is scored by a head that saw its sentences).
- **Other roll-ups and the uncertainty**: the review level by other field-blind
  roll-ups of the same held-out sentence probabilities (neutral sentences
  down-weighted, complaints counted twice or three times, the lowest sentence,
  the GoEmotions sentence sentiment added), compared, not chosen; and paired
  bootstrap intervals (reviews resampled within detractors, passives and
  promoters) of the differences in ρ and AUC against VADER and GoEmotions.
- **Emotions on praise**: the share of positive coded sentences with disgust or
  fear among their decided GoEmotions labels, before and after the gate by the
  business sentiment (``b2bcx.text.model.gate_emotions``), and the share of
  negative sentences that keep a negative emotion; and the share of G2 reviews
  with disgust or fear, the review read at once (before) against the union of
  its sentences' gated labels (after).

Usage::

    python benchmarks/text_sentiment.py --out benchmarks/results/text_sentiment.json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from text_corpus import FIELDS, SHARED, corpus, sentences  # noqa: E402
from train_goals import embed, folds, sentiment_model  # noqa: E402

from b2bcx.text.heads import EmotionHead  # noqa: E402
from b2bcx.text.labels import EMOTIONS, SENTIMENT_MAP  # noqa: E402
from b2bcx.text.model import gate_emotions  # noqa: E402


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive scores above a negative), ties half (Mann–Whitney)."""
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg)))


def emotion_sentiment(p: np.ndarray) -> np.ndarray:
    """The GoEmotions sentiment b2bcx shipped before: (Σ positive − Σ negative) /
    (Σ all groups + neutral) of the emotion probabilities."""
    idx = {k: [EMOTIONS.index(e) for e in v] for k, v in SENTIMENT_MAP.items()}
    pos, neg = p[:, idx["positive"]].sum(1), p[:, idx["negative"]].sum(1)
    total = sum(p[:, v].sum(1) for v in idx.values()) + p[:, EMOTIONS.index("neutral")]
    out: np.ndarray = np.where(total > 0, (pos - neg) / np.maximum(total, 1e-12), 0.0)
    return out


def review_stats(score: np.ndarray, nps: np.ndarray) -> dict[str, object]:
    """ρ with NPS, promoter-vs-detractor AUC, group means."""
    from scipy.stats import spearmanr

    rho, p = spearmanr(score, nps)
    promoter, detractor = score[nps >= 9], score[nps <= 6]
    return {"spearman_rho": round(float(rho), 3), "p": float(p),
            "auc_promoter_over_detractor": round(auc(promoter, detractor), 3),
            "mean": {"detractor": round(float(detractor.mean()), 3),
                     "passive": round(float(score[(nps >= 7) & (nps <= 8)].mean()), 3),
                     "promoter": round(float(promoter.mean()), 3)}}  # fmt: skip


def rollups(
    rows: list[np.ndarray], p: np.ndarray, goemo: np.ndarray, nps: np.ndarray
) -> dict[str, object]:
    """The review from its sentences' held-out probabilities by other field-blind
    roll-ups than the mean ``text analyze`` uses (does the mean dilute a review's
    complaint, do neutral sentences?). Fixed rules, none fitted on the recommend
    score: they are compared, not chosen, here."""
    s = p[:, 2] - p[:, 0]

    def weighted(w: np.ndarray) -> np.ndarray:
        return np.array([(s[r] * w[r]).sum() / max(w[r].sum(), 1e-12) for r in rows])

    variants = {
        "mean_shipped": np.array([s[r].mean() for r in rows]),
        "weighted_by_non_neutral": weighted(1.0 - p[:, 1]),
        "negative_sentences_twice": weighted(np.where(s < 0, 2.0, 1.0)),
        "negative_sentences_three_times": weighted(np.where(s < 0, 3.0, 1.0)),
        "lowest_sentence": np.array([s[r].min() for r in rows]),
        "mean_and_lowest_halved": np.array([(s[r].mean() + s[r].min()) / 2 for r in rows]),
        "mean_plus_goemotions_sentence_mean": np.array([s[r].mean() + goemo[r].mean()
                                                        for r in rows]),
    }  # fmt: skip
    return {k: review_stats(v, nps) for k, v in variants.items()}


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, nps: np.ndarray, *, n: int = 2000, seed: int = 0
) -> dict[str, object]:
    """95 % intervals of ρ(a) − ρ(b) and AUC(a) − AUC(b) over reviews resampled
    within detractors, passives and promoters (the same resample for both)."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    groups = [np.where(nps <= 6)[0], np.where((nps >= 7) & (nps <= 8))[0], np.where(nps >= 9)[0]]
    d_rho, d_auc = [], []
    for _ in range(n):
        k = np.concatenate([rng.choice(g, len(g)) for g in groups])
        y = nps[k]
        d_rho.append(spearmanr(a[k], y)[0] - spearmanr(b[k], y)[0])
        d_auc.append(auc(a[k][y >= 9], a[k][y <= 6]) - auc(b[k][y >= 9], b[k][y <= 6]))
    return {"rho_difference": round(float(np.mean(d_rho)), 3),
            "rho_difference_95": [round(float(v), 3) for v in np.percentile(d_rho, [2.5, 97.5])],
            "auc_difference": round(float(np.mean(d_auc)), 3),
            "auc_difference_95": [round(float(v), 3) for v in np.percentile(d_auc, [2.5, 97.5])],
            "resamples": n}  # fmt: skip


def main() -> None:
    """Run every comparison and write the results."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=None, help="sentence features (.npz)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results"
                        / "text_sentiment.json")  # fmt: skip
    args = parser.parse_args()
    t0 = time.perf_counter()
    vader = SentimentIntensityAnalyzer()
    head = EmotionHead.load()
    every = list(sentences(args.data))
    ids = [r["sentence_id"] for r in every]
    emb, emo = embed([r["sentence"] for r in every], ids, args.cache)
    row_of = {i: k for k, i in enumerate(ids)}
    coded = corpus(args.data)
    c_rows = np.array([row_of[r["sentence_id"]] for r in coded])
    s = np.array([int(r["sentiment"]) for r in coded])
    c_groups = np.array([r["review_id"] for r in coded])
    x_all = np.hstack([emb, emo])
    # held-out business sentiment for the coded sentences, and out-of-fold heads for reviews
    new_coded = np.zeros(len(coded))
    new_all = np.zeros(len(every))
    p_all = np.zeros((len(every), 3))  # held-out P(negative, neutral, positive)
    heldout_pos = np.zeros(len(every))  # held-out P(positive) of the coded sentences
    review_of = np.array([r["review_id"] for r in every])
    for tr, te in folds(c_groups):
        m = sentiment_model().fit(x_all[c_rows[tr]], s[tr])
        pr = m.predict_proba(x_all[c_rows[te]])
        new_coded[te] = pr[:, 2] - pr[:, 0]
        heldout_pos[c_rows[te]] = pr[:, 2]
        held_reviews = set(c_groups[te].tolist())
        mask = np.array([rv in held_reviews for rv in review_of])
        pa = m.predict_proba(x_all[mask])
        new_all[mask] = pa[:, 2] - pa[:, 0]
        p_all[mask] = pa
    trained = set(c_groups.tolist())
    rest = np.array([rv not in trained for rv in review_of])
    if rest.any():  # reviews with no coded sentence: a head trained on all coded sentences
        m = sentiment_model().fit(x_all[c_rows], s)
        pa = m.predict_proba(x_all[rest])
        new_all[rest] = pa[:, 2] - pa[:, 0]
        p_all[rest] = pa
    raw = head.predict(emo)
    goemo_all = emotion_sentiment(raw)
    vader_all = np.array([vader.polarity_scores(r["sentence"])["compound"] for r in every])
    pn = s != 0
    sentence_auc = {
        name: round(auc(v[c_rows][pn][s[pn] > 0], v[c_rows][pn][s[pn] < 0]), 4)
        for name, v in (("vader", vader_all), ("goemotions_before", goemo_all))
    }
    sentence_auc["business_head_heldout"] = round(
        auc(new_coded[pn][s[pn] > 0], new_coded[pn][s[pn] < 0]), 4
    )
    # review level
    with args.data.open(encoding="utf-8", newline="") as handle:
        reviews = [r for r in csv.DictReader(handle) if (r.get("ans_nps") or "").strip()]
    whole = [". ".join((r.get(f) or "").strip() for f in FIELDS if (r.get(f) or "").strip())
             for r in reviews]  # fmt: skip
    nps = np.array([float(r["ans_nps"]) for r in reviews])
    from b2bcx.text.encoder import MiniLM

    enc = MiniLM(threads=2)
    enc.use_branch(head.branch)
    _, whole_emo = enc.encode_views(whole)
    by_review: dict[str, list[int]] = {}
    for k, rv in enumerate(review_of):
        by_review.setdefault(str(rv), []).append(k)
    keep = [j for j, r in enumerate(reviews) if r["review_id"] in by_review]
    nps_k = nps[keep]

    def mean_of(v: np.ndarray) -> np.ndarray:
        return np.array([v[by_review[reviews[j]["review_id"]]].mean() for j in keep])

    review = {
        "reviews": len(keep),
        "nps_counts": {"detractor": int((nps_k <= 6).sum()),
                       "passive": int(((nps_k >= 7) & (nps_k <= 8)).sum()),
                       "promoter": int((nps_k >= 9).sum())},
        "vader_whole_review": review_stats(
            np.array([vader.polarity_scores(whole[j])["compound"] for j in keep]), nps_k),
        "vader_sentence_mean": review_stats(mean_of(vader_all), nps_k),
        "goemotions_before_whole_review": review_stats(
            emotion_sentiment(head.predict(whole_emo))[keep], nps_k),
        "goemotions_sentence_mean": review_stats(mean_of(goemo_all), nps_k),
        "business_head_sentence_mean_heldout": review_stats(mean_of(new_all), nps_k),
    }  # fmt: skip
    review["business_head_rollups_heldout"] = rollups(
        [np.array(by_review[reviews[j]["review_id"]]) for j in keep], p_all, goemo_all, nps_k
    )
    review["paired_bootstrap_business_head_sentence_mean_minus"] = {
        name: paired_bootstrap(mean_of(new_all), other, nps_k)
        for name, other in (
            ("vader_whole_review", np.array([vader.polarity_scores(whole[j])["compound"]
                                             for j in keep])),
            ("vader_sentence_mean", mean_of(vader_all)),
            ("goemotions_before_whole_review", emotion_sentiment(head.predict(whole_emo))[keep]),
        )
    }  # fmt: skip
    # emotions on praise, before and after the gate
    from b2bcx.text.goals import GoalHeads

    shipped = GoalHeads.load()
    p_pos = shipped.sentiment_probabilities(emb, emo)[:, 2]
    gated = gate_emotions(raw, p_pos)
    # the gate with held-out sentiment for the coded sentences (the shipped head saw them)
    gated_heldout = gate_emotions(raw, heldout_pos)
    negative = [EMOTIONS.index(e) for e in SENTIMENT_MAP["negative"]]
    disgust_fear = [EMOTIONS.index("disgust"), EMOTIONS.index("fear")]

    def shares(p: np.ndarray) -> dict[str, float]:
        decided = p[c_rows] >= head.thresholds
        praise = p[c_rows][s > 0]
        return {
            "positive_mean_probability_disgust": round(float(
                praise[:, EMOTIONS.index("disgust")].mean()), 4),
            "positive_mean_probability_fear_nervousness": round(float(
                praise[:, [EMOTIONS.index("fear"), EMOTIONS.index("nervousness")]]
                .max(1).mean()), 4),
            "positive_with_disgust_or_fear": round(float(decided[s > 0][:, disgust_fear]
                                                         .any(1).mean()), 4),
            "positive_with_any_negative_emotion": round(float(decided[s > 0][:, negative]
                                                              .any(1).mean()), 4),
            "negative_with_any_negative_emotion": round(float(decided[s < 0][:, negative]
                                                              .any(1).mean()), 4),
        }  # fmt: skip

    emotions: dict[str, object] = {
        "before": shares(raw), "after_gate_heldout_sentiment": shares(gated_heldout),
        "after_gate_shipped_head": shares(gated)}  # fmt: skip
    # whole reviews, as the issue saw them: one text scored at once (before) against the
    # union of its sentences' gated labels (after), share of reviews with disgust or fear
    whole_labels = head.predict(whole_emo)[keep] >= head.thresholds
    sentence_labels = gated >= head.thresholds
    after = np.array([sentence_labels[by_review[reviews[j]["review_id"]]][:, disgust_fear].any()
                      for j in keep])  # fmt: skip
    emotions["g2_reviews_with_disgust_or_fear"] = {
        "before_whole_review": round(float(whole_labels[:, disgust_fear].any(1).mean()), 4),
        "after_sentences_gated": round(float(after.mean()), 4),
        "promoters_before": round(float(whole_labels[nps_k >= 9][:, disgust_fear]
                                        .any(1).mean()), 4),
        "promoters_after": round(float(after[nps_k >= 9].mean()), 4),
    }  # fmt: skip
    result = {
        "coded_sentences": len(coded),
        "coded_counts": {str(k): int((s == k).sum()) for k in (-1, 0, 1)},
        "sentence_auc_positive_vs_negative": sentence_auc,
        "review_level": review,
        "emotions_on_coded_sentences": emotions,
        "vader": "vaderSentiment 3.3 compound score",
        "seconds": round(time.perf_counter() - t0, 1),
    }
    text = json.dumps(result, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
