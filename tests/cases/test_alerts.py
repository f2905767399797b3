"""``run_alerts`` on a generated world: the issue's "Done when", checked independently."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from casehelpers import SECRET, Receiver

import b2bcx
from b2bcx.cases import deliver, list_cases, run_alerts, update_case, verify
from b2bcx.cases.rules import parse_rules
from b2bcx.storage import authstore, casestore


def expected_detractors(world: Path, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """Independent pandas computation on the bundle: each stakeholder with an NPS 0–6
    answer in (since, until], their first such answer and how many they gave."""
    i = pd.read_csv(
        world / "interactions.csv",
        usecols=["interaction_id", "stakeholder_id", "occurred_at", "nps"],
    )
    i["when"] = pd.to_datetime(i.occurred_at, utc=True).dt.tz_localize(None)
    d = i[(i.nps <= 6) & (i.when > since) & (i.when <= until)].sort_values(
        ["when", "interaction_id"]
    )
    return d.groupby("stakeholder_id").agg(
        first=("interaction_id", "first"), n=("interaction_id", "size")
    )


def test_one_detractor_case_per_stakeholder_and_idempotent(
    cws: b2bcx.Workspace, world: Path, world_end: dt.datetime, receiver: Receiver
) -> None:
    since = world_end - dt.timedelta(days=90)
    rules = parse_rules({"webhook": {"url": receiver.url}})
    first = run_alerts(cws.backend, rules, since=since, now=world_end)
    truth = expected_detractors(world, since, world_end)
    assert len(truth) > 5  # the world has detractors in the window
    opened = {c.stakeholder_id: c for c in first.opened}
    assert set(opened) == set(truth.index)
    assert all(c.rule == "detractor" for c in first.opened)
    for sid, case in opened.items():
        assert case.interaction_ids[0] == truth.loc[sid, "first"]
    # later answers of the same person attached to the one open case
    cases = {c.stakeholder_id: c for c in list_cases(cws.backend)}
    assert {s: len(c.interaction_ids) for s, c in cases.items()} == truth.n.to_dict()
    assert first.queued == len(first.opened) + sum(truth.n - 1)

    result = deliver(cws.backend, secret=SECRET, sleep=lambda s: None)
    assert len(result.delivered) == first.queued and not result.retrying
    assert len(receiver.received) == first.queued
    for headers, body in receiver.received:
        verify(SECRET, headers, body)  # raises if a signature does not check out
    types = [p["type"] for p in receiver.payloads()]
    assert types.count("case.opened") == len(first.opened)

    again = run_alerts(cws.backend, rules, since=since, now=world_end)
    assert again.opened == () and again.attached == () and again.queued == 0
    nothing = deliver(cws.backend, secret=SECRET, sleep=lambda s: None)
    assert nothing.delivered == () and len(receiver.received) == first.queued
    # the next scheduled run (no --since) starts from the mark: still nothing new
    assert run_alerts(cws.backend, rules, now=world_end).opened == ()


def test_owner_priority_due_and_decision_makers(
    cws: b2bcx.Workspace, world: Path, world_end: dt.datetime
) -> None:
    since = world_end - dt.timedelta(days=120)
    run = run_alerts(
        cws.backend,
        parse_rules({"rules": {"detractor": {"due_business_days": 3}}}),
        since=since,
        now=world_end,
    )
    accounts = pd.read_csv(world / "accounts.csv").set_index("account_id")
    people = pd.read_csv(world / "stakeholders.csv").set_index("stakeholder_id")
    assert run.opened
    for case in run.opened:
        assert case.owner == accounts.account_manager[case.account_id]
        dm = str(people.decision_maker[case.stakeholder_id]).lower() in ("true", "1", "yes")
        assert case.priority == ("high" if dm else "normal")
        assert case.due_at is not None
        days = pd.bdate_range(case.opened_at.date(), case.due_at.date()).size - 1
        assert days == 3
    assert any(c.priority == "high" for c in run.opened)


def test_later_detractor_answer_attaches_to_open_case(
    cws: b2bcx.Workspace, world_end: dt.datetime, tmp_path: Path
) -> None:
    rules = parse_rules({})
    run = run_alerts(cws.backend, rules, since=world_end - dt.timedelta(days=60), now=world_end)
    case = run.opened[0]
    later = world_end + dt.timedelta(days=1)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "accounts.csv").write_text(f"account_id\n{case.account_id}\n")
    (folder / "stakeholders.csv").write_text(
        f"stakeholder_id,account_id\n{case.stakeholder_id},{case.account_id}\n"
    )
    (folder / "interactions.csv").write_text(
        "interaction_id,stakeholder_id,occurred_at,nps\n"
        f"NEW-1,{case.stakeholder_id},{later:%Y-%m-%dT%H:%M:%S}Z,2\n"
    )
    cws.import_bundle(folder)
    next_run = run_alerts(cws.backend, rules, now=later + dt.timedelta(hours=1))
    assert next_run.opened == ()
    assert [c.case_id for c in next_run.attached] == [case.case_id]
    assert casestore.get_case(cws.backend, case.case_id)["interaction_ids"][-1] == "NEW-1"
    # once the case is closed, a new detractor answer opens a new case
    update_case(cws.backend, case.case_id, status="closed", outcome="called back")
    (folder / "interactions.csv").write_text(
        "interaction_id,stakeholder_id,occurred_at,nps\n"
        f"NEW-2,{case.stakeholder_id},{later + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%S}Z,3\n"
    )
    cws.import_bundle(folder)
    third = run_alerts(cws.backend, rules, now=later + dt.timedelta(days=2))
    assert [c.stakeholder_id for c in third.opened] == [case.stakeholder_id]
    assert third.opened[0].interaction_ids == ("NEW-2",)


def test_receiver_down_gets_every_event_later(
    cws: b2bcx.Workspace, world_end: dt.datetime, receiver: Receiver
) -> None:
    rules = parse_rules({"webhook": {"url": receiver.url}})
    run = run_alerts(cws.backend, rules, since=world_end - dt.timedelta(days=60), now=world_end)
    receiver.up = False
    waits: list[float] = []
    down = deliver(cws.backend, secret=SECRET, tries=2, sleep=waits.append, now=world_end)
    assert down.delivered == () and receiver.received == []
    assert len(down.retrying) == run.queued and down.pending == run.queued
    log = casestore.list_deliveries(cws.backend)
    assert log and all(not r["ok"] and r["status_code"] == 503 for r in log)
    assert waits and waits[0] == 0.5  # quick retry with back-off inside the run
    # before the back-off has passed nothing is retried
    early = deliver(cws.backend, secret=SECRET, sleep=lambda s: None, now=world_end)
    assert early.attempts == 0
    receiver.up = True
    later = world_end + dt.timedelta(hours=2)
    up = deliver(cws.backend, secret=SECRET, sleep=lambda s: None, now=later)
    assert len(up.delivered) == run.queued and up.pending == 0
    ids = [h["webhook-id"] for h, _ in receiver.received]
    assert len(ids) == len(set(ids)) == run.queued
    for headers, body in receiver.received:
        verify(SECRET, headers, body)
    assert {p["data"]["case_id"] for p in receiver.payloads()} == {c.case_id for c in run.opened}


def test_gives_up_after_max_attempts(cws: b2bcx.Workspace, world_end: dt.datetime) -> None:
    rules = parse_rules({"webhook": {"url": "http://127.0.0.1:9/closed-port"}})
    run_alerts(cws.backend, rules, since=world_end - dt.timedelta(days=30), now=world_end)
    result = deliver(
        cws.backend, secret=SECRET, tries=3, max_attempts=3, sleep=lambda s: None, timeout=2
    )
    assert result.failed and not result.delivered and result.pending == 0


def test_history_and_audit(cws: b2bcx.Workspace, world_end: dt.datetime) -> None:
    run = run_alerts(
        cws.backend, parse_rules({}), since=world_end - dt.timedelta(days=60), now=world_end
    )
    case = run.opened[0]
    from b2bcx.cases import Actor, history

    update_case(
        cws.backend,
        case.case_id,
        status="in_progress",
        note="called",
        actor=Actor("anna", "analyst", "tok1"),
    )
    events = history(cws.backend, case.case_id)
    assert [e.kind for e in events] == ["opened", "status", "note"]
    assert events[1].from_status == "open" and events[1].to_status == "in_progress"
    assert events[1].actor == "anna"
    _, audit = authstore.read_audit(cws.backend, limit=1000)
    mine = [a for a in audit if a["target"] == f"case {case.case_id}"]
    assert {a["action"] for a in mine} == {"case.opened", "case.updated"}
    assert any(a["token_id"] == "tok1" and a["role"] == "analyst" for a in mine)
    assert len([a for a in audit if a["action"] == "case.opened"]) == len(run.opened)


def test_spark_and_read_only_refused(world: Path, tmp_path: Path) -> None:
    from b2bcx.errors import WorkspaceReadOnly

    path = tmp_path / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(world)
    with (
        b2bcx.open_workspace(path, read_only=True) as ws,
        pytest.raises(WorkspaceReadOnly, match="read-only"),
    ):
        run_alerts(ws.backend, parse_rules({}))

    class FakeSpark:
        kind = "spark"
        url = "spark://local?path=/x"
        is_read_only = True

    with pytest.raises(WorkspaceReadOnly, match="Spark"):
        casestore.require_writable(FakeSpark())  # type: ignore[arg-type]


def test_outbox_written_with_the_case_or_not_at_all(
    cws: b2bcx.Workspace, world_end: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = parse_rules({"webhook": {"url": "http://127.0.0.1:9/x"}})

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(authstore, "append_audit", broken)
    with pytest.raises(RuntimeError):
        run_alerts(cws.backend, rules, since=world_end - dt.timedelta(days=60), now=world_end)
    assert casestore.list_cases(cws.backend) == []
    assert casestore.list_outbox(cws.backend) == []
    assert casestore.get_mark(cws.backend, "detractor") is None


def test_export_has_cases_and_pseudonymises(
    cws: b2bcx.Workspace, world_end: dt.datetime, tmp_path: Path, world: Path
) -> None:
    run_alerts(cws.backend, parse_rules({}), since=world_end - dt.timedelta(days=60), now=world_end)
    out = tmp_path / "export"
    result = cws.export_bundle(out)
    cases = pd.read_csv(out / "cases.csv")
    assert len(cases) == result.rows["cases"] == len(casestore.list_cases(cws.backend))
    events = pd.read_csv(out / "case_events.csv")
    assert set(events.case_id) == set(cases.case_id)
    assert json.loads(cases.interaction_ids.iloc[0])
    # re-import of the export still works (the extra files are named, not read)
    with b2bcx.open_workspace(":memory:") as fresh:
        imported = fresh.import_bundle(out)
        assert any("cases.csv" in w for w in imported.warnings)
