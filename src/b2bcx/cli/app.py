"""The command line's shared plumbing: the Typer ``app``, the consoles, the option
types every command shares, opening a workspace and printing JSON or frames.

The command modules (:mod:`b2bcx.cli.data`, :mod:`b2bcx.cli.measure`,
:mod:`b2bcx.cli.diagnose`, ...) import from here and register their commands
on :data:`app`; this module imports none of them, so there is no import cycle.

It imports nothing heavy (no pandas, Ibis, DuckDB or pyarrow): ``b2bcx --help``
and ``b2bcx --version`` start fast. Commands import the library inside their
bodies.

Everything printed goes through consoles with Rich markup switched off: user
data and paths (``[/]``, ``[bold]``) are printed literally, never parsed as
markup; styled words use :class:`rich.text.Text` or ``style=``.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from b2bcx.cli.errors import err_console

if TYPE_CHECKING:
    import pandas as pd

    from b2bcx.workspace import Workspace

__all__ = [
    "DEFAULT_WORKSPACE",
    "FormatOpt",
    "MetricOpt",
    "OutputFormat",
    "ProgressOpt",
    "ThresholdsOpt",
    "WorkspaceOpt",
    "app",
    "cell",
    "console",
    "err_console",
    "open_ws",
    "print_frame",
    "print_json",
]

#: The workspace used without ``--workspace`` or ``B2BCX_WORKSPACE``: the value
#: of :data:`b2bcx.config.DEFAULT_WORKSPACE` (a test keeps the two equal; the
#: config module is not imported here because it loads pydantic).
DEFAULT_WORKSPACE = "b2bcx.duckdb"


def _show_version(value: bool) -> None:
    """``--version``: print the version and exit before any command runs."""
    if value:
        import b2bcx

        typer.echo(b2bcx.__version__)
        raise typer.Exit()


app = typer.Typer(
    name="b2bcx",
    help="B2B customer experience management: import your CX data, measure individual "
    "and collective CX, diagnose the B2B CEM challenges, choose a CXM strategy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the b2bcx version and exit.",
        ),
    ] = False,
) -> None:
    # The root options (only --version); the app's help text stays Typer(help=...).
    del version


#: Standard output for tables and messages (Rich markup off: data prints literally).
console = Console(highlight=False, soft_wrap=True, markup=False)


class OutputFormat(StrEnum):
    """How a command prints its result."""

    table = "table"
    json = "json"


WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="B2BCX_WORKSPACE",
        help=f"Workspace: a DuckDB file path or URL [default: {DEFAULT_WORKSPACE}].",
        show_default=False,
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
ProgressOpt = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show progress bars on stderr.")
]
ThresholdsOpt = Annotated[
    Path | None,
    typer.Option(help="YAML file of thresholds (names as in docs/diagnose.md)."),
]
MetricOpt = Annotated[
    str, typer.Option(help="The rating: cx, nps, csat, ces or a goal (efficiency, ...).")
]


def open_ws(workspace: str | None, *, read_only: bool = False) -> Workspace:
    """Open the workspace a ``--workspace`` option names (None: the default).

    Parameters
    ----------
    workspace
        The option's value: a DuckDB path or a URL; ``None`` for
        ``B2BCX_WORKSPACE`` or :data:`DEFAULT_WORKSPACE`.
    read_only
        The command only reads. An existing DuckDB file is then opened
        read-only (several readers can share it, and it can be read from a
        read-only file system). A workspace that does not exist yet is created
        and one that needs a migration is migrated, as before, by opening it
        for writing; other engines are opened as their URL says.

    Returns
    -------
    Workspace
        The open workspace (use it as a context manager).
    """
    from b2bcx.errors import SchemaMismatchError
    from b2bcx.workspace import open_workspace

    if read_only and _existing_duckdb_file(workspace):
        try:
            return open_workspace(workspace, read_only=True)
        except SchemaMismatchError:
            pass  # an older workspace: the writable open below migrates it
    return open_workspace(workspace)


def _existing_duckdb_file(workspace: str | None) -> bool:
    """Whether the workspace is a DuckDB file that exists already."""
    import os

    target = workspace or os.environ.get("B2BCX_WORKSPACE") or DEFAULT_WORKSPACE
    if target == ":memory:" or "://" in target:
        return False
    return Path(os.path.expanduser(target)).is_file()


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (dates and other values as strings).

    Parameters
    ----------
    data
        A JSON-plain value (dicts, lists, numbers, strings, None); anything else
        is printed with ``str``.
    """
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_frame(frame: pd.DataFrame, title: str, digits: int = 2) -> None:
    """Print a result frame as a Rich table on stdout.

    Parameters
    ----------
    frame
        The rows to show; text columns are left-aligned, the others right-aligned.
    title
        The table's title.
    digits
        Decimals shown for floats.
    """
    from rich.table import Table

    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="left" if frame[col].dtype == object else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v, digits) for v in row))
    console.print(table)


def cell(value: Any, digits: int) -> str:
    """One table cell: a dash for a missing value (None, NaN, NA, NaT).

    Parameters
    ----------
    value
        The value of the cell.
    digits
        Decimals shown for a float.

    Returns
    -------
    str
        The text of the cell.

    Examples
    --------
    >>> cell(None, 1), cell(float("nan"), 1), cell(2.345, 1), cell("x", 1)
    ('–', '–', '2.3', 'x')
    """
    if value is None:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.{digits}f}"
    if "pandas" in sys.modules:  # NA and NaT exist only once pandas is loaded
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return "–"
    return str(value)
