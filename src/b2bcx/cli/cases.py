"""``b2bcx alerts`` and ``b2bcx cases``: close the loop from the command line.

- ``b2bcx alerts run``: evaluate the alert rules over new data, open cases,
  queue notifications (safe to schedule; idempotent);
- ``b2bcx alerts deliver``: send what the outbox holds (signed webhooks,
  e-mail digests), with retries and back-off;
- ``b2bcx cases list|show|update|open|results``: the work list, one case and
  its history, changes, cases opened by hand or from the plan, the
  closed-loop figures.

Thin adapters over :mod:`b2bcx.cases` (``docs/cases.md``).
"""

from __future__ import annotations

import datetime as _dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from b2bcx.cli.app import (
    DEFAULT_TOP,
    AllOpt,
    FormatOpt,
    OutputFormat,
    TopOpt,
    WorkspaceOpt,
    account_names,
    app,
    console,
    open_ws,
    print_json,
)
from b2bcx.cli.errors import err_console, handle_errors

if TYPE_CHECKING:
    from b2bcx.cases import Case

alerts_app = typer.Typer(
    help="Alert rules: open cases from new data and send their notifications.",
    no_args_is_help=True,
)
cases_app = typer.Typer(
    help="Cases: the follow-up work list (owners, due dates, status, history).",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")
app.add_typer(cases_app, name="cases")


class ListFormat(StrEnum):
    """How ``cases list`` prints."""

    table = "table"
    json = "json"
    csv = "csv"


RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Alert rules YAML (docs/cases.md) (default: built-in rules)."),
]
WebhookOpt = Annotated[
    str | None,
    typer.Option("--webhook", help="Send case events to this URL (overrides the rules file)."),
]
ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="Who makes the change (kept in the history).")
]
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

#: The columns of ``cases list`` (json objects carry every field of a case).
LIST_COLUMNS = (
    "case_id",
    "rule",
    "account_id",
    "stakeholder_id",
    "status",
    "owner",
    "priority",
    "opened_at",
    "due_at",
)


def _rules(path: Path | None, webhook: str | None) -> Any:
    from b2bcx.cases.rules import load_rules, with_webhook

    return with_webhook(load_rules(path), webhook)


def _case_json(case: Case, now: _dt.datetime) -> dict[str, Any]:
    return {**case.to_dict(), "overdue": case.overdue(now)}


@alerts_app.command("run")
@handle_errors
def alerts_run(
    workspace: WorkspaceOpt = None,
    since: Annotated[
        _dt.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Evaluate data since this date, not the last run."),
    ] = None,
    rules: RulesOpt = None,
    webhook: WebhookOpt = None,
    now: Annotated[
        _dt.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="The time of the run (UTC) (default: now)."),
    ] = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Evaluate the alert rules over new data: open cases, queue notifications."""
    from b2bcx.cases import run_alerts

    ruleset = _rules(rules, webhook)
    with open_ws(workspace) as ws:
        result = run_alerts(ws.backend, ruleset, since=since, now=now)
    if output is OutputFormat.json:
        print_json(result.to_dict())
        return
    for r in result.rules:
        note = f" (skipped: {r.skipped})" if r.skipped else ""
        console.print(
            f"{r.rule}: {r.found} found, {len(r.opened)} opened, {len(r.attached)} attached{note}"
        )
    for case in result.opened:
        console.print(f"  opened {case.case_id} [{case.priority}] {case.owner}: {case.title}")
    console.print(f"{result.queued} notification(s) queued; send them with `b2bcx alerts deliver`.")


@alerts_app.command("deliver")
@handle_errors
def alerts_deliver(
    workspace: WorkspaceOpt = None,
    rules: RulesOpt = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="Queue today's digest e-mail for each owner first.")
    ] = False,
    retry_now: Annotated[
        bool, typer.Option("--retry-now", help="Retry waiting messages now, ignoring back-off.")
    ] = False,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Send what the outbox holds: signed webhook events and e-mails (SMTP from
    B2BCX_SMTP_*), with retries and back-off; every attempt is logged."""
    from b2bcx.cases import deliver
    from b2bcx.cases.digest import queue_digests
    from b2bcx.cases.email import SmtpSettings

    ruleset = _rules(rules, None)
    with open_ws(workspace) as ws:
        queued = queue_digests(ws.backend, ruleset) if digest else {}
        result = deliver(
            ws.backend,
            secret=ruleset.secret(),
            smtp=SmtpSettings.from_env(),
            ignore_schedule=retry_now,
        )
    if output is OutputFormat.json:
        print_json({**result.to_dict(), "digests_queued": queued})
        return
    console.print(
        f"{len(result.delivered)} delivered, {len(result.retrying)} waiting for a retry, "
        f"{len(result.failed)} given up; {result.pending} pending."
    )
    for mid, error in result.errors.items():
        console.print(f"  {mid}: {error}", style="yellow")


