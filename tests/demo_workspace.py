"""Helpers of the tests that check a result is reused, not recomputed
(``tests/diagnose/test_shared_frame.py``, ``test_diagnosis_reuse.py``,
``tests/strategy/test_plan_reuse.py``): the demo workspace they measure and the
stand-in that fails when a builder runs although its result was given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import b2bcx


def demo_workspace(folder: Path, *, size: int = 1500, seed: int = 5) -> Iterator[b2bcx.Workspace]:
    """A demo world of ``size`` people imported into ``folder/ws.duckdb``, on one
    DuckDB thread (float sums identical between runs); closed when the generator
    resumes. Use with ``yield from`` in a fixture."""
    from b2bcx.demo import generate_world

    generate_world(folder / "bundle", size=size, seed=seed)
    ws = b2bcx.open_workspace(folder / "ws.duckdb")
    ws.import_bundle(folder / "bundle")
    ws.backend.execute("SET threads TO 1")  # float sums identical between runs
    yield ws
    ws.close()


def forbidden(message: str) -> Callable[..., NoReturn]:
    """A stand-in to monkeypatch over a builder: any call fails the test with ``message``."""

    def boom(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(message)

    return boom
