"""Small statistics the detectors share: FDR control, Welch tests from summary
statistics, one-way ANOVA with omega squared, and a change-point trend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special, stats

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


@dataclass(frozen=True)
class Shift:
    """A change of level in a monthly series (:func:`shift_test`)."""

    k: int  # months before the break (the break is at index k)
    shift: float  # mean after − mean before (direction in the sign)
    before: float  # mean before the break
    after: float  # mean after the break
    sup_wald: float  # the largest Wald statistic over the candidate breaks
    p: float  # its p-value under the AR(1)-plus-sampling-noise null (simulated)
    phi: float  # the lag-1 autocorrelation of the AR(1) part used in the null
    months: int


def _sup_wald(y: FloatArray, lo: int, hi: int) -> tuple[FloatArray, FloatArray]:
    """sup over breaks k in [lo, hi] of the Wald statistic of a mean shift, for each
    row of ``y`` (reps × T); returns the statistic and the arg-max k."""
    t = y.shape[1]
    cs = np.cumsum(y, axis=1)
    cs2 = np.cumsum(y * y, axis=1)
    total, total2 = cs[:, -1:], cs2[:, -1:]
    ks = np.arange(lo, hi + 1)
    s1, q1 = cs[:, ks - 1], cs2[:, ks - 1]
    n1, n2 = ks.astype(float), (t - ks).astype(float)
    m1, m2 = s1 / n1, (total - s1) / n2
    rss = (q1 - s1 * m1) + ((total2 - q1) - (total - s1) * m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = rss / (t - 2)
        w = (m2 - m1) ** 2 / (s2 * (1 / n1 + 1 / n2))
    w = np.where(np.isfinite(w), w, 0.0)
    best = w.argmax(axis=1)
    return w.max(axis=1), ks[best]


def _null_sup_wald(z: FloatArray, a: FloatArray, sd: FloatArray, lo: int, hi: int) -> FloatArray:
    """The sup-Wald statistic of :func:`_sup_wald` (the maximum only) of the
    simulated series ``a + z · sd`` for every row of ``sd`` (series × T, the
    sampling noise's SD per month) and every column of ``z`` and ``a`` (T × reps,
    standard normals and the AR(1) part): series × reps.

    Around a series' mean, a break after ``k`` of ``T`` months has the between
    sum of squares ``B_k = D_k² · T / (k (T − k))``, ``D_k`` the sum of the first
    ``k`` months' deviations, and ``W_k = (T − 2) · B_k / (TSS − B_k)``: increasing
    in ``B_k``, so the largest ``W`` is that of the largest ``B``. The means and
    total sums of squares come from sums of products over the months
    (``Σ (z sd + a)² = Σ sd² z² + 2 Σ sd z a + Σ a²``), the ``D_k`` from a running
    sum one month at a time over a block of series. Algebraically the statistic
    of :func:`_sup_wald`; it differs in rounding only.
    """
    t, reps = z.shape
    z2, za = z * z, z * a
    a_sum, a2_sum = a.sum(axis=0), (a * a).sum(axis=0)
    step = max(1, _BLOCK // reps)
    out = np.empty((len(sd), reps))
    for start in range(0, len(sd), step):
        s = sd[start : start + step]
        # einsum's own loops, not a threaded BLAS (which costs CPU time on a busy machine)
        mean = (np.einsum("ct,tr->cr", s, z) + a_sum) / t
        tss = np.einsum("ct,tr->cr", s * s, z2) + 2 * np.einsum("ct,tr->cr", s, za)
        tss += a2_sum - t * mean * mean
        acc = np.zeros_like(mean)
        bmax = np.zeros_like(mean)
        row = np.empty_like(mean)
        cols = s.T[:, :, None]
        for i in range(hi):
            np.multiply(z[i], cols[i], out=row)
            row += a[i]
            row -= mean
            acc += row
            k = i + 1
            if k >= lo:
                np.multiply(acc, acc, out=row)
                row *= t / (k * (t - k))
                np.maximum(bmax, row, out=bmax)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = (t - 2) * bmax / (tss - bmax)
        out[start : start + step] = np.where(np.isfinite(w), w, 0.0)
    return out


def _ar1_null(e: FloatArray, noise: FloatArray) -> tuple[float, float]:
    """AR(1) variance and coefficient of a series' persistent part, net of the
    sampling noise of each month's mean (``noise``: its variance per month), with
    Kendall's small-sample bias correction of the coefficient."""
    t = len(e)
    g0 = float((e * e).mean())
    g1 = float((e[1:] * e[:-1]).sum() / t) if t > 1 else 0.0
    var_a = max(g0 - float(noise.mean()), 0.05 * g0, 1e-12)
    phi = min(max(g1 / var_a, 0.0), 0.9)
    phi = min(phi + (1 + 3 * phi) / t, 0.95)
    return var_a, phi


