"""Bad rows: a clear message (file, row, column, value, fix) and nothing lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from load_bundles import BASE, add_rows, write_bundle

import b2bcx
from b2bcx import DataRejected, ImportOptions
from b2bcx.errors import BundleError


def _import_rejected(
    tmp_path: Path, **tables: str
) -> tuple[b2bcx.Workspace, DataRejected, list[dict[str, str]]]:
    ws = b2bcx.open_workspace(":memory:")
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(
            write_bundle(tmp_path / "b", **tables), ImportOptions(rejects_path=rejects)
        )
    with rejects.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return ws, info.value, rows


def _nothing_committed(ws: b2bcx.Workspace) -> None:
    for table in BASE:
        assert ws.table(table).count().execute() == 0, table
    assert ws.table("import_batches").status.execute().tolist() == ["rejected"]


CASES = [
    # (table, extra line, row, column, words the message must contain)
    ("interactions", "I9,S1,2024-01-01,T1,emial,,,,", 5, "source", ["'emial'", "'email'"]),
    ("interactions", "I9,S1,2024-01-01,T1,call,,11,,", 5, "cx", ["'11'", "0 to 10"]),
    ("interactions", "I9,S1,2024-01-01,T1,call,,,7.5,", 5, "nps", ["'7.5'", "whole number"]),
    ("interactions", "I9,S1,2024-01-01,T1,call,,seven,,", 5, "cx", ["'seven'", "number"]),
    ("interactions", "I9,S1,01/02/2024,T1,call,,,,", 5, "occurred_at", ["'01/02/2024'", "ISO"]),
    ("interactions", "I9,S1,2024-01-01,T1,call,maybe,,,", 5, "solicited", ["'maybe'", "true"]),
    ("interactions", "I9,,2024-01-01,T1,call,,,,", 5, "stakeholder_id", ["required"]),
    ("interactions", "I9,S7,2024-01-01,T1,call,,,,", 5, "stakeholder_id", ["'S7'", "neither"]),
    ("interactions", "I1,S1,2024-01-01,T1,call,,,,", 5, "interaction_id", ["row 2", "'I1'"]),
    ("accounts", "A3,Cato,XX,,,", 4, "country", ["'XX'", "ISO 3166"]),
    ("accounts", "A3,Cato,SE,-5,,", 4, "annual_value", ["'-5'", "≥ 0"]),
    ("accounts", "A3,Cato,SE,,relationl,", 4, "relationship_intended", ["'relational'"]),
    ("touchpoints", "T3,Dealer demo,pre_bid,human,partner,,", 4, "partner_id", ["partner"]),
]


@pytest.mark.parametrize(("table", "line", "row", "column", "words"), CASES)
def test_bad_value_is_named_and_kept(
    tmp_path: Path, table: str, line: str, row: int, column: str, words: list[str]
) -> None:
    ws, error, rejects = _import_rejected(tmp_path, **{table: add_rows(table, line)})
    assert error.n_rejected == 1
    [reject] = [r for r in rejects if r["column"] == column]
    assert reject["table"] == table and reject["file"] == f"{table}.csv"
    assert int(reject["row"]) == row
    assert reject["reason"].startswith(f"{table}.csv row {row}, column {column}: ")
    for word in words:
        assert word in reject["reason"], (word, reject["reason"])
    original = json.loads(reject["original"])
    assert original[next(iter(original))] == line.split(",")[0]  # the row's own id
    assert f"{table}.csv row {row}" in str(error)
    _nothing_committed(ws)


def test_rejected_parent_rejects_its_children(tmp_path: Path) -> None:
    stakeholders = add_rows("stakeholders", "S4,A1,plumbing,,,")
    interactions = add_rows("interactions", "I9,S4,2024-01-01,T1,call,,,,")
    ws, error, rejects = _import_rejected(
        tmp_path, stakeholders=stakeholders, interactions=interactions
    )
    assert error.n_rejected == 2
    child = next(r for r in rejects if r["table"] == "interactions")
    assert "'S4'" in child["reason"] and "was rejected" in child["reason"]
    _nothing_committed(ws)


def test_allow_rejects_commits_the_valid_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:", settings=b2bcx.Settings(rejects_dir=tmp_path / "r"))
    folder = write_bundle(
        tmp_path / "b", interactions=add_rows("interactions", "I9,S1,2024-01-01,T1,emial,,,,")
    )
    result = ws.import_bundle(folder, ImportOptions(allow_rejects=True))
    assert result.status == "committed" and result.n_rejected == 1
    assert result.tables["interactions"].inserted == 3
    assert result.tables["interactions"].rejected == 1
    assert result.rejects_path is not None and result.rejects_path.parent == tmp_path / "r"
    kept = ws.table("import_rejects").execute()
    assert kept.column_name.tolist() == ["source"] and kept.row.tolist() == [5]
    assert kept.batch_id.tolist() == [result.batch_id]


def test_missing_required_column_names_it_and_the_closest_header(tmp_path: Path) -> None:
    bad = BASE["stakeholders"].replace("stakeholder_id,account_id", "stakeholder_id,acount_id")
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(BundleError, match=r"stakeholders.csv.*'account_id'.*'acount_id'"):
        ws.import_bundle(write_bundle(tmp_path / "b", stakeholders=bad))
    assert ws.table("accounts").count().execute() == 0
