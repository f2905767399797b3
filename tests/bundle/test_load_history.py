"""Versioned facts keep their history: touchpoint control and relationship type."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from load_bundles import BASE, write_bundle

import b2bcx
from b2bcx import ImportOptions


def _versions(ws: b2bcx.Workspace, table: str, entity: str) -> list[dict[str, object]]:
    t = ws.table(table)
    expr = t.order_by([entity, t.valid_from.asc(nulls_first=True)]).drop("_batch_id")
    rows: list[dict[str, object]] = ws.backend.to_arrow(expr).to_pylist()
    return rows


def test_touchpoint_control_change_becomes_a_new_version(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(write_bundle(tmp_path / "a"))
    moved = BASE["touchpoints"].replace(
        "T1,Service visit,operations,human,partner,P1,",
        "T1,Service visit,operations,human,supplier,,",
    )
    when = dt.date(2025, 2, 1)
    result = ws.import_bundle(
        write_bundle(tmp_path / "b", touchpoints=moved), ImportOptions(effective_date=when)
    )
    assert result.tables["touchpoints"].inserted == 1
    assert result.tables["touchpoints"].unchanged == 1
    t1 = [v for v in _versions(ws, "touchpoints", "touchpoint_id") if v["touchpoint_id"] == "T1"]
    assert [(v["valid_from"], v["controller"]) for v in t1] == [
        (None, "partner"),
        (when, "supplier"),
    ]
    # the same file again changes nothing
    again = ws.import_bundle(
        write_bundle(tmp_path / "b", touchpoints=moved),
        ImportOptions(effective_date=dt.date(2025, 3, 1)),
    )
    assert again.tables["touchpoints"].inserted == 0


def test_explicit_valid_from_versions_are_upserted(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    tps = BASE["touchpoints"] + "T1,Service visit,operations,human,supplier,,2024-06-01\n"
    ws.import_bundle(write_bundle(tmp_path / "a", touchpoints=tps))
    fixed = tps.replace("human,supplier,,2024-06-01", "hybrid,supplier,,2024-06-01")
    result = ws.import_bundle(write_bundle(tmp_path / "b", touchpoints=fixed))
    assert result.tables["touchpoints"].updated == 1
    t1 = [v for v in _versions(ws, "touchpoints", "touchpoint_id") if v["touchpoint_id"] == "T1"]
    assert [v["channel"] for v in t1] == ["human", "hybrid"]


def test_relationship_change_on_an_account_is_recorded(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(write_bundle(tmp_path / "a"))
    changed = BASE["accounts"].replace(
        "A2,Bolt Mining,DE,5000,transactional,relational",
        "A2,Bolt Mining,DE,5000,relational,relational",
    )
    when = dt.date(2025, 1, 15)
    ws.import_bundle(
        write_bundle(tmp_path / "b", accounts=changed), ImportOptions(effective_date=when)
    )
    history = _versions(ws, "relationships", "account_id")
    assert [(h["account_id"], h["valid_from"], h["relationship_intended"]) for h in history] == [
        ("A2", None, "transactional"),
        ("A2", when, "relational"),
    ]
    t = ws.table("accounts")
    now = t.filter(t.account_id == "A2").relationship_intended.execute().tolist()
    assert now == ["relational"]
    # exporting and importing the result reproduces the history exactly
    ws.export_bundle(tmp_path / "out")
    again = b2bcx.open_workspace(":memory:")
    again.import_bundle(tmp_path / "out")
    assert _versions(again, "relationships", "account_id") == history
