"""Train the GoEmotions emotion branch and head shipped in src/b2bcx/text/data/.

Reproduces ``goemotions_head.npz`` from ../shared/data/goemotions:

1. ``scripts/text/cache_hidden.py`` runs the packaged all-MiniLM-L6-v2 once over
   the train and dev splits and caches the hidden states entering its last
   (sixth) layer;
2. this script fine-tunes a copy of that last layer together with a linear head
   on the 28 labels (class-weighted binary cross-entropy, AdamW with warm-up and
   linear decay, CPU, fixed seed), keeps the epoch with the best dev macro-F1,
   tunes one decision threshold per label on dev, calibrates the probabilities
   (Platt scaling per label folded into the head; decisions unchanged), and
   writes the branch (float16) and the head, a few MB.

The shared sentence embedding is untouched: the branch runs beside the packaged
last layer (see ``b2bcx.text.branch``).

Honest figures: thresholds tuned and scored on all of dev are optimistic, so the
script also tunes on one half of dev and scores on the other half; with
``original/test.tsv`` present (withheld in ../shared/data) it scores the test
split with the dev thresholds.

Usage::

    python scripts/text/cache_hidden.py
    python scripts/train_text.py --epochs 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "text"))

from cache_hidden import cache_split, read_split

from b2bcx.text.encoder import MiniLM, model_path
from b2bcx.text.heads import EmotionHead
from b2bcx.text.labels import EKMAN, EKMAN_MAP, EMOTIONS

ROOT = Path(__file__).resolve().parent.parent
HEAD = ROOT / "src" / "b2bcx" / "text" / "data" / "goemotions_head.npz"
RESULTS = ROOT / "benchmarks" / "results" / "text_goemotions.json"


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean F1 over columns (0 for a column with no positives and no predictions)."""
    tp = (y * pred).sum(0)
    fp = ((1 - y) * pred).sum(0)
    fn = (y * (1 - pred)).sum(0)
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0)
    return float(f1.mean())


def tune(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per label, the threshold in 0.02…0.95 (step 0.01) with the best F1."""
    grid = np.arange(0.02, 0.96, 0.01)
    pred = p[:, :, None] >= grid[None, None, :]  # rows × labels × thresholds
    tp = (pred & (y[:, :, None] > 0)).sum(0)
    denom = pred.sum(0) + y.sum(0)[:, None]
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return np.asarray(grid[f1.argmax(axis=1)], dtype=float)


def decide(p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Labels over threshold; neutral when none."""
    pred = (p >= thresholds).astype(float)
    pred[pred.sum(1) == 0, EMOTIONS.index("neutral")] = 1
    return pred


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 − p)), clipped away from 0 and 1."""
    q = np.clip(p, 1e-7, 1 - 1e-7)
    return np.asarray(np.log(q / (1 - q)))


def platt(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label, ``a, c`` with ``sigmoid(a·z + c)`` calibrated on ``y`` (Platt 1999:
    a one-feature logistic regression on the head's logit; ``a`` kept positive so
    the order of the scores, and the decisions, never change)."""
    from sklearn.linear_model import LogisticRegression

    a, c = np.ones(z.shape[1]), np.zeros(z.shape[1])
    for j in range(z.shape[1]):
        if 0 < y[:, j].sum() < len(y):
            fit = LogisticRegression(C=1e4, max_iter=1000).fit(z[:, [j]], y[:, j])
            if fit.coef_[0, 0] > 0:
                a[j], c[j] = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    return a, c


