"""The engine's CSV path (issue 22 item 1): a plain bundle's CSV files read by DuckDB's
``read_csv`` with every check in one SQL pass, the Arrow reader and ``check_batch``
only where that pass is unsure. Whatever the input, the result must be exactly the
Arrow path's: the same workspace rows, counts, rejects (file, row, column, reason)
and errors. Each example imports with the engine path on and off and compares.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fault_inputs import BASE, write_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import b2bcx
from b2bcx import ImportOptions
from b2bcx.bundle import checks, loader
from b2bcx.errors import B2bcxError
from b2bcx.model.tables import TABLES
from b2bcx.storage import staging

#: Values that sit on the edge of what the SQL checks accept.
EDGE = [
    "",
    " ",
    "\u00a0",
    "\t",
    " x",
    "x ",
    "7",
    "7.0",
    "7.5",
    "+3",
    "-0",
    ".5",
    "5.",
    "1e3",
    "1_000",
    "0x10",
    "11",
    "1e400",
    "9007199254740993",
    "2024-03-05",
    "2024-3-5",
    "2024-02-30",
    "2024-02-29",
    "1899-12-31",
    "9999-12-31",
    "2024-03-05T14:30:00Z",
    "2024-03-05T14:30:00",
    "2024-03-05T14:30:00.123456Z",
    "2024-03-05T14:30:00.1234567Z",
    "2024-03-05T24:00:00Z",
    "2024-03-05T14:30:60Z",
    "2024-03-05T14:30:00+02:00",
    "2024-03-05 14:30:00",
    "true",
    "TRUE",
    "Yes",
    "0",
    "maybe",
    "se",
    "SE",
    " SE",
    "XX",
    "survey",
    "Survey",
    "partner",
    "supplier",
    "T1",
    "T9",
    "S1",
    "S9",
    "A1",
    "A9",
    "P1",
    "Ærø",
    '"quoted, with comma"',
    "multi\nline",
    "=cmd",
]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _snapshot(path: Path, engine: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Import ``path`` into a fresh workspace holding BASE; everything observable."""
    monkeypatch.setattr(loader, "ENGINE_CSV", engine)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = write_bundle(Path(tmp) / "base")
        with b2bcx.open_workspace(":memory:") as ws:
            ws.import_bundle(base)
            options = ImportOptions(allow_rejects=True, rejects_path=Path(tmp) / "r.csv")
            try:
                result = ws.import_bundle(path, options)
            except B2bcxError as exc:
                out["error"] = (type(exc).__name__, str(exc))
            else:
                out["tables"] = {k: v for k, v in result.tables.items()}
                out["n_rejected"] = result.n_rejected
                out["warnings"] = result.warnings
                rejects = Path(tmp) / "r.csv"
                out["rejects"] = rejects.read_text() if rejects.exists() else ""
            for name in TABLES:
                data = ws.backend.table(name).to_pyarrow().drop_columns(["_batch_id"])
                out[name] = sorted(map(repr, data.to_pylist()))
    return out


