"""Fuzz the importer with malformed CSV, JSON Lines, Parquet and zip input (issue 21, item 6).

Each example mutates the small valid bundle of :mod:`fault_inputs` (bytes cut,
inserted or replaced; cells set to hostile values; other encodings; typed
Parquet columns of the wrong kind; damaged or crafted zips) and imports it into
a workspace that already holds that bundle. Whatever happens:

- the importer raises nothing but :class:`b2bcx.errors.B2bcxError` subclasses
  (never a traceback of another kind);
- after an error the workspace's data is unchanged;
- after a commit exactly the valid rows went in: per table, the new keys are the
  inserted count, the changed rows the updated count, nothing was deleted,
  read = inserted + updated + unchanged + rejected, the tables the input did not
  touch are unchanged, and importing the same input again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fault_inputs import BASE, rows_by_key, write_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import b2bcx
from b2bcx import ImportOptions
from b2bcx.errors import B2bcxError

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Cell values that broke importers before, or might.
HOSTILE = [
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "1e20",
    "9223372036854775808",
    "-1",
    "11",
    "7.5",
    "",
    " ",
    '"',
    '""',
    "\x00",
    "1500-01-01",
    "9999-12-31",
    "2024-02-30",
    "31/12/2024",
    "=cmd|' /C calc'!A0",
    "[/]",
    "[bold red]x",
    "Ærø",
    "A1",
    "S9",
    "T9",
    "yes",
    "maybe",
    "relational",
    "\t",
    "a;b;;c",
    "x" * 300,
]
SNIPPETS = [
    b'"',
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b";",
    b"\t",
    b"\xef\xbb\xbf",
]
TABLE_NAMES = sorted(BASE)


@pytest.fixture(scope="module")
def ws() -> Iterator[b2bcx.Workspace]:
    """A workspace holding the base bundle; each example imports into it."""
    workspace = b2bcx.open_workspace(":memory:")
    with tempfile.TemporaryDirectory() as tmp:
        workspace.import_bundle(write_bundle(Path(tmp) / "base"))
    yield workspace
    workspace.close()


# -- mutations ---------------------------------------------------------------------
@st.composite
def byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with 1-3 byte-level edits: cut, insert, delete, overwrite."""
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["cut", "insert", "delete", "overwrite"]))
        if op == "cut":
            data = data[:pos]
        elif op == "insert":
            blob = draw(st.sampled_from(SNIPPETS) | st.binary(min_size=1, max_size=6))
            data = data[:pos] + blob + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 20)) :]
        else:
            blob = draw(st.binary(min_size=1, max_size=4))
            data = data[:pos] + blob + data[pos + len(blob) :]
    return data


