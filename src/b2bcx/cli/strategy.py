"""``b2bcx strategy``: value-proposition profile, impact × scope assessment, playbook."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from b2bcx.cli.app import (
    FormatOpt,
    OutputFormat,
    WorkspaceOpt,
    app,
    console,
    open_ws,
    print_json,
    print_wrapped,
)
from b2bcx.cli.errors import handle_errors

if TYPE_CHECKING:
    from b2bcx.analyses import Analyses
    from b2bcx.strategy import Answers
    from b2bcx.workspace import Workspace

strategy_app = typer.Typer(
    help="CXM strategy (Wirtz et al. 2025): value-proposition profile, impact × scope "
    "archetype, and the four-step playbook.",
    no_args_is_help=True,
)
app.add_typer(strategy_app, name="strategy")

AnswersOpt = Annotated[
    Path | None,
    typer.Option(help="Answers to the assessment (YAML item: value, or CSV item,answer)."),
]
InteractiveOpt = Annotated[
    bool, typer.Option("--interactive", help="Answer the assessment at the prompt.")
]
SaveOpt = Annotated[
    bool,
    typer.Option("--save", help="Keep these answers in the workspace: the dashboard, the "
                 "report and later runs use the latest saved answers."),
]  # fmt: skip
SavedOpt = Annotated[
    bool,
    typer.Option("--saved/--no-saved", help="Without --answers or --interactive, use the "
                 "latest saved answers (--no-saved: assess what the data shows alone)."),
]  # fmt: skip
AsOfOpt = Annotated[
    _dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Assess as of this date (default: latest data)."),
]


def _analyses(
    ws: Workspace,
    path: Path | None,
    interactive: bool,
    *,
    save: bool,
    use_saved: bool,
    as_of: _dt.datetime | None,
    target: str | None = None,
) -> Analyses:
    """The front door's analyses with the answers to use: ``--answers``/``--interactive``
    (kept with ``--save``), else the latest saved (with ``--saved``, the default), else
    none; the earlier saved answers are the ones compared with (drift). Notes go to
    stderr."""
    from b2bcx.analyses import AnalysisOptions
    from b2bcx.cli.errors import err_console
    from b2bcx.errors import ConfigurationError
    from b2bcx.strategy.saved import save_answers

    given = _answers(path, interactive)
    if save and given is None:
        raise ConfigurationError("--save needs answers: give --answers FILE or --interactive")
    options = AnalysisOptions(answers=given, use_saved_answers=use_saved, as_of=as_of,
                              target=target)  # fmt: skip
    analyses = ws.analyses(options)
    resolved = analyses.answers  # resolved before saving: the previous answers stay the old ones
    if save and given is not None:
        kept = save_answers(ws.backend, given)
        err_console.print(f"Saved the answers as {kept.assessment_id} ({kept.describe()}).")
    if resolved.note:
        err_console.print(resolved.note + " --no-saved assesses the data alone.")
    return analyses


def _answers(path: Path | None, interactive: bool) -> Answers | None:
    """Answers from ``--answers FILE`` or the prompt (on stderr, so that
    ``--format json`` keeps stdout clean); None without either."""
    from b2bcx.errors import ConfigurationError
    from b2bcx.strategy import Answers, item_bank, load_answers
    from b2bcx.strategy.answers import check_value

    if path is not None:
        if interactive:
            raise ConfigurationError("use --answers FILE or --interactive, not both")
        return load_answers(path)
    if not interactive:
        return None
    bank = item_bank()
    typer.echo(
        f"Answer {bank.low:g} (strongly disagree) … {bank.high:g} (strongly agree); "
        "press Enter to skip.",
        err=True,
    )
    values: dict[str, float] = {}
    for item in bank.items:
        while True:
            raw = typer.prompt(f"[{item.id}] {item.text}", default="", show_default=False, err=True)
            try:
                number = check_value(item.id, raw, "the prompt", bank)
            except ConfigurationError as exc:
                typer.echo(str(exc), err=True)
                continue
            if number is not None:
                values[item.id] = number
            break
    return Answers(values, source="the prompt")


@strategy_app.command("items")
@handle_errors
def items(output: FormatOpt = OutputFormat.table) -> None:
    """The assessment's item bank (shipped with b2bcx)."""
    from b2bcx.strategy import item_bank

    bank = item_bank()
    rows = [
        {
            "id": i.id,
            "section": i.section,
            "group": i.group,
            "factor": i.factor or i.dimension or i.characteristic,
            "direction": i.direction,
            "weight": i.weight,
            "text": i.text,
        }
        for i in bank.items
    ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

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
    from rich.table import Table

    from b2bcx.analyses import AnalysisOptions
    from b2bcx.strategy import profile

    with open_ws(workspace, read_only=True) as ws:
        if level == "portfolio" and account is None:  # the standard profile, from the front door
            result = ws.analyses(AnalysisOptions(as_of=as_of)).profile
        else:
            result = profile(ws.backend, level=level, account_id=account, as_of=as_of)
    data = result.to_dict()
    if output is OutputFormat.json:
        print_json(data)
        return
    table = Table(
        title=f"Value propositions ({level}): importance sought vs rating got (1–5), "
        "widest gap first"
    )
    numeric = {"sought", "got", "text", "gap", "n"}
    for col in ("unit", "goal", "level", "proposition", "sought", "got", "text", "gap", "n"):
        table.add_column(col, overflow="fold", justify="right" if col in numeric else "left")

    def gap(r: dict[str, Any]) -> float:
        value = r.get("gap")
        return -float(value) if value is not None and value == value else float("inf")

    # each unit's goals, the widest gap (sought above got) first
    for r in sorted(data["rows"], key=lambda r: (str(r["unit"]), gap(r))):
        table.add_row(
            str(r["unit"]),
            r["goal"],
            r["goal_level"],
            r["value_proposition"],
            _num(r["importance"]),
            _num(r["rating"]),
            _num(r["text_share"]),
            _num(r["gap"]),
            str(r["n"]),
        )
    console.print(table)
    print_wrapped(
        "sought: how important people say the goal is; got: how they rate the goal (both 1–5); "
        "text: share of the unit's analysed comments that speak of the goal; gap: sought − got "
        "(above 0: the goal is served below its importance); n: people who rated its importance.",
        style="dim",
    )
    conflicts = data["conflicts"]
    if conflicts:
        console.print(f"Goal conflicts ({len(conflicts)}):")
        for c in conflicts[:10]:
            print_wrapped(
                f"{c['summary']} (strength {c['strength']:.1f})", indent="  • ", hang="    "
            )
    for note in result.notes:
        print_wrapped(str(note), style="dim")


def _num(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@strategy_app.command("assess")
@handle_errors
def assess_cmd(
    workspace: WorkspaceOpt = None,
    answers: AnswersOpt = None,
    interactive: InteractiveOpt = False,
    save: SaveOpt = False,
    saved: SavedOpt = True,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """CXM impact and scope, and the archetype: Champion, Cherry Picker, Minimalist, Fashionista."""
    from rich.table import Table

    with open_ws(workspace, read_only=not save) as ws:
        analyses = _analyses(ws, answers, interactive, save=save, use_saved=saved, as_of=as_of)
        result = analyses.assessment.to_dict()
    if output is OutputFormat.json:
        print_json(cli_contract(result))
        return
    impact, scope, arch = result["impact"], result["scope"], result["archetype"]
    if impact["score"] is None:
        print_wrapped(f"CXM impact: unknown — {impact['reason']}", hang="  ")
    else:
        console.print(
            f"CXM impact: {impact['score']:.2f} (top-management view "
            f"{_num(impact['perception'])}, context {_num(impact['context'])})"
            + (" — the two disagree" if impact["misperception"] else "")
        )
    console.print(
        f"CXM scope: {_num(scope['score'])} (self {_num(scope['self']) or 'n/a'}, "
        f"data {_num(scope['data']) or 'n/a'}; 0–1)"
    )
    if arch["name"]:
        console.print(
            Text.assemble(
                "Archetype: ",
                (str(arch["label"]), "bold"),
                f" — {'clear' if arch['clear'] else 'close'} call, {arch['margin']:.2f} from "
                "the nearest boundary",
            )
        )
    else:
        print_wrapped(f"Archetype: not called — {arch['reason']}", hang="  ")
    table = Table(title="Scope: the firm's view vs the data (0–1)")
    for col in ("dimension", "self", "data", "disagree", "detail"):
        table.add_column(col, overflow="fold")
    for d in scope["dimensions"]:
        table.add_row(
            d["dimension"],
            _num(d["self"]),
            _num(d["data"]),
            "yes" if d["disagree"] else "",
            d["detail"],
        )
    console.print(table)
    for c in arch["characteristics"]:
        mark = {True: "✓", False: "✗", None: "?"}[c["consistent"]]
        print_wrapped(
            f"{c['characteristic']}: expected {c['expected']}; observed {c['observed']}",
            indent=f"  {mark} ", hang="    ",
        )  # fmt: skip


def _pct(value: Any) -> float | None:
    return None if value is None else round(100.0 * float(value), 1)


def cli_contract(result: dict[str, Any]) -> dict[str, Any]:
    """``assess --format json``: the public contract of issue 6 — ``impact`` (0–100 or
    null), ``scope`` (``assessed`` 0–100 or null, ``observed`` 0–100) and ``archetype``
    (an id or null, ``archetype_reason`` saying why) — with the library's full
    assessment beside them (``impact_detail``, ``archetype_detail``; those and the
    scope ``dimensions`` are on the library's 0–1 scale)."""
    impact, scope, arch = result["impact"], result["scope"], result["archetype"]
    out = {
        "impact": _pct(impact["score"]),
        "scope": {"assessed": _pct(scope["self"]), "observed": _pct(scope["data"]),
                  "used": _pct(scope["score"]), "dimensions": scope["dimensions"]},
        "archetype": arch["name"],
        "archetype_reason": arch["reason"],
        "impact_detail": impact,
        "archetype_detail": arch,
    }  # fmt: skip
    out.update({k: v for k, v in result.items() if k not in ("impact", "scope", "archetype")})
    return out


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
    save: SaveOpt = False,
    saved: SavedOpt = True,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """The four-step CXM playbook generated from the workspace's numbers."""
    with open_ws(workspace, read_only=not save) as ws:
        analyses = _analyses(
            ws, answers, interactive, save=save, use_saved=saved, as_of=as_of, target=target
        )
        result = analyses.plan.to_dict()
    if output is OutputFormat.json:
        print_json(result)
        return
    path = " → ".join(t["label"] for t in result["trajectory"])
    console.print(
        f"As-is: {result['as_is'] or 'unknown'} → to-be: {result['to_be'] or 'unknown'}"
        + (f"  ({path})" if path else "")
    )
    for step in result["steps"]:
        console.print(f"\nStep {step['step']}. {step['title']}", style="bold")
        for line in step["items"]:
            print_wrapped(line, indent="  • ", hang="    ")
    if result["could_not_assess"]:
        console.print()
        print_wrapped(
            "Could not assess: " + "; ".join(result["could_not_assess"]), hang="  ", style="dim"
        )


@strategy_app.command("history")
@handle_errors
def history_cmd(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """The saved assessments, oldest first, each with its impact, assessed scope and
    archetype on today's data (save one with `assess --answers FILE --save`)."""
    from b2bcx.strategy import assess, saved_assessments

    rows: list[dict[str, Any]] = []
    with open_ws(workspace, read_only=True) as ws:
        for s in saved_assessments(ws.backend):
            a = assess(ws.backend, s.answers, as_of=as_of)
            rows.append({
                "assessment_id": s.assessment_id,
                "answered_at": s.answered_at.isoformat(),
                "respondent": s.answers.respondent,
                "source": s.answers.source,
                "items": len(s.answers.values),
                "impact": _pct(a.impact.score),
                "scope_assessed": _pct(a.scope_self),
                "scope_observed": _pct(a.scope_data),
                "archetype": a.archetype,
            })  # fmt: skip
    if output is OutputFormat.json:
        print_json({"assessments": rows})
        return
    if not rows:
        console.print("No saved assessments: `b2bcx strategy assess --answers FILE --save`.")
        return
    from rich.table import Table

    table = Table(title="Saved strategy assessments (0–100; archetype on today's data)")
    for col in ("assessment", "answered", "respondent", "items", "impact", "scope (self)",
                "scope (data)", "archetype"):  # fmt: skip
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["assessment_id"], r["answered_at"][:10], r["respondent"] or "",
                      str(r["items"]), _num(r["impact"], 1), _num(r["scope_assessed"], 1),
                      _num(r["scope_observed"], 1), r["archetype"] or "not called")  # fmt: skip
    console.print(table)
