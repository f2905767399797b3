"""The CLI's two notes about missing ratings (``no_ratings_note``, ``fallback_metric``)
name the ratings the workspace has in the same words, from one helper."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

import b2bcx
from b2bcx.cli.measure import fallback_metric, no_ratings_note, ratings_there
from b2bcx.storage import Backend


def _world(nps: list[float | None], csat: list[float | None]) -> Backend:
    b = b2bcx.open_workspace(":memory:").backend
    b.append("accounts", pa.table({"account_id": ["A"]}))
    b.append("stakeholders", pa.table({"stakeholder_id": ["s"], "account_id": ["A"]}))
    n = len(nps)
    b.append("interactions", pa.table({
        "interaction_id": [f"i{k}" for k in range(n)], "stakeholder_id": ["s"] * n,
        "occurred_at": [dt.datetime(2024, 1, 1) + dt.timedelta(hours=k) for k in range(n)],
        "nps": pa.array(nps, pa.float64()), "csat": pa.array(csat, pa.float64()),
    }))  # fmt: skip
    return b


def test_both_notes_name_the_ratings_there_alike() -> None:
    b = _world([9.0, 3.0, None, 7.0] * 300, [4.0, None, None, None] * 300)
    have = "nps (900), csat (300)"  # counted by hand: 3 and 1 of every 4 rows
    chosen, note = fallback_metric(b, "cx")
    assert chosen == "nps" and note is not None and f"(it has {have};" in note
    assert no_ratings_note(b, ["ces"]) == (
        f"No ces ratings in this workspace. It has: {have}. Choose one with --metric."
    )


def test_edge_cases_one_rating_none_and_a_metric_that_exists() -> None:
    one = _world([8.0], [None])
    assert fallback_metric(one, "cx")[1] == (
        "No cx ratings in this workspace: shown on nps, the rating it has "
        "(it has nps (1); another with --metric)."
    )
    assert fallback_metric(one, "nps") == ("nps", None)
    assert no_ratings_note(one, ["nps"]) == "No unit has ratings here (check --as-of and --by)."
    none = _world([None], [None])
    assert no_ratings_note(none, ["cx"]).endswith(
        "this workspace has no ratings yet (b2bcx import)."
    )
    assert ratings_there({}) == "" and ratings_there({"cx": 0}) == ""
