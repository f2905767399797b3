"""Property: export → import gives the same workspace, for random valid bundles."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import b2bcx
from b2bcx.bundle.checks import EARLIEST_DATE, MAX_INTEGER, MAX_NUMBER
from b2bcx.model import enums
from b2bcx.model.tables import TABLES

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from(["\n", ",", '"', ";", "="]),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() != "")
MAYBE_TEXT = st.none() | TEXT
#: The dates an import accepts: from 1900 to a year after the day of the import.
EARLIEST = EARLIEST_DATE
LATEST = dt.date.today() + dt.timedelta(days=365)
DAY = st.dates(min_value=dt.date(1990, 1, 1), max_value=LATEST)
MOMENT = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime.combine(LATEST, dt.time())
)


def _enum(e: type[enums.StrEnum]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from([v.value for v in e])


#: Values at the edges of what an import accepts and of what floats can hold.
EDGES = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1 / 3, 0.1, 1e-7, 123456789.98765432]
EXTREME = {"on": False}  # bundles() draws edge values while this is on


def _num(lo: float, hi: float) -> st.SearchStrategy[float | None]:
    plain = st.none() | st.floats(lo, hi, allow_nan=False)
    if not EXTREME["on"]:
        return plain
    edges = [v for v in [lo, hi, *EDGES, hi / 3, -lo / 7] if lo <= v <= hi]
    return plain | st.sampled_from(edges)


def _day() -> st.SearchStrategy[dt.date]:
    if not EXTREME["on"]:
        return DAY
    return st.sampled_from([EARLIEST, LATEST]) | st.dates(min_value=EARLIEST, max_value=LATEST)


def _moment() -> st.SearchStrategy[dt.datetime]:
    if not EXTREME["on"]:
        return MOMENT
    edges = [dt.datetime.combine(EARLIEST, dt.time()), dt.datetime.combine(LATEST, dt.time())]
    return st.sampled_from(edges) | st.datetimes(
        min_value=edges[0], max_value=edges[1] - dt.timedelta(microseconds=1)
    )


def _text() -> st.SearchStrategy[str | None]:
    if not EXTREME["on"]:
        return MAYBE_TEXT
    edges = ["=1+1", "-2", "@x", "'", '"', "a\r\nb", "x" * 5000, "ü€𝄞", "NaN", "inf", "null"]
    return MAYBE_TEXT | st.sampled_from(edges)


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    big = EXTREME["on"]
    n_acc = draw(st.integers(1, 4))
    accounts = []
    for i in range(n_acc):
        accounts.append(
            {
                "account_id": f"A{i}",
                "name": draw(_text()),
                "employees": draw(st.none() | st.integers(0, MAX_INTEGER if big else 10**6)),
                "country": draw(st.none() | st.sampled_from(["SE", "DE", "US"])),
                "annual_value": draw(_num(0, MAX_NUMBER if big else 1e9)),
                "parent_account_id": "A0" if i and draw(st.booleans()) else None,
                "relationship_intended": draw(_enum(enums.RelationshipType)),
                "relationship_expected": draw(_enum(enums.RelationshipType)),
                "crm_note": draw(_text()),  # an unknown column: kept as an attribute
            }
        )
    acc_ids = [a["account_id"] for a in accounts]
    partners = [{"partner_id": "P0", "name": draw(MAYBE_TEXT), "kind": "dealer"}]
    touchpoints = []
    for i in range(draw(st.integers(1, 3))):
        controller = draw(st.sampled_from([c.value for c in enums.Controller]))
        for valid_from in draw(st.lists(st.none() | _day(), min_size=1, max_size=2, unique=True)):
            touchpoints.append(
                {
                    "touchpoint_id": f"T{i}",
                    "name": draw(TEXT),
                    "stage": draw(st.sampled_from([s.value for s in enums.Stage])),
                    "channel": draw(_enum(enums.Channel)),
                    "controller": controller,
                    "partner_id": "P0" if controller == "partner" else None,
                    "valid_from": valid_from,
                }
            )
    tp_ids = sorted({t["touchpoint_id"] for t in touchpoints})
    stakeholders = [
        {
            "stakeholder_id": f"S{i}",
            "account_id": draw(st.sampled_from(acc_ids)),
            "function": draw(_enum(enums.Function)),
            "level": draw(_enum(enums.Level)),
            "center": draw(_enum(enums.Center)),
            "decision_maker": draw(st.none() | st.booleans()),
            "active_from": draw(st.none() | _day()),
        }
        for i in range(draw(st.integers(1, 5)))
    ]
    sh_ids = [s["stakeholder_id"] for s in stakeholders]
    journeys = [
        {
            "journey_id": "J0",
            "account_id": acc_ids[0],
            "offering": draw(_text()),
            "contract_value": draw(_num(0, MAX_NUMBER if big else 1e9)),
        },
    ]
    interactions = [
        {
            "interaction_id": f"I{i}",
            "stakeholder_id": draw(st.sampled_from(sh_ids)),
            "occurred_at": draw(_moment()),
            "touchpoint_id": draw(st.none() | st.sampled_from(tp_ids)),
            "journey_id": draw(st.none() | st.just("J0")),
            "source": draw(_enum(enums.Source)),
            "solicited": draw(st.none() | st.booleans()),
            "cx": draw(_num(0, 10)),
            "nps": draw(st.none() | st.integers(0, 10)),
            "csat": draw(_num(1, 5)),
            "empowerment": draw(_num(1, 5)),
            "comment": draw(_text()),
        }
        for i in range(draw(st.integers(1, 8)))
    ]
    goals = [
        {"stakeholder_id": sh_ids[0], "asked_at": draw(_day()), "goal": g, "importance": 4}
        for g in draw(st.lists(st.sampled_from([g.value for g in enums.Goal]), unique=True))
    ]
    outcomes = [
        {
            "account_id": acc_ids[0],
            "occurred_at": draw(_day()),
            "kind": "renewal",
            "value": draw(_num(-MAX_NUMBER if big else -1e9, MAX_NUMBER if big else 1e9)),
        }
    ]
    activities = [
        {
            "activity_id": "X0",
            "kind": draw(_enum(enums.ActivityKind)),
            "touchpoint_ids": draw(st.lists(st.sampled_from(tp_ids), unique=True)),
            "stages": draw(st.lists(st.sampled_from([s.value for s in enums.Stage]), unique=True)),
            "annual_cost": draw(_num(0, MAX_NUMBER if big else 1e6)),
        }
    ]
    return {
        "accounts": accounts,
        "partners": partners,
        "touchpoints": touchpoints,
        "stakeholders": stakeholders,
        "journeys": journeys,
        "interactions": interactions,
        "goals": goals,
        "outcomes": outcomes,
        "activities": activities,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value) if not isinstance(value, float) else repr(value)


def _write(folder: Path, bundle: dict[str, list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True)
    for table, rows in bundle.items():
        names = list(rows[0]) if rows else list(TABLES[table].column_names)
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(names)
            w.writerows([[_cell(r.get(n)) for n in names] for r in rows])


def _snapshot(ws: b2bcx.Workspace) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name, spec in TABLES.items():
        t = ws.table(name).drop("_batch_id")
        rows = ws.backend.to_arrow(t).to_pylist()
        out[name] = sorted(rows, key=lambda r: repr([r[k] for k in spec.key]))
    return out


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles())
def test_export_then_import_gives_the_same_workspace(
    bundle: dict[str, list[dict[str, Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root / "in", bundle)
        first = b2bcx.open_workspace(":memory:")
        first.import_bundle(root / "in")
        assert first.table("interactions").count().execute() == len(bundle["interactions"])
        first.export_bundle(root / "out1")
        second = b2bcx.open_workspace(":memory:")
        second.import_bundle(root / "out1")
        assert _snapshot(second) == _snapshot(first)
        second.export_bundle(root / "out2")
        files = sorted(p.name for p in (root / "out1").iterdir())
        match, mismatch, errors = filecmp.cmpfiles(
            root / "out1", root / "out2", files, shallow=False
        )
        assert mismatch == [] and errors == [] and match == files


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_h2_every_export_of_extreme_values_reimports_into_an_identical_workspace(
    data: st.DataObject,
) -> None:
    """All tables, values at the edges (the largest amounts and whole numbers, the
    smallest floats, 1900-01-01 and a year ahead, formula-like and long text),
    exported as CSV, Parquet and JSON Lines: each re-imports identically."""
    EXTREME["on"] = True
    try:
        bundle = data.draw(bundles())
    finally:
        EXTREME["on"] = False
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root / "in", bundle)
        first = b2bcx.open_workspace(":memory:")
        first.import_bundle(root / "in")
        expected = _snapshot(first)
        for fmt in ("csv", "parquet", "jsonl"):
            first.export_bundle(root / fmt, format=fmt)
            again = b2bcx.open_workspace(":memory:")
            again.import_bundle(root / fmt)
            assert _snapshot(again) == expected, fmt
