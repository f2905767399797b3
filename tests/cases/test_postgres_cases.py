"""The closed loop on PostgreSQL: the same cases, outbox and history as on DuckDB."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from casehelpers import SECRET, Receiver

import b2bcx
from b2bcx.cases import deliver, history, list_cases, run_alerts, update_case, verify
from b2bcx.cases.rules import parse_rules
from b2bcx.storage import casestore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[Any]:
    from pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


def test_cases_on_postgres_match_duckdb(
    pg_url: Any, world: Path, world_end: dt.datetime, receiver: Receiver
) -> None:
    since = world_end - dt.timedelta(days=60)
    rules = parse_rules({"webhook": {"url": receiver.url}})
    with b2bcx.open_workspace(":memory:") as duck:
        duck.import_bundle(world)
        expected = {
            (c.stakeholder_id, c.interaction_ids)
            for c in (run_alerts(duck.backend, rules, since=since, now=world_end).opened)
        }
    with b2bcx.open_workspace(pg_url.create_database("cases")) as ws:
        ws.import_bundle(world)
        run = run_alerts(ws.backend, rules, since=since, now=world_end)
        cases = list_cases(ws.backend)
        got = {(c.stakeholder_id, c.interaction_ids[:1]) for c in run.opened}
        assert got == {(s, i[:1]) for s, i in expected}
        assert len(cases) == len(run.opened)
        assert run_alerts(ws.backend, rules, since=since, now=world_end).queued == 0
        case = cases[0]
        update_case(ws.backend, case.case_id, status="closed", outcome="done")
        update_case(ws.backend, case.case_id, status="open", note="again")
        kinds = [e.kind for e in history(ws.backend, case.case_id)]
        assert kinds == ["opened", "status", "status", "note"]
        result = deliver(ws.backend, secret=SECRET, sleep=lambda s: None)
        assert len(result.delivered) == len(casestore.list_outbox(ws.backend))
        for headers, body in receiver.received:
            verify(SECRET, headers, body)
        assert casestore.get_mark(ws.backend, "detractor") == world_end
