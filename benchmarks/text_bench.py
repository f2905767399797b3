"""Text benchmark: throughput and memory of the whole text pipeline beside the plain
sentence-transformers encode, sentiment against G2 reviewers' own recommend
scores, and the goal and effort heads on held-out examples.

Each timing runs in a fresh child process (peak RSS is that run's own), the
b2bcx pipeline (encode once + every head, in the chunks ``text analyze`` uses,
each encoded in length-sorted batches of 64) and the plain encode of the same
comments side by side, batch size 64, medians of ``--repeat`` runs.

Usage::

    python benchmarks/text_bench.py --comments 3000 --repeat 3 \
        --g2 ../shared/data/g2-reviews/g2_reviews_wide.csv --out benchmarks/results/text.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

_PIPELINE = """
import json, resource, sys, time
from b2bcx.text import MiniLM, TextModel
from b2bcx.text.model import BATCH
texts = json.load(open(sys.argv[1]))
model = TextModel(MiniLM(threads=2, int8=sys.argv[2] == "int8"))
model.score(texts[:64])                      # load and warm up
t = time.perf_counter()
for s in range(0, len(texts), BATCH):        # as `text analyze`: chunks, batches of 64
    part = texts[s:s + BATCH]
    emb, emo = model.encode_views(part)
    model.score_embeddings(emb, part, explain=False, emotion_features=emo)
