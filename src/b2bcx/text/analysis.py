"""Scoring every new comment of a workspace: in this process
(:func:`b2bcx.text.model.analyze_local`) or, on a ``spark://`` workspace, as a
Spark job over the partitions (:mod:`b2bcx.text.sparkjob`). This module only
chooses, so the model and the Spark job do not import each other.
"""

from __future__ import annotations

from b2bcx.errors import ConfigurationError
from b2bcx.progress import Progress
from b2bcx.storage import Backend
from b2bcx.text.encoder import Encoder
from b2bcx.text.model import AnalyzeResult, analyze_local

__all__ = ["analyze"]


def analyze(
    backend: Backend,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> AnalyzeResult:
    """Score every comment not yet scored by this model; store scores and embeddings.

    Incremental and safe to re-run: each batch is written in one transaction,
    and a comment scored before is skipped. On a ``spark://`` workspace the
    scoring is a Spark job over the partitions (:mod:`b2bcx.text.sparkjob`).
    """
    if backend.kind != "spark":
        return analyze_local(backend, encoder=encoder, progress=progress, limit=limit)
    from b2bcx.storage.spark import SparkBackend
    from b2bcx.text.sparkjob import analyze_spark

    if not isinstance(backend, SparkBackend):
        raise ConfigurationError(f"{backend.url}: not a Spark workspace")
    if limit is not None:
        raise ConfigurationError("--limit is not available on a Spark workspace")
    return analyze_spark(backend, encoder=encoder)
