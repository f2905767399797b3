"""Small statistics the detectors share: FDR control, Welch tests from summary
statistics, one-way ANOVA with omega squared, and a change-point trend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]


def bh_adjust(p: npt.ArrayLike) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    values = np.empty(m)
    values[order] = adjusted
    out[ok] = values
    return out


def welch(
    m1: npt.ArrayLike,
    s1: npt.ArrayLike,
    n1: npt.ArrayLike,
    m2: npt.ArrayLike,
    s2: npt.ArrayLike,
    n2: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Welch's t and two-sided p from means, standard deviations and counts (vectorized)."""
    m1, s1, n1 = (np.asarray(v, dtype=float) for v in (m1, s1, n1))
    m2, s2, n2 = (np.asarray(v, dtype=float) for v in (m2, s2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        v1, v2 = s1**2 / n1, s2**2 / n2
        se = np.sqrt(v1 + v2)
        t = (m1 - m2) / se
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    bad = (n1 < 2) | (n2 < 2) | ~np.isfinite(se) | (se == 0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, p)


@dataclass(frozen=True)
class Anova:
    """One-way ANOVA of values in groups."""

    f: float
    p: float
    omega2: float
    eta2: float
    df_between: int
    df_within: int


def one_way_anova(values: npt.ArrayLike, groups: npt.ArrayLike) -> Anova | None:
    """Classical one-way ANOVA with omega squared (Hays); None when it cannot be run."""
    x = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    keep = ~np.isnan(x)
    x, g = x[keep], g[keep]
    labels, codes = np.unique(g, return_inverse=True)
    k, n = len(labels), len(x)
    if k < 2 or n - k < 1:
        return None
    counts = np.bincount(codes, minlength=k)
    means = np.bincount(codes, x, minlength=k) / counts
    grand = x.mean()
    ss_between = float((counts * (means - grand) ** 2).sum())
    ss_within = float(((x - means[codes]) ** 2).sum())
    ss_total = ss_between + ss_within
    df_b, df_w = k - 1, n - k
    ms_w = ss_within / df_w
    if ss_total == 0:
        return Anova(f=0.0, p=1.0, omega2=0.0, eta2=0.0, df_between=df_b, df_within=df_w)
    f = (ss_between / df_b) / ms_w if ms_w > 0 else np.inf
    p = float(stats.f.sf(f, df_b, df_w)) if np.isfinite(f) else 0.0
    omega2 = max(0.0, (ss_between - df_b * ms_w) / (ss_total + ms_w))
    return Anova(f=float(f), p=p, omega2=omega2, eta2=ss_between / ss_total,
                 df_between=df_b, df_within=df_w)  # fmt: skip


@dataclass(frozen=True)
class ChangePoint:
    """A level then a linear change after ``tau`` (a hinge), fitted by weighted least squares."""

    tau: float  # time of the change, in years from the first period
    slope: float  # change per year after tau
    level: float  # level before tau
    p: float  # F test of the hinge against a constant level, Bonferroni over the taus tried
    drop: float  # fitted change from tau to the last period
    n: int


def change_point(
    t: npt.ArrayLike, mean: npt.ArrayLike, n: npt.ArrayLike, ss_within: float, *, min_side: int = 3
) -> ChangePoint | None:
    """The best hinge ``level + slope · max(0, t − tau)`` for period means.

    ``t`` (years), ``mean`` and ``n`` describe periods (e.g. months); the error
    variance comes from the spread inside and around the periods, so periods
    with more ratings weigh more. ``tau`` runs over the periods leaving at
    least ``min_side`` on each side; the p-value of the best is Bonferroni-
    corrected for the number of taus tried (conservative).
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(mean, dtype=float)
    w = np.asarray(n, dtype=float)
    periods = len(t)
    if periods < 2 * min_side:
        return None
    total_n = float(w.sum())
    wmean = float((w * y).sum() / total_n)
    rss0 = float((w * (y - wmean) ** 2).sum())
    best: tuple[float, float, float, float] | None = None
    for tau in t[min_side - 1 : periods - min_side]:
        h = np.clip(t - tau, 0.0, None)
        design = np.column_stack([np.ones(periods), h])
        sw = np.sqrt(w)
        coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
        rss = float((w * (y - design @ coef) ** 2).sum())
        if best is None or rss < best[0]:
            best = (rss, float(tau), float(coef[0]), float(coef[1]))
    if best is None:
        return None
    rss1, tau, level, slope = best
    df_resid = total_n - 2
    if df_resid <= 0:
        return None
    sigma2 = (ss_within + rss1) / df_resid
    f = (rss0 - rss1) / sigma2 if sigma2 > 0 else np.inf
    tries = periods - 2 * min_side + 1
    p = min(1.0, float(stats.f.sf(f, 1, df_resid)) * tries) if np.isfinite(f) else 0.0
    drop = slope * float(t[-1] - tau)
    return ChangePoint(tau=tau, slope=slope, level=level, p=p, drop=drop, n=int(total_n))


@dataclass(frozen=True)
class TwoWay:
    """Additive account + touchpoint effects fitted to cell means."""

    row_effect: FloatArray
    col_effect: FloatArray
    col_se: FloatArray
    sigma2: float


def two_way_effects(
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    n: npt.ArrayLike,
    mean: npt.ArrayLike,
    ss_within: float,
    *,
    iterations: int = 50,
) -> TwoWay:
    """Least-squares ``x = row + col`` for an unbalanced two-way layout, by backfitting.

    ``rows``/``cols`` are integer codes of each cell, ``n`` and ``mean`` its count
    and mean. Column effects are centred on their weighted mean, so a column's
    effect is its distance from the average cell *within the same rows*: a
    touchpoint is compared with the others in the accounts it serves. The error
    variance pools the spread within cells and the misfit of the cell means.
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w = np.asarray(n, dtype=float)
    y = np.asarray(mean, dtype=float)
    n_rows, n_cols = int(r.max()) + 1, int(c.max()) + 1
    w_row = np.bincount(r, w, minlength=n_rows)
    w_col = np.bincount(c, w, minlength=n_cols)
    col = np.zeros(n_cols)
    row = np.zeros(n_rows)
    for _ in range(iterations):
        row = np.bincount(r, w * (y - col[c]), minlength=n_rows) / np.maximum(w_row, 1e-12)
        new = np.bincount(c, w * (y - row[r]), minlength=n_cols) / np.maximum(w_col, 1e-12)
        if np.allclose(new, col, atol=1e-9):
            col = new
            break
        col = new
    shift = float((w_col * col).sum() / w_col.sum())
    col, row = col - shift, row + shift
    misfit = float((w * (y - row[r] - col[c]) ** 2).sum())
    df = float(w.sum()) - n_rows - n_cols + 1
    sigma2 = (ss_within + misfit) / df if df > 0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(sigma2 / w_col)
    return TwoWay(row_effect=row, col_effect=col, col_se=se, sigma2=sigma2)


@dataclass(frozen=True)
class ChangePoints:
    """Best hinge per row of a period matrix (see :func:`change_points`)."""

    tau: FloatArray
    slope: FloatArray
    level: FloatArray
    p: FloatArray
    drop: FloatArray
    n: FloatArray


def change_points(
    t: npt.ArrayLike,
    mean: npt.ArrayLike,
    n: npt.ArrayLike,
    ss_within: npt.ArrayLike,
    *,
    min_side: int = 3,
) -> ChangePoints:
    """:func:`change_point` for many series at once.

    ``mean`` and ``n`` are (series × periods) matrices on the common period grid
    ``t`` (years); a period without data has ``n = 0``. ``tau`` runs over the
    periods that leave at least ``min_side`` periods with data on each side;
    NaN where no such period exists.
    """
    t = np.asarray(t, dtype=float)
    w = np.asarray(n, dtype=float)
    y = np.where(w > 0, np.asarray(mean, dtype=float), 0.0)
    ssw = np.asarray(ss_within, dtype=float)
    rows = w.shape[0]
    sw, sy, syy = w.sum(1), (w * y).sum(1), (w * y * y).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rss0 = syy - sy**2 / sw
    has = w > 0
    before = np.cumsum(has, axis=1)
    total = before[:, -1]
    best_rss = np.full(rows, np.inf)
    best = {k: np.full(rows, np.nan) for k in ("tau", "slope", "level")}
    tries = np.zeros(rows)
    for j, tau in enumerate(t):
        valid = (before[:, j] >= min_side) & (total - before[:, j] >= min_side) & has[:, j]
        if not valid.any():
            continue
        h = np.clip(t - tau, 0.0, None)
        sh, shh, shy = w @ h, w @ (h * h), (w * y) @ h
        with np.errstate(invalid="ignore", divide="ignore"):
            varh = shh - sh**2 / sw
            cov = shy - sh * sy / sw
            slope = cov / varh
            rss = rss0 - cov**2 / varh
        valid &= np.isfinite(rss) & (varh > 0)
        tries += valid
        better = valid & (rss < best_rss)
        best_rss = np.where(better, rss, best_rss)
        best["tau"] = np.where(better, tau, best["tau"])
        best["slope"] = np.where(better, slope, best["slope"])
        best["level"] = np.where(better, (sy - slope * sh) / np.where(sw > 0, sw, 1), best["level"])
    df = sw - 2
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = (ssw + best_rss) / df
        f = (rss0 - best_rss) / sigma2
        p = np.minimum(1.0, stats.f.sf(f, 1, df) * tries)
    found = np.isfinite(best_rss) & (df > 0)
    last_t = np.array([t[np.flatnonzero(r)[-1]] if r.any() else np.nan for r in has])
    return ChangePoints(
        tau=np.where(found, best["tau"], np.nan),
        slope=np.where(found, best["slope"], np.nan),
        level=np.where(found, best["level"], np.nan),
        p=np.where(found, p, np.nan),
        drop=np.where(found, best["slope"] * (last_t - best["tau"]), np.nan),
        n=sw,
    )