def ece(p: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error over every (comment, label) probability: the
    mean |observed rate − mean probability| over equal-width bins, weighted by size."""
    pf, yf = p.ravel(), y.ravel()
    idx = np.minimum((pf * bins).astype(int), bins - 1)
    err = 0.0
    for k in range(bins):
        m = idx == k
        if m.any():
            err += m.sum() * abs(yf[m].mean() - pf[m].mean())
    return float(err / len(pf))


def calibrate(
    w: np.ndarray, b: np.ndarray, thresholds: np.ndarray, p: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], dict[str, float]]:
    """Fold Platt scaling, fitted on dev, into the linear head (``W·a``, ``a·b + c``)
    and map the thresholds through it, so decisions stay exactly the same. Reports
    ECE and Brier score before and after, fitted on one half of dev and measured on
    the other, then refits on all of dev for what ships."""
    z = logit(p)
    half = np.random.default_rng(seed + 1).permutation(len(p))
    fit_on, test_on = half[: len(p) // 2], half[len(p) // 2 :]
    a, c = platt(z[fit_on], y[fit_on])
    after = 1 / (1 + np.exp(-(z[test_on] * a + c)))
    report = {
        "ece_before": round(ece(p[test_on], y[test_on]), 4),
        "ece_after": round(ece(after, y[test_on]), 4),
        "brier_before": round(float(((p[test_on] - y[test_on]) ** 2).mean()), 4),
        "brier_after": round(float(((after - y[test_on]) ** 2).mean()), 4),
    }
    a, c = platt(z, y)
    t = 1 / (1 + np.exp(-(logit(thresholds) * a + c)))
    return w * a, b * a + c, t, (a, c), report


def to_ekman(m: np.ndarray) -> np.ndarray:
    """Map a 28-label matrix to the 7 Ekman groups."""
    out = np.zeros((len(m), len(EKMAN)))
    for k, group in enumerate(EKMAN):
        out[:, k] = m[:, [EMOTIONS.index(e) for e in EKMAN_MAP[group]]].max(1)
    return out


class Cached:
    """Ragged cached hidden states of one split (``split.npz`` or its shards
    ``split-KofN.npz``, in order)."""

    def __init__(self, folder: Path, split: str) -> None:
        paths = [folder / f"{split}.npz"]
        if not paths[0].exists():
            paths = sorted(
                folder.glob(f"{split}-*of*.npz"),
                key=lambda p: int(p.stem.split("-")[1].split("of")[0]),
            )
        parts = [np.load(p) for p in paths]
        self.tokens = np.concatenate([d["tokens"] for d in parts])
        self.lengths = np.concatenate([np.diff(d["offsets"]) for d in parts])
        self.offsets = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        self.offsets[1:] = np.cumsum(self.lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, idx: np.ndarray) -> tuple[object, object]:
        """Padded float32 states and mask of the rows ``idx``."""
        import torch

        t = int(self.lengths[idx].max())
        h = np.zeros((len(idx), t, self.tokens.shape[1]), dtype=np.float32)
        m = np.zeros((len(idx), t), dtype=np.float32)
        for k, i in enumerate(idx):
            n = self.lengths[i]
            h[k, :n] = self.tokens[self.offsets[i] : self.offsets[i + 1]]
            m[k, :n] = 1
        return torch.from_numpy(h), torch.from_numpy(m)


def batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding)."""
    order = rng.permutation(len(lengths))
    out = []
    for s in range(0, len(order), size * 50):
        chunk = order[s : s + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    return [out[i] for i in rng.permutation(len(out))]


def base_layer() -> dict[str, np.ndarray]:
    """The packaged encoder's last layer, named as in ``branch.LAYER_WEIGHTS``."""
    from safetensors.numpy import load_file

    weights = load_file(str(model_path() / "model.safetensors"))
    prefix = "encoder.layer.5."
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}


def branch_features(layer: Any, data: Cached) -> np.ndarray:
    """The branch's mean-pooled output for every comment of ``data`` (eval mode,
    batches of similar length): what the emotion head reads."""
    import torch

    from b2bcx.text.branch import mean_pool

    layer.eval()
    out = np.zeros((len(data), 384), dtype=np.float32)
    order = np.argsort(data.lengths, kind="stable")
    with torch.inference_mode():
        for s in range(0, len(order), 256):
            idx = order[s : s + 256]
            h, m = data.batch(idx)
            out[idx] = mean_pool(layer(h, m), m).numpy()
    return out


def calibrate_only(args: argparse.Namespace) -> None:
    """Calibrate an already trained head (the last step of :func:`main` on its own)."""
    import torch

    from b2bcx.text.branch import BertLayer

    torch.set_num_threads(args.threads)
    shipped = EmotionHead.load(args.out)
    if shipped.version.endswith("-platt"):
        raise SystemExit(f"{args.out}: already calibrated ({shipped.version})")
    _, yd = read_split(args.data, "dev")
    dev = Cached(args.cache, "dev")
    layer = BertLayer()
    layer.load_bert(shipped.branch)
    ((w, b),) = shipped.layers
    p = 1 / (1 + np.exp(-(branch_features(layer, dev) @ w + b)))
    w, b, thresholds, (a, c), report = calibrate(w, b, shipped.thresholds, p, yd, args.seed)
    pc = 1 / (1 + np.exp(-(logit(p) * a + c)))
    same = bool((decide(pc, thresholds) == decide(p, shipped.thresholds)).all())
    out = EmotionHead(((w, b),), thresholds, shipped.encoder, shipped.version + "-platt",
                      branch=shipped.branch)  # fmt: skip
    out.save(args.out)
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    results.update({"head": out.version, "calibration": report,
                    "calibration_keeps_decisions": same,
                    "head_bytes": args.out.stat().st_size})  # fmt: skip
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"calibration": report, "same_decisions": same}, indent=2))


