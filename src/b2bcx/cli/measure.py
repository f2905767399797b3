"""``b2bcx measure``, ``individual``, ``map``, ``breakdown`` and ``drivers``: the measures.

The default ``measure`` run (no option away from its default) is the standard
analysis of the front door (:meth:`b2bcx.analyses.Analyses.units`); a run with
other options is a parameterised run and calls
:func:`b2bcx.measures.collective.measure_units` itself.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from b2bcx.cli.app import (
    DEFAULT_TOP,
    AllOpt,
    MetricOpt,
    TopOpt,
    WorkspaceOpt,
    account_names,
    app,
    console,
    err_console,
    journey_order,
    open_ws,
    print_frame,
    print_json,
    print_wrapped,
    top_rows,
    touchpoint_names,
    with_names,
)
from b2bcx.cli.errors import handle_errors

if TYPE_CHECKING:
    from b2bcx.measures.collective import CollectiveResult
    from b2bcx.storage import Backend


class MeasureFormat(StrEnum):
    """How ``b2bcx measure`` prints units."""

    table = "table"
    csv = "csv"
    json = "json"


MeasureFormatOpt = Annotated[MeasureFormat, typer.Option("--format", "-f", help="Output format.")]
PerAccountOpt = Annotated[
    bool, typer.Option("--per-account", help="One result per account instead of the portfolio.")
]
ColumnsOpt = Annotated[
    str,
    typer.Option(
        "--columns",
        help="Table columns: 'default' (the few people need), 'all', or a comma-separated "
        "list (e.g. cx,nps,rwg,verdict).",
    ),
]
#: The columns ``measure`` shows by default (the unit's id columns come first).
MEASURE_COLUMNS = ("n_stakeholders", "cx", "nps", "rwg", "verdict")
HalfLifeOpt = Annotated[
    float, typer.Option(min=1, help="Days after which an experience weighs half as much.")
]


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
    metric: MetricOpt = "cx",
    as_of: Annotated[
        _dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Measure as of this date (default: latest data)."),
    ] = None,
    half_life: HalfLifeOpt = 180.0,
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
    columns: ColumnsOpt = "default",
    top: TopOpt = DEFAULT_TOP,
    show_all: AllOpt = False,
) -> None:
    """Collective CX per unit with agreement (rwg, AD) and a verdict; portfolio ICC and NPS.

    The table shows the units with the lowest scores first (units with too few
    respondents for a verdict after them), the top 20 (--all for every
    unit), with account names beside the ids; --format csv or json give every
    unit and column. Below the table: how many units got each verdict
    (collective & aligned, agreement not proven, diverse & unaligned, too few
    respondents).
    """
    from b2bcx.analyses import AnalysisOptions
    from b2bcx.measures.collective import (
        AgreementOptions,
        RoleWeights,
        accounts_json,
        measure_units,
    )
    from b2bcx.measures.individual import DecayOptions
    from b2bcx.measures.verdict import VerdictRule

    item_list = [i.strip() for i in items.split(",") if i.strip()] if items else None
    decay = DecayOptions(half_life_days=half_life, as_of=as_of)
    rule = VerdictRule(min_n=min_n, min_rwg=min_rwg, max_ad=max_ad, max_p=max_p, ad_rule=ad_rule)
    agreement = AgreementOptions(null=null, null_variance=null_variance, chance_reps=chance_reps)
    role_weights = RoleWeights(
        decision_maker=decision_maker_weight, balance_centers=balance_centers
    )
    standard = (
        item_list is None
        and decay.half_life_days == DecayOptions().half_life_days
        and rule == VerdictRule()
        and agreement == AgreementOptions()
        and role_weights == RoleWeights()
    )
    with open_ws(workspace, read_only=True) as ws:
        fell_back = None
        if item_list is None:
            metric, fell_back = fallback_metric(ws.backend, metric)
        result: CollectiveResult
        if standard:  # the front door's standard analysis
            result = ws.analyses(AnalysisOptions(metric=metric, as_of=as_of)).units(by)
        else:
            result = measure_units(
                ws.backend, by=by, metric=metric, decay=decay, rule=rule, agreement=agreement,
                items=item_list, role_weights=role_weights,
            )  # fmt: skip
        empty_note = (
            None if len(result.units) else no_ratings_note(ws.backend, item_list or [metric])
        )
        names = account_names(ws.backend) if output is MeasureFormat.table else {}
        weighted = output is MeasureFormat.table and _has_contract_values(ws.backend)
    if fell_back:
        err_console.print(fell_back)
    if empty_note:
        err_console.print(empty_note)
        if output is MeasureFormat.table:
            return
    if output is MeasureFormat.json:
        if by == "account" and not item_list:
            print_json(accounts_json(result))
        else:
            print_json(result.to_dict())
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(result.to_frame().to_csv(index=False))
        return
    _measure_table(result, by, columns, top, show_all, names, weighted)


def _has_contract_values(backend: Backend) -> bool:
    """Whether any account has an annual (contract) value: the portfolio NPS is
    then weighted by it."""
    from b2bcx.storage.records import all_records

    return any((a.get("annual_value") or 0) > 0 for a in all_records(backend, "accounts"))


def measure_columns(frame_columns: list[str], by: str, columns: str) -> list[str]:
    """The columns ``measure`` prints: the unit's ids, then ``columns`` ("default":
    :data:`MEASURE_COLUMNS`; "all": every column but the reason; else a
    comma-separated list, unknown names refused).

    Examples
    --------
    >>> cols = ["account_id", "name", "n_stakeholders", "mean", "cx", "nps", "rwg", "ad",
    ...         "verdict", "reason"]
    >>> measure_columns(cols, "account", "default")
    ['account_id', 'name', 'n_stakeholders', 'cx', 'nps', 'rwg', 'verdict']
    >>> measure_columns(cols, "account", "nps,ad")
    ['account_id', 'name', 'nps', 'ad']
    """
    # the unit's key columns come before its figures (n_stakeholders first)
    first = frame_columns.index("n_stakeholders") if "n_stakeholders" in frame_columns else 1
    ids = frame_columns[:first]
    if columns == "all":
        return [c for c in frame_columns if c != "reason"]
    wanted = (
        list(MEASURE_COLUMNS)
        if columns == "default"
        else [c.strip() for c in columns.split(",") if c.strip()]
    )
    unknown = [c for c in wanted if c not in frame_columns]
    if unknown and columns != "default":
        raise typer.BadParameter(
            f"no column {', '.join(unknown)}; choose from {', '.join(frame_columns)}",
            param_hint="--columns",
        )
    return ids + [c for c in wanted if c in frame_columns and c not in ids]


def _measure_table(
    result: CollectiveResult,
    by: str,
    columns: str,
    top: int,
    show_all: bool,
    names: dict[str, str],
    weighted: bool,
) -> None:
    """The people's table of ``measure``: lowest scores first, top N, names beside ids."""
    from b2bcx.measures.individual import metric_label
    from b2bcx.measures.verdict import TOO_FEW

    label = result.metric_label or metric_label(result.metric)
    frame = with_names(result.to_frame(), names)
    if "group_id" in frame.columns:  # a group is named after its top account
        frame = with_names(frame, names, column="group_id")
    too_few = frame["verdict"].eq(TOO_FEW) if "verdict" in frame else False
    frame = frame.assign(_few=too_few).sort_values(["_few", "cx"], kind="stable")
    frame = frame.drop(columns="_few")
    if by == "stage":  # each account's stages in journey order
        frame = journey_order(frame).sort_values("account_id", kind="stable")
    shown, note = top_rows(frame, top, show_all)
    cols = measure_columns(list(frame.columns), by, columns)
    order = "stages in journey order" if by == "stage" else "lowest first"
    if by != "stage" and bool(getattr(too_few, "any", lambda: False)()):
        order += ", too few respondents last"  # the sort above puts them after the rest
    title = f"{label[:1].upper()}{label[1:]} (0–100) by {by}: {note} units, {order}"
    print_frame(
        shown[cols], title, digits=2, digits_by={"cx": 1, "nps": 0, "nps_role": 0},
        headers={"n_stakeholders": "people", "n_interactions": "interactions",
                 "cx": "cx" if result.metric == "cx" else "score"},
    )  # fmt: skip
    legend = measure_legend(cols)
    if legend:
        print_wrapped(legend, style="dim")
    if len(shown) < len(frame):
        err_console.print(f"{len(frame) - len(shown):,} more units: --all shows every one.")
    if "verdict" in frame:
        for line in verdict_summary(frame["verdict"].tolist()):
            print_wrapped(line)
    p = result.portfolio
    if p:
        nps_kind = "value-weighted" if weighted else "mean of accounts"
        print_wrapped(
            f"Portfolio: {label} {_one(p.get('cx'))}/100, NPS {_one(p.get('nps'))} ({nps_kind}), "
            f"ICC(1) {p['icc1'] if p['icc1'] is None else round(p['icc1'], 3)}, "
            f"ICC(2) {p['icc2'] if p['icc2'] is None else round(p['icc2'], 3)}"
        )
        print_wrapped(
            "ICC(1): the share of the differences in experience that lies between "
            "accounts; ICC(2): how reliably each account's score tells accounts apart.",
            style="dim",
        )


