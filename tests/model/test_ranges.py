"""Declared option ranges and their one check (b2bcx.model.ranges)."""

from __future__ import annotations

import dataclasses

import pytest

from b2bcx.errors import ConfigurationError
from b2bcx.model.ranges import Interval, check_options, option, option_range


@pytest.mark.parametrize(
    ("interval", "inside", "outside", "text"),
    [
        (Interval(0, 1), [0, 0.5, 1], [-0.01, 1.01, float("nan"), True, "0.5", None],
         "a value in [0, 1]"),
        (Interval(0, 1, open_low=True, open_high=True), [0.001, 0.999], [0, 1],
         "a value in (0, 1)"),
        (Interval(2, integer=True), [2, 10**9], [1, 2.0, 2.5, False], "a whole number ≥ 2"),
        (Interval(0, open_low=True), [1e-9, 1e9], [0, -1], "a value > 0"),
        (Interval(high=5, open_high=True), [-3, 4.99], [5, 6], "a value < 5"),
        (Interval(choices=("cx", "nps")), ["cx", "nps"], ["ces", 1, None], "one of cx, nps"),
    ],
)  # fmt: skip
def test_interval_edges(interval: Interval, inside: list[object], outside: list[object],
                        text: str) -> None:  # fmt: skip
    assert all(v in interval for v in inside)
    assert not any(v in interval for v in outside)
    assert str(interval) == text


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Toy:
    share: float = option(0.5, 0, 1)
    count: int = option(3, 1, integer=True)
    free: str = "anything"

    def __post_init__(self) -> None:
        check_options(self)


def test_one_message_names_option_value_range_and_default() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _Toy(share=1.5)
    assert str(caught.value) == (
        "_Toy: share = 1.5 is out of range: give a value in [0, 1] "
        "(or leave it out for the default 0.5)"
    )
    with pytest.raises(ConfigurationError, match=r"count = 0 .* a whole number ≥ 1"):
        _Toy(count=0)
    assert _Toy(free="x").free == "x"  # a field without a range is not checked
    assert option_range(_Toy, "share") == Interval(0, 1)
    assert option_range(_Toy, "free") is None
    with pytest.raises(KeyError):
        option_range(_Toy, "nope")