@cases_app.command("list")
@handle_errors
def cases_list(
    workspace: WorkspaceOpt = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="open, in_progress or closed (repeatable).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's cases.")] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's cases.")
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only cases of this rule.")] = None,
    output: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ListFormat.table
    ),
    top: TopOpt = DEFAULT_TOP,
    show_all: AllOpt = False,
) -> None:
    """The work list: overdue first, then by due time.

    The table shows the first 20 cases (--all for every one), the account by
    name; --format csv or json give every case with its rule and title."""
    import csv

    from b2bcx.cases import list_cases
    from b2bcx.cases.actions import now_utc

    with open_ws(workspace, read_only=True) as ws:
        cases = list_cases(
            ws.backend,
            status=status or (),
            owner=owner,
            account_ids=None if account is None else [account],
            rule=rule,
        )
        names = account_names(ws.backend) if output is ListFormat.table else {}
    now = now_utc()
    if output is ListFormat.json:
        print_json({"cases": [_case_json(c, now) for c in cases]})
        return
    if output is ListFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*LIST_COLUMNS, "overdue", "title"])
        for c in cases:
            d = _case_json(c, now)
            writer.writerow(
                [
                    *(d[k] if d[k] is not None else "" for k in LIST_COLUMNS),
                    str(d["overdue"]).lower(),
                    c.title,
                ]
            )
        return
    from rich.table import Table

    shown = cases if show_all else cases[:top]
    note = f"first {len(shown)} of {len(cases)}" if len(shown) < len(cases) else f"{len(cases)}"
    table = Table(title=f"Cases, overdue first: {note}")
    # the case id whole (`cases show` needs it); the rule is in --format csv/json
    table.add_column("case", no_wrap=True)
    for col in ("account", "person", "status", "owner", "priority", "due"):
        table.add_column(col)
    for c in shown:
        due = f"{c.due_at:%Y-%m-%d}" if c.due_at else "–"
        table.add_row(
            c.case_id,
            names.get(c.account_id, c.account_id) if c.account_id else "–",
            c.stakeholder_id or "–",
            c.status.replace("_", " "),
            c.owner,
            c.priority,
            due + (" overdue" if c.overdue(now) else ""),
        )
    console.print(table)
    if len(shown) < len(cases):
        err_console.print(f"{len(cases) - len(shown):,} more cases: --all shows every one.")


@cases_app.command("show")
@handle_errors
def cases_show(
    case_id: Annotated[str, typer.Argument(help="The case id (C-…).")],
    workspace: WorkspaceOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """One case and its history."""
    from b2bcx.cases import get_case, history
    from b2bcx.cases.actions import now_utc

    with open_ws(workspace, read_only=True) as ws:
        case = get_case(ws.backend, case_id)
        events = history(ws.backend, case_id)
    if output is OutputFormat.json:
        print_json({"case": _case_json(case, now_utc()), "history": [e.to_dict() for e in events]})
        return
    for key, value in case.to_dict().items():
        if value not in (None, [], {}):
            console.print(f"{key}: {value}")
    console.print("\nHistory:", style="bold")
    for e in events:
        move = f" {e.from_status or ''}→{e.to_status}" if e.to_status else ""
        console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.kind}{move} by {e.actor or '–'}: {e.detail}")


