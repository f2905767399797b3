"""Regression tests of the import findings of the reliability review (issue 21).

Each test is named after its finding in ``reviews/reliability.md`` (H1, H2, M2,
M4, M5, L1–L4) and reproduces the review's case; each failed before the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from load_bundles import BASE, add_rows, write_bundle

import b2bcx
from b2bcx import DataRejected, ImportOptions
from b2bcx.bundle import reading
from b2bcx.bundle.checks import MAX_INTEGER, MAX_NUMBER
from b2bcx.bundle.rejectlog import neutralise
from b2bcx.errors import BundleError, EncodingError, MappingError, WorkspaceError
from b2bcx.storage import staging

NORDIC = [
    "Ålesund Mekaniske",
    "Grønn Energi AS",
    "Økern Logistikk",
    "Årsta Värme AB",
    "Jönköping Gjuteri",
    "Næstved Maskinfabrik",
    "Müller Gießerei",
    "Tromsø Fiskeri",
]


def _count(ws: b2bcx.Workspace, table: str) -> int:
    return int(ws.table(table).count().execute())


def _rows(ws: b2bcx.Workspace, table: str) -> list[dict[str, Any]]:
    return ws.backend.to_arrow(ws.table(table)).to_pylist()


def _rejects_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _mk(folder: Path, accounts: str | bytes) -> Path:
    """The review's ``mk``: an accounts file and two header-only required tables."""
    return write_bundle(
        folder,
        accounts=accounts,
        stakeholders="stakeholder_id,account_id\n",
        interactions="interaction_id,stakeholder_id,occurred_at\n",
        partners="partner_id\n",
        touchpoints="touchpoint_id,name,stage,controller\n",
    )


