"""Standard CX scores per unit, vectorized: NPS (with a CI), weighted NPS, CSAT, CES.

Formulas (METHODS.md):

- NPS = 100 · (p₊ − p₋), promoters 9–10, detractors 0–6 on the 0–10 scale;
- Var(NPS on −1…1) = [p₊ + p₋ − (p₊ − p₋)²] / n;
- the interval is Rocks' (2016, *The American Statistician* 70:365) **adjusted
  Wald** for the trinomial: add 3/4 to the promoters and to the detractors and 3
  to n (so 3/2 to the passives), then p̃₊ − p̃₋ ± z·√([p̃₊ + p̃₋ − (p̃₊ − p̃₋)²]/ñ),
  clipped to −100…100. Its exact coverage (``benchmarks/validity/nps_coverage.py``)
  averages ≥ 95 % over a grid of true shares at n = 3, 5, 10, 30, where the plain
  Wald interval averages 64 % at n = 3 (and gives [100, 100] for three 10s);
- weighted NPS: p₊, p₋ are weight shares (role weights, annual value); the interval
  uses Kish's effective n = (Σw)² / Σw² in place of n;
- CSAT = share of 4–5 on a 1–5 scale (and the mean); CES = mean of 1–7 and share
  5–7; their interval is Agresti & Coull's (1998) adjusted Wald (z²/2 successes
  and z² answers added), clipped to 0–100;
- below :data:`MIN_INTERVAL_N` answers (effective n) there is no interval:
  ``lower``/``upper`` are NaN and ``note`` says "too few answers".

Missing scores (NaN) are dropped, as ``na.rm = TRUE``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.tabular import TabularMixin

FloatArray = npt.NDArray[np.float64]

#: Fewest answers (Kish effective n for weighted scores) for an interval.
MIN_INTERVAL_N = 3
#: Rocks' (2016) adjusted-Wald pseudo-counts: added to promoters and detractors;
#: n grows by :data:`NPS_ADD_N`.
NPS_ADD = 0.75
NPS_ADD_N = 3.0
TOO_FEW_ANSWERS = "too few answers"
_COLUMNS = ("group", "n", "score", "lower", "upper", "share_high", "share_low", "mean")


@dataclass(frozen=True)
class ScoreResult(TabularMixin):
    """One row per group: n (or effective n), score, interval and shares.

    ``note`` is "too few answers" where n is below ``min_n`` (no interval), else
    empty; ``interval`` names the interval method.
    """

    group: npt.NDArray[Any]
    n: FloatArray
    score: FloatArray
    lower: FloatArray
    upper: FloatArray
    share_high: FloatArray
    share_low: FloatArray
    mean: FloatArray
    interval: str = "adjusted_wald"
    min_n: int = MIN_INTERVAL_N
    z: float = 1.96
    metric: str = "nps"

    @property
    def metric_label(self) -> str:
        """The score's human name: "NPS", "CSAT" or "CES"."""
        return self.metric.upper()

    @property
    def note(self) -> list[str]:
        """Per group: "too few answers" where there is no interval, else ""."""
        few = ~(np.asarray(self.n, dtype=float) >= self.min_n)
        return [TOO_FEW_ANSWERS if f else "" for f in few.tolist()]

    def to_frame(self) -> pd.DataFrame:
        """A tidy frame, one row per group (with ``note``)."""
        d = asdict(self)
        frame = pd.DataFrame({k: np.asarray(d[k]) for k in _COLUMNS})
        frame["note"] = self.note
        return frame

    def methods(self) -> dict[str, Any]:
        """How the interval was computed (travels with :meth:`to_dict`)."""
        return {
            "interval": self.interval,
            "confidence_z": self.z,
            "min_n": self.min_n,
            "below_min_n": TOO_FEW_ANSWERS,
            "clipped_to_scale": True,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of lists (NaN as None), with ``note`` and ``methods``."""
        d = asdict(self)
        out: dict[str, Any] = {
            k: [
                None if isinstance(v, float) and np.isnan(v) else v
                for v in np.asarray(d[k]).tolist()
            ]
            for k in _COLUMNS
        }
        out["note"] = self.note
        out["metric"] = self.metric
        out["metric_label"] = self.metric_label
        out["methods"] = self.methods()
        return out


def _json(v: Any) -> Any:
    return None if isinstance(v, float) and np.isnan(v) else v


def adjusted_wald_nps(
    n: npt.ArrayLike,
    p_pro: npt.ArrayLike,
    p_det: npt.ArrayLike,
    *,
    z: float = 1.96,
    min_n: int = MIN_INTERVAL_N,
) -> tuple[FloatArray, FloatArray]:
    """Rocks' (2016) adjusted-Wald interval of NPS (on −1…1) from n and the shares.

    Adds 3/4 to the promoter and detractor counts and 3 to n, uses the
    trinomial variance at the adjusted shares and clips to [−1, 1]. NaN where
    ``n < min_n``.

    Examples
    --------
    >>> lo, hi = adjusted_wald_nps([3], [1.0], [0.0])
    >>> round(float(lo[0]), 3), float(hi[0])
    (-0.066, 1.0)
    """
    n_a = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        nt = n_a + NPS_ADD_N
        pp = (np.asarray(p_pro, dtype=float) * n_a + NPS_ADD) / nt
        pd_ = (np.asarray(p_det, dtype=float) * n_a + NPS_ADD) / nt
        s = pp - pd_
        se = np.sqrt(np.clip(pp + pd_ - s**2, 0, None) / nt)
    ok = n_a >= min_n
    lo = np.where(ok, np.clip(s - z * se, -1.0, 1.0), np.nan)
    hi = np.where(ok, np.clip(s + z * se, -1.0, 1.0), np.nan)
    return lo, hi


def agresti_coull(
    n: npt.ArrayLike, p: npt.ArrayLike, *, z: float = 1.96, min_n: int = MIN_INTERVAL_N
) -> tuple[FloatArray, FloatArray]:
    """Agresti & Coull's (1998) interval of a proportion, clipped to [0, 1].

    >>> lo, hi = agresti_coull([4], [1.0])
    >>> round(float(lo[0]), 3), float(hi[0])
    (0.454, 1.0)
    """
    n_a = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        nt = n_a + z**2
        pt = (np.asarray(p, dtype=float) * n_a + z**2 / 2) / nt
        se = np.sqrt(pt * (1 - pt) / nt)
    ok = n_a >= min_n
    lo = np.where(ok, np.clip(pt - z * se, 0.0, 1.0), np.nan)
    hi = np.where(ok, np.clip(pt + z * se, 0.0, 1.0), np.nan)
    return lo, hi


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
    """Net Promoter Score per group, −100…100, with Rocks' adjusted-Wald CI.

    Parameters
    ----------
    values : 0–10 likelihood-to-recommend answers; NaN dropped.
    groups : unit codes (one group when omitted).
    weights : per-respondent weights (weighted NPS); CI uses Kish's effective n.
    z : normal quantile of the interval (1.96 → 95 %).

    Below :data:`MIN_INTERVAL_N` answers the interval is NaN ("too few answers").

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
    lo, hi = adjusted_wald_nps(n, pp, pd_, z=z)
    return ScoreResult(labels, n, 100 * score, 100 * lo, 100 * hi, pp, pd_, mean, z=z)


def _top_box(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None,
    weights: npt.ArrayLike | None,
    scale: tuple[int, int],
    top_from: float,
    z: float,
    metric: str,
) -> ScoreResult:
    x, codes, labels, w = _prepare(values, groups, weights)
    if np.any((x < scale[0]) | (x > scale[1])):
        raise ConfigurationError(f"answers must lie on the {scale[0]}–{scale[1]} scale")
    high = (x >= top_from).astype(np.float64)
    n, ph, pl, mean, _ = _shares(x, codes, labels, w, high, 1.0 - high)
    lo, hi = agresti_coull(n, ph, z=z)
    return ScoreResult(
        labels, n, 100 * ph, 100 * lo, 100 * hi, ph, pl, mean, interval="agresti_coull", z=z,
        metric=metric,
    )  # fmt: skip


def csat(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    z: float = 1.96,
) -> ScoreResult:
    """CSAT per group: % of 4–5 on a 1–5 scale (``score``, Agresti–Coull CI) and the ``mean``.

    Examples
    --------
    >>> r = csat([5, 4, 3, 1])
    >>> float(r.score[0]), float(r.mean[0])
    (50.0, 3.25)
    """
    return _top_box(values, groups, weights, (1, 5), 4, z, "csat")


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
    return _top_box(values, groups, weights, (1, 7), 5, z, "ces")
