"""Reliability of unit means: ICC(1), ICC(2) and the Shrout & Fleiss (1979) forms.

ICC(1) and ICC(2) come from the one-way ANOVA of individuals in units
(Bliese 2000), computed from per-unit counts, means and variances, so any
number of units costs one pass:

    MSB = Σ n_g (m_g − m)² / (J − 1)      MSW = Σ (n_g − 1) s_g² / (N − J)
    ICC(1) = (MSB − MSW) / (MSB + (k − 1)·MSW)     ICC(2) = (MSB − MSW) / MSB

with k = N/J (the mean group size, as R's ``multilevel::ICC1``) or, with
``group_size="bliese"``, k = (N − Σ n_g²/N)/(J − 1) (Bliese 2000).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from b2bcx.errors import ConfigurationError
from b2bcx.measures.groups import group_values


@dataclass(frozen=True)
class IccResult:
    """ICC(1) and ICC(2) of a unit structure, with the ANOVA behind them."""

    icc1: float
    icc2: float
    msb: float
    msw: float
    k: float
    n_groups: int
    n: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def icc_from_stats(
    n: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike, *, group_size: str = "mean"
) -> IccResult:
    """ICC(1), ICC(2) from per-unit sizes, means and variances (n − 1 denominator).

    A unit of one contributes to MSB but not MSW (its variance may be NaN).
    """
    n_g = np.asarray(n, dtype=float)
    m_g = np.asarray(mean, dtype=float)
    v_g = np.nan_to_num(np.asarray(var, dtype=float))
    j, total = len(n_g), float(n_g.sum())
    if j < 2 or total - j < 1:
        raise ConfigurationError("ICC needs at least two units and more people than units")
    grand = float((n_g * m_g).sum() / total)
    msb = float((n_g * (m_g - grand) ** 2).sum() / (j - 1))
    msw = float(((n_g - 1) * v_g).sum() / (total - j))
    if group_size == "mean":
        k = total / j
    elif group_size == "bliese":
        k = (total - float((n_g**2).sum()) / total) / (j - 1)
    else:
        raise ConfigurationError(f"group_size must be 'mean' or 'bliese' (got {group_size!r})")
    icc1 = (msb - msw) / (msb + (k - 1) * msw) if msb + (k - 1) * msw else float("nan")
    icc2 = (msb - msw) / msb if msb else float("nan")
    return IccResult(icc1=icc1, icc2=icc2, msb=msb, msw=msw, k=k, n_groups=j, n=int(total))


def icc(values: npt.ArrayLike, groups: npt.ArrayLike, *, group_size: str = "mean") -> IccResult:
    """ICC(1), ICC(2) of ``values`` nested in ``groups`` (missing values dropped).

    Examples
    --------
    >>> r = icc([1, 2, 3, 5, 6, 7], [0, 0, 0, 1, 1, 1])
    >>> round(r.icc1, 4), round(r.icc2, 4)
    (0.8846, 0.9583)
    """
    g = group_values(values, groups)
    return icc_from_stats(g.n, g.mean[:, 0], g.var[:, 0], group_size=group_size)


SF_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


def shrout_fleiss(ratings: npt.ArrayLike, *, alpha: float = 0.05) -> pd.DataFrame:
    """The six Shrout & Fleiss (1979) ICC forms for an n targets × k judges table.

    Returns one row per form with ICC, F, df1, df2, p and the (1 − alpha)
    confidence interval, as R's ``psych::ICC``.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ConfigurationError("ratings must be a complete targets × judges table")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    bms, jms = ss_rows / (n - 1), ss_cols / (k - 1)
    wms = (ss_cols + ss_err) / (n * (k - 1))
    ems = ss_err / ((n - 1) * (k - 1))
    icc1 = (bms - wms) / (bms + (k - 1) * wms)
    icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    icc3 = (bms - ems) / (bms + (k - 1) * ems)
    icc1k, icc2k, icc3k = (
        (bms - wms) / bms,
        (bms - ems) / (bms + (jms - ems) / n),
        (bms - ems) / bms,
    )
    df1, df21, df23 = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1, f3 = bms / wms, bms / ems
    q = 1 - alpha / 2
    f1l, f1u = f1 / stats.f.ppf(q, df1, df21), f1 * stats.f.ppf(q, df21, df1)
    f3l, f3u = f3 / stats.f.ppf(q, df1, df23), f3 * stats.f.ppf(q, df23, df1)
    fj = jms / ems
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u, f2l = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
    l2 = n * (bms - f2u * ems) / (f2u * (k * jms + (k * n - k - n) * ems) + n * bms)
    u2 = n * (f2l * bms - ems) / (k * jms + (k * n - k - n) * ems + n * f2l * bms)
    rows = [
        ("ICC1", icc1, f1, df1, df21, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC2", icc2, f3, df1, df23, l2, u2),
        ("ICC3", icc3, f3, df1, df23, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC1k", icc1k, f1, df1, df21, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC2k", icc2k, f3, df1, df23, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        ("ICC3k", icc3k, f3, df1, df23, 1 - 1 / f3l, 1 - 1 / f3u),
    ]
    frame = pd.DataFrame(rows, columns=["type", "icc", "f", "df1", "df2", "lower", "upper"])
    frame["p"] = stats.f.sf(frame.f, frame.df1, frame.df2)
    return frame
