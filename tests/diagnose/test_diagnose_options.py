"""DiagnoseOptions and StrategyOptions: every field has a declared range that is
checked, and every default is the one docs/diagnose.md and docs/strategy.md give."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from b2bcx.diagnose import DiagnoseOptions
from b2bcx.errors import ConfigurationError
from b2bcx.model.ranges import Interval, option_range
from b2bcx.strategy import StrategyOptions

DOCS = Path(__file__).resolve().parents[2] / "docs"
KINDS: list[tuple[type[Any], str]] = [
    (DiagnoseOptions, "diagnose.md"),
    (StrategyOptions, "strategy.md"),
]


def _outside(interval: Interval) -> Any:
    """A value just outside ``interval``."""
    if interval.choices:
        return "no-such-" + interval.choices[0]
    if interval.low is not None:
        return interval.low - (0 if interval.open_low else 1)
    assert interval.high is not None
    return interval.high + (0 if interval.open_high else 1)


@pytest.mark.parametrize(("kind", "doc"), KINDS)
def test_every_field_declares_a_range_its_default_meets(kind: type[Any], doc: str) -> None:
    for f in dataclasses.fields(kind):
        interval = option_range(kind, f.name)
        assert interval is not None, f"{kind.__name__}.{f.name} declares no range"
        assert f.default in interval, f.name
        bad = _outside(interval)
        with pytest.raises(ConfigurationError, match=rf"^{kind.__name__}: {f.name} = "):
            kind(**{f.name: bad})


@pytest.mark.parametrize(("kind", "doc"), KINDS)
def test_defaults_are_the_documented_ones(kind: type[Any], doc: str) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    for f in dataclasses.fields(kind):
        row = re.search(rf"^\| `{f.name}` \| ([^|]+) \|", text, re.M)
        assert row, f"{f.name} has no row of its own in docs/{doc}"
        cell = row.group(1).strip().strip("`")
        if isinstance(f.default, str):
            assert cell == f.default, f.name
        else:
            assert float(cell) == f.default, f"{f.name}: docs say {cell}, code {f.default}"


def test_the_review_case_and_keywords_only() -> None:
    with pytest.raises(ConfigurationError, match=r"silo_omega2 = -1 .*\[0, 1\].*0\.14"):
        DiagnoseOptions(silo_omega2=-1)
    with pytest.raises(TypeError):
        StrategyOptions(0.5)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DiagnoseOptions().alpha = 0.1  # type: ignore[misc]
    assert DiagnoseOptions(silo_gap=15, min_people=3).silo_gap == 15
