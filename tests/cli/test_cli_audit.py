"""UX review, problems 6, 10, 11 and 15 on the command line (issue 19 item 8): every
table-printing command fits 100 columns, numbers carry thousands separators, the
score of another rating is not headed "cx", an empty map says why, the help has no
stray spaces or reST markup, and the demo suggests diagnose, report and serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.cli.app import cell
from b2bcx.cli.demo import try_next
from b2bcx.demo import generate_world

runner = CliRunner()
WIDE = {"COLUMNS": "100"}


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo workspace; one with NPS only; one whose interactions have no touchpoint."""
    root = tmp_path_factory.mktemp("cli-audit")
    bundle = root / "bundle"
    generate_world(bundle, size=1500, seed=5)
    original = pd.read_csv(bundle / "interactions.csv", dtype=str, keep_default_na=False)
    out: dict[str, str] = {}
    for kind in ("full", "nps-only", "no-touchpoints"):
        rows = original
        if kind == "nps-only":
            rows = original.drop(columns=["cx"])
        elif kind == "no-touchpoints":
            rows = original.assign(touchpoint_id="")
        rows.to_csv(bundle / "interactions.csv", index=False)
        path = root / f"{kind}.duckdb"
        with b2bcx.open_workspace(path) as ws:
            ws.import_bundle(bundle)
        out[kind] = str(path)
    out["touchpoints"] = str(bundle / "touchpoints.csv")
    return out


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _header(text: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith("┃"))
    return [h.strip() for h in line.strip("┃").split("┃")]


def _rows(text: str) -> list[list[str]]:
    body = [x for x in text.splitlines() if x.startswith("│")]
    return [[c.strip() for c in x.strip("│").split("│")] for x in body]