@st.composite
def cell_edits(draw: st.DrawFn, text: str) -> str:
    """``text`` (a CSV) with 1-3 cells set to hostile values (the header too)."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, max(len(lines) - 2, 0)))
        cells = lines[i].split(",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(st.sampled_from(HOSTILE) | st.text(max_size=8))
        lines[i] = ",".join(cells)
    if draw(st.booleans()):  # duplicate or drop a line
        i = draw(st.integers(1, max(len(lines) - 2, 1)))
        lines.insert(i, lines[i]) if draw(st.booleans()) else lines.pop(i)
    return "\n".join(lines)


def _records(table: str) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(BASE[table])))


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(HOSTILE),
    st.lists(st.integers(0, 5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def csv_inputs(draw: st.DrawFn) -> dict[str, bytes]:
    table = draw(st.sampled_from(TABLE_NAMES))
    text = BASE[table]
    if draw(st.booleans()):
        text = draw(cell_edits(text))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "utf-16-le"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = draw(byte_edits(data))
    return {f"{table}.csv": data}


@st.composite
def jsonl_inputs(draw: st.DrawFn) -> dict[str, bytes]:
    table = draw(st.sampled_from(TABLE_NAMES))
    records: list[Any] = _records(table)
    for _ in range(draw(st.integers(0, 3))):
        r = draw(st.sampled_from(records))
        column = draw(st.sampled_from([*r, "extra"]))
        r[column] = draw(JSON_VALUES)
    if draw(st.booleans()):
        records.append(draw(JSON_VALUES))  # a line that is not an object
    data = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records).encode()
    if draw(st.booleans()):
        data = draw(byte_edits(data))
    return {f"{table}.jsonl": data}


PARQUET_COLUMNS = st.sampled_from(
    [
        pa.array([1, 2**62, -5], pa.int64()),
        pa.array([1.5, float("nan"), float("inf")], pa.float64()),
        pa.array([b"ok", b"\xff\xfe", None], pa.binary()),
        pa.array([True, False, None], pa.bool_()),
        pa.array([0, 10**15, -(10**15)], pa.timestamp("s")),
        pa.array([["a", "b"], [], None], pa.list_(pa.string())),
        pa.array([{"v": 1}, None, {"v": 2}], pa.struct([("v", pa.int64())])),
        pa.array([None, None, None], pa.null()),
        pa.array(["x", "", " "], pa.string()),
    ]
)


@st.composite
def parquet_inputs(draw: st.DrawFn) -> dict[str, bytes]:
    table = draw(st.sampled_from(TABLE_NAMES))
    records = _records(table)[:3]
    while len(records) < 3:
        records.append(dict(records[0]))
    names = list(records[0])
    columns = {n: pa.array([r[n] or None for r in records], pa.string()) for n in names}
    for _ in range(draw(st.integers(0, 3))):
        columns[draw(st.sampled_from(names))] = draw(PARQUET_COLUMNS)
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    data = sink.getvalue()
    if draw(st.integers(0, 3)) == 0:
        data = draw(byte_edits(data))
    return {f"{table}.parquet": data}


@st.composite
def zip_inputs(draw: st.DrawFn) -> bytes:
    files = {f"{t}.csv": BASE[t].encode() for t in TABLE_NAMES}
    if draw(st.booleans()):
        files.update(draw(csv_inputs()))
    extras = draw(
        st.lists(
            st.sampled_from(["../evil.csv", "sub/accounts.csv", "notes.txt", ".hidden.csv", "x/"]),
            max_size=2,
            unique=True,
        )
    )
    prefix = draw(st.sampled_from(["", "bundle/"]))
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
        for name in extras:
            zf.writestr(name, b"" if name.endswith("/") else BASE["accounts"].encode())
    data = sink.getvalue()
    if draw(st.booleans()):
        data = draw(byte_edits(data))
    return data


# -- the invariant ------------------------------------------------------------------
def check_import(ws: b2bcx.Workspace, path: Path, allow_rejects: bool) -> None:
    """Import ``path``; assert the all-or-nothing and exactly-the-valid-rows invariants."""
    options = ImportOptions(allow_rejects=allow_rejects, rejects_path=path.parent / "r.csv")
    before = rows_by_key(ws)
    try:
        result = ws.import_bundle(path, options)
    except B2bcxError:
        assert rows_by_key(ws) == before, "a failed import changed the workspace"
        return
    after = rows_by_key(ws)
    assert result.status == "committed"
    if not allow_rejects:
        assert result.n_rejected == 0
    for name in after:
        old, new = before[name], after[name]
        assert set(old) <= set(new), f"{name}: rows were deleted"
        counts = result.tables.get(name)
        if counts is None:
            if name != "relationships":  # accounts record relationship changes there
                assert new == old, f"{name} changed though the input has no {name}"
            continue
        inserted = set(new) - set(old)
        updated = {k for k in old if new[k] != old[k]}
        assert len(inserted) == counts.inserted, name
        assert len(updated) == counts.updated, name
        assert counts.read == (
            counts.inserted + counts.updated + counts.unchanged + counts.rejected
        ), name
    again = ws.import_bundle(path, options)
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())
    assert rows_by_key(ws) == after


def _run(ws: b2bcx.Workspace, files: dict[str, bytes], allow_rejects: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_import(ws, write_bundle(Path(tmp) / "b", files), allow_rejects)


@FUZZ
@given(files=csv_inputs(), allow_rejects=st.booleans())
def test_fuzz_csv(ws: b2bcx.Workspace, files: dict[str, bytes], allow_rejects: bool) -> None:
    _run(ws, files, allow_rejects)


@FUZZ
@given(files=jsonl_inputs(), allow_rejects=st.booleans())
def test_fuzz_jsonl(ws: b2bcx.Workspace, files: dict[str, bytes], allow_rejects: bool) -> None:
    _run(ws, files, allow_rejects)


@FUZZ
@given(files=parquet_inputs(), allow_rejects=st.booleans())
def test_fuzz_parquet(ws: b2bcx.Workspace, files: dict[str, bytes], allow_rejects: bool) -> None:
    _run(ws, files, allow_rejects)


@FUZZ
@given(data=zip_inputs(), allow_rejects=st.booleans())
def test_fuzz_zip(ws: b2bcx.Workspace, data: bytes, allow_rejects: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.zip"
        path.write_bytes(data)
        check_import(ws, path, allow_rejects)
