"""What the detectors of :mod:`b2bcx.diagnose.detectors` share: the result
type, severity, number formatting and the current relationship types.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.findings import Finding, Skipped

Detected = tuple[list[Finding], list[Skipped]]


def severity(effect: float, threshold: float) -> float:
    """``min(1, |effect| / (2 · threshold))``: a finding just over the line is about 0.5."""
    return float(min(1.0, max(0.0, abs(effect) / (2.0 * threshold))))


def fmt(x: float) -> str:
    """A number for a sentence: whole above 10, one decimal below."""
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def has(value: Any) -> bool:
    """Whether ``value`` is present (not None, not NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def current_relationships(prep: Prepared) -> pd.DataFrame:
    """Intended and expected relationship type per account as of the diagnosis date."""
    acc = prep.accounts.set_index("account_id")
    out = acc[["relationship_intended", "relationship_expected"]].copy()
    rel = prep.relationships
    if not rel.empty:
        day = prep.as_of.date()
        valid = rel[rel.valid_from.isna() | (pd.to_datetime(rel.valid_from).dt.date <= day)]
        # a version without valid_from counts as the earliest
        valid = valid.assign(_from=pd.to_datetime(valid.valid_from))
        ordered = valid.sort_values("_from", na_position="first", kind="stable")
        latest = ordered.groupby("account_id").tail(1).set_index("account_id")
        for col in ("relationship_intended", "relationship_expected"):
            known = latest[col].dropna()
            # relationships may name accounts outside this diagnosis (one account only)
            here = out.index.intersection(known.index)
            out.loc[here, col] = known.loc[here]
    return out
