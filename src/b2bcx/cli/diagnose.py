"""``b2bcx diagnose``: the five B2B CEM challenges, at-risk accounts and priorities."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

import typer
from rich.text import Text

from b2bcx.cli.app import (
    OutputFormat,
    ThresholdsOpt,
    WorkspaceOpt,
    app,
    console,
    open_ws,
    print_json,
)
from b2bcx.cli.errors import handle_errors


@app.command()
@handle_errors
def diagnose(
    workspace: WorkspaceOpt = None,
    challenge: Annotated[
        list[str] | None,
        typer.Option(help="Only this challenge (C1–C5); repeat or comma-separate for several."),
    ] = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    as_of: Annotated[
        _dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Diagnose as of this date [default: latest]."),
    ] = None,
    metric: Annotated[str, typer.Option(help="The rating diagnosed: cx, nps, csat, ces.")] = "cx",
    alpha: Annotated[
        float | None, typer.Option(help="False-discovery rate of the tests [default: 0.05].")
    ] = None,
    thresholds: ThresholdsOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Rows of at-risk and priorities shown.")] = 10,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress on stderr.")
    ] = True,
) -> None:
    """Diagnose the B2B CEM challenges C1–C5, at-risk accounts and what to fix first."""
    from b2bcx.analyses import AnalysisOptions
    from b2bcx.cli.progress import RichProgress
    from b2bcx.diagnose import diagnose as run
    from b2bcx.diagnose.thresholds import load_thresholds

    wanted = [c for item in challenge or [] for c in item.split(",")] or None
    options = load_thresholds(thresholds, metric=metric, alpha=alpha)
    with open_ws(workspace, read_only=True) as ws, RichProgress(enabled=progress) as bar:
        if wanted is None and account is None:  # the standard diagnosis, from the front door
            bar.start("diagnose")
            # n_boot=0: the diagnosis uses the drivers' shares, not their intervals
            chosen = AnalysisOptions(metric=metric, as_of=as_of, diagnose=options, n_boot=0)
            result = ws.analyses(chosen).diagnosis
            bar.finish("diagnose")
        else:  # a parameterised run: some challenges, or one account
            result = run(ws.backend, options, challenges=wanted, account_id=account,
                         as_of=as_of, progress=bar)  # fmt: skip
    data = result.to_dict()
    if output is OutputFormat.json:
        print_json(data)
        return
    _show(data, top)


def _show(data: dict[str, Any], top: int) -> None:
    from rich.table import Table

    findings = Table(title=f"Findings ({len(data['findings'])})", show_lines=False)
    for col in ("challenge", "account", "subject", "severity", "summary"):
        findings.add_column(col, overflow="fold")
    for f in data["findings"]:
        findings.add_row(f["challenge"], f["account_id"] or "portfolio",
                         f"{f['subject']['kind']} {f['subject']['id']}", f"{f['severity']:.2f}",
                         f["summary"])  # fmt: skip
    console.print(findings)
    risk = Table(title="Accounts at risk")
    for col in ("account", "risk", "value at risk", "reasons"):
        risk.add_column(col, overflow="fold")
    for r in data["at_risk"][:top]:
        risk.add_row(r["account_id"], f"{r['risk']:.2f}", f"{r['value_at_risk']:,.0f}",
                     "; ".join(r["reasons"]))  # fmt: skip
    console.print(risk)
    pri = Table(title="What to fix first (detractors' poor experiences)")
    for col in ("#", "touchpoint", "stage", "goal", "poor", "score", "action"):
        pri.add_column(col, overflow="fold")
    for p in data["priorities"][:top]:
        pri.add_row(str(p["rank"]), p["touchpoint"], str(p["stage"]), p["goal"],
                    f"{p['poor']}/{p['rated']}", f"{p['score']:.2f}", p["action"])  # fmt: skip
    console.print(pri)
    if data["skipped"]:
        console.print(Text(f"{len(data['skipped'])} checks skipped for too little data "
                           "(see --format json, 'skipped').", style="dim"))  # fmt: skip
