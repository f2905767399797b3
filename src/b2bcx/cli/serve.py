"""``b2bcx serve``, ``b2bcx token`` and ``b2bcx report``: the server, its tokens and
the management report (thin adapters over :mod:`b2bcx.api`, :mod:`b2bcx.web`
and :mod:`b2bcx.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from b2bcx.cli.commands import WorkspaceOpt, _open, _print_json, app, console
from b2bcx.cli.errors import handle_errors
from b2bcx.storage import authstore

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
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Compute the analyses when starting.")
    ] = True,
) -> None:
    """Serve the REST API (/api/v1, spec at /openapi.json) and the web dashboard (/)."""
    import uvicorn

    from b2bcx.api.settings import load_server_settings
    from b2bcx.web import create_web_app

    settings = load_server_settings(
        workspace=workspace,
        host=host,
        port=port,
        dev=dev or None,
        strategy_answers=answers,
        warm=warm,
    )
    application = create_web_app(settings)
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
    from b2bcx.api.tokens import create_token

    limit = [a for a in accounts.split(",") if a.strip()] if accounts is not None else None
    with _open(workspace) as ws:
        made = create_token(ws.backend, role=role, accounts=limit, name=name)
        authstore.append_audit(
            ws.backend,
            token_id=None,
            role="cli",
            action="b2bcx token create",
            target=made.principal.token_id,
            status=201,
            detail={"role": made.principal.role.value, "accounts": limit},
        )
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
    from b2bcx.api.tokens import list_tokens

    with _open(workspace) as ws:
        rows = list_tokens(ws.backend)
    if json_output:
        _print_json(rows)
        return
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
    from b2bcx.api.tokens import revoke_token

    with _open(workspace) as ws:
        revoke_token(ws.backend, token_id)
        authstore.append_audit(
            ws.backend,
            token_id=None,
            role="cli",
            action="b2bcx token revoke",
            target=token_id,
            status=204,
        )
    console.print(f"Revoked token {token_id}.")


@app.command()
@handle_errors
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    workspace: WorkspaceOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to PDF with Chromium.")] = False,
    answers: Annotated[
        Path | None, typer.Option(help="Strategy questionnaire answers (YAML/JSON).")
    ] = None,
) -> None:
    """Write the management report: a self-contained HTML page following the
    four-step playbook, with charts and the evidence behind each statement."""
    from b2bcx.report import write_report

    loaded = None
    if answers is not None:
        from b2bcx.strategy import load_answers

        loaded = load_answers(answers)
    with _open(workspace) as ws:
        written = write_report(ws.backend, out, answers=loaded, pdf=pdf)
    for path in written:
        console.print(f"Wrote {path}")


#: The report ``b2bcx demo`` writes, in the current folder.
DEMO_REPORT = Path("b2bcx-demo-report.html")


def serve_demo(workspace: str, *, serve: bool = True, port: int = 8000) -> None:
    """The end of ``b2bcx demo``: write the report, make a viewer token and serve
    the dashboard on 127.0.0.1 in development mode (a random secret)."""
    from b2bcx.api.tokens import create_token
    from b2bcx.report import write_report

    with _open(workspace) as ws:
        write_report(ws.backend, DEMO_REPORT)
        made = create_token(ws.backend, role="viewer", name="b2bcx demo")
    console.print(f"Wrote the management report {DEMO_REPORT} (open it in a browser).")
    if not serve:
        return
    import uvicorn

    from b2bcx.api.settings import load_server_settings
    from b2bcx.web import create_web_app

    settings = load_server_settings(workspace=workspace, dev=True, port=port)
    application = create_web_app(settings)
    console.print(f"Dashboard: http://127.0.0.1:{port}/  (Ctrl+C stops it)")
    console.print("Sign in with this viewer token:", style="bold")
    typer.echo(made.token)
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning")
