"""The trend reason says the fall over the months it spans, not a year's
extrapolation of a short drop (a 3-month fall of 34 points read "falling 135
points a year" on a 0–100 scale)."""

from __future__ import annotations

import pandas as pd

from b2bcx.diagnose.risk import _falling, _level_and_trend, _trend_months


def _monthly(values: list[float], start: str) -> pd.DataFrame:
    months = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"account_id": "A", "month": months, "raw": values, "n": 10})


def test_short_drop_reads_as_its_own_fall() -> None:
    monthly = _monthly([80.0, 63.0, 46.0], "2025-08-01")
    as_of = pd.Timestamp("2025-10-31")
    _, slope, _ = _level_and_trend(monthly, as_of, with_count=True)
    months = int(_trend_months(monthly, as_of)["A"])
    assert months == 3
    text = _falling(float(slope["A"]), months)
    # the fitted line falls 17 points a month: 34 over the two steps of three months
    assert text == "falling 34 points over the last 3 months"
    assert float(-slope["A"]) > 100  # the old words: "falling 204 points a year"


def test_a_year_long_trend_keeps_points_a_year() -> None:
    monthly = _monthly([80.0 - i for i in range(12)], "2024-11-01")
    as_of = pd.Timestamp("2025-10-31")
    _, slope, _ = _level_and_trend(monthly, as_of, with_count=True)
    months = int(_trend_months(monthly, as_of)["A"])
    assert months == 12
    assert _falling(float(slope["A"]), months) == f"falling {-float(slope['A']):.0f} points a year"


def test_only_last_year_months_count() -> None:
    monthly = _monthly([70.0] * 30, "2023-05-01")
    as_of = pd.Timestamp("2025-10-31")
    assert int(_trend_months(monthly, as_of)["A"]) == 12
    assert _trend_months(monthly.iloc[:0], as_of).empty
