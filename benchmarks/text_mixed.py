"""Mixed sentences (issue 20): a sentence that praises and then complains must
not read as praise. Compares, in one run and on held-out folds of the coded G2
corpus, the business sentiment of whole sentences (before) with the clause rule
of :func:`b2bcx.text.model.mixed_sentiment` (after) and its variants.

A *contrast sentence* is one :func:`b2bcx.text.sentences.contrast_clauses`
splits ("X but Y", "Although X, Y", "Y, although X") or, for the variants that
use it, one :func:`~b2bcx.text.sentences.asyndetic_clauses` splits into clauses
of opposite polarity ("Good platform concept, poorly delivered!"). The coded
*mixed* sentences are the contrast sentences the coders gave 0 (the codebook
codes a mixed sentence 0).

Measured per variant, with heads retrained in 5 folds grouped by review (no
sentence is scored by a head that saw its review):

- AUC of coded positive against negative sentences, all 2,400 and the contrast
  sentences alone (must not fall);
- on the mixed sentences: mean score, mean absolute score and the share read
  as praise (score > 1/3);
- G2 reviews: Spearman's ρ of the review's mean sentence score with the
  reviewer's NPS answer and the promoter-vs-detractor AUC;
- the issue's example sentence scored by the head trained on all coded sentences.

Usage::

    python benchmarks/text_mixed.py --cache /tmp/g2-features.npz \
        --out benchmarks/results/text_mixed.json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from text_corpus import SHARED, corpus, sentences  # noqa: E402
from train_goals import folds, sentiment_model  # noqa: E402

from b2bcx.text.model import mixed_sentiment  # noqa: E402
from b2bcx.text.sentences import MAIN_WEIGHT, asyndetic_clauses, contrast_clauses  # noqa: E402

EXAMPLE = "Good platform concept, poorly delivered!"
PRAISE = 1 / 3

Pair = tuple[str, str] | None


def features(texts: list[str], cache: Path | None) -> dict[str, np.ndarray]:
    """Embedding and emotion features side by side per text (cached by text)."""
    have: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        d = np.load(cache)
        have = {str(t): np.hstack([e, o]) for t, e, o in zip(d["texts"], d["emb"], d["emo"],
                                                               strict=True)}  # fmt: skip
    missing = sorted({t for t in texts if t not in have})
    if missing:
        from b2bcx.text.encoder import MiniLM
        from b2bcx.text.heads import EmotionHead

        enc = MiniLM(threads=2)
        enc.use_branch(EmotionHead.load().branch)
        emb, emo = enc.encode_views(missing)
        have.update({t: np.hstack([e, o]) for t, e, o in zip(missing, emb, emo, strict=True)})
        if cache is not None:
            keys = sorted(have)
            x = np.array([have[k] for k in keys])
            np.savez(cache, texts=np.array(keys), emb=x[:, :384], emo=x[:, 384:])
    return have


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive scores above a negative), ties half."""
    from scipy.stats import mannwhitneyu

    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    return float(mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg)))


Splitter = Callable[[str], tuple[Pair, Pair]]


def _marked(sentence: str) -> tuple[Pair, Pair]:
    return contrast_clauses(sentence), None


def _marked_and_asyndetic(sentence: str) -> tuple[Pair, Pair]:
    marked = contrast_clauses(sentence)
    return marked, (None if marked else asyndetic_clauses(sentence))


