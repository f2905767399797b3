"""Text benchmark: throughput and memory of the whole text pipeline beside the plain
sentence-transformers encode, sentiment against G2 reviewers' own recommend
scores, and the goal and effort heads on held-out examples.

Each timing runs in a fresh child process (peak RSS is that run's own), the
b2bcx pipeline (each comment split into sentences, each distinct sentence of a
chunk encoded once + every head + the roll-up to the comment, in the chunks
``text analyze`` uses, each encoded in length-sorted batches of 64) and the plain encode of the same
comments side by side, batch size 64, medians of ``--repeat`` runs.

Usage::

    python benchmarks/text_bench.py --comments 2000 --repeat 3 \
        --g2 ../shared/data/g2-reviews/g2_reviews_wide.csv --out benchmarks/results/text.json
    # one part only, merged into the results file:
    python benchmarks/text_bench.py --parts g2-throughput --out benchmarks/results/text.json
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
import json, os, resource, sys, time
from b2bcx.text import MiniLM, TextModel
from b2bcx.text.model import BATCH
texts = json.load(open(sys.argv[1]))
model = TextModel(MiniLM(threads=2, precision=sys.argv[2]))
model.score(texts[:64])                      # load and warm up
model.clear_cache()                          # and time a cold cache
load = os.getloadavg()[0]
t, cpu = time.perf_counter(), time.process_time()
sentences = 0
for s in range(0, len(texts), BATCH):        # as `text analyze`: chunks, batches of 64
    part = texts[s:s + BATCH]                # split into sentences, each distinct one encoded once
    sentences += model.score_comments(part, explain=False)[2]
took, cpu = time.perf_counter() - t, time.process_time() - cpu
print(took, len(texts), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, sentences, cpu,
      (load + os.getloadavg()[0]) / 2)
"""

_PLAIN = """
import json, os, resource, sys, time
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # the threading b2bcx runs with
import torch
from sentence_transformers import SentenceTransformer
from b2bcx.text.encoder import model_path
torch.set_num_threads(2)
texts = json.load(open(sys.argv[1]))
m = SentenceTransformer(str(model_path()), device="cpu")
with torch.autocast("cpu", dtype=torch.bfloat16, enabled=sys.argv[2] == "bf16"):
    m.encode(texts[:64], batch_size=64)
    load = os.getloadavg()[0]
    t, cpu = time.perf_counter(), time.process_time()
    m.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
print(took, len(texts), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0, cpu,
      (load + os.getloadavg()[0]) / 2)
"""


def _run(code: str, path: Path, variant: str = "") -> tuple[float, int, float, int, float, float]:
    """One timing in a fresh process: seconds, texts, peak RSS (MiB), texts encoded,
    CPU seconds of the process and the load average while it ran."""
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
    return (float(out[0]), int(out[1]), int(out[2]) / 1024, int(out[3]), float(out[4]),
            float(out[5]))  # fmt: skip


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


#: The tolerance a faster precision must keep against fp32 to be used (docs/text.md).
TOLERANCE = {"embedding_cosine_min": 0.999, "emotion_probability_max_abs_diff": 0.03,
             "sentiment_max_abs_diff": 0.03, "same_emotion_labels_share": 0.99,
             "dev_macro_f1_drop": 0.005}  # fmt: skip


def _macro_f1(truth: object, pred: object) -> float:
    import numpy as np

    y, p = np.asarray(truth, dtype=float), np.asarray(pred, dtype=float)
    tp, fp, fn = (y * p).sum(0), ((1 - y) * p).sum(0), (y * (1 - p)).sum(0)
    return float(np.mean(2 * tp / np.maximum(2 * tp + fp + fn, 1)))