#: The key-drivers table's columns in words (under the table).
DRIVERS_LEGEND = (
    "share %: the driver's share of the explained variance (R²); weight: its part of R², "
    "low–high: the weight's interval; +/−: whether better ratings of the driver go with a "
    "higher (+) or lower (−) target; perf.: how well it performs, 0–100; quadrant: fix "
    "first / keep up only for drivers credibly above an equal share, else 'cannot be told "
    "apart'."
)


def metric_name(metric: str) -> str:
    """A rating's name for a title: NPS, CX, CSAT, CES; other ratings as they are.

    >>> metric_name("nps"), metric_name("efficiency")
    ('NPS', 'efficiency')
    """
    return {"cx": "CX", "nps": "NPS", "csat": "CSAT", "ces": "CES"}.get(metric, metric)


#: What ``breakdown``'s NPS is, and why it differs from the portfolio NPS of ``measure``.
NPS_OF_ANSWERS = (
    "nps: the NPS of the answers in each row (% promoters − % detractors of every answer "
    "given there); the portfolio NPS of measure and the dashboard is per account (each "
    "person's latest answer), then averaged over accounts (value-weighted where accounts "
    "have contract values), so the two differ."
)


def _one(value: float | None) -> str:
    """A portfolio figure to one decimal, "–" when there is none (no NPS answers)."""
    return "–" if value is None else f"{value:.1f}"