def _break_range(t: int, trim: float, min_side: int) -> tuple[int, int]:
    lo = max(min_side, math.ceil(trim * t))
    return lo, t - lo


#: Simulated series per block of the batched null (bounds the memory of a block:
#: about 8 bytes × this per array)
_BLOCK = 32_000
#: With ``screen``, :func:`shift_tests` simulates the null statistics up to these
#: counts first (every series to the first, then only the series the statistics
#: so far leave at or below ``screen``), then the rest
_SCREEN_STEPS = (100, 250, 500)


def _shift_block(
    ys: FloatArray,
    noises: FloatArray,
    z: FloatArray,
    z_noise: FloatArray,
    lo: int,
    hi: int,
    phi: float,
    var_a: float,
    screen: float | None = None,
) -> list[Shift]:
    """:func:`shift_test` for the rows of ``ys`` (series × T, one length), all
    with the same null AR(1) (``phi``, ``var_a``) and the same standard normal
    draws ``z`` (the AR(1) part) and ``z_noise`` (the sampling noise), reps × T
    each: the AR(1) part of the simulated series is computed once for all rows.
    With ``screen`` (:func:`shift_tests`), rows whose simulated statistics so far
    (:data:`_SCREEN_STEPS`) already put the p-value above ``screen`` get that
    lower bound as ``p`` and are not simulated further."""
    reps, t = z.shape
    stat, k = _sup_wald(ys, lo, hi)
    a = np.empty((reps, t))
    a[:, 0] = z[:, 0] * math.sqrt(var_a)
    scale = math.sqrt(var_a * (1 - phi * phi))
    for i in range(1, t):
        a[:, i] = phi * a[:, i - 1] + scale * z[:, i]
    sd = np.sqrt(np.maximum(noises, 0.0))
    zt, at = np.ascontiguousarray(z_noise.T), np.ascontiguousarray(a.T)
    p = np.empty(len(ys))
    # each simulated statistic depends on its own column of draws only (the same
    # values whichever columns and rows are computed together), so with a screen
    # the columns are simulated in steps and a step's exceedances bound a row's
    # count from below: the rows already above the screen stop there
    steps = [b for b in _SCREEN_STEPS if b < reps] if screen is not None else []
    todo = np.arange(len(ys))
    parts: list[FloatArray] = []
    so_far = np.zeros(len(ys), dtype=np.int64)  # exceedances so far of the rows in todo
    done = 0
    for bound in [*steps, reps]:
        block = _null_sup_wald(
            np.ascontiguousarray(zt[:, done:bound]), np.ascontiguousarray(at[:, done:bound]),
            sd[todo], lo, hi,
        )  # fmt: skip
        parts.append(block)
        done = bound
        if screen is None or bound == reps:
            break
        so_far += (block >= stat[todo, None]).sum(axis=1)
        lower = (1 + so_far) / (reps + 1)
        # at least 5 exceedances: the count's p-value, not the gamma tail
        sure = (so_far >= 5) & (lower > screen)
        p[todo[sure]] = lower[sure]
        todo, so_far = todo[~sure], so_far[~sure]
        parts = [q[~sure] for q in parts]
    null = np.hstack(parts) if len(parts) > 1 else parts[0]
    stat_t = stat[todo]
    exceed = (null >= stat_t[:, None]).sum(axis=1)
    p_t = (1 + exceed) / (reps + 1)
    # beyond the simulated range (fewer than 5 exceedances): a gamma matched to
    # the simulated null's mean and variance gives the far tail (a p-value floor
    # of 1/(reps + 1) would make Benjamini-Hochberg over hundreds of accounts
    # unreachable)
    mean, var = null.mean(axis=1), null.var(axis=1)
    tail = (exceed < 5) & (var > 0)
    if tail.any():
        p_t[tail] = stats.gamma.sf(
            stat_t[tail], mean[tail] ** 2 / var[tail], scale=var[tail] / mean[tail]
        )
    p[todo] = p_t
    # the means before and after each series' break, series with one break
    # month together (row sums: the same sums as each series' own)
    before, after = np.empty(len(ys)), np.empty(len(ys))
    for k0 in np.unique(k).tolist():
        rows = np.flatnonzero(k == k0)
        before[rows] = ys[rows, :k0].sum(axis=1) / k0
        after[rows] = ys[rows, k0:].sum(axis=1) / (t - k0)
    return [
        Shift(k=k0, shift=a1 - b1, before=b1, after=a1, sup_wald=w, p=p1, phi=phi, months=t)
        for k0, b1, a1, w, p1 in zip(
            k.tolist(), before.tolist(), after.tolist(), stat.tolist(), p.tolist(), strict=True
        )
    ]


