"""Results to JSON-ready values: frames to records, NaN to ``null``, dates to ISO text.

Typed results give their JSON object through :func:`as_dict` (their
``to_dict()``, made plain by the library's one plainifier, :mod:`b2bcx.convert`).
What the server adds is the API's wire form of values that are not results yet
(result frames, stored rows): stored timestamps are UTC without a zone, so they
are written with ``Z`` (RFC 3339 needs an offset), which ``b2bcx.convert.plain``
leaves to its callers.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """``value`` with numpy scalars made plain, NaN/inf made ``None``, dates ISO text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, _dt.datetime):  # pd.Timestamp too
        # stored timestamps are UTC without a zone: say so (RFC 3339 needs an offset)
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts."""
    if frame is None or frame.empty:
        return []
    return [plain(r) for r in frame.to_dict("records")]


def plain_dict(value: Any) -> dict[str, Any]:
    """A JSON-ready copy of a dict result (see :func:`plain`)."""
    out = plain(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a dict result, got {type(value).__name__}")
    return out


def as_dict(value: Any) -> dict[str, Any]:
    """A typed result's JSON object: its ``to_dict()`` (``to_json()`` for results
    that have only that), made plain; a dict is made plain as it is."""
    for name in ("to_dict", "to_json"):
        method = getattr(value, name, None)
        if callable(method) and not isinstance(value, pd.DataFrame):
            return plain_dict(method())
    return plain_dict(value)