took = time.perf_counter() - t
print(took, len(texts), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_PLAIN = """
import json, os, resource, sys, time
os.environ["HF_HUB_OFFLINE"] = "1"
import torch
from sentence_transformers import SentenceTransformer
from b2bcx.text.encoder import model_path
torch.set_num_threads(2)
texts = json.load(open(sys.argv[1]))
m = SentenceTransformer(str(model_path()), device="cpu")
m.encode(texts[:64], batch_size=64)
t = time.perf_counter()
m.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
took = time.perf_counter() - t
print(took, len(texts), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(code: str, path: Path, variant: str = "") -> tuple[float, int, float]:
    out = (
        subprocess.run(
            [sys.executable, "-c", code, str(path), variant],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    return float(out[0]), int(out[1]), int(out[2]) / 1024


def demo_comments(n: int, workdir: Path) -> list[str]:
    """Distinct comments of a generated demo world (repeated only if it has fewer)."""
    import pandas as pd

    from b2bcx.demo import generate_world

    folder = workdir / "text-bench-world"
    if not (folder / "interactions.csv").exists():
        generate_world(folder, size=max(20_000, n * 3), seed=3)
    comments = pd.read_csv(folder / "interactions.csv", usecols=["comment"]).comment.dropna()
    texts = comments.astype(str).drop_duplicates().sample(frac=1.0, random_state=0).tolist()
    while len(texts) < n:
        texts += texts
    return texts[:n]


def int8_tolerance(texts: list[str]) -> dict[str, float]:
    """How far the int8 path's outputs are from float32 on the same comments."""
    import numpy as np

    from b2bcx.text import MiniLM, TextModel

    full = TextModel(MiniLM()).score(texts)
    fast = TextModel(MiniLM(int8=True)).score(texts)
    a = TextModel(MiniLM()).encode(texts)
    b = TextModel(MiniLM(int8=True)).encode(texts)
    cos = (a * b).sum(1)
    emo = max(abs(x["emotions"][k] - y["emotions"][k]) for x, y in zip(full, fast, strict=True)
              for k in x["emotions"])  # fmt: skip
    sent = np.array([x["sentiment"] - y["sentiment"] for x, y in zip(full, fast, strict=True)])
    same = np.mean(
        [x["emotion_labels"] == y["emotion_labels"] for x, y in zip(full, fast, strict=True)]
    )
    return {"embedding_cosine_min": round(float(cos.min()), 4),
            "embedding_cosine_mean": round(float(cos.mean()), 4),
            "emotion_probability_max_abs_diff": round(float(emo), 4),
            "sentiment_max_abs_diff": round(float(np.abs(sent).max()), 4),
            "same_emotion_labels_share": round(float(same), 4)}  # fmt: skip


def g2_sentiment(path: Path) -> dict[str, object]:
    """Spearman's ρ of review sentiment with the reviewer's own NPS answer (0–10), the
    mean sentiment of detractors, passives and promoters, and the promoter-vs-detractor
    AUC (almost all G2 answers are 9–10, which caps ρ)."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    from b2bcx.text import MiniLM, TextModel

    df = pd.read_csv(path).dropna(subset=["ans_nps"])
    model = TextModel(MiniLM())
    out: dict[str, object] = {"reviews": len(df)}
    for name, cols in (("whole review", ["title", "like_best", "dislike"]),
                       ("like_best", ["like_best"]), ("dislike", ["dislike"])):  # fmt: skip
        texts = df[cols].fillna("").astype(str).agg(". ".join, axis=1).str.strip(". ").tolist()
        keep = [i for i, t in enumerate(texts) if t]
        scores = model.score([texts[i] for i in keep])
        sentiment = np.array([s["sentiment"] for s in scores])
        nps = df.ans_nps.to_numpy()[keep]
        rho, p = stats.spearmanr(sentiment, nps)
        group = np.where(nps >= 9, "promoter", np.where(nps >= 7, "passive", "detractor"))
        promoters, detractors = sentiment[group == "promoter"], sentiment[group == "detractor"]
        # AUC: the chance that a promoter's review reads more positive than a detractor's
        auc = stats.mannwhitneyu(promoters, detractors).statistic / (
            len(promoters) * len(detractors)
        )
        out[name] = {
            "spearman_rho": round(float(rho), 3),
            "p": float(p),
            "n": len(keep),
            "mean_sentiment": {
                g: round(float(sentiment[group == g].mean()), 3)
                for g in ("detractor", "passive", "promoter")
            },
            "count": {g: int((group == g).sum()) for g in ("detractor", "passive", "promoter")},
            "auc_promoter_over_detractor": round(float(auc), 3),
        }
    return out


def heldout() -> dict[str, object]:
    """Top-goal accuracy and effort separation on examples never used to build the heads."""
    from b2bcx.text import MiniLM, TextModel

    data = yaml.safe_load((ROOT / "benchmarks" / "text_goals_heldout.yaml").read_text())
    model = TextModel(MiniLM())
    hits = total = 0
    per: dict[str, float] = {}
    for goal, texts in data["goals"].items():
        rows = model.score(texts)
        right = sum(max(r["goals"], key=r["goals"].__getitem__) == goal for r in rows)
        per[goal] = right / len(texts)
        hits += right
        total += len(texts)
    pos = [r["effort"] for r in model.score(data["effort"]["positive"])]
    neg = [r["effort"] for r in model.score(data["effort"]["negative"])]
    auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
    return {"goal_top1_accuracy": round(hits / total, 3), "per_goal": per, "n": total,
            "chance": round(1 / 6, 3), "effort_auc": round(auc, 3)}  # fmt: skip


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--g2", type=Path, default=ROOT.parent / "shared" / "data" / "g2-reviews"
                        / "g2_reviews_wide.csv")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    texts = demo_comments(args.comments, args.workdir)
    path = args.workdir / "text-bench-comments.json"
    path.write_text(json.dumps(texts))
    result: dict[str, object] = {"comments": len(texts), "batch_size": 64}
    runs_of = (("b2bcx_all_heads", _PIPELINE, "fp32"), ("b2bcx_all_heads_int8", _PIPELINE, "int8"),
               ("plain_encode", _PLAIN, ""))  # fmt: skip
    for name, code, variant in runs_of:
        runs = [_run(code, path, variant) for _ in range(args.repeat)]
        secs = statistics.median(r[0] for r in runs)
        result[name] = {"seconds_median": round(secs, 2), "per_second": round(len(texts) / secs),
                        "peak_rss_mib_max": round(max(r[2] for r in runs))}  # fmt: skip
        print(name, result[name], flush=True)
    b = result["plain_encode"]
    assert isinstance(b, dict)
    for name in ("b2bcx_all_heads", "b2bcx_all_heads_int8"):
        a = result[name]
        assert isinstance(a, dict)
        result[f"ratio_{name}_to_plain"] = round(a["seconds_median"] / b["seconds_median"], 2)
    result["int8_tolerance"] = int8_tolerance(texts[:512])
    if args.g2.exists():
        result["g2_sentiment"] = g2_sentiment(args.g2)
    result["heldout"] = heldout()
    goemotions = ROOT / "benchmarks" / "results" / "text_goemotions.json"
    if goemotions.exists():
        result["goemotions"] = json.loads(goemotions.read_text())
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
