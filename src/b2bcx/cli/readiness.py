"""``b2bcx readiness``: which analyses the workspace's data supports, and what unlocks the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from b2bcx.cli.app import FormatOpt, OutputFormat, WorkspaceOpt, app, console, open_ws, print_json
from b2bcx.cli.errors import handle_errors

if TYPE_CHECKING:
    from b2bcx.readiness import Readiness

#: How each status reads in the table.
_MARK = {"ready": "ready", "partial": "partial", "unavailable": "not yet"}
_STYLE = {"ready": "green", "partial": "yellow", "unavailable": "red"}


@app.command()
@handle_errors
def readiness(
    workspace: WorkspaceOpt = None,
    metric: Annotated[
        str | None,
        typer.Option(help="The rating the analyses use [default: cx, else the one there is]."),
    ] = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Which analyses the data supports, why, and what to add to unlock the others."""
    from b2bcx.analyses import AnalysisOptions

    with open_ws(workspace, read_only=True) as ws:
        result = ws.analyses(AnalysisOptions(metric=metric)).readiness()
    if output is OutputFormat.json:
        print_json(result.to_dict())
        return
    show_readiness(result)


def show_readiness(result: Readiness) -> None:
    """Print the readiness table: one row per analysis, grouped by area, with the
    reason and what unlocks it."""
    from rich.table import Table

    s = result.summary
    table = Table(
        title=f"Data readiness: {s['ready']} ready, {s['partial']} partial, "
        f"{s['unavailable']} not yet (on {result.metric.upper()})",
        expand=True,
    )
    table.add_column("analysis", overflow="fold", ratio=2)
    table.add_column("status", no_wrap=True)
    table.add_column("why, and what to add to unlock it", overflow="fold", ratio=5)
    area = None
    for a in result.analyses:
        if a.area != area:
            table.add_section()
            area = a.area
        why = Text(a.reason)
        if a.unlock:
            why.append(f"\n→ {a.unlock}", style="cyan")
        table.add_row(a.name, Text(_MARK[a.status], style=_STYLE[a.status]), why)
    console.print(table)
    if s["partial"] or s["unavailable"]:
        console.print(Text("Add the data with b2bcx import, or on the dashboard's Import page",
                           style="dim"))  # fmt: skip
        console.print(Text(f"({result.import_page}); each row names the table and column.",
                           style="dim"))  # fmt: skip


def cannot_show_yet(unavailable: list[dict[str, Any]]) -> None:
    """The short block at the end of ``b2bcx diagnose``: the checks the data cannot
    support yet (``Diagnosis.unavailable``), each with what would unlock it."""
    if not unavailable:
        return
    console.print(Text("What the data cannot show yet", style="bold"))
    from b2bcx.cli.app import print_wrapped

    for u in unavailable:  # wrapped to the terminal, at most 100 columns
        print_wrapped(
            f"{u['challenge']} {u['check']}: {u['missing']}. To unlock: {u['unlock']}.",
            indent="- ",
            hang="  ",
        )
    console.print(Text("b2bcx readiness lists every analysis and what it needs.", style="dim"))
