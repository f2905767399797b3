"""Rich progress bars for the core's :class:`b2bcx.progress.Progress` protocol."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RichProgress:
    """Draws one bar per task on stderr; use as a context manager."""

    def __init__(self, *, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def start(self, task: str, total: int | None = None) -> None:
        """Add a bar for ``task``."""
        if task in self._tasks:
            self._progress.reset(self._tasks[task], total=total)
        else:
            self._tasks[task] = self._progress.add_task(task, total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        """Move ``task``'s bar on."""
        if task not in self._tasks:
            self.start(task)
        self._progress.advance(self._tasks[task], amount)

    def finish(self, task: str) -> None:
        """Mark ``task`` complete."""
        if task in self._tasks:
            t = self._tasks[task]
            total = self._progress.tasks[self._tasks_index(t)].total
            if total is None:
                completed = self._progress.tasks[self._tasks_index(t)].completed
                self._progress.update(t, total=completed, completed=completed)
            else:
                self._progress.update(t, completed=total)

    def _tasks_index(self, task_id: TaskID) -> int:
        for i, t in enumerate(self._progress.tasks):
            if t.id == task_id:
                return i
        raise KeyError(task_id)  # pragma: no cover

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
