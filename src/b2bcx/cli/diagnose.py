"""``b2bcx diagnose``: the five B2B CEM challenges, at-risk accounts and priorities."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

import typer
from rich.text import Text

from b2bcx.cli.app import (
    AllOpt,
    OutputFormat,
    ThresholdsOpt,
    WorkspaceOpt,
    account_names,
    app,
    console,
    err_console,
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
    metric: Annotated[
        str,
        typer.Option(
            help="The rating diagnosed: cx, nps, csat, ces (cx falls back to the one there is)."
        ),
    ] = "cx",
    alpha: Annotated[
        float | None, typer.Option(help="False-discovery rate of the tests [default: 0.05].")
    ] = None,
    thresholds: ThresholdsOpt = None,
    top: Annotated[
        int, typer.Option(min=1, help="Rows of findings, at-risk and priorities shown.")
    ] = 10,
    show_all: AllOpt = False,
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
    names: dict[str, str] = {}
    missing: str | None = None
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
        # the rating diagnosed (cx falls back to the one the workspace has)
        used = result.meta.metric if result.meta is not None else metric
        if output is not OutputFormat.json:
            from b2bcx.cli.measure import no_ratings_note
            from b2bcx.measures.individual import rating_counts

            names = account_names(ws.backend)
            missing = (
                None if rating_counts(ws.backend).get(used) else no_ratings_note(ws.backend, [used])
            )
    data = result.to_dict()
    if output is OutputFormat.json:
        print_json(data)
        return
    if missing:
        err_console.print(missing)
    elif result.meta is not None and result.meta.metric_requested:
        err_console.print(
            f"No {result.meta.metric_requested} ratings in this workspace: diagnosed on "
            f"{used}, the rating it has (as measure and the report do; --metric to choose)."
        )
    _show(data, None if show_all else top, names, used)
    from b2bcx.cli.readiness import cannot_show_yet

    cannot_show_yet(data.get("unavailable", []))


def _named(account_id: str | None, names: dict[str, str]) -> str:
    """ "Name (ID)" for an account, "portfolio" for none."""
    if account_id is None:
        return "portfolio"
    name = names.get(account_id)
    return f"{name} ({account_id})" if name and name != account_id else account_id


def _about(subject: dict[str, Any], account_id: str | None) -> str:
    """What a finding is about, without repeating the account beside it:
    "the account", "unit function" (not "unit ACC-00007:function"), "touchpoint TP-1"."""
    kind, ident = str(subject.get("kind")), str(subject.get("id"))
    if kind == "account" and ident == account_id:
        return "the account"
    if account_id and ident.startswith(f"{account_id}:"):
        ident = ident[len(account_id) + 1 :]
    return f"{kind} {ident}"


def _title(what: str, shown: int, total: int) -> str:
    return f"{what} ({total})" if shown >= total else f"{what} (top {shown} of {total})"


def _show(data: dict[str, Any], top: int | None, names: dict[str, str], metric: str) -> None:
    """The tables people read: the most severe findings, the accounts most at risk
    and the priorities, each the first ``top`` rows (None: all), names beside ids."""
    from rich.table import Table

    from b2bcx.measures.individual import metric_label

    label = metric_label(metric, level="")
    found = sorted(data["findings"], key=lambda f: -f["severity"])
    shown = found if top is None else found[:top]
    findings = Table(title=_title("Findings, most severe first", len(shown), len(found)))
    for col in ("challenge", "account", "about", "severity", "summary"):
        findings.add_column(col, overflow="fold")
    from b2bcx.report.summary import named  # the summary names accounts, as the report does

    for f in shown:
        findings.add_row(f["challenge"], _named(f["account_id"], names),
                         _about(f["subject"], f["account_id"]), f"{f['severity']:.2f}",
                         named(f["summary"], names))  # fmt: skip
    console.print(findings)
    at_risk = data["at_risk"] if top is None else data["at_risk"][:top]
    risk = Table(title=_title(f"Accounts at risk (from {label})", len(at_risk),
                              len(data["at_risk"])))  # fmt: skip
    # a churn probability gives a value at risk; a risk index gives the annual value
    # exposed (accounts at high risk), so the column says which it is
    fitted = any(r.get("value_at_risk") is not None for r in data["at_risk"])
    value_key = "value_at_risk" if fitted else "value_exposed"
    for col in ("account", "risk", "value at risk" if fitted else "value exposed", "reasons"):
        risk.add_column(col, overflow="fold")
    for r in at_risk:
        value = r.get(value_key)
        risk.add_row(_named(r["account_id"], names),
                     "–" if r["risk"] is None else f"{r['risk'] * 100:.0f}%",
                     "–" if not value else f"{value:,.0f}",
                     "; ".join(r["reasons"]))  # fmt: skip
    console.print(risk)
    priorities = data["priorities"] if top is None else data["priorities"][:top]
    pri = Table(title=_title(f"What to fix first (detractors' poor {label} experiences)",
                             len(priorities), len(data["priorities"])))  # fmt: skip
    for col in ("#", "touchpoint", "stage", "goal", "poor", "score", "action"):
        pri.add_column(col, overflow="fold")
    for p in priorities:
        pri.add_row(str(p["rank"]), p["touchpoint"], str(p["stage"]), p["goal"],
                    f"{p['poor']}/{p['rated']}", f"{p['score']:.2f}", p["action"])  # fmt: skip
    console.print(pri)
    if top is not None and max(len(found), len(data["at_risk"]), len(data["priorities"])) > top:
        console.print(Text("--all shows every row.", style="dim"))
    if data["skipped"]:
        console.print(Text(f"{len(data['skipped'])} checks skipped for too little data "
                           "(see --format json, 'skipped').", style="dim"))  # fmt: skip
    _show_sensitivity(data.get("sensitivity"))


def _show_sensitivity(block: dict[str, Any] | None) -> None:
    """One plain line per challenge: how large an effect had to be to be seen
    (minimal detectable effects; "no finding" is not "no problem")."""
    if not block or not block.get("challenges"):
        return
    console.print(Text("What this diagnosis could not have seen (80 % power):", style="bold"))
    from b2bcx.cli.app import print_wrapped

    for c in block["challenges"]:  # wrapped within 100 columns like the tables
        print_wrapped(str(c["summary"]), indent="  ", hang="    ")