COMMANDS = [
    ["info"],
    ["measure"],
    ["measure", "--by", "function"],
    ["measure", "--by", "stage"],
    ["individual"],
    ["individual", "--per", "stage"],
    ["individual", "--per", "touchpoint"],
    ["map"],
    ["breakdown"],
    ["breakdown", "--by", "source"],
    ["drivers", "--boot", "5"],
    ["strategy", "profile"],
    ["strategy", "assess"],
    ["strategy", "plan"],
    ["token", "list"],
    ["user", "list"],
    ["cases", "list"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_table_fits_100_columns(workspaces: dict[str, str], command: list[str]) -> None:
    result = runner.invoke(app, [*command, "-w", workspaces["full"]], env=WIDE)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert _widest(result.stdout) <= 100, command


def test_plan_items_wrap_with_a_hanging_indent(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["strategy", "plan", "-w", ws, "-f", "json"]).stdout)
    longest = max((i for s in data["steps"] for i in s["items"]), key=len)
    assert len(longest) > 100  # else the wrapping is not tested
    text = runner.invoke(app, ["strategy", "plan", "-w", ws], env=WIDE).stdout
    assert _widest(text) <= 100
    # every item is there, word for word, once the wrapped lines are joined again
    joined = " ".join(line.strip() for line in text.splitlines())
    assert " ".join(longest.split()) in joined
    bullets = [line for line in text.splitlines() if line.startswith("  • ")]
    assert len(bullets) == sum(len(s["items"]) for s in data["steps"])


def test_cells_separate_thousands_but_not_booleans() -> None:
    import numpy as np

    assert cell(1748, 1) == "1,748" and cell(np.int64(20205), 1) == "20,205"
    assert cell(7, 1) == "7" and cell(True, 1) == "yes" and cell(np.bool_(True), 1) == "yes"


def test_breakdown_shows_one_scale_with_plain_headers(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    data = json.loads(
        runner.invoke(app, ["breakdown", "-w", ws, "--by", "source", "-f", "json"]).stdout
    )
    assert "mean" in data[0]  # json unchanged
    text = runner.invoke(app, ["breakdown", "-w", ws, "--by", "source"], env=WIDE).stdout
    header = _header(text)
    assert "mean" not in header and "n_interactions" not in header
    assert header[:4] == ["source", "interactions", "people", "rated"]
    first = {r[0]: r for r in _rows(text)}
    for row in data:  # counts as the json has them, with thousands separators
        assert first[row["source"]][1] == f"{row['n_interactions']:,}"


def test_individual_names_accounts_and_touchpoints(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    rows = json.loads(
        runner.invoke(app, ["individual", "-w", ws, "--per", "touchpoint", "-f", "json"]).stdout
    )
    text = runner.invoke(app, ["individual", "-w", ws, "--per", "touchpoint"], env=WIDE).stdout
    assert _header(text) == ["account", "person", "touchpoint", "ratings", "cx", "last"]
    names = pd.read_csv(workspaces["touchpoints"], dtype=str)
    tp_name = dict(zip(names["touchpoint_id"], names["name"], strict=True))
    lowest = sorted(rows, key=lambda r: r["cx"])[0]
    first = _rows(text)[0]
    assert first[1] == lowest["stakeholder_id"]
    assert tp_name[lowest["touchpoint_id"]].startswith(first[2])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first[-1])


def test_another_rating_is_not_headed_cx(workspaces: dict[str, str]) -> None:
    ws = workspaces["nps-only"]
    measure = runner.invoke(app, ["measure", "-w", ws, "--metric", "nps"], env=WIDE)
    assert "cx" not in _header(measure.stdout) and "score" in _header(measure.stdout)
    people = runner.invoke(app, ["individual", "-w", ws, "--metric", "nps"], env=WIDE)
    assert "cx" not in _header(people.stdout) and "nps" in _header(people.stdout)
    fell_back = runner.invoke(app, ["individual", "-w", ws], env=WIDE)
    assert fell_back.exit_code == 0 and "nps" in _header(fell_back.stdout)
    assert "No cx ratings in this workspace: shown on nps" in fell_back.stderr


def test_an_empty_map_says_why(workspaces: dict[str, str]) -> None:
    no_cx = runner.invoke(app, ["map", "-w", workspaces["nps-only"]], env=WIDE)
    assert "No cx ratings" in no_cx.stderr and "--metric" in no_cx.stderr
    bare = runner.invoke(app, ["map", "-w", workspaces["no-touchpoints"]], env=WIDE)
    assert "Every cell is empty" in bare.stderr and "touchpoints" in bare.stderr
    full = runner.invoke(app, ["map", "-w", workspaces["full"]], env=WIDE)
    assert full.stderr == "" and re.search(r"\d+ \(\d", full.stdout)


def test_topics_table_without_analysed_text_is_not_a_crash(workspaces: dict[str, str]) -> None:
    result = runner.invoke(app, ["text", "topics", "-w", workspaces["full"]], env=WIDE)
    assert "Traceback" not in result.output


HELP = [
    [], ["demo"], ["measure"], ["individual"], ["report"], ["cases", "list"], ["cases", "open"],
    ["alerts", "run"], ["strategy", "assess"], ["import"], ["text", "topics"],
]  # fmt: skip


@pytest.mark.parametrize("command", HELP, ids=lambda c: " ".join(c) or "b2bcx")
def test_help_has_no_stray_spaces_or_rest_markup(command: list[str]) -> None:
    text = runner.invoke(app, [*command, "--help"], env=WIDE).stdout
    assert "Usage" in text
    assert not re.search(r"\w \.(\s|$)", text), text  # "URL ." where "[default: x]" was eaten
    assert "``" not in text
    if command in (["measure"], ["individual"]):
        assert "(default: " in text or "--all" in text


def test_demo_suggests_the_answers_first() -> None:
    lines = try_next("w.duckdb")
    commands = [line.split()[1] for line in lines]
    assert commands[0] == "diagnose"
    assert {"report", "serve", "measure"} <= set(commands)
    assert all("-w w.duckdb" in line and len(line) <= 100 for line in lines)


def test_touchpoint_drivers_by_name_without_nan(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    args = ["drivers", "-w", ws, "--drivers", "touchpoints", "--boot", "5", "--min-raters", "5"]
    data = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    text = runner.invoke(app, [*args, "--top", "3"], env=WIDE)
    assert text.exit_code == 0, text.output
    assert not re.search(r"\bnan\b", text.stdout, re.IGNORECASE) and _widest(text.stdout) <= 100
    if data["r2"] is None:
        assert "R² not computed" in text.stdout
    rows = [r for r in _rows(text.stdout) if r[1]]  # a name's wrapped line has no share
    assert len(rows) == min(3, len(data["table"]))
    labels = [d["label"] for d in sorted(data["table"], key=lambda d: -d["share"])]
    assert all(lab.startswith(r[0]) for lab, r in zip(labels, rows, strict=False))
    if len(data["table"]) > 3:
        assert "--all" in text.stderr


def test_measure_explains_its_statistics_in_plain_words(workspaces: dict[str, str]) -> None:
    text = runner.invoke(app, ["measure", "-w", workspaces["full"]], env=WIDE).stdout
    assert "rwg: how much the account's people agree" in text
    assert "ICC(1): the share of the differences" in text and _widest(text) <= 100
    chosen = runner.invoke(app, ["measure", "-w", workspaces["full"], "--columns", "cx"])
    assert "rwg:" not in chosen.stdout  # only the columns shown are explained


def test_cases_list_shows_whole_ids_names_and_the_first_20(
    workspaces: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    import shutil

    ws = str(tmp_path_factory.mktemp("cases") / "cases.duckdb")
    shutil.copy(workspaces["full"], ws)
    opened = runner.invoke(app, ["alerts", "run", "-w", ws, "--since", "2020-01-01"])
    assert opened.exit_code == 0, opened.output
    data = json.loads(runner.invoke(app, ["cases", "list", "-w", ws, "-f", "json"]).stdout)
    cases = data["cases"]
    assert len(cases) > 3  # else the cut is not tested
    text = runner.invoke(app, ["cases", "list", "-w", ws, "--top", "3"], env=WIDE)
    assert text.exit_code == 0, text.output
    assert _widest(text.stdout) <= 100
    assert _header(text.stdout) == [
        "case",
        "account",
        "person",
        "status",
        "owner",
        "priority",
        "due",
    ]
    rows = [r for r in _rows(text.stdout) if r[0]]
    assert [r[0] for r in rows] == [c["case_id"] for c in cases[:3]]  # whole ids, same order
    names = dict(
        pd.read_csv(Path(workspaces["touchpoints"]).parent / "accounts.csv", dtype=str)[
            ["account_id", "name"]
        ].itertuples(index=False)
    )
    assert names[cases[0]["account_id"]].startswith(rows[0][1])
    assert f"first 3 of {len(cases)}" in text.stdout and "--all" in text.stderr


@pytest.mark.parametrize(
    "command",
    [["diagnose", "--no-progress"], ["strategy", "profile"], ["readiness"], ["measure"]],
    ids=" ".join,
)
@pytest.mark.parametrize("kind", ["nps-only", "no-touchpoints"])
def test_sparse_workspaces_print_within_100_columns(
    workspaces: dict[str, str], command: list[str], kind: str
) -> None:
    """The notes under the tables (what the data cannot show yet, legends, the
    portfolio line) wrap at 100 columns like the tables, where data is missing."""
    metric = ["--metric", "nps"] if command[0] == "measure" else []
    result = runner.invoke(app, [*command, *metric, "-w", workspaces[kind]], env=WIDE)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert _widest(result.stdout) <= 100, [ln for ln in result.stdout.splitlines() if len(ln) > 100]


def test_what_the_data_cannot_show_yet_wraps_every_item(workspaces: dict[str, str]) -> None:
    ws = workspaces["no-touchpoints"]
    data = json.loads(runner.invoke(app, ["diagnose", "-w", ws, "-f", "json"]).stdout)
    items = data["unavailable"]
    assert items  # else nothing is tested
    text = runner.invoke(app, ["diagnose", "-w", ws, "--no-progress"], env=WIDE).stdout
    block = text[text.index("What the data cannot show yet") :]
    assert sum(1 for line in block.splitlines() if line.startswith("- ")) == len(items)
    joined = " ".join(line.strip() for line in block.splitlines())
    for u in items:  # each item word for word once the wrapped lines are joined again
        assert " ".join(f"{u['challenge']} {u['check']}: {u['missing']}.".split()) in joined


def test_breakdown_says_which_nps_it_shows(workspaces: dict[str, str]) -> None:
    """UX #6: the NPS of the answers differs from the portfolio's account NPS, and
    the breakdown says so under its table; recomputed here from the bundle."""
    ws = workspaces["full"]
    text = runner.invoke(app, ["breakdown", "-w", ws, "--by", "solicited"], env=WIDE).stdout
    joined = " ".join(text.split())
    assert "the NPS of the answers in each row" in joined and "each person's latest" in joined
    with b2bcx.open_workspace(ws, read_only=True) as w:
        it = w.backend.table("interactions").execute()
    answers = it["nps"].dropna()
    overall = 100 * ((answers >= 9).mean() - (answers <= 6).mean())
    data = json.loads(runner.invoke(app, ["breakdown", "-w", ws, "--by", "solicited",
                                          "-f", "json"]).stdout)  # fmt: skip
    n = sum(r["n_nps"] for r in data)
    pooled = sum(r["nps"] * r["n_nps"] for r in data if r["nps"] is not None) / n
    assert n == len(answers) and abs(pooled - overall) < 1e-6  # NPS of every answer


def test_measure_says_too_few_respondents_come_last(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    text = runner.invoke(
        app, ["measure", "-w", ws, "--all", "--columns", "name,cx,verdict"], env=WIDE
    ).stdout
    rows = [r for r in _rows(text) if r[0]]
    verdicts = [r[-1] for r in rows]
    few = [i for i, v in enumerate(verdicts) if v.startswith("too few")]
    title = text.splitlines()[0]
    if few:
        assert "too few respondents last" in title
        assert few == list(range(len(verdicts) - len(few), len(verdicts)))
    else:
        assert "too few respondents last" not in title
    judged = [float(r[-2]) for i, r in enumerate(rows) if i not in few]
    assert judged == sorted(judged)  # lowest first among the judged


def test_strategy_profile_explains_its_columns(workspaces: dict[str, str]) -> None:
    text = runner.invoke(app, ["strategy", "profile", "-w", workspaces["full"]], env=WIDE).stdout
    joined = " ".join(text.split())
    for word in ("sought:", "got:", "text:", "gap:", "n:"):
        assert word in joined


def test_diagnose_summaries_name_the_accounts(workspaces: dict[str, str]) -> None:
    """Names beside ids (item 8): a finding's summary reads the account's name, as
    in the report, where the JSON keeps the id."""
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["diagnose", "-w", ws, "-f", "json"]).stdout)
    with b2bcx.open_workspace(ws, read_only=True) as w:
        accounts = w.backend.table("accounts").execute()
    names = dict(zip(accounts["account_id"], accounts["name"], strict=True))
    top = sorted(data["findings"], key=lambda f: -f["severity"])[:3]
    with_id = [f for f in top if f["account_id"] and f["account_id"] in f["summary"]]
    assert with_id  # else nothing is tested
    text = runner.invoke(
        app, ["diagnose", "-w", ws, "--no-progress", "--top", "3"], env={"COLUMNS": "400"}
    ).stdout
    for f in with_id:
        expected = f["summary"].replace(f["account_id"], names[f["account_id"]])
        assert expected[:40] in text
        assert f["summary"][:40] not in text or f["summary"][:40] == expected[:40]


def test_drivers_explain_every_column_in_words(workspaces: dict[str, str]) -> None:
    text = runner.invoke(app, ["drivers", "-w", workspaces["full"], "--boot", "5"], env=WIDE).stdout
    assert text.splitlines()[0].startswith("Drivers of NPS (goals, relative weights)")
    joined = " ".join(text.split())
    explained = {"low": "low–high:", "high": "low–high:"}
    for header in _header(text)[1:]:  # every column but the driver's name is explained
        assert explained.get(header, f"{header}:") in joined, header
