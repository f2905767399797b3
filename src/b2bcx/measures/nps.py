"""Standard CX scores per unit, vectorized: NPS (with a CI), weighted NPS, CSAT, CES.

Formulas (METHODS.md):

- NPS = 100 · (p₊ − p₋), promoters 9–10, detractors 0–6 on the 0–10 scale;
- Var(NPS on −1…1) = [p₊ + p₋ − (p₊ − p₋)²] / n, CI = NPS ± z·100·√Var;
- weighted NPS: p₊, p₋ are weight shares (role weights, annual value); the CI uses
  Kish's effective n = (Σw)² / Σw² in place of n;
- CSAT = share of 4–5 on a 1–5 scale (and the mean); CES = mean of 1–7 and share 5–7.

Missing scores (NaN) are dropped, as ``na.rm = TRUE``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ScoreResult:
    """One row per group: n (or effective n), score, interval and shares."""

    group: npt.NDArray[Any]
    n: FloatArray
    score: FloatArray
    lower: FloatArray
    upper: FloatArray
    share_high: FloatArray
    share_low: FloatArray
    mean: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """A tidy frame, one row per group."""
        return pd.DataFrame({k: np.asarray(v) for k, v in asdict(self).items()})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of lists."""
        return {k: np.asarray(v).tolist() for k, v in asdict(self).items()}


def _prepare(
    values: npt.ArrayLike, groups: npt.ArrayLike | None, weights: npt.ArrayLike | None
) -> tuple[FloatArray, npt.NDArray[np.intp], npt.NDArray[Any], FloatArray]:
    x = np.asarray(values, dtype=float).ravel()
    g = np.zeros(len(x), dtype=np.intp) if groups is None else np.asarray(groups).ravel()
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float).ravel()
    if len(g) != len(x) or len(w) != len(x):
        raise ConfigurationError("values, groups and weights must have the same length")
    if np.any(w[~np.isnan(w)] < 0):
        raise ConfigurationError("weights must be non-negative")
    keep = ~np.isnan(x) & ~np.isnan(w)
    labels, codes = np.unique(g[keep], return_inverse=True)
    return x[keep], codes.astype(np.intp), labels, w[keep]


def _shares(
    x: FloatArray,
    codes: npt.NDArray[np.intp],
    labels: npt.NDArray[Any],
    w: FloatArray,
    high: FloatArray,
    low: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    k = len(labels)
    sw = np.bincount(codes, w, minlength=k).astype(np.float64)
    sw2 = np.bincount(codes, w**2, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ph = np.bincount(codes, w * high, minlength=k) / sw
        pl = np.bincount(codes, w * low, minlength=k) / sw
        mean = np.bincount(codes, w * x, minlength=k) / sw
        n_eff = sw**2 / sw2
    return n_eff, ph, pl, mean, sw


def nps(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    z: float = 1.96,
) -> ScoreResult:
    """Net Promoter Score per group, −100…100, with a normal-approximation CI.

    Parameters
    ----------
    values : 0–10 likelihood-to-recommend answers; NaN dropped.
    groups : unit codes (one group when omitted).
    weights : per-respondent weights (weighted NPS); CI uses Kish's effective n.
    z : normal quantile of the interval (1.96 → 95 %).

    Examples
    --------
    >>> r = nps([10, 9, 8, 3, 10])
    >>> float(r.score[0]), float(r.n[0])
    (40.0, 5.0)
    """
    x, codes, labels, w = _prepare(values, groups, weights)
    if np.any((x < 0) | (x > 10)):
        raise ConfigurationError("NPS answers must lie on the 0–10 scale")
    n, pp, pd_, mean, _ = _shares(
        x, codes, labels, w, (x >= 9).astype(np.float64), (x <= 6).astype(np.float64)
    )
    score = pp - pd_
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.clip(pp + pd_ - score**2, 0, None) / n)
    return ScoreResult(
        labels, n, 100 * score, 100 * (score - z * se), 100 * (score + z * se), pp, pd_, mean
    )


def _top_box(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None,
    weights: npt.ArrayLike | None,
    scale: tuple[int, int],
    top_from: float,
    z: float,
) -> ScoreResult:
    x, codes, labels, w = _prepare(values, groups, weights)
    if np.any((x < scale[0]) | (x > scale[1])):
        raise ConfigurationError(f"answers must lie on the {scale[0]}–{scale[1]} scale")
    high = (x >= top_from).astype(np.float64)
    n, ph, pl, mean, _ = _shares(x, codes, labels, w, high, 1.0 - high)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(ph * (1 - ph) / n)
    return ScoreResult(labels, n, 100 * ph, 100 * (ph - z * se), 100 * (ph + z * se), ph, pl, mean)


def csat(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    z: float = 1.96,
) -> ScoreResult:
    """CSAT per group: % of 4–5 on a 1–5 scale (``score``, Wald CI) and the ``mean``.

    Examples
    --------
    >>> r = csat([5, 4, 3, 1])
    >>> float(r.score[0]), float(r.mean[0])
    (50.0, 3.25)
    """
    return _top_box(values, groups, weights, (1, 5), 4, z)


def ces(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    z: float = 1.96,
) -> ScoreResult:
    """CES 2.0 per group (Dixon et al. 2013): ``mean`` of 1–7 and % of 5–7 (``score``).

    Examples
    --------
    >>> float(ces([7, 5, 2]).mean[0])
    4.666666666666667
    """
    return _top_box(values, groups, weights, (1, 7), 5, z)