def shift_test(
    y: npt.ArrayLike,
    noise: npt.ArrayLike,
    *,
    reps: int = 999,
    trim: float = 0.15,
    min_side: int = 3,
    rng: np.random.Generator | None = None,
    phi: float | None = None,
    var_a: float | None = None,
) -> Shift | None:
    """A sup-Wald test for one change of level at an unknown month (Andrews 1993),
    valid under serially correlated month shocks.

    ``y`` are monthly means in time order (months without data left out), ``noise``
    the sampling variance of each month's mean (within-month variance / ratings).
    Candidate breaks leave at least ``max(min_side, trim · T)`` months on each side.
    The statistic's null distribution is simulated, not read from a table: series
    of the same length are drawn from a stationary AR(1) (fitted under the null,
    around the series' mean, coefficient bias-corrected) plus each month's sampling
    noise, and the p-value is the share of ``reps`` simulated sup-Wald statistics at
    least as large as the observed one (in the far tail, fewer than 5 exceedances,
    a gamma matched to the simulated null's mean and variance). Both directions
    count; the sign of ``shift``
    says which way the level moved. None when the series is too short.

    ``phi``, when given, is the AR(1) coefficient of the null (e.g. pooled over a
    portfolio's accounts with :func:`pooled_ar1`, far more precise than one
    series' estimate); otherwise it is estimated from this series alone. ``var_a``
    likewise is the variance of the AR(1) part (:func:`pooled_ar1_params`).
    Many series at once: :func:`shift_tests`.
    """
    y = np.asarray(y, dtype=float)
    noise = np.asarray(noise, dtype=float)
    t = len(y)
    lo, hi = _break_range(t, trim, min_side)
    if hi < lo:
        return None
    # the null's persistence is estimated under the null (around one mean): a
    # break would otherwise soak up the slow part of an AR(1) and make the
    # simulated null too light-tailed (measured: 11-14 % size at phi = 0.6)
    own_var, own_phi = _ar1_null(y - y.mean(), noise)
    phi = own_phi if phi is None else phi
    var_a = own_var if var_a is None else var_a
    rng = rng or np.random.default_rng(0)
    z = rng.standard_normal((reps, t))
    z_noise = rng.standard_normal((reps, t))
    return _shift_block(y[None, :], noise[None, :], z, z_noise, lo, hi, phi, var_a)[0]


def shift_tests(
    series: Sequence[npt.ArrayLike],
    noises: Sequence[npt.ArrayLike],
    *,
    seed: int,
    reps: int = 999,
    trim: float = 0.15,
    min_side: int = 3,
    phi: float | None = None,
    var_a: float | None = None,
    screen: float | None = None,
) -> list[Shift | None]:
    """:func:`shift_test` for many series, each with its own generator
    ``np.random.default_rng(seed)``: the same results as
    ``[shift_test(y, v, rng=np.random.default_rng(seed), ...) for y, v in ...]``
    (up to the rounding of the simulated statistics), computed together.

    Series of one length then draw the same normals, and with a common ``phi``
    and ``var_a`` (a portfolio's pooled AR(1)) share the AR(1) part of the
    simulated null; only each series' sampling noise is its own. The normals are
    drawn once per length and the statistics over blocks of series at once.

    Parameters
    ----------
    series, noises
        Monthly means of each series in time order, and the sampling variance of
        each month's mean (as for :func:`shift_test`).
    seed
        Seed of each series' generator.
    reps, trim, min_side, phi, var_a
        As for :func:`shift_test`; without ``phi`` or ``var_a`` each series' own
        estimate is used.
    screen
        Only p-values at or below ``screen`` are needed exactly (e.g. the level of
        a Benjamini–Hochberg step, whose rejections do not depend on the p-values
        above it): a series whose simulated statistics so far (the steps of
        :data:`_SCREEN_STEPS`) already give more exceedances than a p-value at
        ``screen`` allows reports that lower bound, above ``screen``, as its
        ``p`` and is not simulated further. Every other series' result is exactly
        that without ``screen``.

    Returns
    -------
    list of Shift or None
        One per series, in order; None for a series too short to test.
    """
    ys = [np.asarray(y, dtype=float) for y in series]
    vs = [np.asarray(v, dtype=float) for v in noises]
    if len(ys) != len(vs):
        raise ValueError("series and noises differ in length")
    out: list[Shift | None] = [None] * len(ys)
    groups: dict[tuple[int, float, float], list[int]] = {}
    for i, (y, v) in enumerate(zip(ys, vs, strict=True)):
        lo, hi = _break_range(len(y), trim, min_side)
        if hi < lo:
            continue
        if phi is None or var_a is None:
            own_var, own_phi = _ar1_null(y - y.mean(), v)
            key = (len(y), own_phi if phi is None else phi, own_var if var_a is None else var_a)
        else:
            key = (len(y), phi, var_a)
        groups.setdefault(key, []).append(i)
    draws: dict[int, tuple[FloatArray, FloatArray]] = {}
    for (t, g_phi, g_var), rows in groups.items():
        if t not in draws:
            rng = np.random.default_rng(seed)
            draws[t] = (rng.standard_normal((reps, t)), rng.standard_normal((reps, t)))
        lo, hi = _break_range(t, trim, min_side)
        block = _shift_block(
            np.stack([ys[i] for i in rows]), np.stack([vs[i] for i in rows]),
            *draws[t], lo, hi, g_phi, g_var, screen,
        )  # fmt: skip
        for i, res in zip(rows, block, strict=True):
            out[i] = res
    return out