def verdict_summary(verdicts: list[str]) -> list[str]:
    """How many units got each verdict (rule order), and what *agreement not
    proven* means when some unit got it.

    Examples
    --------
    >>> verdict_summary(["too few respondents", "agreement not proven"])[0]
    'Verdicts: 1 agreement not proven, 1 too few respondents.'
    >>> verdict_summary([])
    []
    """
    from b2bcx.measures.verdict import NOT_PROVEN, VERDICTS

    counts = {v: verdicts.count(v) for v in dict.fromkeys([*VERDICTS, *verdicts])}
    parts = [f"{n:,} {v}" for v, n in counts.items() if n]
    if not parts:
        return []
    lines = [f"Verdicts: {', '.join(parts)}."]
    if counts[NOT_PROVEN]:
        lines.append(
            f"{NOT_PROVEN}: the people rate alike (rwg at or above the cut-off) but no "
            "more alike than people drawn at random from the portfolio (p_chance above "
            "its limit): neither collective nor diverse."
        )
    return lines


#: Plain words for the statistical columns ``measure`` may print (UX review #4).
LEGEND = {
    "nps": "nps: net promoter score, −100…100",
    "rwg": "rwg: how much the account's people agree, 0 (not at all) to 1 (fully)",
    "ad": "ad: average deviation from the account's mean (lower: more agreement)",
    "p_chance": "p_chance: chance of this agreement among people answering at random",
}


def measure_legend(columns: list[str]) -> str:
    """One line explaining the statistical columns shown (empty when none is).

    Examples
    --------
    >>> measure_legend(["account_id", "cx", "rwg"])
    "rwg: how much the account's people agree, 0 (not at all) to 1 (fully)"
    >>> measure_legend(["account_id", "cx"])
    ''
    """
    return "; ".join(LEGEND[c] for c in columns if c in LEGEND)


def ratings_there(counts: Mapping[str, int]) -> str:
    """The ratings a workspace has, with how many of each, in words (those with
    none left out), as :func:`no_ratings_note` and :func:`fallback_metric` say it.

    >>> ratings_there({"cx": 0, "nps": 1200, "csat": 3})
    'nps (1,200), csat (3)'
    """
    return ", ".join(f"{m} ({n:,})" for m, n in counts.items() if n)


def no_ratings_note(backend: Backend, metrics: list[str]) -> str:
    """Why a measure has no units, and which ratings the workspace does have.

    Parameters
    ----------
    backend
        The workspace's engine.
    metrics
        The ratings the measure asked for.

    Returns
    -------
    str
        One sentence for stderr: the ratings missing and those there are, or a
        hint at ``--as-of`` and ``--by`` when the ratings exist.
    """
    from b2bcx.measures.individual import rating_counts

    counts = rating_counts(backend)
    missing = [m for m in metrics if not counts.get(m)]
    have = ratings_there(counts)
    if not missing:
        return "No unit has ratings here (check --as-of and --by)."
    what = ", ".join(missing)
    if not have:
        return f"No {what} ratings: this workspace has no ratings yet (b2bcx import)."
    return f"No {what} ratings in this workspace. It has: {have}. Choose one with --metric."


