"""Agreement that holds whatever the number of ratings per person.

A person's individual CX is the decayed mean of their m ratings. Comparing the
variance of such *means* with the null variance of a *single* answer
(σ²_EU = (A² − 1)/12) makes random responders look aligned as soon as they
rated a few times: a mean of m random answers has about σ²_EU/m of variance
(the Spearman–Brown inflation Lindell and LeBreton & Senter warn about). With
5 ratings each, a unit of random responders was called aligned ~80 % of the time.

b2bcx therefore estimates the variance of a *single response* in the unit from
a random-intercept model (interactions within people within units, method of
moments, one pass of group-bys for all units):

    x_ijk = μ_k + p_jk + e_ijk,   Var(p) = τ²_k (people differ),
                                  Var(e) = σ²_w,k (a person's ratings vary)

- the person means x̄_jk (decayed, weights w) have E[s²_means,k] = τ²_k + σ²_w,k · h̄_k,
  h̄_k the unit's mean of h_j = Σw²/(Σw)² (1/m for equal weights);
- σ̂²_w,k = Σ_j SS_within,j / Σ_j (m_j − 1) (pooled over the unit's people);
- the response variance σ̂²_resp,k = τ̂²_k + σ̂²_w,k = s²_means,k + (1 − h̄_k)·σ̂²_w,k;
- **rwg** = 1 − σ̂²_resp,k / σ²_E (values below 0 reported as 0).

With one rating per person (h = 1) this is exactly James, Demaree & Wolf's rwg
on the answers (R's ``multilevel::rwg``). Under random responding
E[σ̂²_resp] = σ²_E whatever m, so rwg centres on 0 instead of on 1 − 1/m.

Beside it: ``rwg_means`` (the old index on person means, for comparison),
the variance components ``var_person`` (τ̂², floored at 0) and ``var_within``
(σ̂²_w), ``m_eff`` (1/h̄), a percentile **bootstrap interval for rwg** that
resamples the unit's people (``rwg_low``, ``rwg_high``), and the
**reliability of the unit mean** (Spearman–Brown from the portfolio's
ICC(1) and the unit's n: n·ICC1 / (1 + (n − 1)·ICC1), the unit's ICC(2)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.groups import FloatArray

#: Default bootstrap repetitions of the rwg interval.
DEFAULT_INTERVAL_REPS = 200
#: Repetitions drawn per chunk (bounds memory to chunk × people floats).
_CHUNK = 25


@dataclass(frozen=True)
class UnitVariance:
    """Per-unit variance components of a random-intercept model (one row per unit)."""

    n: npt.NDArray[np.int64]
    mean: FloatArray
    var_means: FloatArray
    var_within: FloatArray
    var_person: FloatArray
    var_response: FloatArray
    m_eff: FloatArray

    def rwg(self, null_var: float) -> FloatArray:
        """rwg = 1 − σ̂²_resp/σ²_E, floored at 0, NaN for one person."""
        return _floor(1.0 - self.var_response / null_var)

    def rwg_means(self, null_var: float) -> FloatArray:
        """The uncorrected index on person means, 1 − s²_means/σ²_E (for comparison)."""
        return _floor(1.0 - self.var_means / null_var)


def _floor(r: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(np.isnan(r), np.nan, np.clip(r, 0.0, None))
    return out


def _components(
    key: npt.NDArray[np.intp],
    k: int,
    score: FloatArray,
    h: FloatArray,
    ss: FloatArray,
    df: FloatArray,
) -> UnitVariance:
    n = np.bincount(key, minlength=k).astype(np.int64)
    s = np.bincount(key, score, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
        dev = score - mean[key]
        var_means = np.bincount(key, dev * dev, minlength=k) / (n - 1)
        var_means = np.where(n > 1, var_means, np.nan)
        h_bar = np.bincount(key, h, minlength=k) / n
        df_sum = np.bincount(key, df, minlength=k)
        var_within = np.bincount(key, ss, minlength=k) / df_sum
    # nobody rated twice: σ²_w is unknown but unused (h̄ = 1 multiplies it by 0)
    within_term = np.where(df_sum > 0, (1.0 - h_bar) * var_within, 0.0)
    var_response = var_means + within_term
    var_person = np.clip(var_means - np.where(df_sum > 0, h_bar * var_within, 0.0), 0.0, None)
    var_person = np.where(n > 1, var_person, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_eff = 1.0 / h_bar
    return UnitVariance(
        n=n,
        mean=mean,
        var_means=var_means,
        var_within=np.where(df_sum > 0, var_within, np.nan),
        var_person=var_person,
        var_response=var_response,
        m_eff=m_eff,
    )


def _arrays(
    score: npt.ArrayLike,
    unit: npt.ArrayLike,
    m_eff_inv: npt.ArrayLike | None,
    ss_within: npt.ArrayLike | None,
    df_within: npt.ArrayLike | None,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray]:
    x = np.asarray(score, dtype=float).ravel()
    g = np.asarray(unit).ravel()
    size = len(x)
    h = np.ones(size) if m_eff_inv is None else np.asarray(m_eff_inv, dtype=float).ravel()
    ss = np.zeros(size) if ss_within is None else np.asarray(ss_within, dtype=float).ravel()
    df = np.zeros(size) if df_within is None else np.asarray(df_within, dtype=float).ravel()
    if not len(g) == len(h) == len(ss) == len(df) == size:
        raise ConfigurationError("score, unit and the moment columns must have the same length")
    keep = ~np.isnan(x)
    labels, codes = np.unique(g[keep], return_inverse=True)
    h = np.nan_to_num(h[keep], nan=1.0)
    return labels, codes.astype(np.intp), x[keep], h, np.nan_to_num(ss[keep]), df[keep]


def unit_variance(
    score: npt.ArrayLike,
    unit: npt.ArrayLike,
    *,
    m_eff_inv: npt.ArrayLike | None = None,
    ss_within: npt.ArrayLike | None = None,
    df_within: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[Any], UnitVariance]:
    """Per-unit variance components from per-person moments (all units at once).

    Parameters
    ----------
    score : each person's (decayed) mean rating; NaN rows are dropped.
    unit : each person's unit label.
    m_eff_inv : Σw²/(Σw)² per person (1/m for equal weights); default 1 (one rating).
    ss_within : Σ(x − x̄)² of the person's ratings; default 0.
    df_within : m − 1 per person; default 0.

    Returns
    -------
    ``(labels, UnitVariance)``, labels sorted as :func:`numpy.unique` sorts them.

    Examples
    --------
    One rating per person: the response variance is the plain variance.

    >>> labels, v = unit_variance([1, 2, 3, 5, 5, 5], ["a"] * 3 + ["b"] * 3)
    >>> v.var_response.tolist(), v.rwg(2.0).tolist()
    ([1.0, 0.0], [0.5, 1.0])
    """
    labels, codes, x, h, ss, df = _arrays(score, unit, m_eff_inv, ss_within, df_within)
    return labels, _components(codes, len(labels), x, h, ss, df)


def rwg_bootstrap(
    score: npt.ArrayLike,
    unit: npt.ArrayLike,
    *,
    null_var: float,
    m_eff_inv: npt.ArrayLike | None = None,
    ss_within: npt.ArrayLike | None = None,
    df_within: npt.ArrayLike | None = None,
    reps: int = DEFAULT_INTERVAL_REPS,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
    """Percentile bootstrap interval of each unit's rwg, resampling its people.

    All units and ``reps`` repetitions at once (in chunks): each repetition
    draws, for every unit, n_k of its people with replacement and recomputes
    the variance components. Returns ``(labels, lower, upper)``; NaN for units
    of one person. With very few people the interval is wide (and a
    bootstrap of three people can only take a few values): read it as a
    statement of how little three people can show.

    Examples
    --------
    >>> labels, lo, hi = rwg_bootstrap([5, 5, 6, 5, 0, 10, 3, 8], [0] * 4 + [1] * 4,
    ...                                null_var=10.0, reps=200)
    >>> bool(lo[0] > hi[1])
    True
    """
    if reps < 1 or not 0 < alpha < 1:
        raise ConfigurationError("reps must be ≥ 1 and alpha in (0, 1)")
    labels, codes, x, h, ss, df = _arrays(score, unit, m_eff_inv, ss_within, df_within)
    order = np.argsort(codes, kind="stable")
    codes, x, h, ss, df = codes[order], x[order], h[order], ss[order], df[order]

    def rwg(key: npt.NDArray[np.intp], flat: npt.NDArray[np.intp], units: int) -> FloatArray:
        return _components(key, units, x[flat], h[flat], ss[flat], df[flat]).rwg(null_var)

    lo, hi = _unit_bootstrap(codes, len(labels), rwg, reps=reps, alpha=alpha, seed=seed)
    return labels, lo, hi


def _unit_bootstrap(
    codes: npt.NDArray[np.intp],
    k: int,
    statistic: Callable[[npt.NDArray[np.intp], npt.NDArray[np.intp], int], FloatArray],
    *,
    reps: int,
    alpha: float,
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of a per-unit ``statistic`` over ``reps`` resamples of
    each unit's people (``codes``: each person's unit, sorted), in chunks.

    ``statistic(key, rows, units)`` gets the drawn people ``rows`` (indices into
    the sorted people, every repetition of the chunk after the other), each
    one's ``key`` (repetition × k + unit) and the number of keys, and returns
    one value per key. NaN bounds for units of one person."""
    sizes = np.bincount(codes, minlength=k)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    out = np.empty((reps, k))
    done = 0
    while done < reps:
        b = min(_CHUNK, reps - done)
        idx = starts[codes] + np.floor(rng.random((b, len(codes))) * sizes[codes]).astype(np.intp)
        key = (np.arange(b)[:, None] * k + codes[None, :]).ravel()
        out[done : done + b] = statistic(key, idx.ravel(), b * k).reshape(b, k)
        done += b
    few = sizes < 2
    out[:, few] = 0.0  # one-person units: no interval (set to NaN below)
    lo, hi = np.quantile(out, [alpha / 2, 1 - alpha / 2], axis=0)
    lo[few], hi[few] = np.nan, np.nan
    return lo, hi


