"""Valid bundles: counts, idempotent re-import, updates, kept columns, formats."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from load_bundles import BASE, add_rows, write_bundle

import b2bcx
from b2bcx import ImportOptions
from b2bcx.errors import BundleError


@pytest.fixture
def ws() -> b2bcx.Workspace:
    return b2bcx.open_workspace(":memory:")


def _rows(ws: b2bcx.Workspace, table: str) -> list[dict[str, object]]:
    t = ws.table(table).drop("_batch_id")
    rows: list[dict[str, object]] = ws.backend.to_arrow(t.order_by(t.columns[:3])).to_pylist()
    return rows


def test_valid_bundle_imports_every_row(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    result = ws.import_bundle(write_bundle(tmp_path / "b"))
    assert result.status == "committed" and result.n_rejected == 0
    assert {t: c.inserted for t, c in result.tables.items()} == {
        "accounts": 2,
        "partners": 1,
        "touchpoints": 2,
        "stakeholders": 3,
        "interactions": 3,
    }
    rows = ws.table("interactions").order_by("interaction_id").execute().to_dict("records")
    assert rows[0]["comment"] == 'Technician was great, "fast"'
    # an offset is converted to UTC; no offset means UTC; a bare date is midnight
    assert str(rows[1]["occurred_at"]) == "2024-03-06 08:00:00"
    assert str(rows[2]["occurred_at"]) == "2024-04-01 00:00:00"
    assert ws.table("stakeholders").decision_maker.execute().tolist() == [False, False, True]
    batches = ws.table("import_batches").execute()
    assert batches.status.tolist() == ["committed"]


def test_reimport_changes_nothing(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    ws.import_bundle(folder)
    before = {t: _rows(ws, t) for t in BASE}
    again = ws.import_bundle(folder)
    assert all(c.inserted == c.updated == 0 for c in again.tables.values())
    assert again.tables["interactions"].unchanged == 3
    assert {t: _rows(ws, t) for t in BASE} == before


def test_overlapping_data_updates_and_adds_without_duplicates(
    ws: b2bcx.Workspace, tmp_path: Path
) -> None:
    ws.import_bundle(write_bundle(tmp_path / "a"))
    changed = BASE["interactions"].replace(",ticket,false,3,,", ",ticket,false,4,,")
    changed += "I4,S3,2024-05-01,T2,call,,6,,\n"
    result = ws.import_bundle(write_bundle(tmp_path / "b", interactions=changed))
    c = result.tables["interactions"]
    assert (c.inserted, c.updated, c.unchanged) == (1, 1, 2)
    ids = ws.table("interactions").interaction_id.execute().tolist()
    assert sorted(ids) == ["I1", "I2", "I3", "I4"]
    cx = ws.table("interactions").filter(lambda t: t.interaction_id == "I2").cx.execute()
    assert cx.tolist() == [4.0]


def test_columns_missing_from_a_later_file_keep_their_values(
    ws: b2bcx.Workspace, tmp_path: Path
) -> None:
    ws.import_bundle(write_bundle(tmp_path / "a"))
    slim = "account_id,name\nA1,Acme Mills AB\nA2,Bolt Mining\n"
    result = ws.import_bundle(write_bundle(tmp_path / "b", accounts=slim))
    assert result.tables["accounts"].updated == 1
    row = _rows(ws, "accounts")[0]
    assert row["name"] == "Acme Mills AB" and row["country"] == "SE"
    assert row["annual_value"] == 120000


def test_unknown_columns_are_kept_as_attributes_and_exported(
    ws: b2bcx.Workspace, tmp_path: Path
) -> None:
    accounts = "account_id,name,crm_tier\nA1,Acme,gold\nA2,Bolt,\n"
    ws.import_bundle(write_bundle(tmp_path / "a", accounts=accounts))
    attrs = (
        ws.backend.to_arrow(ws.table("accounts").order_by("account_id"))
        .column("attributes")
        .to_pylist()
    )
    assert json.loads(attrs[0]) == {"crm_tier": "gold"} and attrs[1] is None
    ws.export_bundle(tmp_path / "out")
    header = (tmp_path / "out" / "accounts.csv").read_text().splitlines()[0]
    assert header.endswith('"crm_tier"')


def test_zip_parquet_and_jsonl_bundles(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, arcname=f"bundle/{f.name}")
    assert ws.import_bundle(archive).tables["interactions"].inserted == 3

    other = b2bcx.open_workspace(":memory:")
    mixed = tmp_path / "mixed"
    shutil.copytree(folder, mixed)
    (mixed / "stakeholders.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "stakeholder_id": ["S1", "S2", "S3"],
                "account_id": ["A1", "A1", "A2"],
                "decision_maker": [False, None, True],
            }
        ),
        mixed / "stakeholders.parquet",
    )
    (mixed / "interactions.csv").unlink()
    lines = [
        {"interaction_id": "I1", "stakeholder_id": "S1", "occurred_at": "2024-01-01", "nps": 9},
        {"interaction_id": "I2", "stakeholder_id": "S3", "occurred_at": "2024-01-02"},
    ]
    (mixed / "interactions.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = other.import_bundle(mixed)
    assert result.tables["stakeholders"].inserted == 3
    assert result.tables["interactions"].inserted == 2
    assert other.table("interactions").nps.max().execute() == 9


def test_export_formats_round_trip(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    ws.import_bundle(write_bundle(tmp_path / "b"))
    for fmt in ("csv", "parquet", "jsonl"):
        target = tmp_path / f"out.{fmt}.zip"
        ws.export_bundle(target, format=fmt)
        again = b2bcx.open_workspace(":memory:")
        again.import_bundle(target)
        for table in BASE:
            assert _rows(again, table) == _rows(ws, table), (fmt, table)


def test_unknown_file_is_a_warning_and_missing_table_an_error(
    ws: b2bcx.Workspace, tmp_path: Path
) -> None:
    folder = write_bundle(tmp_path / "b", **{"interaction.csv": "x\n1\n"})
    result = ws.import_bundle(folder)
    assert any("interaction.csv" in w and "interactions" in w for w in result.warnings)
    (folder / "stakeholders.csv").unlink()
    with pytest.raises(BundleError, match="no stakeholders file"):
        ws.import_bundle(folder)


def test_header_only_file_has_no_rows(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", partners="partner_id,name,kind\n")
    folder.joinpath("touchpoints.csv").write_text(
        "touchpoint_id,name,stage,controller\nT1,Visit,operations,supplier\n"
        "T2,Quote,negotiation,supplier\n"
    )
    result = ws.import_bundle(folder)
    assert result.tables["partners"].read == 0


def test_add_rows_helper_appends() -> None:
    assert add_rows("partners", "P2,X,dealer").endswith("P2,X,dealer\n")


def test_options_are_recorded(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    ws.import_bundle(write_bundle(tmp_path / "b"), ImportOptions(date_formats=("%d/%m/%Y",)))
    options = json.loads(ws.table("import_batches").options.execute().iloc[0])
    assert options["date_formats"] == ["%d/%m/%Y"]
