"""One plainifier: analysis results to JSON-ready Python values.

Every result's ``to_dict()`` passes what it returns through :func:`plain`, so
numpy scalars, NaN, infinities, dates and nested result objects reach the CLI,
the API, the dashboard and the report in one form.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """``value`` as plain, JSON-ready Python.

    Parameters
    ----------
    value
        Anything a result holds.

    Returns
    -------
    Any
        Dicts with string keys, lists (for tuples, lists and arrays), ``str``,
        ``int``, ``float``, ``bool`` or ``None``, recursively: numpy scalars
        become Python scalars; NaN, infinities, ``pd.NA`` and ``pd.NaT`` become
        ``None``; dates and times become ISO 8601 text (``isoformat()``, no zone
        added); a dataclass becomes its ``to_dict()`` when it has one, else a
        dict of its fields.

    Examples
    --------
    >>> import datetime as dt
    >>> import numpy as np
    >>> plain({"n": np.int64(3), "x": float("nan"), "on": dt.date(2024, 5, 1), "t": (1, 2)})
    {'n': 3, 'x': None, 'on': '2024-05-01', 't': [1, 2]}
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _is_missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def plain_dict(value: Any) -> dict[str, Any]:
    """:func:`plain` of a dict (or of a dataclass), typed as a dict.

    Raises
    ------
    TypeError
        When ``value`` does not become a dict.
    """
    out = plain(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a dict, got {type(out).__name__}")
    return out


def _is_missing(value: Any) -> bool:
    """Whether ``value`` is pandas' missing marker (``pd.NA``, ``pd.NaT``)."""
    name = type(value).__name__
    return name in ("NAType", "NaTType")


__all__ = ["plain", "plain_dict"]
