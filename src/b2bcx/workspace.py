"""The workspace: the one facade over a b2bcx database.

>>> import b2bcx
>>> ws = b2bcx.open_workspace(":memory:")
>>> ws.info().counts["accounts"]
0
>>> ws.close()
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Self

import ibis

from b2bcx.bundle.results import ExportResult, ImportOptions, ImportResult
from b2bcx.config import Settings, load_settings
from b2bcx.info import WorkspaceInfo, describe_workspace
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend, connect, migrate


class Workspace:
    """A b2bcx workspace: the data of one supplier, and everything computed from it.

    Make one with :func:`open_workspace`. Close it when done (or use ``with``).
    """

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    @property
    def url(self) -> str:
        """Where the workspace lives."""
        return self.backend.url

    def table(self, name: str) -> ibis.Table:
        """The Ibis expression of one workspace table (e.g. ``"interactions"``)."""
        return self.backend.table(name)

    def import_bundle(
        self,
        path: str | Path,
        options: ImportOptions | None = None,
        *,
        progress: Progress = NO_PROGRESS,
    ) -> ImportResult:
        """Validate and import a bundle folder or ``.zip`` (see ``DATA_FORMAT.md``).

        All or nothing: if any row is rejected, nothing is committed and
        :class:`b2bcx.errors.DataRejected` is raised, unless
        ``options.allow_rejects``. Every rejected row is written to the rejects
        file with its reason. Re-importing the same data changes nothing.
        """
        from b2bcx.bundle.loader import import_bundle

        return import_bundle(
            self.backend,
            Path(path),
            options or ImportOptions(),
            rejects_dir=self.rejects_dir,
            progress=progress,
        )

    def export_bundle(
        self, path: str | Path, *, format: str = "csv", progress: Progress = NO_PROGRESS
    ) -> ExportResult:
        """Write the workspace as a bundle (folder, or ``.zip`` if ``path`` ends so)."""
        from b2bcx.bundle.export import export_bundle

        return export_bundle(self.backend, Path(path), format=format, progress=progress)

    def info(self) -> WorkspaceInfo:
        """Counts per table, the date range and column coverage."""
        return describe_workspace(self.backend)

    @property
    def rejects_dir(self) -> Path:
        """The folder rejects files are written to."""
        if self.settings.rejects_dir is not None:
            return self.settings.rejects_dir
        if self.url == ":memory:":
            return Path.cwd() / "rejects"
        return Path(self.url).resolve().parent / "rejects"

    def close(self) -> None:
        """Close the database connection."""
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def default_workspace_url(settings: Settings | None = None) -> str:
    """The workspace used when none is named: ``B2BCX_WORKSPACE`` or ``b2bcx.duckdb``."""
    return (settings or load_settings()).workspace


def open_workspace(url: str | Path | None = None, *, settings: Settings | None = None) -> Workspace:
    """Open (creating and migrating as needed) the workspace at ``url``.

    Parameters
    ----------
    url:
        A DuckDB file path, ``duckdb:///path``, or ``:memory:``. Default: the
        ``B2BCX_WORKSPACE`` environment variable, else ``b2bcx.duckdb`` in the
        current folder.
    settings:
        Explicit settings (default: read from the environment).
    """
    settings = settings or load_settings()
    target = str(url) if url is not None else settings.workspace
    backend = connect(
        os.path.expanduser(target) if target != ":memory:" else target,
        memory_limit=settings.duckdb_memory_limit,
    )
    migrate(backend)
    return Workspace(backend, settings)