def fallback_metric(backend: Backend, metric: str) -> tuple[str, str | None]:
    """The rating to summarise: ``metric``, or, when it is ``cx`` and the workspace
    has no cx ratings, the rating it has (nps, csat, then ces), as ``diagnose``, the
    report and the dashboard fall back (UX review #10), with a note saying so."""
    from b2bcx.measures.individual import default_metric, rating_counts

    if metric != "cx":
        return metric, None
    chosen = default_metric(backend)
    if chosen == metric:
        return metric, None
    have = ratings_there(rating_counts(backend))
    return chosen, (
        f"No cx ratings in this workspace: shown on {chosen}, the rating it has "
        f"(it has {have}; another with --metric)."
    )


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
    metric: MetricOpt = "cx",
    as_of: Annotated[
        _dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Score as of this date (default: latest data)."),
    ] = None,
    half_life: HalfLifeOpt = 180.0,
    output: MeasureFormatOpt = MeasureFormat.table,
    top: TopOpt = DEFAULT_TOP,
    show_all: AllOpt = False,
) -> None:
    """Individual CX: each stakeholder's cumulative, recency-weighted experience.

    The table shows the lowest experiences first, the top 20 (--all for
    every row); --format csv or json give every row and column."""
    import pandas as pd

    from b2bcx.measures.individual import PER, DecayOptions, individual_cx

    decay = DecayOptions(half_life_days=half_life, as_of=as_of)
    with open_ws(workspace, read_only=True) as ws:
        metric, fell_back = fallback_metric(ws.backend, metric)
        frame = individual_cx(ws.backend, metric=metric, decay=decay, per=per, account_id=account)
        table_out = output is MeasureFormat.table
        names = account_names(ws.backend) if table_out else {}
        places = touchpoint_names(ws.backend) if table_out and per == "touchpoint" else {}
        empty_note = no_ratings_note(ws.backend, [metric]) if table_out and frame.empty else None
    if fell_back:
        err_console.print(fell_back)
    if output is MeasureFormat.json:
        out = frame.astype(object).where(frame.notna(), None)
        out["last_at"] = frame["last_at"].map(lambda t: t.isoformat())
        print_json(out.to_dict("records"))
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    if empty_note:
        err_console.print(empty_note)
        return
    # the account by name (the person's id is the key); a person's function and level
    # when the rows are people, the touchpoint, stage, ... otherwise (json/csv: every column)
    who = ["function", "level"] if per == "stakeholder" else []
    shown = ["name", "stakeholder_id", *who, *PER[per], "n", "cx"]
    table = with_names(frame.sort_values("cx", kind="stable", na_position="last"), names)
    if places:  # the touchpoint's name in place of its id
        table = table.assign(touchpoint_id=table["touchpoint_id"].map(
            lambda t: places.get(str(t), t) if isinstance(t, str) else t
        ))  # fmt: skip
    order = "lowest first"
    if per == "stage":
        table = journey_order(table)
        order = "stages in journey order, lowest first in each"
    table, note = top_rows(table, top, show_all)
    title = f"Individual {metric} per {per}, 0–100, {order}: {note} rows"
    last = table["last_at"].map(lambda t: t.strftime("%Y-%m-%d") if pd.notna(t) else None)
    print_frame(
        table[shown].assign(last=last), title, digits=1,
        headers={"name": "account", "stakeholder_id": "person", "cx": metric, "n": "ratings",
                 "touchpoint_id": "touchpoint", "journey_id": "journey"},
    )  # fmt: skip
    if len(table) < len(frame):
        err_console.print(f"{len(frame) - len(table):,} more rows: --all shows every one.")


@app.command("map")
@handle_errors
def stage_map(
    workspace: WorkspaceOpt = None,
    metric: Annotated[
        str,
        typer.Option(help="The rating to show in each cell (cx falls back to the one there is)."),
    ] = "cx",
    per_account: PerAccountOpt = False,
    output: MeasureFormatOpt = MeasureFormat.table,
) -> None:
    """The stage × controller map (Witell et al. 2020, Table 2): counts and scores per cell."""
    import pandas as pd
    from rich.table import Table

    from b2bcx.measures.maps import stage_control_map

    with open_ws(workspace, read_only=True) as ws:
        metric, fell_back = fallback_metric(ws.backend, metric)
        result = stage_control_map(ws.backend, metric=metric, per_account=per_account)
        empty_note = (
            None
            if (result.to_frame().get("n_rated", pd.Series(dtype=float)).fillna(0) > 0).any()
            else _empty_map_note(ws.backend, metric)
        )
    if fell_back:
        err_console.print(fell_back)
    if output is MeasureFormat.json:
        print_json(result.to_dict())
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
    if empty_note:
        err_console.print(empty_note)


