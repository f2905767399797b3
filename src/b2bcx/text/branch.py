"""The emotion branch: a fine-tuned copy of the encoder's last transformer layer.

all-MiniLM-L6-v2 has six BERT layers. The stored sentence embedding (mean of the
last layer, normalized) stays the packaged model's, so goals, touchpoints and
topics keep the general-purpose space. For emotions the hidden states entering
the last layer are also fed through a second, fine-tuned copy of that layer
(trained on GoEmotions by ``scripts/train_text.py``), mean-pooled, and passed to
the emotion head. The five shared layers run once per comment; the branch adds
one layer (about a sixth of the encoder's cost).

The layer is written out here (scaled dot-product attention, GELU feed-forward,
post-layer-norm as in BERT) so that training on cached hidden states and scoring
use the same code and do not depend on the internals of ``transformers``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

#: Names of the weights of one BERT layer, as in the ``transformers`` state dict.
LAYER_WEIGHTS: tuple[str, ...] = (
    "attention.self.query.weight", "attention.self.query.bias",
    "attention.self.key.weight", "attention.self.key.bias",
    "attention.self.value.weight", "attention.self.value.bias",
    "attention.output.dense.weight", "attention.output.dense.bias",
    "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
    "intermediate.dense.weight", "intermediate.dense.bias",
    "output.dense.weight", "output.dense.bias",
    "output.LayerNorm.weight", "output.LayerNorm.bias",
)  # fmt: skip


class BertLayer(nn.Module):
    """One post-norm BERT encoder layer (hidden 384, 12 heads, GELU, FFN 1536)."""

    def __init__(self, hidden: int = 384, heads: int = 12, ffn: int = 1536, dropout: float = 0.1):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.inter = nn.Linear(hidden, ffn)
        self.out = nn.Linear(ffn, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def _modules_by_name(self) -> dict[str, nn.Module]:
        return {"attention.self.query": self.query, "attention.self.key": self.key,
                "attention.self.value": self.value, "attention.output.dense": self.attn_out,
                "attention.output.LayerNorm": self.attn_norm, "intermediate.dense": self.inter,
                "output.dense": self.out, "output.LayerNorm": self.out_norm}  # fmt: skip

    def load_bert(self, weights: Mapping[str, torch.Tensor | npt.NDArray[np.generic]]) -> None:
        """Copy weights named as in :data:`LAYER_WEIGHTS`."""
        modules = self._modules_by_name()
        with torch.no_grad():
            for name in LAYER_WEIGHTS:
                prefix, kind = name.rsplit(".", 1)
                param = getattr(modules[prefix], kind)
                param.copy_(torch.as_tensor(np.asarray(weights[name]), dtype=param.dtype))

    def export(self) -> dict[str, npt.NDArray[np.float32]]:
        """The weights named as in :data:`LAYER_WEIGHTS` (float32 arrays)."""
        modules = self._modules_by_name()
        out = {}
        for name in LAYER_WEIGHTS:
            prefix, kind = name.rsplit(".", 1)
            out[name] = getattr(modules[prefix], kind).detach().cpu().numpy().astype(np.float32)
        return out

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``h``: batch × tokens × hidden; ``mask``: batch × tokens (1 = token, 0 = pad)."""
        b, t, d = h.shape
        split = (b, t, self.heads, d // self.heads)
        q = self.query(h).view(split).transpose(1, 2)
        k = self.key(h).view(split).transpose(1, 2)
        v = self.value(h).view(split).transpose(1, 2)
        bias = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        ctx = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=0.1 if self.training else 0.0
        )
        ctx = ctx.transpose(1, 2).reshape(b, t, d)
        a = self.attn_norm(self.drop(self.attn_out(ctx)) + h)
        f = self.out(nn.functional.gelu(self.inter(a)))
        result: torch.Tensor = self.out_norm(self.drop(f) + a)
        return result


def mean_pool(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real tokens (as sentence-transformers pools all-MiniLM-L6-v2)."""
    m = mask.unsqueeze(-1).to(h.dtype)
    pooled: torch.Tensor = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return pooled
