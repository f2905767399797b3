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

from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.bundle.results import ExportResult, ImportOptions, ImportResult
from b2bcx.config import Settings, load_settings
from b2bcx.errors import ConfigurationError
from b2bcx.info import WorkspaceInfo, describe_workspace
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend, connect, migrate, require_current, resolve_url


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
        self,
        path: str | Path,
        *,
        format: str = "csv",
        progress: Progress = NO_PROGRESS,
        pseudonymise: bool = False,
    ) -> ExportResult:
        """Write the workspace as a bundle (folder, or ``.zip`` if ``path`` ends so);
        ``pseudonymise`` hides stakeholders' names and e-mails behind keyed hashes."""
        from b2bcx.bundle.export import export_bundle

        return export_bundle(
            self.backend, Path(path), format=format, progress=progress, pseudonymise=pseudonymise
        )

    def info(self) -> WorkspaceInfo:
        """Counts per table, the date range and column coverage."""
        return describe_workspace(self.backend)

    def analyses(self, options: AnalysisOptions | None = None) -> Analyses:
        """The standard analyses of this workspace under ``options`` (one date,
        one metric, one set of thresholds and answers), each computed at most
        once: the front door the CLI, the API, the dashboard and the report use.

        >>> import b2bcx
        >>> with b2bcx.open_workspace(":memory:") as ws:
        ...     ws.analyses(b2bcx.AnalysisOptions(metric="nps")).metric
        'nps'
        """
        return Analyses(self.backend, options)

    @property
    def rejects_dir(self) -> Path:
        """The folder rejects files are written to."""
        if self.settings.rejects_dir is not None:
            return self.settings.rejects_dir
        if self.url == ":memory:" or self.backend.kind != "duckdb":
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


def open_workspace(
    url: str | Path | None = None,
    *,
    settings: Settings | None = None,
    engine: str | None = None,
    read_only: bool = False,
) -> Workspace:
    """Open (creating and migrating as needed) the workspace at ``url``.

    Parameters
    ----------
    url:
        A DuckDB file path, ``duckdb:///path``, or ``:memory:``;
        ``postgresql://user@host:5432/database`` for a shared PostgreSQL
        database; ``spark://MASTER?path=FOLDER`` for the workspace tables as
        Parquet in a folder, analysed by Apache Spark (read-only; see
        ``docs/scale.md``). Default: the ``B2BCX_WORKSPACE`` environment
        variable, else ``b2bcx.duckdb`` in the current folder.
    settings:
        Explicit settings (default: read from the environment).
    engine:
        ``"spark"`` runs a folder of Parquet tables (``url`` is the folder) on
        Spark, as ``spark://?path=url`` would: the ``--engine spark`` of the
        command line. ``None`` (the default) takes the engine from the URL.
    read_only:
        Open without writing: no migration runs (a workspace that needs one
        is refused with :class:`b2bcx.errors.SchemaMismatchError`), and
        imports and other writes fail with
        :class:`b2bcx.errors.WorkspaceReadOnly`. A DuckDB file opened
        read-only can be shared by several read-only processes; it cannot be
        opened at all while another process writes it
        (:class:`b2bcx.errors.WorkspaceLocked` names that process).
    """
    settings = settings or load_settings()
    target = str(url) if url is not None else settings.workspace
    if engine is not None:
        target = engine_url(target, engine)
    if "://" not in target and target != ":memory:":
        target = os.path.expanduser(target)
    backend = connect(target, memory_limit=settings.duckdb_memory_limit, read_only=read_only)
    try:
        if backend.is_read_only:
            require_current(backend)
        else:
            # one transaction: on a shared server, concurrent first openers
            # wait for each other instead of creating the same tables twice
            with backend.transaction():
                migrate(backend)
    except BaseException:
        backend.close()
        raise
    return Workspace(backend, settings)


#: ``engine=`` choices of :func:`open_workspace`.
ENGINES: tuple[str, ...] = ("duckdb", "postgres", "spark")


def engine_url(target: str, engine: str) -> str:
    """The workspace URL for ``target`` run on ``engine`` (``--engine``).

    >>> engine_url("/data/cx-parquet", "spark")
    'spark://?path=/data/cx-parquet'
    >>> engine_url("cx.duckdb", "duckdb")
    'cx.duckdb'
    """
    if engine not in ENGINES:
        raise ConfigurationError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if engine == "spark" and not target.startswith("spark://"):
        return f"spark://?path={os.path.expanduser(target)}"
    kind = resolve_url(target)[0]
    if kind != engine:
        raise ConfigurationError(
            f"workspace {target!r} is a {kind} workspace, not {engine}; drop --engine or "
            "give a matching URL"
        )
    return target