def main() -> None:
    """Cache if needed, train, tune, measure, save."""
    import torch

    from b2bcx.text.branch import BertLayer, mean_pool

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "goemotions")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/goemotions-hidden"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-train", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HEAD)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--calibrate-only", action="store_true",
                        help="calibrate the head at --out as it is (no training)")  # fmt: skip
    args = parser.parse_args()
    if args.calibrate_only:
        calibrate_only(args)
        return
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    _, y = read_split(args.data, "train")
    _, yd = read_split(args.data, "dev")
    for split in ("train", "dev"):
        if not list(args.cache.glob(f"{split}*.npz")):
            cache_split(read_split(args.data, split)[0], args.cache / f"{split}.npz")
    train, dev = Cached(args.cache, "train"), Cached(args.cache, "dev")
    if len(train) != len(y) or len(dev) != len(yd):
        raise SystemExit(f"{args.cache}: cached rows do not match the splits; delete and re-cache")
    n_train = min(len(train), args.max_train or len(train))
    layer = BertLayer()
    layer.load_bert(base_layer())
    head = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(384, len(EMOTIONS)))
    pos = y.mean(0)
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor(np.sqrt((1 - pos) / pos), dtype=torch.float32)
    )
    opt = torch.optim.AdamW(
        [{"params": layer.parameters(), "lr": args.lr},
         {"params": head.parameters(), "lr": args.head_lr}], weight_decay=0.01,
    )  # fmt: skip
    steps = args.epochs * ((n_train + args.batch - 1) // args.batch)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    yt = torch.from_numpy(y)
    rng = np.random.default_rng(args.seed)

    def predict(data: Cached) -> np.ndarray:
        head.eval()
        with torch.inference_mode():
            pooled = torch.from_numpy(branch_features(layer, data))
            return np.asarray(torch.sigmoid(head(pooled)).numpy(), dtype=np.float64)

    best: dict[str, object] = {"f1": -1.0}
    for epoch in range(args.epochs):
        layer.train()
        head.train()
        for k, idx in enumerate(batches(train.lengths[:n_train], args.batch, rng)):
            h, m = train.batch(idx)
            opt.zero_grad()
            loss = loss_fn(head(mean_pool(layer(h, m), m)), yt[idx])  # type: ignore[arg-type]
            loss.backward()
            opt.step()
            sched.step()
            if k % 100 == 0:
                print(f"epoch {epoch + 1} step {k}: loss {loss.item():.4f} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
        p = predict(dev)
        f1 = macro_f1(yd, decide(p, tune(p, yd)))
        print(f"epoch {epoch + 1}: dev macro-F1 {f1:.4f} ({time.perf_counter() - t0:.0f} s)",
              flush=True)  # fmt: skip
        if f1 > float(best["f1"]):  # type: ignore[arg-type]
            best = {"f1": f1, "epoch": epoch + 1,
                    "layer": {k: v.clone() for k, v in layer.state_dict().items()},
                    "head": {k: v.clone() for k, v in head.state_dict().items()}}  # fmt: skip
    layer.load_state_dict(best["layer"])  # type: ignore[arg-type]
    head.load_state_dict(best["head"])  # type: ignore[arg-type]
    # ship float16 branch weights; measure with exactly what ships
    branch = {k: v.astype(np.float16) for k, v in layer.export().items()}
    layer.load_bert(branch)
    p = predict(dev)
    thresholds = tune(p, yd)
    w = head[1].weight.detach().numpy().T.astype(np.float64)
    b = head[1].bias.detach().numpy().astype(np.float64)
    w, b, thresholds, a_c, calibration = calibrate(w, b, thresholds, p, yd, args.seed)
    p = 1 / (1 + np.exp(-(logit(p) * a_c[0] + a_c[1])))  # what the shipped head gives
    version = f"goemotions-branch{args.epochs}e-platt"
    out = EmotionHead(((w, b),), thresholds, MiniLM.name, version, branch=branch)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.save(args.out)
    pred = decide(p, thresholds)
    half = np.random.default_rng(args.seed).permutation(len(dev))
    a, bb = half[: len(dev) // 2], half[len(dev) // 2 :]
    split_pred = decide(p[bb], tune(p[a], yd[a]))
    ekman_true = to_ekman(yd)
    per_label = {e: round(macro_f1(yd[:, [j]], pred[:, [j]]), 3) for j, e in enumerate(EMOTIONS)}
    results: dict[str, object] = {
        "encoder": MiniLM.name, "head": version, "best_epoch": best["epoch"],
        "train_comments": n_train, "epochs": args.epochs, "lr": args.lr,
        "dev_macro_f1_28": round(macro_f1(yd, pred), 4),
        "dev_macro_f1_ekman": round(macro_f1(ekman_true, to_ekman(pred)), 4),
        "dev_half_macro_f1_28_tuned_on_other_half": round(macro_f1(yd[bb], split_pred), 4),
        "dev_half_macro_f1_ekman_tuned_on_other_half": round(
            macro_f1(ekman_true[bb], to_ekman(split_pred)), 4),
        "dev_f1_per_label": per_label,
        "calibration": calibration,
        "published_bert_base_macro_f1_28": 0.46,
        "head_bytes": args.out.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    if (args.data / "original" / "test.tsv").exists():
        _, yt_test = read_split(args.data, "test")
        if not (args.cache / "test.npz").exists():
            cache_split(read_split(args.data, "test")[0], args.cache / "test.npz")
        pt = decide(predict(Cached(args.cache, "test")), thresholds)
        results["test_macro_f1_28"] = round(macro_f1(yt_test, pt), 4)
        results["test_macro_f1_ekman"] = round(macro_f1(to_ekman(yt_test), to_ekman(pt)), 4)
    else:
        results["test"] = "original/test.tsv is withheld in ../shared/data (not scored)"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
