"""A demo world with cases and named people, for the API, dashboard and report tests
of the closed loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from api_world import World

import b2bcx
from b2bcx.cases import default_rules, open_case, run_alerts


@dataclass(frozen=True)
class CaseFacts:
    """What :func:`add_cases` made."""

    end: dt.datetime  # the world's last interaction: the alerts ran at this time
    detractor_cases: int
    manual_case: str  # opened by hand on ``world.other_account``
    own_case: str  # a detractor case on ``world.own_account``
    own_owner: str  # its owner (the account manager)


def add_cases(world: World) -> CaseFacts:
    """Run the default alert rules over the world's last 30 days, give every person
    a name and an e-mail address, and open one case by hand on the other account."""
    with b2bcx.open_workspace(world.path) as ws:
        backend = ws.backend
        end = backend.execute("SELECT max(occurred_at) FROM interactions")[0][0]
        run = run_alerts(backend, default_rules(), since=end - dt.timedelta(days=30), now=end)
        backend.execute(
            "UPDATE stakeholders SET name = 'Person ' || stakeholder_id, "
            "email = lower(stakeholder_id) || '@client.example'"
        )
        manual = open_case(
            backend,
            account_id=world.other_account,
            title="Call back about the late spare parts",
            owner="Q. Tester",
            now=end,
        )
    own = [c for c in run.opened if c.account_id == world.own_account]
    assert own, "the world's first account needs a detractor case for these tests"
    return CaseFacts(end, len(run.opened), manual.case_id, own[0].case_id, own[0].owner)
