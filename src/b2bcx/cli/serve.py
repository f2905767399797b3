"""``b2bcx serve``, ``b2bcx token`` and ``b2bcx report``: the server, its tokens and
the management report (thin adapters over :mod:`b2bcx.server`, :mod:`b2bcx.api`,
:mod:`b2bcx.web` and :mod:`b2bcx.report`).

``serve`` and ``report`` take the same ``--thresholds`` and ``--answers`` files as
``diagnose`` and ``strategy``, so every surface shows the same analyses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b2bcx.cli.app import ThresholdsOpt, WorkspaceOpt, app, console, open_ws, print_json
from b2bcx.cli.errors import handle_errors

token_app = typer.Typer(
    help="API tokens: make, list and revoke (stored hashed).", no_args_is_help=True
)
app.add_typer(token_app, name="token")


@app.command()
@handle_errors
def serve(
    workspace: WorkspaceOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development: a random secret if B2BCX_SECRET is unset.")
    ] = False,
    answers: Annotated[
        Path | None, typer.Option(help="Strategy questionnaire answers (YAML/JSON).")
    ] = None,
    thresholds: ThresholdsOpt = None,
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Compute the analyses when starting.")
    ] = True,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial/--no-partial",
            help="Pages answer at once while the analyses are computed, and fill in by themselves.",
        ),
    ] = True,
    warm_earlier_up_to: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Compute the diagnosis as of 3 months earlier when starting only on workspaces "
            "of at most this many interactions (else when a page first asks for it); "
            "default 2000000 or B2BCX_WARM_EARLIER_UP_TO.",
        ),
    ] = None,
) -> None:
    """Serve the REST API (/api/v1, spec at /openapi.json) and the web dashboard (/)."""
    import uvicorn

    from b2bcx.api.app import create_app
    from b2bcx.server.settings import load_server_settings
    from b2bcx.web.app import mount_dashboard

    settings = load_server_settings(
        workspace=workspace,
        host=host,
        port=port,
        dev=dev or None,
        strategy_answers=answers,
        thresholds=thresholds,
        warm=warm,
        partial_pages=partial,
        warm_earlier_up_to=warm_earlier_up_to,
    )
    application = create_app(settings, mount=(mount_dashboard,))  # reads both files first
    console.print(
        f"b2bcx serving {settings.workspace} on http://{host}:{port}/ "
        f"(API: http://{host}:{port}/api/v1, spec: /openapi.json)"
    )
    uvicorn.run(application, host=host, port=port, log_level="info")


@token_app.command("create")
@handle_errors
def token_create(
    role: Annotated[str, typer.Option(help="viewer (reads), analyst (imports), admin (tokens).")],
    accounts: Annotated[
        str | None, typer.Option(help="Limit the token to these account ids (comma-separated).")
    ] = None,
    name: Annotated[str, typer.Option(help="A note on whom the token is for.")] = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Make an API token; it is printed once and only its hash is stored."""
    from b2bcx.server.tokens import AuditedBy, create_token

    limit = [a for a in accounts.split(",") if a.strip()] if accounts is not None else None
    audit = AuditedBy(action="b2bcx token create", role="cli")
    with open_ws(workspace) as ws:
        made = create_token(ws.backend, role=role, accounts=limit, name=name, audit=audit)
    scope = made.principal.accounts
    limited = f", accounts {','.join(sorted(scope))}" if scope is not None else ""
    console.print(
        f"Token {made.principal.token_id} ({made.principal.role.value}{limited}); "
        "store it now, it is not shown again:",
        style="bold",
    )
    typer.echo(made.token)


@token_app.command("list")
@handle_errors
def token_list(
    workspace: WorkspaceOpt = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List tokens (never their secrets)."""
    from b2bcx.server.tokens import list_tokens

    with open_ws(workspace, read_only=True) as ws:
        rows = list_tokens(ws.backend)
    if json_output:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} tokens")
    for col in ("token_id", "name", "role", "accounts", "created_at", "revoked_at"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["token_id"],
            r["name"] or "",
            r["role"],
            ",".join(r["accounts"]) if r["accounts"] is not None else "all",
            f"{r['created_at']:%Y-%m-%d %H:%M}",
            f"{r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "",
        )
    console.print(table)


@token_app.command("revoke")
@handle_errors
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (as `token list` shows it).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Revoke a token at once (its dashboard sessions end with it)."""
    from b2bcx.server.tokens import AuditedBy, revoke_token

    with open_ws(workspace) as ws:
        revoke_token(ws.backend, token_id, audit=AuditedBy(action="b2bcx token revoke", role="cli"))
    console.print(f"Revoked token {token_id}.")


@app.command()
@handle_errors
def report(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="The HTML file to write (ending in .pdf: the PDF, with the HTML beside it).",
        ),
    ] = Path("report.html"),
    workspace: WorkspaceOpt = None,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf", help="Also print it to PDF with Chromium (an --out ending in .pdf implies it)."
        ),
    ] = False,
    answers: Annotated[
        Path | None, typer.Option(help="Strategy questionnaire answers (YAML/JSON).")
    ] = None,
    thresholds: ThresholdsOpt = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write the report's tables to this Excel file."),
    ] = None,
) -> None:
    """Write the management report: a self-contained HTML page (and PDF, XLSX on request).

    An executive summary first, then the four-step playbook with charts and the
    evidence behind each statement, and the method in an appendix."""
    from b2bcx.analyses import AnalysisOptions
    from b2bcx.diagnose.thresholds import load_thresholds
    from b2bcx.report import write_report
    from b2bcx.strategy import load_answers

    options = AnalysisOptions(
        diagnose=None if thresholds is None else load_thresholds(thresholds),
        answers=None if answers is None else load_answers(answers),
        n_boot=0,  # as write_report(backend) runs them: drivers without bootstrap intervals
    )
    with open_ws(workspace, read_only=True) as ws:
        analyses = ws.analyses(options)
        written = write_report(analyses, out, pdf=pdf)
        if xlsx is not None:
            from b2bcx.report import write_workbook

            written.append(write_workbook(analyses, xlsx))
    for path in written:
        console.print(f"Wrote {path}")