# -- H1: truncated files ---------------------------------------------------------
def test_h1_truncated_quoted_last_field_is_rejected(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", 'account_id,annual_value\n"A1","28700"\n"A2","28')
    with pytest.raises(BundleError, match=r"accounts\.csv row 3: .*quoted value.*cut off"):
        ws.import_bundle(folder)
    assert _count(ws, "accounts") == 0


def test_h1_unquoted_file_cut_in_its_last_field_is_rejected(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", "account_id,annual_value\nA1,28700\nA2,28")
    with pytest.raises(BundleError, match=r"accounts\.csv row 3: .*line break") as info:
        ws.import_bundle(folder)
    assert "quoted" not in str(info.value)
    assert _count(ws, "accounts") == 0


def test_h1_truncated_multiline_comment_keeps_the_stored_comment(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(write_bundle(tmp_path / "a"))
    cut = BASE["interactions"] + 'I1,S1,2024-03-05T14:30:00Z,T1,survey,true,7.5,9,"The por'
    with pytest.raises(BundleError, match=r"interactions\.csv row 5"):
        ws.import_bundle(write_bundle(tmp_path / "b", interactions=cut))
    t = ws.table("interactions")
    stored = t.filter(t.interaction_id == "I1").comment.execute().iloc[0]
    assert stored == 'Technician was great, "fast"'


def test_h1_file_with_final_newline_and_utf16_file_still_import(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    accounts = "account_id,annual_value\r\nA1,28700\r\nA2,28\r\n"
    ws.import_bundle(write_bundle(tmp_path / "b", accounts=accounts, encoding="utf-16"))
    assert sorted(r["annual_value"] for r in _rows(ws, "accounts")) == [28.0, 28700.0]
    cut = write_bundle(tmp_path / "c", accounts=accounts[:-4], encoding="utf-16")
    with pytest.raises(BundleError, match=r"accounts\.csv row 3: .*line break"):
        b2bcx.open_workspace(":memory:").import_bundle(cut)


# -- H2: only finite numbers -------------------------------------------------------
@pytest.mark.parametrize("value", ["1e400", "-1e400", "inf", "nan", "Infinity", "1e16"])
def test_h2_non_finite_and_huge_amounts_are_rejected_with_the_row_kept(
    tmp_path: Path, value: str
) -> None:
    ws = b2bcx.open_workspace(":memory:")
    rejects = tmp_path / "r.csv"
    folder = _mk(tmp_path / "b", f"account_id,annual_value\nA0,5\nA1,{value}\n")
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(folder, ImportOptions(rejects_path=rejects))
    assert info.value.n_rejected == 1
    (row,) = _rejects_csv(rejects)
    assert (row["row"], row["column"]) == ("3", "annual_value")
    assert json.loads(row["original"])["annual_value"] == value
    assert _count(ws, "accounts") == 0
    assert _count(ws, "import_rejects") == 1
    # with --allow-rejects the valid row goes in and nothing is infinite
    ws.import_bundle(folder, ImportOptions(rejects_path=rejects, allow_rejects=True))
    assert [r["annual_value"] for r in _rows(ws, "accounts")] == [5.0]


@pytest.mark.parametrize(
    "line",
    ['{"account_id": "A1", "annual_value": NaN}', '{"account_id": "A1", "employees": 1e999}'],
)
def test_h2_non_finite_jsonl_values_are_rejected(tmp_path: Path, line: str) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", "")
    (folder / "accounts.csv").unlink()
    (folder / "accounts.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DataRejected):
        ws.import_bundle(folder, ImportOptions(rejects_path=tmp_path / "r.csv"))


def test_h2_non_finite_parquet_floats_are_rejected(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", "")
    (folder / "accounts.csv").unlink()
    values = [1.0, math.inf, -math.inf, math.nan, 1.7976931348623157e308]
    pq.write_table(
        pa.table({"account_id": [f"A{i}" for i in range(5)], "annual_value": values}),
        folder / "accounts.parquet",
    )
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(folder, ImportOptions(rejects_path=tmp_path / "r.csv"))
    assert info.value.n_rejected == 4
    rows = _rejects_csv(tmp_path / "r.csv")
    assert sorted(int(r["row"]) for r in rows) == [2, 3, 4, 5]


def test_h2_sums_and_weighted_means_of_the_largest_values_stay_finite(tmp_path: Path) -> None:
    n = 2000
    lines = "".join(f"A{i},{MAX_NUMBER!r}\n" for i in range(n))
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(_mk(tmp_path / "b", "account_id,annual_value\n" + lines))
    (total, weighted), *_ = ws.backend.execute(
        "SELECT sum(annual_value), sum(annual_value * 10.0) / sum(annual_value) FROM accounts"
    )
    assert math.isfinite(total) and total == pytest.approx(n * MAX_NUMBER)
    assert weighted == pytest.approx(10.0)
    # the bound leaves room for far more rows than a workspace holds: 1e15 × 1e9 rows
    assert math.isfinite(MAX_NUMBER * 1e9 * 100)


# -- M2: zip bounds ----------------------------------------------------------------
def _bundle_zip(path: Path, extra: dict[str, bytes] | None = None, *, folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in {**BASE, **(extra or {})}.items():
            arcname = name if "." in name else f"{name}.csv"
            zf.writestr(folder + arcname, text)
    return path


def test_m2_zip_bomb_entry_is_refused_before_it_is_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = _bundle_zip(tmp_path / "bomb.zip", {"junk.csv": b"0" * (20 << 20)})
    written: list[int] = []
    real = reading._copy_entry
    monkeypatch.setattr(
        reading, "_copy_entry", lambda *a: written.append(a[1].file_size) or real(*a)
    )
    ws = b2bcx.open_workspace(":memory:")
    # junk.csv is not a bundle table: it is never extracted
    result = ws.import_bundle(bomb)
    assert any("bomb.zip:junk.csv is not a bundle table" in w for w in result.warnings)
    assert max(written) < 1 << 20
    # the same bytes as a table: refused for its expansion, before extracting it
    written.clear()
    bomb2 = _bundle_zip(tmp_path / "bomb2.zip", {"outcomes.csv": b"0" * (20 << 20)})
    with pytest.raises(BundleError, match=r"bomb2\.zip:outcomes\.csv expands .* zip bomb"):
        ws.import_bundle(bomb2)
    assert (20 << 20) not in written


def test_m2_zip_total_size_and_entry_count_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = b2bcx.open_workspace(":memory:")
    big = "".join(f"I{i},S1,2024-01-01,T1,email,,,,\n" for i in range(60_000))
    path = _bundle_zip(tmp_path / "big.zip", {"interactions": BASE["interactions"] + big})
    monkeypatch.setenv("B2BCX_MAX_UNZIP_MB", "1")
    with pytest.raises(BundleError, match=r"big\.zip would unpack to .* B2BCX_MAX_UNZIP_MB"):
        ws.import_bundle(path)
    monkeypatch.delenv("B2BCX_MAX_UNZIP_MB")
    many = {f"extra{i}.txt": b"" for i in range(10_001)}
    crowded = _bundle_zip(tmp_path / "many.zip", many)
    with pytest.raises(BundleError, match=r"many\.zip lists 10,00\d entries"):
        ws.import_bundle(crowded)
    assert _count(ws, "interactions") == 0


def test_m2_entry_that_lies_about_its_size_is_stopped(tmp_path: Path) -> None:
    path = _bundle_zip(tmp_path / "b.zip")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("accounts.csv").file_size
    # the central directory record of accounts.csv declares half its real size
    pos = data.find(b"PK\x01\x02")
    while data[pos + 46 : pos + 46 + len("accounts.csv")] != b"accounts.csv":
        pos = data.find(b"PK\x01\x02", pos + 1)
        assert pos > 0
    data[pos + 24 : pos + 28] = (size // 2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"b\.zip:accounts\.csv"):
        b2bcx.open_workspace(":memory:").import_bundle(path)


def test_m2_encrypted_zip_entry_is_a_clear_error(tmp_path: Path) -> None:
    path = _bundle_zip(tmp_path / "b.zip")
    data = bytearray(path.read_bytes())
    name = b"interactions.csv"
    # set the 'encrypted' flag of the entry in its local and central headers
    for magic, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = data.find(magic)
        while data[pos + name_at : pos + name_at + len(name)] != name:
            pos = data.find(magic, pos + 1)
            assert pos >= 0
        data[pos + flags] |= 0x1
    (tmp_path / "enc.zip").write_bytes(bytes(data))
    with (
        zipfile.ZipFile(tmp_path / "enc.zip") as zf,
        pytest.raises(RuntimeError, match="encrypted"),
    ):
        zf.read("interactions.csv")  # what extractall raised before
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(BundleError, match=r"enc\.zip:interactions\.csv is encrypted"):
        ws.import_bundle(tmp_path / "enc.zip")


def test_m2_bundle_folder_deep_in_the_zip_is_found(tmp_path: Path) -> None:
    path = _bundle_zip(tmp_path / "deep.zip", folder="export/2026/")
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(path)
    assert _count(ws, "interactions") == 3


# -- M4: latin-1 misread as another code page ----------------------------------------
NORDIC_ACCOUNTS = "account_id,name,country,annual_value\n" + "".join(
    f"A{i},{n},NO,{1000 + i}\n" for i, n in enumerate(NORDIC)
)


@pytest.mark.parametrize(
    "text",
    [
        NORDIC_ACCOUNTS,
        "account_id,name\nA1,Müller Gießerei Ærø\n",  # the review's one-line variant
    ],
)
def test_m4_latin1_text_is_never_stored_misdecoded(tmp_path: Path, text: str) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", text.encode("latin-1"))
    expected = sorted(line.split(",")[1] for line in text.splitlines()[1:])
    try:
        ws.import_bundle(folder)
    except EncodingError as exc:
        assert "--encoding" in str(exc)
        assert _count(ws, "accounts") == 0
    else:  # read with a warning: then every name must be right
        assert sorted(r["name"] for r in _rows(ws, "accounts")) == expected
    ws.import_bundle(folder, ImportOptions(encoding="latin-1"))
    assert sorted(r["name"] for r in _rows(ws, "accounts")) == expected


def test_m4_the_one_line_variant_is_refused_with_both_readings(tmp_path: Path) -> None:
    folder = _mk(tmp_path / "b", "account_id,name\nA1,Müller Gießerei Ærø\n".encode("latin-1"))
    with pytest.raises(EncodingError, match=r"ambiguous.*'A1,Müller Gießerei Ærø'.*--encoding"):
        b2bcx.open_workspace(":memory:").import_bundle(folder)


# -- M5: errors, not tracebacks --------------------------------------------------------
def test_m5_integer_above_int64_is_rejected_with_reason(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    rejects = tmp_path / "r.csv"
    folder = _mk(tmp_path / "b", "account_id,employees\nA1,1e20\nA2,9007199254740993\nA3,12\n")
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(folder, ImportOptions(rejects_path=rejects))
    assert info.value.n_rejected == 2
    assert {r["column"] for r in _rejects_csv(rejects)} == {"employees"}
    assert all("too large" in r["reason"] for r in _rejects_csv(rejects))
    ws.import_bundle(_mk(tmp_path / "c", f"account_id,employees\nA1,{MAX_INTEGER}\n"))
    assert [r["employees"] for r in _rows(ws, "accounts")] == [MAX_INTEGER]  # exact


def test_m5_invalid_utf8_in_a_parquet_binary_column_names_file_and_column(
    tmp_path: Path,
) -> None:
    folder = write_bundle(tmp_path / "b")
    (folder / "interactions.csv").unlink()
    table = pa.table(
        {
            "interaction_id": ["I1", "I2"],
            "stakeholder_id": ["S1", "S2"],
            "occurred_at": ["2024-01-01", "2024-01-02"],
            "comment": pa.array([b"fine", b"\xff\xfe bad"], pa.binary()),
        }
    )
    pq.write_table(table, folder / "interactions.parquet")
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(EncodingError, match=r"interactions\.parquet, column comment, record 2"):
        ws.import_bundle(folder)
    assert _count(ws, "accounts") == 0


def test_m5_non_utf8_mapping_yaml_is_a_mapping_error_naming_the_file(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_bytes("sources: [reviews.csv]\n# J\u00fcrgen\n".encode("latin-1"))
    (tmp_path / "reviews.csv").write_text("a\n1\n", encoding="utf-8")
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(MappingError, match=r"map\.yaml is not UTF-8 .* save the mapping file"):
        ws.import_bundle(tmp_path / "reviews.csv", ImportOptions(mapping=mapping))


def _fingerprint(ws: b2bcx.Workspace) -> dict[str, list[str]]:
    out = {}
    for name in ("accounts", "stakeholders", "interactions", "touchpoints", "import_batches"):
        out[name] = sorted(json.dumps(r, default=str) for r in _rows(ws, name))
    return out


def test_m5_disk_full_during_the_merge_is_a_workspace_error_and_the_workspace_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = b2bcx.open_workspace(tmp_path / "w.duckdb")
    ws.import_bundle(write_bundle(tmp_path / "a"))
    before = _fingerprint(ws)
    real = staging.merge_stage
    calls = []

    def full(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:  # mid-transaction, after two tables were merged
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(staging, "merge_stage", full)
    changed = BASE["interactions"].replace("7.5", "2.5")
    with pytest.raises(WorkspaceError, match=r"disk is full .* workspace is unchanged"):
        ws.import_bundle(write_bundle(tmp_path / "b", interactions=changed))
    assert _fingerprint(ws) == before
    monkeypatch.setattr(staging, "merge_stage", real)
    ws.import_bundle(write_bundle(tmp_path / "b", interactions=changed))  # a re-run works
    ws.close()


def test_m5_engine_disk_full_message_is_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class IOException(Exception):  # the shape of DuckDB's error
        pass

    def full(*args: Any, **kwargs: Any) -> None:
        raise IOException('IO Error: Could not write file "w.duckdb.wal": No space left on device')

    ws = b2bcx.open_workspace(":memory:")
    monkeypatch.setattr(staging, "stage_rows", full)
    with pytest.raises(WorkspaceError, match="disk is full"):
        ws.import_bundle(write_bundle(tmp_path / "b"))


def test_m5_unwritable_rejects_folder_keeps_the_rejects_elsewhere(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")  # its 'children' cannot be created, even by root
    ws = b2bcx.open_workspace(":memory:")
    bad = add_rows("accounts", "A3,Cato,XX,,,")
    target = blocker / "r.csv"
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(
            write_bundle(tmp_path / "b", accounts=bad), ImportOptions(rejects_path=target)
        )
    written = info.value.rejects_path
    assert written is not None and written != target and written.exists()
    assert f"could not write the rejects file to {target}" in str(info.value)
    assert str(written) in str(info.value)
    assert [r["column"] for r in _rejects_csv(written)] == ["country"]
    assert _count(ws, "import_rejects") == 1
    written.unlink()


# -- L1–L4 ---------------------------------------------------------------------------
def test_l1_parse_error_reports_the_real_row(tmp_path: Path) -> None:
    good = "".join(f"I{i},S1,2024-01-01,T1,email,,,,ok\n" for i in range(10, 1010))
    broken = BASE["interactions"] + good + '"I5000,S1\n'  # cut in the middle of a row
    broken += "".join(f"I{i},S1,2024-01-01,T1,email,,,,ok\n" for i in range(2000, 2010))
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(
        BundleError, match=r"interactions\.csv: cannot parse row 1005 \(line 1005\)"
    ):
        ws.import_bundle(write_bundle(tmp_path / "b", interactions=broken))
    short = BASE["interactions"] + good + "I5000,S1\n"
    with pytest.raises(BundleError, match=r"cannot parse row 1005 \(line 1005\).*Expected 9"):
        ws.import_bundle(write_bundle(tmp_path / "c", interactions=short))


def test_l2_utf16_without_bom_is_called_an_encoding_problem(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = write_bundle(tmp_path / "b", encoding="utf-16-le")
    with pytest.raises(EncodingError, match=r"UTF-16-LE .* byte-order mark.*--encoding utf-16-le"):
        ws.import_bundle(folder)
    ws.import_bundle(folder, ImportOptions(encoding="utf-16-le"))
    assert _count(ws, "interactions") == 3
    be = write_bundle(tmp_path / "c", encoding="utf-16-be")
    with pytest.raises(EncodingError, match=r"--encoding utf-16-be"):
        b2bcx.open_workspace(":memory:").import_bundle(be)


@pytest.mark.parametrize("day", ["1500-01-01", "1899-12-31", "9999-01-01T00:00:00Z", "2300-06-01"])
def test_l3_implausible_dates_are_rejected_with_reason_and_fix(tmp_path: Path, day: str) -> None:
    ws = b2bcx.open_workspace(":memory:")
    rejects = tmp_path / "r.csv"
    bad = add_rows("interactions", f"I9,S1,{day},T1,email,,,,")
    with pytest.raises(DataRejected):
        ws.import_bundle(
            write_bundle(tmp_path / "b", interactions=bad), ImportOptions(rejects_path=rejects)
        )
    (row,) = _rejects_csv(rejects)
    assert row["column"] == "occurred_at" and row["row"] == "5"
    assert "not a plausible date" in row["reason"] and "check the year" in row["reason"]


def test_l3_a_year_ahead_is_accepted_and_date_format_still_applies(tmp_path: Path) -> None:
    ahead = dt.date.today() + dt.timedelta(days=360)
    ws = b2bcx.open_workspace(":memory:")
    lines = [f"I8,S1,{ahead:%d/%m/%Y},T1,email,,,,", "I9,S1,01/02/1899,T1,email,,,,"]
    folder = write_bundle(tmp_path / "b", interactions=add_rows("interactions", *lines))
    rejects = tmp_path / "r.csv"
    options = ImportOptions(date_formats=("%d/%m/%Y",), rejects_path=rejects)
    with pytest.raises(DataRejected):
        ws.import_bundle(folder, options)
    (row,) = _rejects_csv(rejects)
    assert row["row"] == "6" and "--date-format '%d/%m/%Y'" in row["reason"]
    ws.import_bundle(
        folder, ImportOptions(date_formats=("%d/%m/%Y",), rejects_path=rejects, allow_rejects=True)
    )
    t = ws.table("interactions")
    stored = t.filter(t.interaction_id == "I8").occurred_at.execute().iloc[0]
    assert stored.date() == ahead


def test_l4_formula_values_are_neutralised_in_the_rejects_csv_only(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil","x")'
    bad = add_rows("accounts", f'A3,Cato,"{formula.replace(chr(34), chr(34) * 2)}",,,')
    ws = b2bcx.open_workspace(":memory:")
    rejects = tmp_path / "r.csv"
    with pytest.raises(DataRejected):
        ws.import_bundle(
            write_bundle(tmp_path / "b", accounts=bad), ImportOptions(rejects_path=rejects)
        )
    (row,) = _rejects_csv(rejects)
    assert row["value"] == "'" + formula
    assert json.loads(row["original"])["country"] == formula  # the row as read, verbatim
    stored = _rows(ws, "import_rejects")
    assert [r["value"] for r in stored] == [formula]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme", "Acme"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_l4_neutralise(value: str | None, safe: str | None) -> None:
    assert neutralise(value) == safe


def test_l4_export_stays_verbatim(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    accounts = add_rows("accounts", 'A3,"=1+1",SE,,,')
    ws.import_bundle(write_bundle(tmp_path / "b", accounts=accounts))
    ws.export_bundle(tmp_path / "out")
    text = (tmp_path / "out" / "accounts.csv").read_text(encoding="utf-8")
    assert "=1+1" in text and "'=1+1" not in text
    assert io.StringIO(text).read().count("'=") == 0


# -- found by the fuzz suite (tests/faults) -------------------------------------------
def test_h1_unclosed_quote_swallowing_the_last_rows_is_rejected(tmp_path: Path) -> None:
    # the file ends with a line break, but a quote opened in row 2 never closes:
    # A2 and A3 were read as part of A1's name
    ws = b2bcx.open_workspace(":memory:")
    folder = _mk(tmp_path / "b", 'account_id,name\nA1,"open\nA2,x\nA3,y\n')
    with pytest.raises(BundleError, match=r"accounts\.csv: row 2 opens a quoted value .* never"):
        ws.import_bundle(folder)
    assert _count(ws, "accounts") == 0
    ok = _mk(tmp_path / "c", 'account_id,name\nA1,"closed with a line break\n"\n')
    ws.import_bundle(ok)
    assert [r["name"] for r in _rows(ws, "accounts")] == ["closed with a line break\n"]


def test_h1_unclosed_quote_in_a_small_file_does_not_grow_the_block_without_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an unclosed quote made the reader retry with ever bigger blocks (up to an
    # int32 overflow of pyarrow's block size); the block never needs to exceed the file
    monkeypatch.setattr(reading, "_BLOCK", 64)
    rows = "".join(f"A{i},x\n" for i in range(5)) + 'A9,"open\n' + "B,y\n" * 40
    folder = _mk(tmp_path / "b", "account_id,name\n" + rows)
    with pytest.raises(BundleError, match=r"row 7 opens a quoted value"):
        b2bcx.open_workspace(":memory:").import_bundle(folder)


def test_m2_damaged_zip_entry_offset_is_a_bundle_error(tmp_path: Path) -> None:
    path = _bundle_zip(tmp_path / "b.zip")
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")  # the first central record: point it past the end
    data[pos + 42 : pos + 46] = (0xFFFFFF00).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"b\.zip"):
        b2bcx.open_workspace(":memory:").import_bundle(path)
