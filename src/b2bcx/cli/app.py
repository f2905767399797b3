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
    "DEFAULT_TOP",
    "DEFAULT_WORKSPACE",
    "AllOpt",
    "FormatOpt",
    "MetricOpt",
    "OutputFormat",
    "ProgressOpt",
    "ThresholdsOpt",
    "TopOpt",
    "WorkspaceOpt",
    "account_names",
    "app",
    "cell",
    "console",
    "err_console",
    "journey_order",
    "open_ws",
    "print_frame",
    "print_json",
    "top_rows",
    "with_names",
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
        help=f"Workspace: a DuckDB file path or URL (default: {DEFAULT_WORKSPACE}).",
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
    str,
    typer.Option(
        help="The rating: cx, nps, csat, ces or a goal (efficiency, ...); "
        "cx falls back to the one there is."
    ),
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


def print_frame(
    frame: pd.DataFrame,
    title: str,
    digits: int = 2,
    *,
    digits_by: dict[str, int] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Print a result frame as a Rich table on stdout.

    Parameters
    ----------
    frame
        The rows to show; text columns are left-aligned, the others right-aligned.
    title
        The table's title.
    digits
        Decimals shown for floats.
    digits_by
        Decimals of particular columns (others: ``digits``).
    headers
        Column headers to print instead of the column names.
    """
    from pandas.api.types import is_numeric_dtype
    from rich.table import Table

    table = Table(title=title)
    places = [(digits_by or {}).get(str(col), digits) for col in frame.columns]
    for col in frame.columns:
        numeric = is_numeric_dtype(frame[col]) and frame[col].dtype != bool
        table.add_column(
            (headers or {}).get(str(col), str(col)), justify="right" if numeric else "left"
        )
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v, d) for v, d in zip(row, places, strict=True)))
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
    >>> cell(None, 1), cell(float("nan"), 1), cell(2.345, 1), cell("x", 1), cell(1748, 1)
    ('–', '–', '2.3', 'x', '1,748')
    """
    if value is None:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.{digits}f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if "pandas" in sys.modules:  # NA and NaT exist only once pandas is loaded
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return "–"
        if isinstance(value, pd.Timestamp):
            return _when(value.to_pydatetime())
    if isinstance(value, int):
        return f"{value:,}"  # 1,748 rows, not 1748
    if "numpy" in sys.modules:
        import numpy as np

        if isinstance(value, np.bool_):
            return "yes" if bool(value) else "no"
        if isinstance(value, np.floating):
            return cell(float(value), digits)
        if isinstance(value, np.integer):
            return f"{int(value):,}"
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        return _when(value)
    return str(value)


def _when(value: Any) -> str:
    """A date for a midnight time stamp ("2023-01-01"), else date and minutes."""
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return str(value.date().isoformat())
    return str(value.strftime("%Y-%m-%d %H:%M"))


#: How many rows a table shows by default (``--all`` for every row).
DEFAULT_TOP = 20

TopOpt = Annotated[
    int, typer.Option("--top", min=1, help="How many rows the table shows (the most important).")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every row of the table.")]


def top_rows(frame: pd.DataFrame, top: int, show_all: bool) -> tuple[pd.DataFrame, str]:
    """The first ``top`` rows (all with ``show_all``), and a note for the title.

    Parameters
    ----------
    frame
        The rows, most important first.
    top
        How many to keep.
    show_all
        Keep every row.

    Returns
    -------
    tuple of DataFrame and str
        The rows to print, and "top 20 of 250" (or "250") for the title.

    Examples
    --------
    >>> import pandas as pd
    >>> rows, note = top_rows(pd.DataFrame({"a": range(5)}), 2, False)
    >>> len(rows), note
    (2, 'top 2 of 5')
    """
    if show_all or len(frame) <= top:
        return frame, f"{len(frame):,}"
    return frame.head(top), f"top {top} of {len(frame):,}"


def journey_order(frame: pd.DataFrame, column: str = "stage") -> pd.DataFrame:
    """``frame`` with its ``column`` of journey stages in journey order (pre-bid,
    negotiation, implementation, operations; others after), the rest of the
    order kept (a stable sort)."""
    from b2bcx.model.enums import STAGE_ORDER

    if column not in frame.columns:
        return frame
    rank = {s.value: i for i, s in enumerate(STAGE_ORDER)}
    key = frame[column].map(lambda s: rank.get(str(s), len(rank)))
    return frame.assign(_order=key).sort_values("_order", kind="stable").drop(columns="_order")


def with_names(
    frame: pd.DataFrame, names: dict[str, str], column: str = "account_id"
) -> pd.DataFrame:
    """``frame`` with a ``name`` column right after ``column`` (ids → names)."""
    if column not in frame.columns or "name" in frame.columns:
        return frame
    out = frame.copy()
    out.insert(
        list(out.columns).index(column) + 1,
        "name",
        out[column].map(lambda a: names.get(str(a), "")).astype(object),
    )
    return out


def quiet_model_loading() -> None:
    """Hide the language model loader's own progress bar ("Loading weights"): the
    commands show the analysis' progress themselves (``--no-progress`` hides it)."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def print_wrapped(text: str, *, indent: str = "", hang: str = "", style: str | None = None) -> None:
    """Print a sentence or list item wrapped to the terminal (at most 100 columns).

    Parameters
    ----------
    text
        The text, one paragraph.
    indent
        What the first line starts with (a bullet, say).
    hang
        What the following lines start with.
    style
        A Rich style for the whole text.
    """
    import textwrap

    width = max(40, min(console.width, 100))
    wrapped = textwrap.fill(
        text, width=width, initial_indent=indent, subsequent_indent=hang,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    console.print(wrapped, style=style)


def touchpoint_names(backend: Any) -> dict[str, str]:
    """Touchpoint id → name (the id where a touchpoint has no name)."""
    from b2bcx.storage.records import all_records

    return {
        str(t["touchpoint_id"]): str(t.get("name") or t["touchpoint_id"])
        for t in all_records(backend, "touchpoints")
    }


def account_names(backend: Any) -> dict[str, str]:
    """Account id → name (the id where an account has no name)."""
    from b2bcx.storage.records import all_records

    return {
        str(a["account_id"]): str(a.get("name") or a["account_id"])
        for a in all_records(backend, "accounts")
    }
