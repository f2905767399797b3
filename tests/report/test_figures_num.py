"""Numbers for people: separators, missing values and no negative zero."""

from __future__ import annotations

import math

import pytest

from b2bcx.report.figures import num


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (-0.04, 1, "0.0"),
        (-0.0, 0, "0"),
        (-0.004, 2, "0.00"),
        (-0.06, 1, "-0.1"),
        (-1234.5, 1, "-1,234.5"),
        (20205, 0, "20,205"),
        (None, 1, "–"),
        (math.nan, 1, "–"),
        ("n/a", 1, "n/a"),
    ],
)
def test_num(value: object, digits: int, shown: str) -> None:
    assert num(value, digits) == shown