def pooled_ar1(series: list[FloatArray], noises: list[FloatArray]) -> float:
    """The lag-1 coefficient of :func:`pooled_ar1_params`."""
    return pooled_ar1_params(series, noises)[1]


def pooled_ar1_params(series: list[FloatArray], noises: list[FloatArray]) -> tuple[float, float]:
    """Variance and lag-1 coefficient of the persistent (AR(1)) part of many series,
    pooled: summed lag-1 autocovariances over summed variances net of sampling
    noise (each series around its own mean), with Kendall's bias correction for
    the mean length; the coefficient in [0, 0.95]."""
    g0 = g1 = noise_sum = 0.0
    # each series' sums (computed together), added up one series at a time in order
    g0s, g1s, noises_, lengths_ = _ar1_sums(series, noises)
    for a, b, c in zip(g0s.tolist(), g1s.tolist(), noises_.tolist(), strict=True):
        g0 += a
        g1 += b
        noise_sum += c
    lengths = lengths_.tolist()
    if not lengths:
        return 0.0, 0.0
    var_a = max(g0 - noise_sum, 0.05 * g0, 1e-12)
    phi = min(max(g1 / var_a, 0.0), 0.9)
    t = float(np.mean(lengths))
    phi = min(phi + (1 + 3 * phi) / t, 0.95)
    # a series demeaned over t months loses about (1 + phi)/(1 - phi)/t of its AR variance
    var_obs = var_a / sum(lengths) / max(0.2, 1 - (1 + phi) / ((1 - phi) * t))
    return float(var_obs), float(phi)