@st.composite
def edited_bundles(draw: st.DrawFn) -> dict[str, bytes]:
    """BASE with a few cells of one or two tables set to edge values (rows added too)."""
    files: dict[str, bytes] = {}
    for table in draw(st.lists(st.sampled_from(sorted(BASE)), min_size=1, max_size=2)):
        rows = _cells(BASE[table])
        if draw(st.booleans()):  # a copy of a row with another key: more rows to edit
            copy = list(rows[1])
            copy[0] = copy[0] + "x"
            rows.append(copy)
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(1, len(rows) - 1))
            j = draw(st.integers(0, len(rows[0]) - 1))
            rows[i][j] = draw(st.sampled_from(EDGE))
        files[f"{table}.csv"] = _csv(rows)
    return files


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files=edited_bundles())
def test_engine_path_imports_exactly_what_the_arrow_path_does(
    files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b"
        bundle.mkdir()
        for name, data in files.items():
            (bundle / name).write_bytes(data)
        assert _snapshot(bundle, True, monkeypatch) == _snapshot(bundle, False, monkeypatch)


def _clean_bundle(folder: Path) -> Path:
    """BASE without the cells the SQL checks leave to the validation (an offset)."""
    fixed = BASE["interactions"].replace("2024-03-06 10:00:00+02:00", "2024-03-06T08:00:00Z")
    return write_bundle(folder, {"interactions.csv": fixed.encode()})


def test_a_plain_bundle_is_staged_by_the_engine_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[str] = []
    real = loader.check_batch

    def spy(batch: Any, spec: Any, *args: Any, **kwargs: Any) -> Any:
        validated.append(spec.name)
        return real(batch, spec, *args, **kwargs)

    monkeypatch.setattr(loader, "check_batch", spy)
    with b2bcx.open_workspace(":memory:") as ws:
        result = ws.import_bundle(_clean_bundle(tmp_path / "b"))
        assert validated == []
        assert result.tables["interactions"].inserted == 5
        rows = ws.backend.table("interactions").order_by("interaction_id").to_pyarrow()
    assert rows.column("comment").to_pylist()[0] == 'Technician was great, "fast"'
    assert rows.column("comment").to_pylist()[3] == "multi\nline"
    assert rows.column("nps").to_pylist() == [9, None, None, 10, 6]
    assert str(rows.column("occurred_at")[1].as_py()) == "2024-03-06 08:00:00"


def test_an_unsure_value_sends_only_its_file_to_the_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[str] = []
    real = loader.check_batch

    def spy(batch: Any, spec: Any, *args: Any, **kwargs: Any) -> Any:
        validated.append(spec.name)
        return real(batch, spec, *args, **kwargs)

    monkeypatch.setattr(loader, "check_batch", spy)
    with b2bcx.open_workspace(":memory:") as ws:
        ws.import_bundle(write_bundle(tmp_path / "b"))  # BASE: one timestamp with an offset
    assert validated == ["interactions"]


def test_rows_after_multiline_values_and_blank_lines_keep_their_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duplicate key found after staging names the spreadsheet row, as the Arrow
    reader numbers it (header row 1; a quoted line break stays in its row; blank
    lines are skipped)."""
    text = (
        "interaction_id,stakeholder_id,occurred_at,comment\n"
        'I1,S1,2024-03-05T14:30:00Z,"two\nlines"\n'
        "\n"
        "I2,S1,2024-03-05T14:30:00Z,\n"
        "I1,S2,2024-03-06T14:30:00Z,again\n"
    )
    bundle = write_bundle(tmp_path / "b", {"interactions.csv": text.encode()})
    reasons = []
    for engine in (True, False):
        snap = _snapshot(bundle, engine, monkeypatch)
        reasons.append(snap["rejects"])
        assert snap["tables"]["interactions"].rejected == 1
    assert "interactions.csv row 4, column interaction_id: duplicate key 'I1'" in reasons[0]
    assert reasons[0] == reasons[1]


@pytest.mark.parametrize(
    ("kind_value", "ok"),
    [("2024-03-05T14:30:00Z", True), ("2024-03-05T14:30:00+02:00", False), ("7", True)],
)
def test_plain_rules_follow_the_validation(kind_value: str, ok: bool) -> None:
    """The SQL's limits are the validation's own constants."""
    rules = loader.plain_rules()
    assert rules.max_number == checks.MAX_NUMBER
    assert rules.true_words == checks.TRUE_WORDS
    assert "SE" in rules.countries
    assert staging.plain_csv_supported(TABLES["interactions"])
    assert not staging.plain_csv_supported(TABLES["activities"])  # lists: the validation
    import re

    pattern = staging._PLAIN_TIMESTAMP if "T" in kind_value else staging._PLAIN_NUMBER
    assert bool(re.fullmatch(pattern, kind_value)) is ok