def main() -> None:
    """Run every variant and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=None, help="features cache (.npz)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results"
                        / "text_mixed.json")  # fmt: skip
    args = parser.parse_args()
    t0 = time.perf_counter()
    every = list(sentences(args.data))
    coded = corpus(args.data)
    splits: dict[str, tuple[Pair, Pair]] = {
        r["sentence"]: _marked_and_asyndetic(r["sentence"]) for r in every
    }
    clause_texts = [c for m, a in splits.values() for pair in (m, a) if pair for c in pair]
    example_split = _marked_and_asyndetic(EXAMPLE)
    example_pair = example_split[0] or example_split[1]
    assert example_pair is not None
    feats = features([r["sentence"] for r in every] + clause_texts + [EXAMPLE, *example_pair],
                     args.cache)  # fmt: skip
    s = np.array([int(r["sentiment"]) for r in coded])
    groups = np.array([r["review_id"] for r in coded])
    x = np.array([feats[r["sentence"]] for r in coded])
    review_of = np.array([r["review_id"] for r in every])
    # held-out probabilities of every sentence and clause: a head per fold, and
    # for sentences of reviews never coded the head trained on all coded ones
    p_of: list[dict[str, np.ndarray]] = [{} for _ in every]

    def predict(model: object, rows: np.ndarray) -> None:
        for k in np.flatnonzero(rows):
            text = every[k]["sentence"]
            m, a = splits[text]
            texts = [text, *(m or ()), *(a or ())]
            pr = model.predict_proba(np.array([feats[t] for t in texts]))  # type: ignore[attr-defined]
            p_of[k] = dict(zip(texts, pr, strict=True))

    for tr, te in folds(groups):
        model = sentiment_model().fit(x[tr], s[tr])
        predict(model, np.isin(review_of, np.unique(groups[te])))
    full = sentiment_model().fit(x, s)
    predict(full, ~np.isin(review_of, np.unique(groups)))
    row_of = {r["sentence_id"]: k for k, r in enumerate(every)}
    c_rows = np.array([row_of[r["sentence_id"]] for r in coded])
    marked = np.array([splits[r["sentence"]][0] is not None for r in coded])

    def combine(probs: list[np.ndarray], marked: bool, spec: tuple[float, ...]) -> np.ndarray:
        w, asy, always, margin, complaint = spec
        if marked:
            return mixed_sentiment(*probs, main_weight=w, always=bool(always))
        if not asy:
            return probs[0]
        return mixed_sentiment(*probs, main_weight=w, always=False, margin=margin,
                               complaint_only=bool(complaint))  # fmt: skip

    def score(k: int, spec: tuple[float, ...]) -> float:
        text = every[k]["sentence"]
        m, a = splits[text]
        pair = m or a
        probs = p_of[k]
        if pair is None:
            p = probs[text]
        else:
            p = combine([probs[text], probs[pair[0]], probs[pair[1]]], m is not None, spec)
        return float(p[2] - p[0])

    variants: dict[str, tuple[float, ...] | None] = {"before: whole sentence": None}
    for w in (0.5, 0.6, 0.7, 0.8, 1.0):
        variants[f"marked contrasts, main clause {w}"] = (w, 0, 1, 0.2, 0)
        variants[f"marked contrasts where polarities differ, main clause {w}"] = (w, 0, 0, 0.2, 0)
        variants[f"marked + any comma clauses, praise then complaint, main clause {w}"] = (
            w,
            1,
            0,
            0.4,
            1,
        )
    with args.data.open(encoding="utf-8", newline="") as handle:
        reviews = [r for r in csv.DictReader(handle) if (r.get("ans_nps") or "").strip()]
    by_review: dict[str, list[int]] = {}
    for k, rv in enumerate(review_of):
        by_review.setdefault(str(rv), []).append(k)
    keep = [r for r in reviews if r["review_id"] in by_review]
    nps = np.array([float(r["ans_nps"]) for r in keep])
    results: dict[str, object] = {}
    example_p = full.predict_proba(np.array([feats[t] for t in [EXAMPLE, *example_pair]]))
    from scipy.stats import spearmanr

    before_sc = np.array([float(p_of[k][every[k]["sentence"]][2]
                                - p_of[k][every[k]["sentence"]][0]) for k in c_rows])  # fmt: skip
    for name, spec in variants.items():
        if spec is None:
            all_scores = np.array([float(p_of[k][every[k]["sentence"]][2]
                                         - p_of[k][every[k]["sentence"]][0])
                                   for k in range(len(every))])  # fmt: skip
            ex = float(example_p[0][2] - example_p[0][0])
        else:
            all_scores = np.array([score(k, spec) for k in range(len(every))])
            e = combine(list(example_p), example_split[0] is not None, spec)
            ex = float(e[2] - e[0])
        sc = all_scores[c_rows]
        contrast = marked  # the measured set is the same for every variant
        mixed = contrast & (s == 0)
        comma = ~marked & np.array([splits[r["sentence"]][1] is not None for r in coded])
        moved = comma & (np.abs(sc - before_sc) > 1e-9)
        means = np.array([all_scores[by_review[r["review_id"]]].mean() for r in keep])
        rho = spearmanr(means, nps)[0]
        results[name] = {
            "auc_all": round(auc(sc[s > 0], sc[s < 0]), 4),
            "auc_contrast_sentences": round(auc(sc[contrast & (s > 0)], sc[contrast & (s < 0)]), 4),
            "mixed_mean": round(float(sc[mixed].mean()), 3),
            "mixed_mean_abs": round(float(np.abs(sc[mixed]).mean()), 3),
            "mixed_read_as_praise": round(float((sc[mixed] > PRAISE).mean()), 3),
            "contrast_mean_by_code": {str(c): round(float(sc[contrast & (s == c)].mean()), 3)
                                      for c in (-1, 0, 1)},
            "review_spearman_rho": round(float(rho), 3),
            "review_auc_promoter_over_detractor": round(auc(means[nps >= 9], means[nps <= 6]), 3),
            "comma_clause_sentences_changed": {str(c): int((moved & (s == c)).sum())
                                               for c in (-1, 0, 1)},
            "comma_changed_mean_by_code": {
                str(c): [round(float(before_sc[moved & (s == c)].mean()), 3),
                         round(float(sc[moved & (s == c)].mean()), 3)]
                for c in (-1, 0, 1) if (moved & (s == c)).any()},
            "example": round(ex, 3),
        }  # fmt: skip
        print(name, results[name], flush=True)
    out = {
        "coded_sentences": len(coded),
        "contrast_sentences": {str(c): int((marked & (s == c)).sum()) for c in (-1, 0, 1)},
        "comma_clause_candidates": int(sum(1 for r in coded if splits[r["sentence"]][1])),
        "example_sentence": EXAMPLE,
        "praise_threshold": round(PRAISE, 3),
        "shipped_main_weight": MAIN_WEIGHT,
        "variants": results,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    text = json.dumps(out, indent=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "variants"}, indent=2))


if __name__ == "__main__":
    main()
