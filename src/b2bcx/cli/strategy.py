"""``b2bcx strategy``: value-proposition profile, impact × scope assessment, playbook."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from b2bcx.cli.commands import OutputFormat, WorkspaceOpt, _open, _print_json, app, console
from b2bcx.cli.errors import handle_errors

strategy_app = typer.Typer(
    help="CXM strategy (Wirtz et al. 2025): value-proposition profile, impact × scope "
    "archetype, and the four-step playbook.",
    no_args_is_help=True,
)
app.add_typer(strategy_app, name="strategy")

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
AnswersOpt = Annotated[
    Path | None,
    typer.Option(help="Answers to the assessment (YAML item: value, or CSV item,answer)."),
]
InteractiveOpt = Annotated[
    bool, typer.Option("--interactive", help="Answer the assessment at the prompt.")
]
AsOfOpt = Annotated[
    _dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Assess as of this date [default: latest data]."),
]


def _answers(path: Path | None, interactive: bool) -> Any:
    from b2bcx.strategy import check_answers, item_bank, load_answers

    if path is not None:
        return load_answers(path)
    if not interactive:
        return None
    bank = item_bank()
    console.print("Answer 1 (strongly disagree) … 5 (strongly agree); press Enter to skip.")
    values: dict[str, Any] = {}
    for item in bank.items:
        raw = typer.prompt(f"[{item.section}] {item.text}", default="", show_default=False)
        if raw.strip():
            values[item.id] = raw.strip()
    return check_answers(values, "the prompt", bank)


@strategy_app.command("items")
@handle_errors
def items(output: FormatOpt = OutputFormat.table) -> None:
    """The assessment's item bank (shipped with b2bcx)."""
    from b2bcx.strategy import item_bank

    bank = item_bank()
    rows = [{"id": i.id, "section": i.section, "factor": i.factor or i.dimension
             or i.characteristic, "direction": i.direction, "weight": i.weight, "text": i.text}
            for i in bank.items]  # fmt: skip
    if output is OutputFormat.json:
        _print_json(rows)
        return
    table = Table(
        title=f"CXM strategy assessment v{bank.version} (answers {bank.low:g}–{bank.high:g})"
    )
    for col in ("id", "section", "factor", "text"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), str(r["section"]), str(r["factor"] or ""), str(r["text"]))
    console.print(table)


@strategy_app.command("profile")
@handle_errors
def profile_cmd(
    workspace: WorkspaceOpt = None,
    level: Annotated[str, typer.Option(help="portfolio, segment or account.")] = "portfolio",
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """What customers seek and get per goal and value proposition, gaps and conflicts."""
    from b2bcx.strategy import profile

    with _open(workspace) as ws:
        result = profile(ws.backend, level=level, account_id=account, as_of=as_of)
    if output is OutputFormat.json:
        _print_json(result.to_json())
        return
    table = Table(
        title=f"Value-proposition profile ({level}): importance sought vs rating got, 1–5"
    )
    for col in ("unit", "goal", "level", "proposition", "sought", "got", "text", "gap", "n"):
        table.add_column(col)
    for r in result.to_json()["rows"]:
        table.add_row(str(r["unit"]), r["goal"], r["goal_level"], r["value_proposition"],
                      _num(r["importance"]), _num(r["rating"]), _num(r["text_share"]),
                      _num(r["gap"]), str(r["n"]))  # fmt: skip
    console.print(table)
    conflicts = result.to_json()["conflicts"]
    if conflicts:
        console.print(f"Goal conflicts ({len(conflicts)}):")
        for c in conflicts[:10]:
            console.print(f"  • {c['summary']} (strength {c['strength']:.1f})")
    for note in result.notes:
        console.print(f"[dim]{note}[/dim]")


def _num(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@strategy_app.command("assess")
@handle_errors
def assess_cmd(
    workspace: WorkspaceOpt = None,
    answers: AnswersOpt = None,
    interactive: InteractiveOpt = False,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """CXM impact and scope, and the archetype (Champion, Cherry Picker, Minimalist, ...)."""
    from b2bcx.strategy import assess

    given = _answers(answers, interactive)
    with _open(workspace) as ws:
        result = assess(ws.backend, given, as_of=as_of).to_json()
    if output is OutputFormat.json:
        _print_json(result)
        return
    console.print(
        f"CXM impact: {_num(result['impact'], 0) or 'unknown'}"
        + (f" ({result['impact_reason']})" if result["impact_reason"] else "")
    )
    scope = result["scope"]
    console.print(f"CXM scope: assessed {_num(scope['assessed'], 0) or 'n/a'}, observed "
                  f"{_num(scope['observed'], 0) or 'n/a'} (0–100)")  # fmt: skip
    if result["archetype"]:
        pos = result["position"]
        console.print(f"Archetype: [bold]{result['archetype_name']}[/bold] — "
                      f"{'clear' if pos['clear'] else 'close'} call, {pos['margin']:.0f} points "
                      "from the nearest boundary")  # fmt: skip
    else:
        console.print(f"Archetype: not called — {result['archetype_reason']}")
    table = Table(title="Scope: observed in the data vs the firm's view (0–100)")
    for col in ("dimension", "observed", "assessed", "disagree", "detail"):
        table.add_column(col, overflow="fold")
    for d in scope["dimensions"]:
        table.add_row(d["dimension"], _num(d["observed"], 0), _num(d["assessed"], 0),
                      "yes" if d["disagree"] else "", d["detail"])  # fmt: skip
    console.print(table)
    for c in result["characteristics"]:
        mark = {True: "✓", False: "✗", None: "?"}[c["consistent"]]
        console.print(f"  {mark} {c['characteristic']}: expected {c['expected']}; "
                      f"observed {c['observed']}")  # fmt: skip


@strategy_app.command("plan")
@handle_errors
def plan_cmd(
    workspace: WorkspaceOpt = None,
    target: Annotated[
        str | None,
        typer.Option(help="To-be archetype: champion, cherry_picker, minimalist or fashionista."),
    ] = None,
    answers: AnswersOpt = None,
    interactive: InteractiveOpt = False,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """The four-step CXM playbook generated from the workspace's numbers."""
    from b2bcx.strategy import plan

    given = _answers(answers, interactive)
    with _open(workspace) as ws:
        result = plan(ws.backend, given, target=target, as_of=as_of).to_json()
    if output is OutputFormat.json:
        _print_json(result)
        return
    console.print(
        f"As-is: {result['as_is'] or 'unknown'} → to-be: {result['to_be'] or 'unknown'}"
        + (f"  ({' → '.join(result['trajectory'])})" if result["trajectory"] else "")
    )
    for step in result["steps"]:
        console.print(f"\n[bold]Step {step['step']}. {step['title']}[/bold]")
        for line in step["items"]:
            console.print(f"  • {line}")
    if result["could_not_assess"]:
        console.print(
            "\n[dim]Could not assess: " + "; ".join(result["could_not_assess"]) + "[/dim]"
        )