@cases_app.command("update")
@handle_errors
def cases_update(
    case_id: Annotated[str, typer.Argument(help="The case id (C-…).")],
    workspace: WorkspaceOpt = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open, in_progress or closed.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Reassign to this owner.")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="low, normal or high.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Add a note.")] = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="What was done (needed to close).")
    ] = None,
    due: Annotated[
        _dt.datetime | None, typer.Option("--due", formats=DATE_FORMATS, help="New due time.")
    ] = None,
    actor: ActorOpt = None,
    rules: RulesOpt = None,
    webhook: WebhookOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Move a case (open → in_progress → closed, reopen), reassign, add a note."""
    from b2bcx.cases import Actor, update_case
    from b2bcx.cases.actions import now_utc

    ruleset = _rules(rules, webhook)
    with open_ws(workspace) as ws:
        case = update_case(
            ws.backend,
            case_id,
            status=status,
            owner=owner,
            priority=priority,
            note=note,
            outcome=outcome,
            due_at=due,
            actor=Actor(actor),
            webhook_url=ruleset.webhook_url,
        )
    if output is OutputFormat.json:
        print_json({"case": _case_json(case, now_utc())})
        return
    console.print(f"{case.case_id}: {case.status}, owner {case.owner}, priority {case.priority}")


@cases_app.command("open")
@handle_errors
def cases_open(
    workspace: WorkspaceOpt = None,
    account: Annotated[
        str | None, typer.Option("--account", help="The account the case is about.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="What to follow up.")] = None,
    stakeholder: Annotated[
        str | None, typer.Option("--stakeholder", help="The person, if one.")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner (default: the account manager).")
    ] = None,
    priority: Annotated[str, typer.Option("--priority", help="low, normal or high.")] = "normal",
    due_days: Annotated[
        int, typer.Option("--due-days", min=0, max=260, help="Due in this many business days.")
    ] = 5,
    from_plan: Annotated[
        bool,
        typer.Option("--from-plan", help="Open a task per step-3 action (start/stop) of the plan."),
    ] = False,
    target: Annotated[
        str | None, typer.Option(help="With --from-plan: the to-be archetype of the plan.")
    ] = None,
    actor: ActorOpt = None,
    rules: RulesOpt = None,
    webhook: WebhookOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Open a case by hand (--account, --title), or the plan's step-3 actions as tasks
    (--from-plan --account HOUSE_ACCOUNT)."""
    from b2bcx.cases import Actor, cases_from_plan, open_case
    from b2bcx.cases.actions import now_utc
    from b2bcx.errors import ConfigurationError

    if account is None:
        raise ConfigurationError("--account is needed: the account the case is about")
    ruleset = _rules(rules, webhook)
    with open_ws(workspace) as ws:
        if from_plan:
            from b2bcx.analyses import AnalysisOptions

            plan = ws.analyses(AnalysisOptions(target=target)).plan
            opened = cases_from_plan(
                ws.backend,
                plan,
                account_id=account,
                owner=owner,
                due_business_days=due_days,
                actor=Actor(actor),
                webhook_url=ruleset.webhook_url,
            )
        else:
            if not title:
                raise ConfigurationError("--title is needed: say what to follow up")
            opened = (
                open_case(
                    ws.backend,
                    account_id=account,
                    title=title,
                    owner=owner,
                    stakeholder_id=stakeholder,
                    priority=priority,
                    due_business_days=due_days,
                    actor=Actor(actor),
                    webhook_url=ruleset.webhook_url,
                ),
            )
    now = now_utc()
    if output is OutputFormat.json:
        print_json({"cases": [_case_json(c, now) for c in opened]})
        return
    for c in opened:
        console.print(f"{c.case_id} [{c.priority}] {c.owner}, due {c.due_at:%Y-%m-%d}: {c.title}")
    if not opened:
        console.print("The plan has no action to start or stop.")


@cases_app.command("results")
@handle_errors
def cases_results(
    workspace: WorkspaceOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Closed-loop figures: SLA, response and close times, load by owner, follow-up effect."""
    from b2bcx.cases import closed_loop

    with open_ws(workspace, read_only=True) as ws:
        result = closed_loop(ws.backend)
    if output is OutputFormat.json:
        print_json(result.to_dict())
        return
    d = result.to_dict()
    share = "–" if d["sla_share"] is None else f"{d['sla_share']:.0%}"
    console.print(f"{d['n_cases']} cases, {d['n_open']} open, {d['n_overdue']} overdue")
    console.print(f"Detractors contacted within the SLA: {share} of {d['sla_decided']}")
    for key in ("median_hours_to_first_response", "median_hours_to_close"):
        value = d[key]
        console.print(f"{key.replace('_', ' ')}: {'–' if value is None else f'{value:.1f}'}")
    f = d["follow_up"]
    if f["mean_change"] is not None:
        interval = "" if f["low"] is None else f" ({f['low']:+.2f} to {f['high']:+.2f}, "
        interval += f"{f['confidence']:.0%} {f['method']})" if interval else ""
        console.print(
            f"Follow-up: next {f['metric']} {f['mean_change']:+.2f}{interval}, n = {f['n']}"
        )
    for o in d["by_owner"]:
        console.print(f"  {o['owner']}: {o['open']} open, {o['overdue']} overdue")