@dataclass(frozen=True)
class VariancePrior:
    """A scaled inverse-chi-square prior for many small-sample variances (Smyth 2004)."""

    s2: float  # prior variance s0²
    df: float  # prior degrees of freedom d0 (inf: the variances are all one variance)

    def moderate(self, s2: npt.ArrayLike, df: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Posterior variances ``(d0 s0² + d s²) / (d0 + d)`` and their df ``d0 + d``."""
        s = np.asarray(s2, dtype=float)
        d = np.asarray(df, dtype=float)
        s = np.where((d > 0) & np.isfinite(s), s, self.s2)
        d = np.where(d > 0, d, 0.0)
        if math.isinf(self.df):
            return np.full(s.shape, self.s2), np.full(s.shape, np.inf)
        return (self.df * self.s2 + d * s) / (self.df + d), self.df + d


def variance_prior(s2: npt.ArrayLike, df: npt.ArrayLike) -> VariancePrior | None:
    """Fit the prior of :class:`VariancePrior` to sample variances by moments.

    Smyth (2004, *Stat. Appl. Genet. Mol. Biol.* 3(1), Art. 3; limma's
    ``fitFDist``): with ``z = log s² − ψ(d/2) + log(d/2)``, ``mean(z)`` estimates
    ``log s0² − ψ(d0/2) + log(d0/2)`` and ``var(z) − mean(ψ′(d/2))`` estimates
    ``ψ′(d0/2)``; when that is ≤ 0 the variances are one common variance
    (``d0 = ∞``). Variances with ``d ≤ 0`` or ``s² ≤ 0`` are left out. None when
    fewer than 3 remain.
    """
    s = np.asarray(s2, dtype=float)
    d = np.asarray(df, dtype=float)
    ok = (d > 0) & np.isfinite(s) & (s > 0)
    s, d = s[ok], d[ok]
    if len(s) < 3:
        return None
    z = np.log(s) - special.digamma(d / 2) + np.log(d / 2)
    e = float(z.mean())
    excess = float(z.var(ddof=1)) - float(special.polygamma(1, d / 2).mean())
    if excess <= 1e-8:
        return VariancePrior(s2=math.exp(e), df=math.inf)
    # solve ψ′(x) = excess for x = d0/2 (ψ′ decreases from ∞ to 0)
    low, high = 1e-6, 1e7
    if float(special.polygamma(1, high)) > excess:
        return VariancePrior(s2=math.exp(e), df=math.inf)
    x = float(optimize.brentq(lambda v: float(special.polygamma(1, v)) - excess, low, high))
    d0 = 2 * x
    s0 = math.exp(e + float(special.digamma(x)) - math.log(x))
    return VariancePrior(s2=s0, df=d0)


@dataclass(frozen=True)
class OverlapT:
    """The partially overlapping samples t-test (:func:`partially_overlapping_t`)."""

    difference: float  # mean of sample 1 − mean of sample 2 (all observations of each)
    t: float
    df: float
    p: float  # two-sided
    paired: int  # observations in both samples
    only_1: int  # observations only in sample 1
    only_2: int  # observations only in sample 2
    r: float  # correlation of the paired observations (0 when fewer than 3 pairs)


def partially_overlapping_t(
    only_1: npt.ArrayLike,
    only_2: npt.ArrayLike,
    paired_1: npt.ArrayLike,
    paired_2: npt.ArrayLike,
    *,
    prior_1: VariancePrior | None = None,
    prior_2: VariancePrior | None = None,
    r_prior: float | None = None,
) -> OverlapT | None:
    """Compare two means whose samples share some units (Derrick et al. 2017, T_new2).

    Parameters
    ----------
    only_1, only_2
        Values of the units seen in one sample only.
    paired_1, paired_2
        Values of the units seen in both samples, aligned (unit ``i`` in both).

    Returns
    -------
    OverlapT or None
        None when either sample has fewer than 2 values or no variance.

    Notes
    -----
    Derrick, Toher & White (2017), *The Quantitative Methods for Psychology*
    13(2):120–126: with ``n1 = n_a + n_c`` and ``n2 = n_b + n_c`` values in the
    samples (``n_c`` paired), ``S1``, ``S2`` their standard deviations and ``r``
    the correlation of the pairs,
    ``t = (x̄1 − x̄2) / √(S1²/n1 + S2²/n2 − 2 r S1 S2 n_c / (n1 n2))`` with
    ``ν = (n_c − 1) + (γ − n_c + 1) (n_a + n_b) / (n_a + n_b + 2 n_c)``, ``γ``
    Welch's degrees of freedom. Without pairs it is Welch's test; with pairs
    only, the paired t-test. The units (people) are the observations, so
    ratings nested in people count once each.

    With ``prior_1``/``prior_2`` (:func:`variance_prior` fitted over many such
    comparisons) each sample variance is moderated towards the prior
    (Smyth 2004) and the prior's degrees of freedom are added to ``ν`` (the
    smaller of the two): small samples borrow strength from the others. With
    ``r_prior`` (e.g. the pairs' correlation pooled over many comparisons) it
    replaces ``r`` when there are fewer than 3 pairs of one's own.
    """
    a = np.asarray(only_1, dtype=float)
    b = np.asarray(only_2, dtype=float)
    c1 = np.asarray(paired_1, dtype=float)
    c2 = np.asarray(paired_2, dtype=float)
    x1, x2 = np.concatenate([a, c1]), np.concatenate([b, c2])
    n1, n2, nc, na, nb = len(x1), len(x2), len(c1), len(a), len(b)
    if n1 < 2 or n2 < 2:
        return None
    s1, s2 = float(x1.std(ddof=1)), float(x2.std(ddof=1))
    extra = math.inf
    for k, prior in ((1, prior_1), (2, prior_2)):
        if prior is None:
            extra = 0.0
            continue
        var_k, _ = prior.moderate(np.array([(s1 if k == 1 else s2) ** 2]),
                                  np.array([(n1 if k == 1 else n2) - 1.0]))  # fmt: skip
        if k == 1:
            s1 = math.sqrt(float(var_k[0]))
        else:
            s2 = math.sqrt(float(var_k[0]))
        extra = min(extra, prior.df)
    r = 0.0
    if nc >= 3 and c1.std() > 0 and c2.std() > 0:
        r = float(np.corrcoef(c1, c2)[0, 1])
    elif nc >= 1 and r_prior is not None and math.isfinite(r_prior):
        r = float(r_prior)
    v1, v2 = s1**2 / n1, s2**2 / n2
    var = v1 + v2 - 2 * r * s1 * s2 * nc / (n1 * n2)
    if not var > 0:
        return None
    diff = float(x1.mean() - x2.mean())
    t = diff / math.sqrt(var)
    gamma = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    df = (nc - 1) + (gamma - nc + 1) * (na + nb) / (na + nb + 2 * nc)
    df = max(df, 1.0) + extra
    p = float(2 * stats.t.sf(abs(t), df)) if math.isfinite(df) else float(2 * stats.norm.sf(abs(t)))
    return OverlapT(difference=diff, t=t, df=df, p=p, paired=nc, only_1=na, only_2=nb, r=r)


def robust_ar1_params(series: list[FloatArray], noises: list[FloatArray]) -> tuple[float, float]:
    """:func:`pooled_ar1_params` made robust to a minority of changed series: the
    median over series of each one's (bias-corrected) variance and coefficient.
    A few series with a change of level (which reads as persistence) hardly move
    it; on series without change it is close to the pooled estimate (measured:
    within 0.05 of it for phi 0.3–0.8 at 24–36 months, 300 series)."""
    var_obs, phi = _ar1_params_each(series, noises)
    if len(phi) == 0:
        return 0.0, 0.0
    return float(np.median(var_obs)), float(np.median(phi))


def _ar1_sums(
    series: Sequence[npt.ArrayLike], noises: Sequence[npt.ArrayLike]
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """Per series of at least 3 months, in order: ``Σ e²``, ``Σ e_t e_(t−1)`` (``e``
    around the series' mean), ``Σ noise`` and the length. Series of one length are
    the rows of a matrix: a row's sums are the series' own sums, value for value."""
    ys = [np.asarray(y, dtype=float) for y in series]
    vs = [np.asarray(v, dtype=float) for v in noises]
    if len(ys) != len(vs):
        raise ValueError("series and noises differ in length")
    keep = [i for i, y in enumerate(ys) if len(y) >= 3]
    g0, g1, noise = np.empty(len(keep)), np.empty(len(keep)), np.empty(len(keep))
    lengths = np.array([len(ys[i]) for i in keep], dtype=np.int64)
    by_length: dict[int, list[int]] = {}
    for j, i in enumerate(keep):
        by_length.setdefault(len(ys[i]), []).append(j)
    for t, rows in by_length.items():
        y = np.stack([ys[keep[j]] for j in rows])
        e = y - (y.sum(axis=1) / t)[:, None]
        g0[rows] = (e * e).sum(axis=1)
        g1[rows] = (e[:, 1:] * e[:, :-1]).sum(axis=1)
        noise[rows] = np.stack([vs[keep[j]] for j in rows]).sum(axis=1)
    return g0, g1, noise, lengths


def _ar1_params_each(
    series: Sequence[npt.ArrayLike], noises: Sequence[npt.ArrayLike]
) -> tuple[FloatArray, FloatArray]:
    """``pooled_ar1_params([y], [v])`` of every series of at least 3 months, in
    their order, computed together (:func:`_ar1_sums`); a series whose sums are
    not finite takes the one-series path (its max/min on NaN are Python's)."""
    g0, g1, noise_sum, lengths = _ar1_sums(series, noises)
    t = lengths.astype(float)
    var_a = np.maximum(np.maximum(g0 - noise_sum, 0.05 * g0), 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.minimum(np.maximum(g1 / var_a, 0.0), 0.9)
        phi = np.minimum(phi + (1 + 3 * phi) / t, 0.95)
        var_obs = var_a / lengths / np.maximum(0.2, 1 - (1 + phi) / ((1 - phi) * t))
    odd = ~(np.isfinite(g0) & np.isfinite(g1) & np.isfinite(noise_sum))
    for j in np.flatnonzero(odd).tolist():
        a, b, c, n = float(g0[j]), float(g1[j]), float(noise_sum[j]), float(t[j])
        va = max(a - c, 0.05 * a, 1e-12)
        ph = min(max(b / va, 0.0), 0.9)
        ph = min(ph + (1 + 3 * ph) / n, 0.95)
        var_obs[j] = va / int(lengths[j]) / max(0.2, 1 - (1 + ph) / ((1 - ph) * n))
        phi[j] = ph
    return var_obs, phi


@dataclass(frozen=True)
class Contrast:
    """Per-group GLS estimates of a two-level contrast (:func:`random_person_contrast`)."""

    estimate: FloatArray  # level 1 − level 0, per group
    se: FloatArray  # its standard error under the variance components given
    people: FloatArray  # people with a cell at either level
    paired: FloatArray  # people with cells at both levels


def random_person_contrast(
    group: npt.ArrayLike,
    person: npt.ArrayLike,
    level: npt.ArrayLike,
    n: npt.ArrayLike,
    mean: npt.ArrayLike,
    *,
    within: float,
    extra: float,
    between: float,
) -> Contrast:
    """GLS contrast of two levels inside each group, people as random effects.

    Parameters
    ----------
    group, person, level
        Integer codes of each cell: the group (e.g. an account), the person
        (nested in one group) and the level (0 or 1, e.g. buying or usage
        stages). A person has at most one cell per level.
    n, mean
        Ratings in the cell and their mean.
    within
        Variance of one rating around its person's level (σ²).
    extra
        Variance of a cell's mean beyond ``within / n`` (ω²: month shocks, a
        person's own difference between the levels).
    between
        Variance of the person effects (τ²).

    Returns
    -------
    Contrast
        NaN where a group lacks one of the levels.

    Notes
    -----
    The model of a cell mean is ``y = μ_g + δ_g · level + u_p + e``, with
    ``u_p ~ (0, τ²)`` and ``e ~ (0, ω² + σ²/n)``: the linear mixed model of
    all ratings with a random intercept per person, summarized by its cells.
    ``δ_g`` is estimated by generalized least squares with the variance
    components known (pooled over many groups by the caller), so a person who
    rated both levels contributes a within-person difference free of ``τ²``,
    and people who rated one level contribute between-person information with
    weights ``1 / (τ² + ω² + σ²/n)``: every rating counts, and the person is the
    cluster. The standard error is ``√[(X'V⁻¹X)⁻¹]₂₂``.
    """
    g = np.asarray(group, dtype=np.int64)
    p = np.asarray(person, dtype=np.int64)
    lv = np.asarray(level, dtype=np.int64)
    w = np.asarray(n, dtype=float)
    y = np.asarray(mean, dtype=float)
    n_p = int(p.max()) + 1 if len(p) else 0
    n_g = int(g.max()) + 1 if len(g) else 0
    # each person's two cells side by side (NaN where absent)
    ys = np.full((n_p, 2), np.nan)
    vs = np.full((n_p, 2), np.nan)
    ys[p, lv] = y
    vs[p, lv] = extra + within / np.maximum(w, 1e-12)
    pg = np.zeros(n_p, dtype=np.int64)
    pg[p] = g
    has0, has1 = ~np.isnan(ys[:, 0]), ~np.isnan(ys[:, 1])
    both = has0 & has1
    # X'V⁻¹X = [[a, b], [b, c]] and X'V⁻¹y = [e, f] per person; rows x0 = (1, 0), x1 = (1, 1)
    a = np.zeros(n_p)
    b = np.zeros(n_p)
    c = np.zeros(n_p)
    e = np.zeros(n_p)
    f = np.zeros(n_p)
    one = has0 ^ has1
    lvl = np.where(has1, 1, 0)
    v1 = between + np.where(has1, vs[:, 1], vs[:, 0])
    y1 = np.where(has1, ys[:, 1], ys[:, 0])
    a[one] = 1 / v1[one]
    b[one] = (lvl / v1)[one]
    c[one] = (lvl / v1)[one]
    e[one] = (y1 / v1)[one]
    f[one] = (lvl * y1 / v1)[one]
    # two cells: V = [[τ² + w0, τ²], [τ², τ² + w1]], inverse by hand
    w0, w1 = vs[both, 0], vs[both, 1]
    det = (between + w0) * (between + w1) - between**2
    i00, i11, i01 = (between + w1) / det, (between + w0) / det, -between / det
    y0b, y1b = ys[both, 0], ys[both, 1]
    # x0 = (1, 0), x1 = (1, 1): X'V⁻¹X = [[i00+2i01+i11, i01+i11], [i01+i11, i11]]
    a[both] = i00 + 2 * i01 + i11
    b[both] = i01 + i11
    c[both] = i11
    e[both] = (i00 + i01) * y0b + (i01 + i11) * y1b
    f[both] = i01 * y0b + i11 * y1b
    present = has0 | has1
    sums = [np.bincount(pg[present], v[present], minlength=n_g) for v in (a, b, c, e, f)]
    ga, gb, gc, ge, gf = sums
    det_g = ga * gc - gb * gb
    has_levels = (np.bincount(pg[has0], minlength=n_g) > 0) & (
        np.bincount(pg[has1], minlength=n_g) > 0
    )
    ok = has_levels & (det_g > 1e-12 * np.maximum(ga * gc, 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (ga * gf - gb * ge) / det_g
        se = np.sqrt(ga / det_g)
    people = np.bincount(pg[present], minlength=n_g).astype(float)
    paired = np.bincount(pg[both], minlength=n_g).astype(float)
    return Contrast(
        estimate=np.where(ok, delta, np.nan),
        se=np.where(ok, se, np.nan),
        people=people,
        paired=paired,
    )


def empirical_null_scale(z: npt.ArrayLike, *, floor: float = 1.0) -> float:
    """The spread of the bulk of many z statistics around 0 (Efron 2004).

    ``median(|z|) / 0.6745``: when most tests are null, a model-based standard
    error that is off shows as a bulk of z wider (or narrower) than N(0, 1);
    dividing z by this scale keeps the test's size. A minority of real effects
    hardly moves the median. Never below ``floor`` (the default 1 leaves a
    narrower bulk alone); 1 for fewer than 20 finite values.
    """
    arr = np.asarray(z, dtype=float)
    arr = arr[np.isfinite(arr)]
    if len(arr) < 20:
        return 1.0
    return max(floor, float(np.median(np.abs(arr))) / 0.6744897501960817)


def simes(p: npt.ArrayLike) -> float:
    """Simes' (1986) combined p-value of a family: ``min_i m · p_(i) / i`` (NaN ignored).

    Valid for independent or positively dependent tests; NaN for an empty family.
    """
    arr = np.sort(np.asarray(p, dtype=float)[~np.isnan(np.asarray(p, dtype=float))])
    if len(arr) == 0:
        return float("nan")
    m = len(arr)
    return float(min(1.0, (arr * m / np.arange(1, m + 1)).min()))


def holm_adjust(p: npt.ArrayLike) -> FloatArray:
    """Holm's (1979) step-down adjusted p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * (m - np.arange(m))
    adjusted = np.maximum.accumulate(ranked).clip(max=1.0)
    values = np.empty(m)
    values[order] = adjusted
    out[ok] = values
    return out


def hierarchical_fdr(
    family: npt.ArrayLike, p: npt.ArrayLike, alpha: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Families first, then tests inside the selected families (Benjamini & Bogomolov 2014).

    Each family (e.g. an account) gets Simes' p over its tests; Benjamini–
    Hochberg over the families selects ``R`` of ``M``; inside a selected family
    a test is rejected when its Holm-adjusted p is below ``alpha · R / M``. This
    controls the FDR over families and the average error inside the selected
    ones, and a family of many tests no longer competes with every test of the
    portfolio (as with one BH over all tests).

    Returns
    -------
    family_p_adjusted, within_p_adjusted, rejected
        Per test: its family's BH-adjusted Simes p, its Holm-adjusted p inside
        the family, and 1.0 where rejected (else 0.0).
    """
    fam = np.asarray(family)
    pv = np.asarray(p, dtype=float)
    codes, uniq = _codes(fam)
    fam_p, within = _simes_holm_by_family(codes, len(uniq), pv)
    fam_adj = bh_adjust(fam_p)
    selected = fam_adj < alpha
    m_fam = int((~np.isnan(fam_p)).sum())
    r = int(selected.sum())
    level = alpha * r / m_fam if m_fam else 0.0
    rejected = selected[codes] & (within < level)
    return fam_adj[codes], within, rejected.astype(float)


def _simes_holm_by_family(
    codes: npt.NDArray[np.int64], families: int, p: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`simes` of each family and :func:`holm_adjust` inside it, all families at once.

    One sort by family and p replaces a pass over the tests per family (the same
    arithmetic, value for value); NaN p-values are neither counted nor adjusted.
    """
    fam_p = np.full(families, np.nan)
    within = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok) == 0:
        return fam_p, within
    order = ok[np.lexsort((p[ok], codes[ok]))]
    code, ps = codes[order], p[order]
    m = np.bincount(code, minlength=families)
    start = np.concatenate(([0], np.cumsum(m)[:-1]))
    rank = np.arange(len(order)) - start[code]  # 0, 1, … inside each family
    simes_terms = ps * m[code] / (rank + 1)
    present = m > 0
    firsts = start[present]
    fam_p[present] = np.minimum(1.0, np.minimum.reduceat(simes_terms, firsts))
    ranked = ps * (m[code] - rank)
    adjusted = pd.Series(ranked).groupby(code, sort=False).cummax().to_numpy(dtype=float)
    within[order] = adjusted.clip(max=1.0)
    return fam_p, within


def _codes(values: npt.NDArray[np.generic]) -> tuple[npt.NDArray[np.int64], list[object]]:
    seen: dict[object, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        codes[i] = seen.setdefault(v, len(seen))
    return codes, list(seen)