def rwg_j_bootstrap(
    scores: npt.ArrayLike,
    unit: npt.ArrayLike,
    *,
    null_var: float,
    m_eff_inv: npt.ArrayLike,
    ss_within: npt.ArrayLike,
    df_within: npt.ArrayLike,
    reps: int = DEFAULT_INTERVAL_REPS,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
    """Percentile bootstrap interval of each unit's rwg(j) over J items.

    ``scores`` and the moments are (n people, J items), complete rows only (as
    :func:`b2bcx.measures.collective.measure_units` builds them). Each
    repetition resamples the unit's people (the same draw for every item),
    averages the items' response variances and applies rwg(j)'s formula.
    """
    from b2bcx.measures.agreement import rwg_j_from_variance

    x = np.asarray(scores, dtype=float)
    if x.ndim != 2:
        raise ConfigurationError("scores must be (people, items)")
    h = np.asarray(m_eff_inv, dtype=float).reshape(x.shape)
    ss = np.asarray(ss_within, dtype=float).reshape(x.shape)
    df = np.asarray(df_within, dtype=float).reshape(x.shape)
    labels, codes = np.unique(np.asarray(unit).ravel(), return_inverse=True)
    j = x.shape[1]
    order = np.argsort(codes, kind="stable")
    codes, x, h, ss, df = codes[order], x[order], h[order], ss[order], df[order]

    def rwg_j(key: npt.NDArray[np.intp], flat: npt.NDArray[np.intp], units: int) -> FloatArray:
        s2 = np.mean(
            [
                _components(
                    key, units, x[flat, i], h[flat, i], ss[flat, i], df[flat, i]
                ).var_response
                for i in range(j)
            ],
            axis=0,
        )
        out: FloatArray = rwg_j_from_variance(s2, j, null_var=null_var)
        return out

    lo, hi = _unit_bootstrap(
        codes.astype(np.intp), len(labels), rwg_j, reps=reps, alpha=alpha, seed=seed
    )
    return labels, lo, hi


def spearman_brown(icc1: float | None, n: npt.ArrayLike) -> FloatArray:
    """Reliability of a mean of n people: n·ICC1 / (1 + (n − 1)·ICC1) (the unit's ICC(2)).

    NaN where ICC(1) is unknown; a negative ICC(1) is taken as 0 (no reliable
    difference between units).

    >>> spearman_brown(0.10, [3, 10, 30]).round(3).tolist()
    [0.25, 0.526, 0.769]
    """
    n_a = np.asarray(n, dtype=float)
    if icc1 is None or not np.isfinite(icc1):
        return np.full(n_a.shape, np.nan)
    r = max(float(icc1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = n_a * r / (1.0 + (n_a - 1.0) * r)
    return out


def portfolio_components(
    score: npt.ArrayLike,
    unit: npt.ArrayLike,
    *,
    m_eff_inv: npt.ArrayLike | None = None,
    ss_within: npt.ArrayLike | None = None,
    df_within: npt.ArrayLike | None = None,
) -> dict[str, float | None]:
    """Pooled variance components over all units: between units, people, ratings.

    Method of moments: ``var_unit`` = max(0, MSB − MSW)/k₀ from the one-way
    ANOVA of person scores over units (k₀ Bliese's adjusted group size),
    ``var_within`` the pooled within-person rating variance, ``var_person`` =
    max(0, MSW − h̄·σ̂²_w) the between-person variance within units.
    """
    labels, codes, x, h, ss, df = _arrays(score, unit, m_eff_inv, ss_within, df_within)
    k, total = len(labels), len(x)
    none: dict[str, float | None] = {"var_unit": None, "var_person": None, "var_within": None}
    if k < 2 or total <= k:
        return none
    n = np.bincount(codes, minlength=k).astype(float)
    mean = np.bincount(codes, x, minlength=k) / n
    grand = x.mean()
    msb = float((n * (mean - grand) ** 2).sum() / (k - 1))
    msw = float(((x - mean[codes]) ** 2).sum() / (total - k))
    k0 = (total - float((n**2).sum()) / total) / (k - 1)
    df_sum = float(df.sum())
    var_within = float(ss.sum() / df_sum) if df_sum > 0 else None
    within_part = float(h.mean()) * var_within if var_within is not None else 0.0
    return {
        "var_unit": max(msb - msw, 0.0) / k0,
        "var_person": max(msw - within_part, 0.0),
        "var_within": var_within,
    }


def icc1_test(
    msb: float, msw: float, n_groups: int, n: int, k: float, *, alpha: float = 0.05
) -> dict[str, float]:
    """F test and confidence interval of ICC(1) from the one-way ANOVA.

    F = MSB/MSW on (J − 1, N − J) df; the interval transforms the F bounds
    F/F_{1−α/2}(J − 1, N − J) and F·F_{1−α/2}(N − J, J − 1) by (F − 1)/(F + k − 1)
    (Shrout & Fleiss 1979, ICC(1,1); exact for equal group sizes k, an
    approximation with k = N/J otherwise).

    >>> r = icc1_test(msb=5.0, msw=1.0, n_groups=10, n=50, k=5.0)
    >>> round(r["icc1_f"], 3), r["icc1_low"] < (5 - 1) / (5 + 4) < r["icc1_high"]
    (5.0, True)
    """
    from scipy import stats

    df1, df2 = n_groups - 1, n - n_groups
    if df1 < 1 or df2 < 1 or not msw > 0:
        nan = float("nan")
        return {"icc1_f": nan, "icc1_p": nan, "icc1_low": nan, "icc1_high": nan}
    f = msb / msw
    q = 1 - alpha / 2
    f_lo = f / float(stats.f.ppf(q, df1, df2))
    f_hi = f * float(stats.f.ppf(q, df2, df1))
    return {
        "icc1_f": f,
        "icc1_p": float(stats.f.sf(f, df1, df2)),
        "icc1_low": (f_lo - 1) / (f_lo + k - 1),
        "icc1_high": (f_hi - 1) / (f_hi + k - 1),
    }


def variance_frame(labels: npt.NDArray[Any], v: UnitVariance, null_var: float) -> pd.DataFrame:
    """The components and both rwg indices as a frame indexed by unit label."""
    return pd.DataFrame(
        {
            "rwg": v.rwg(null_var),
            "rwg_means": v.rwg_means(null_var),
            "var_response": v.var_response,
            "var_person": v.var_person,
            "var_within": v.var_within,
            "m_eff": v.m_eff,
        },
        index=labels,
    )


__all__ = [
    "DEFAULT_INTERVAL_REPS",
    "UnitVariance",
    "icc1_test",
    "portfolio_components",
    "rwg_bootstrap",
    "rwg_j_bootstrap",
    "spearman_brown",
    "unit_variance",
    "variance_frame",
]
