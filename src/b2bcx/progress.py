"""Progress reporting for long work, without printing from the core.

Long operations take an optional :class:`Progress`; the CLI passes one that
draws Rich progress bars, tests pass nothing (:data:`NO_PROGRESS`).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress of long work: named tasks, each with a done count."""

    def start(self, task: str, total: int | None = None) -> None:
        """A task begins; ``total`` units of work if known."""

    def advance(self, task: str, amount: int = 1) -> None:
        """``amount`` more units of ``task`` are done."""

    def finish(self, task: str) -> None:
        """The task is done."""


class _NoProgress:
    """A :class:`Progress` that ignores everything."""

    def start(self, task: str, total: int | None = None) -> None:
        """Ignore."""

    def advance(self, task: str, amount: int = 1) -> None:
        """Ignore."""

    def finish(self, task: str) -> None:
        """Ignore."""


NO_PROGRESS: Progress = _NoProgress()