def _empty_map_note(backend: Backend, metric: str) -> str:
    """Why the stage × controller map is empty: the rating is missing, or no
    rated interaction is at a touchpoint with a stage and a controller."""
    from b2bcx.measures.individual import rating_counts

    if not rating_counts(backend).get(metric):
        return no_ratings_note(backend, [metric])
    return (
        f"Every cell is empty: no {metric}-rated interaction is at a touchpoint with a "
        "journey stage and a controller. Import touchpoints (touchpoints.csv with stage "
        "and controller) and the touchpoint of each interaction to fill the map "
        "(b2bcx readiness lists what else they unlock)."
    )


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
    """Trends by month, or the experience split by solicited, centre, source, ...

    The NPS of each row is that of every answer given there (% promoters − %
    detractors); the portfolio NPS of measure and the dashboard is per account
    (each person's latest answer), then averaged over accounts, so they differ.
    """
    from b2bcx.measures.breakdowns import monthly_trend, split

    with open_ws(workspace, read_only=True) as ws:
        frame = (
            monthly_trend(ws.backend, metric=metric, per_account=per_account)
            if by == "month"
            else split(ws.backend, by=by, metric=metric, per_account=per_account)
        )
    if output is MeasureFormat.json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        return
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    table = frame
    if "month" in table.columns:  # a month reads "2023-01", not "2023-01-01 00:00:00"
        table = table.assign(month=table["month"].map(lambda m: str(m)[:7]))
    if by == "stage":
        table = journey_order(table)
    # the score on 0–100 only: "mean" is the same figure on the rating's own scale (json/csv)
    table = table.drop(columns=[c for c in ("mean",) if "score" in table.columns])
    print_frame(
        table, f"{metric} by {by}: score on 0–100, NPS on −100…100", digits=1,
        headers={"n_interactions": "interactions", "n_stakeholders": "people",
                 "n_rated": "rated", "n_nps": "NPS answers", "score": f"{metric} score"},
    )  # fmt: skip
    if "nps" in table.columns:  # UX #6: say which NPS this is, beside the others
        print_wrapped(NPS_OF_ANSWERS, style="dim")


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
    top: TopOpt = DEFAULT_TOP,
    show_all: AllOpt = False,
) -> None:
    """Key drivers of a rating with importance × performance: what to fix first.

    The table lists the largest shares first, the top 20 (--all for every
    driver), touchpoints by name; --format csv or json give every driver."""
    from b2bcx.measures.keydrivers import key_drivers

    with open_ws(workspace, read_only=True) as ws:
        result = key_drivers(
            ws.backend, target=target, drivers=by, method=method, n_boot=boot,
            min_raters=min_raters, max_touchpoints=max_touchpoints,
        )  # fmt: skip
    if output is MeasureFormat.json:
        print_json(result.to_dict())
        return
    frame = result.to_frame()
    if output is MeasureFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    r2 = result.r2
    fit = f"R² {r2:.2f}" if r2 is not None and r2 == r2 else "R² not computed"
    title = (
        f"Drivers of {metric_name(target)} ({by}, {method.replace('_', ' ')}): {fit}, "
        f"n = {result.n:,}"
    )
    # the weight's interval beside the weight; the share as %; the rest on request (json/csv)
    shown = frame.assign(
        share=frame["share"] * 100,
        direction=frame["sign"].map(lambda v: "+" if v > 0 else "−" if v < 0 else "0"),
    )
    if "label" in shown.columns and shown["label"].notna().all():
        # the driver by its name (a touchpoint's); --format json/csv keep the ids
        shown = shown.assign(driver=shown["label"]).drop(columns="label")
    shown, note = top_rows(shown, top, show_all)
    if note != f"{len(frame):,}":
        title += f"; {note}"
    cols = [c for c in ("driver", "label", "share", "weight", "lower", "upper", "direction",
                        "performance", "quadrant") if c in shown.columns]  # fmt: skip
    print_frame(
        shown[cols], title, digits=3, digits_by={"share": 1, "performance": 1},
        headers={"share": "share %", "lower": "low", "upper": "high", "direction": "+/−",
                 "performance": "perf."},
    )  # fmt: skip
    print_wrapped(DRIVERS_LEGEND, style="dim")
    if len(shown) < len(frame):
        err_console.print(f"{len(frame) - len(shown):,} more drivers: --all shows every one.")
