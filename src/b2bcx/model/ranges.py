"""Declared ranges of the analyses' options, and the one check of them.

Each option field declares its range next to its default
(``silo_omega2: float = option(0.14, 0, 1)``); :func:`check_options` checks
every field of an options object against its range with one message form
that names the option, the value, the range and the fix (after
scikit-learn's ``_param_validation``, right-sized).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from b2bcx.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class Interval:
    """Allowed values of a numeric option: between ``low`` and ``high`` (None:
    unbounded), each end included unless ``open_low``/``open_high``;
    ``integer`` asks for a whole number, ``choices`` for one of a few words."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    integer: bool = False
    choices: tuple[str, ...] = ()

    def __contains__(self, value: object) -> bool:
        if self.choices:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if math.isnan(value):
            return False
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or (value < self.high if self.open_high else value <= self.high)

    def __str__(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "a whole number " if self.integer else "a value "
        if self.high is None:
            return f"{kind}{'>' if self.open_low else '≥'} {self.low:g}"
        if self.low is None:
            return f"{kind}{'<' if self.open_high else '≤'} {self.high:g}"
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"{kind}in {left}{self.low:g}, {self.high:g}{right}"


def option(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
    integer: bool = False,
    choices: tuple[str, ...] = (),
) -> Any:
    """A dataclass field with ``default`` and its declared :class:`Interval`."""
    interval = Interval(low, high, open_low, open_high, integer, choices)
    return dataclasses.field(default=default, metadata={"range": interval})


def option_range(options: Any, name: str) -> Interval | None:
    """The declared range of the field ``name`` of an options dataclass."""
    for f in dataclasses.fields(options):
        if f.name == name:
            found = f.metadata.get("range")
            return found if isinstance(found, Interval) else None
    raise KeyError(name)


def check_options(options: Any) -> None:
    """Check every field of the options dataclass ``options`` against its range.

    Raises
    ------
    ConfigurationError
        For the first field outside its range, naming the option, its value,
        the allowed range and the default to fall back to.
    """
    kind = type(options).__name__
    for f in dataclasses.fields(options):
        interval = f.metadata.get("range")
        value = getattr(options, f.name)
        if isinstance(interval, Interval) and value not in interval:
            raise ConfigurationError(
                f"{kind}: {f.name} = {value!r} is out of range: give {interval} "
                f"(or leave it out for the default {f.default!r})"
            )


__all__ = ["Interval", "check_options", "option", "option_range"]