def tolerance(
    precision: str, corpora: dict[str, list[str]], dev: tuple[list[str], object] | None
) -> dict[str, object]:
    """How far ``precision``'s outputs are from fp32 on each corpus (and the
    GoEmotions dev macro-F1 of both under the shipped thresholds), and whether
    that is within :data:`TOLERANCE`."""
    import numpy as np

    from b2bcx.text import MiniLM, TextModel

    full, fast = TextModel(MiniLM(precision="fp32")), TextModel(MiniLM(precision=precision))
    out: dict[str, object] = {}
    worst = {"embedding_cosine_min": 1.0, "emotion_probability_max_abs_diff": 0.0,
             "sentiment_max_abs_diff": 0.0, "same_emotion_labels_share": 1.0}  # fmt: skip
    for name, texts in corpora.items():
        (ea, oa), (eb, ob) = full.encode_views(texts), fast.encode_views(texts)
        x = full.score_embeddings(ea, texts, explain=False, emotion_features=oa)
        y = fast.score_embeddings(eb, texts, explain=False, emotion_features=ob)
        cos = (ea * eb).sum(1)
        diff = np.abs(full.emotions.predict(oa) - fast.emotions.predict(ob))
        sent = np.array([a["sentiment"] - b["sentiment"] for a, b in zip(x, y, strict=True)])
        same = float(np.mean([a["emotion_labels"] == b["emotion_labels"]
                              for a, b in zip(x, y, strict=True)]))  # fmt: skip
        row = {"texts": len(texts), "embedding_cosine_min": round(float(cos.min()), 5),
               "embedding_cosine_mean": round(float(cos.mean()), 6),
               "emotion_probability_max_abs_diff": round(float(diff.max()), 4),
               "emotion_probability_p99_abs_diff": round(float(np.percentile(diff, 99)), 4),
               "sentiment_max_abs_diff": round(float(np.abs(sent).max()), 4),
               "same_emotion_labels_share": round(same, 4)}  # fmt: skip
        out[name] = row
        worst["embedding_cosine_min"] = min(
            worst["embedding_cosine_min"], row["embedding_cosine_min"]
        )
        worst["same_emotion_labels_share"] = min(worst["same_emotion_labels_share"], same)
        for key in ("emotion_probability_max_abs_diff", "sentiment_max_abs_diff"):
            worst[key] = max(worst[key], float(row[key]))
    within = (worst["embedding_cosine_min"] >= TOLERANCE["embedding_cosine_min"]
              and worst["same_emotion_labels_share"] >= TOLERANCE["same_emotion_labels_share"]
              and all(worst[k] <= TOLERANCE[k] for k in ("emotion_probability_max_abs_diff",
                                                         "sentiment_max_abs_diff")))  # fmt: skip
    if dev is not None:
        texts, truth = dev
        f1 = {}
        for label, model in (("fp32", full), (precision, fast)):
            p = model.emotions.predict(model.encode_views(texts)[1])
            f1[label] = round(_macro_f1(truth, p >= model.emotions.thresholds), 4)
        out["goemotions_dev_macro_f1"] = f1
        within = within and f1["fp32"] - f1[precision] <= TOLERANCE["dev_macro_f1_drop"]
    out["worst"] = {k: round(v, 5) for k, v in worst.items()}
    out["within_tolerance"] = bool(within)
    return out


def goemotions_dev(folder: Path) -> tuple[list[str], object] | None:
    """GoEmotions dev texts and their 28-label truth, if the data set is there."""
    import numpy as np
    import pandas as pd

    path = folder / "original" / "dev.tsv"
    if not path.exists():
        return None
    dev = pd.read_csv(path, sep="\t", header=None, names=["text", "labels", "id"])
    truth = np.zeros((len(dev), 28))
    for i, labels in enumerate(dev["labels"].astype(str)):
        truth[i, [int(j) for j in labels.split(",")]] = 1
    return dev["text"].astype(str).tolist(), truth


def g2_texts(path: Path) -> list[str]:
    """Each G2 review as one text (title, what they like, what they dislike)."""
    import pandas as pd

    df = pd.read_csv(path)
    texts = df[["title", "like_best", "dislike"]].fillna("").astype(str).agg(". ".join, axis=1)
    return [t for t in texts.str.strip(". ").tolist() if t]


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


