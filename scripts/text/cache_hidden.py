"""Cache the hidden states entering the encoder's last layer for GoEmotions.

Runs the packaged all-MiniLM-L6-v2 (frozen) once over a split and stores, per
comment, the token states that enter the sixth layer (float16, ragged: one matrix
of all tokens plus offsets) and the normal sentence embedding. Training the
emotion branch (``scripts/train_text.py``) then only runs one layer per step.

Usage::

    python scripts/text/cache_hidden.py --cache /tmp/goemotions-hidden --shard 0/1
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def read_split(folder: Path, split: str) -> tuple[list[str], np.ndarray]:
    """Texts and the 28-column label matrix of one split (``original/{split}.tsv``)."""
    texts, rows = [], []
    for line in (folder / "original" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        texts.append(text)
        y = np.zeros(28, dtype=np.float32)
        y[[int(i) for i in ids.split(",")]] = 1
        rows.append(y)
    return texts, np.array(rows)


def cache_split(texts: list[str], target: Path, *, max_length: int = 128, batch: int = 128) -> None:
    """Write ``target`` (.npz) with ``tokens`` (float16), ``offsets`` and ``embeddings``."""
    import torch

    from b2bcx.text.branch import mean_pool
    from b2bcx.text.encoder import model_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer

    path = model_path()
    tok = AutoTokenizer.from_pretrained(str(path))
    bert = AutoModel.from_pretrained(str(path)).eval()
    lengths = [len(ids) for ids in tok(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    states: list[np.ndarray | None] = [None] * len(texts)
    emb = np.zeros((len(texts), 384), dtype=np.float32)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(texts), batch):
            idx = order[s : s + batch]
            enc = tok([texts[i] for i in idx], padding=True, truncation=True,
                      max_length=max_length, return_tensors="pt")  # fmt: skip
            out = bert(**enc, output_hidden_states=True)
            pooled = torch.nn.functional.normalize(
                mean_pool(out.last_hidden_state, enc["attention_mask"]), dim=1
            )
            emb[idx] = pooled.numpy()
            h = out.hidden_states[-2].numpy().astype(np.float16)
            for k, i in enumerate(idx):
                states[i] = h[k, : lengths[i]]
            if (s // batch) % 50 == 0:
                print(
                    f"{target.stem}: {s}/{len(texts)} ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)
    tokens = np.concatenate([x for x in states if x is not None])
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(target, tokens=tokens, offsets=offsets, embeddings=emb)


def main() -> None:
    """Cache the requested splits."""
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "goemotions")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/goemotions-hidden"))
    parser.add_argument("--splits", nargs="+", default=["dev", "train"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shard", default="0/1", help="k/n: the k-th of n contiguous parts")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for split in args.splits:
        if not (args.data / "original" / f"{split}.tsv").exists():
            print(f"{split}: not in {args.data} (skipped)")
            continue
        k, n = (int(x) for x in args.shard.split("/"))
        target = args.cache / (f"{split}.npz" if n == 1 else f"{split}-{k}of{n}.npz")
        if target.exists():
            print(f"{split}: cached in {target}")
            continue
        texts, _ = read_split(args.data, split)
        size = -(-len(texts) // n)
        texts = texts[k * size : (k + 1) * size]
        cache_split(texts, target)
        print(f"{split}: {len(texts)} comments cached in {target}", flush=True)


if __name__ == "__main__":
    main()
