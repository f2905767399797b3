"""``b2bcx init``, ``import``, ``export``, ``info`` and ``version``: the workspace and its data."""

from __future__ import annotations

import datetime as _dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from b2bcx.cli.app import (
    FormatOpt,
    OutputFormat,
    ProgressOpt,
    WorkspaceOpt,
    app,
    console,
    open_ws,
    print_json,
)
from b2bcx.cli.errors import handle_errors

if TYPE_CHECKING:
    from b2bcx.bundle.results import ImportResult


class BundleFormat(StrEnum):
    """File format of an exported bundle."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


@app.command()
@handle_errors
def init(workspace: WorkspaceOpt = None) -> None:
    """Create an empty workspace (or migrate an existing one to this version)."""
    with open_ws(workspace) as ws:
        info = ws.info()
    console.print(f"Workspace ready: {info.url} (schema version {info.schema_version})")


@app.command("import")
@handle_errors
def import_(
    path: Annotated[
        Path, typer.Argument(help="A bundle folder or .zip (or a source file with --mapping).")
    ],
    workspace: WorkspaceOpt = None,
    mapping: Annotated[
        Path | None, typer.Option(help="A mapping YAML for files in another layout.")
    ] = None,
    allow_rejects: Annotated[
        bool,
        typer.Option(help="Commit the valid rows even if some are rejected (rejects are kept)."),
    ] = False,
    date_format: Annotated[
        list[str] | None,
        typer.Option(
            "--date-format",
            help="Extra strftime format for dates besides ISO 8601, e.g. %d/%m/%Y (repeatable).",
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Force the text encoding of CSV/JSONL files.")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="Force the CSV delimiter (default: detected).")
    ] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write the rejects file.")] = None,
    effective_date: Annotated[
        _dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Date a change of relationship type or touchpoint control takes effect "
            "when the data gives none (default: today).",
        ),
    ] = None,
    output: FormatOpt = OutputFormat.table,
    progress: ProgressOpt = True,
) -> None:
    """Validate and import a bundle: all or nothing, every rejected row kept with its reason."""
    from b2bcx.bundle.results import ImportOptions
    from b2bcx.cli.progress import RichProgress

    options = ImportOptions(
        allow_rejects=allow_rejects,
        date_formats=tuple(date_format or ()),
        encoding=encoding,
        delimiter=delimiter,
        mapping=mapping,
        rejects_path=rejects,
        effective_date=effective_date.date() if effective_date else None,
    )
    with open_ws(workspace) as ws, RichProgress(enabled=progress) as bar:
        result = ws.import_bundle(path, options, progress=bar)
    show_import(result, output)


def show_import(result: ImportResult, output: OutputFormat) -> None:
    """Print an import's result: its JSON, or a table of counts per table with the
    warnings and where the rejects are (paths and values printed literally).

    Parameters
    ----------
    result
        What :meth:`b2bcx.Workspace.import_bundle` returned.
    output
        ``json`` prints ``result.to_dict()``; ``table`` the human summary.
    """
    from rich.table import Table

    if output is OutputFormat.json:
        print_json(result.to_dict())
        return
    table = Table(title=f"Imported {result.source} ({result.status}, batch {result.batch_id})")
    for col in ("table", "read", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, c in result.tables.items():
        table.add_row(
            name, *(f"{v:,}" for v in (c.read, c.inserted, c.updated, c.unchanged, c.rejected))
        )
    console.print(table)
    for warning in result.warnings:
        console.print(Text.assemble(("warning:", "yellow"), f" {warning}"))
    if result.n_rejected:
        console.print(
            Text.assemble(
                (f"{result.n_rejected:,} rows rejected", "yellow"),
                f"; each with its reason in {result.rejects_path}",
            )
        )
    console.print(f"Done in {result.seconds:.1f} s.")


@app.command()
@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="Folder to write, or a path ending in .zip.")],
    workspace: WorkspaceOpt = None,
    format: Annotated[
        BundleFormat, typer.Option("--format", "-f", help="File format of each table.")
    ] = BundleFormat.csv,
    progress: ProgressOpt = True,
) -> None:
    """Write the workspace as a bundle; importing it again gives the same workspace."""
    from b2bcx.cli.progress import RichProgress

    with open_ws(workspace, read_only=True) as ws, RichProgress(enabled=progress) as bar:
        result = ws.export_bundle(path, format=format.value, progress=bar)
    total = sum(result.rows.values())
    console.print(f"Exported {total:,} rows in {len(result.rows)} tables to {result.path}")


@app.command()
@handle_errors
def info(workspace: WorkspaceOpt = None, output: FormatOpt = OutputFormat.table) -> None:
    """Counts per table, the date range of interactions and column coverage."""
    from rich.table import Table

    with open_ws(workspace, read_only=True) as ws:
        summary = ws.info()
    if output is OutputFormat.json:
        print_json(summary.to_dict())
        return
    console.print(f"Workspace {summary.url} (schema version {summary.schema_version})")
    if summary.first_interaction:
        console.print(
            f"Interactions from {summary.first_interaction:%Y-%m-%d} "
            f"to {summary.last_interaction:%Y-%m-%d}"
        )
    table = Table(title="Tables")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("columns with data")
    for name, n in summary.counts.items():
        cov = summary.coverage.get(name, {})
        filled = ", ".join(f"{c} {share:.0%}" for c, share in cov.items() if share > 0)
        table.add_row(name, f"{n:,}", filled if n else "-")
    console.print(table)


def version() -> None:
    """Print the b2bcx version."""
    import b2bcx

    console.print(b2bcx.__version__)