def throughput(path: Path, n: int, repeat: int, *, int8: bool) -> dict[str, object]:
    """The b2bcx pipeline in fp32 and bf16 (and int8) beside the plain encode in
    fp32 and bf16, each in fresh processes, medians of ``repeat`` runs."""
    out: dict[str, object] = {}
    runs_of = [("b2bcx_all_heads_fp32", _PIPELINE, "fp32"),
               ("b2bcx_all_heads_bf16", _PIPELINE, "bf16"),
               ("plain_encode", _PLAIN, "fp32"), ("plain_encode_bf16", _PLAIN, "bf16")]  # fmt: skip
    if int8:
        runs_of.insert(2, ("b2bcx_all_heads_int8", _PIPELINE, "int8"))
    secs: dict[str, float] = {}
    for name, code, variant in runs_of:
        runs = [_run(code, path, variant) for _ in range(repeat)]
        secs[name] = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[4] for r in runs)
        out[name] = {"seconds_median": round(secs[name], 2), "per_second": round(n / secs[name]),
                     "peak_rss_mib_max": round(max(r[2] for r in runs)),
                     "cpu_seconds_median": round(cpu, 2),
                     "per_cpu_second": round(n / cpu),
                     "load_average": [round(r[5], 1) for r in runs]}  # fmt: skip
        if runs[0][3]:
            out[name]["sentences_encoded"] = runs[0][3]
        print(path.name, name, out[name], flush=True)
    for name, _, _ in runs_of:
        if name != "plain_encode":
            out[f"ratio_{name}_to_plain"] = round(secs[name] / secs["plain_encode"], 2)
    out["ratio_b2bcx_all_heads_bf16_to_plain_bf16"] = round(
        secs["b2bcx_all_heads_bf16"] / secs["plain_encode_bf16"], 2
    )
    return out


def _tokens_mean(texts: list[str]) -> float:
    from transformers import AutoTokenizer

    from b2bcx.text.encoder import model_path

    tok = AutoTokenizer.from_pretrained(str(model_path()))
    lengths = [len(ids) for ids in tok(texts, truncation=True, max_length=256)["input_ids"]]
    return round(sum(lengths) / len(lengths), 1)


def _write(result: dict[str, object], out: Path | None) -> None:
    """Print the results; with ``--out``, merge them into that file."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        merged = json.loads(out.read_text()) if out.exists() else {}
        merged.update(result)
        out.write_text(json.dumps(merged, indent=2) + "\n")


def main() -> None:
    """Run the benchmark."""
    from b2bcx.text.encoder import native_bf16, resolve_precision

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--g2", type=Path, default=ROOT.parent / "shared" / "data" / "g2-reviews"
                        / "g2_reviews_wide.csv")  # fmt: skip
    parser.add_argument("--goemotions", type=Path,
                        default=ROOT.parent / "shared" / "data" / "goemotions")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument("--out", type=Path, help="Results file (merged into if it exists).")
    parser.add_argument("--parts", default="throughput,g2-throughput,tolerance,quality",
                        help="Comma-separated parts to run.")  # fmt: skip
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    texts = demo_comments(args.comments, args.workdir)
    path = args.workdir / "text-bench-comments.json"
    path.write_text(json.dumps(texts))
    result: dict[str, object] = {"comments": len(texts), "batch_size": 64,
                                 "native_bf16": native_bf16(),
                                 "auto_precision": resolve_precision("auto")}  # fmt: skip
    if "throughput" in parts:
        result.update(throughput(path, len(texts), args.repeat, int8=True))
    if "g2-throughput" in parts and args.g2.exists():
        g2_path = args.workdir / "text-bench-g2.json"
        g2 = g2_texts(args.g2)
        g2_path.write_text(json.dumps(g2))
        speed = throughput(g2_path, len(g2), args.repeat, int8=False)
        result["g2_throughput"] = {"comments": len(g2), "tokens_mean": _tokens_mean(g2), **speed}
    if "tolerance" in parts:
        _tolerances(result, texts, args)
    if "quality" in parts:
        _quality(result, args)
    _write(result, args.out)


def _tolerances(result: dict[str, object], texts: list[str], args: argparse.Namespace) -> None:
    corpora = {"demo": texts[:512]}
    if args.g2.exists():
        corpora["g2"] = g2_texts(args.g2)
    dev = goemotions_dev(args.goemotions)
    if dev is not None:
        corpora["goemotions_dev"] = dev[0]
    result["tolerance"] = dict(TOLERANCE)
    for precision in ("bf16", "int8"):
        result[f"{precision}_vs_fp32"] = tolerance(precision, corpora, dev)
        print(precision, json.dumps(result[f"{precision}_vs_fp32"]), flush=True)


def _quality(result: dict[str, object], args: argparse.Namespace) -> None:
    from b2bcx.text.encoder import resolve_precision

    # the quality figures below are for the default precision on this machine
    result["quality_precision"] = resolve_precision()
    if args.g2.exists():
        result["g2_sentiment"] = g2_sentiment(args.g2)
    result["heldout"] = heldout()
    goemotions = ROOT / "benchmarks" / "results" / "text_goemotions.json"
    if goemotions.exists():
        result["goemotions"] = json.loads(goemotions.read_text())


if __name__ == "__main__":
    main()
