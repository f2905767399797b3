"""A first import loads a plain bundle straight into its empty tables (issue 22 item 1).

When every table of a plain bundle is still empty in the workspace, its plain CSV
files are read by DuckDB's ``read_csv`` and inserted into the workspace tables in
one checked SQL statement each, with the keys, references and loops checked on the
tables afterwards, all in one transaction. Anything it is unsure of (a value, a
repeated key, a dangling reference, a loop, a table with rows) rolls it back and
the staging path imports the bundle. Whatever the input, the result must be exactly
the staging path's: rows, counts, rejects, errors, the import log.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from fault_inputs import BASE, write_bundle
from hypothesis import HealthCheck, given, settings
from test_engine_csv import edited_bundles

import b2bcx
from b2bcx import ImportOptions
from b2bcx.bundle import loader
from b2bcx.errors import B2bcxError
from b2bcx.model.tables import TABLES
from b2bcx.storage import staging


def _snapshot(
    bundle: Path, direct: bool, monkeypatch: pytest.MonkeyPatch, *, allow: bool = True
) -> dict[str, Any]:
    """Import ``bundle`` into a new, empty workspace; everything observable."""
    monkeypatch.setattr(loader, "DIRECT_LOAD", direct)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, b2bcx.open_workspace(":memory:") as ws:
        options = ImportOptions(allow_rejects=allow, rejects_path=Path(tmp) / "r.csv")
        try:
            result = ws.import_bundle(bundle, options)
        except B2bcxError as exc:
            out["error"] = (type(exc).__name__, str(exc).replace(tmp, "<tmp>"))
        else:
            out["tables"] = dict(result.tables)
            out["n_rejected"] = result.n_rejected
            out["warnings"] = result.warnings
        rejects = Path(tmp) / "r.csv"
        out["rejects"] = rejects.read_text() if rejects.exists() else ""
        for name in TABLES:
            data = ws.backend.table(name).to_pyarrow().drop_columns(["_batch_id"])
            out[name] = sorted(map(repr, data.to_pylist()))
        for name in ("import_batches", "import_rejects"):
            data = ws.backend.table(name).to_pyarrow()
            keep = [
                c
                for c in data.column_names
                if c not in ("batch_id", "started_at", "finished_at", "options")
            ]
            out[name] = sorted(map(repr, data.select(keep).to_pylist()))
    return out


def _plain(folder: Path, extra: dict[str, bytes] | None = None) -> Path:
    """BASE without the one value the SQL checks leave to the validation (an offset)."""
    fixed = BASE["interactions"].replace("2024-03-06 10:00:00+02:00", "2024-03-06T08:00:00Z")
    return write_bundle(folder, {"interactions.csv": fixed.encode(), **(extra or {})})


class _Spy:
    """Counts the direct loads and the staging tables made during an import."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loaded: list[str] = []
        self.staged: list[str] = []
        real_load, real_create = staging.load_plain_csv, staging.stage_plain_csv
        real_stage = staging.create_stage

        def load(backend: Any, spec: Any, *args: Any, **kwargs: Any) -> Any:
            self.loaded.append(spec.name)
            return real_load(backend, spec, *args, **kwargs)

        def stage_csv(backend: Any, spec: Any, *args: Any, **kwargs: Any) -> Any:
            self.staged.append(spec.name)
            return real_create(backend, spec, *args, **kwargs)

        def stage(backend: Any, spec: Any) -> None:
            self.staged.append(spec.name)
            real_stage(backend, spec)

        monkeypatch.setattr(staging, "load_plain_csv", load)
        monkeypatch.setattr(staging, "stage_plain_csv", stage_csv)
        monkeypatch.setattr(staging, "create_stage", stage)


def test_a_first_plain_import_stages_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch)
    with b2bcx.open_workspace(":memory:") as ws:
        result = ws.import_bundle(_plain(tmp_path / "b"))
        assert sorted(spy.loaded) == sorted(BASE)
        assert spy.staged == []
        assert result.tables["interactions"].inserted == 5
        assert result.tables["accounts"].read == 3
        rows = ws.backend.table("interactions").order_by("interaction_id").to_pyarrow()
        assert rows.column("nps").to_pylist() == [9, None, None, 10, 6]
        assert str(rows.column("occurred_at")[1].as_py()) == "2024-03-06 08:00:00"
        assert set(rows.column("_batch_id").to_pylist()) == {result.batch_id}
        # a second import of the same bundle finds rows: the staging path, nothing changes
        spy.loaded.clear()
        again = ws.import_bundle(_plain(tmp_path / "b"))
        assert spy.loaded == []
        assert again.tables["interactions"].unchanged == 5
        assert again.tables["interactions"].inserted == 0


def test_a_file_that_is_not_plain_is_staged_beside_the_loaded_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file with an extra column (kept in attributes) goes through the validation;
    the other files are loaded, and the result is the staging path's."""
    lines = BASE["interactions"].replace("+02:00", "").split("\n")
    text = "\n".join([lines[0] + ",region", *(f"{x},north" for x in lines[1:] if x)]) + "\n"
    bundle = _plain(tmp_path / "b", {"interactions.csv": text.encode()})
    spy = _Spy(monkeypatch)
    direct = _snapshot(bundle, True, monkeypatch)
    assert "interactions" not in spy.loaded
    assert "accounts" in spy.loaded
    assert spy.staged == ["interactions"]
    assert direct["tables"]["interactions"].inserted == 5
    assert direct == _snapshot(bundle, False, monkeypatch)


@pytest.mark.parametrize(
    ("table", "text", "allow"),
    [
        # a repeated key
        ("partners", "partner_id,name,kind\nP1,A,service_provider\nP1,B,service_provider\n", True),
        ("partners", "partner_id,name,kind\nP1,A,service_provider\nP1,B,service_provider\n", False),
        # a reference to nothing
        ("stakeholders", BASE["stakeholders"] + "S9,A9,production,manager,usage,,\n", True),
        ("stakeholders", BASE["stakeholders"] + "S9,A9,production,manager,usage,,\n", False),
        # a parent loop
        (
            "accounts",
            "account_id,name,country,parent_account_id\nA1,a,SE,A3\nA2,b,DE,A1\nA3,c,NO,A2\n",
            True,
        ),
        # a value the SQL checks leave to the validation, and a bad one
        ("accounts", BASE["accounts"].replace("120000", "1e5"), True),
        ("accounts", BASE["accounts"].replace("120000", "lots"), False),
        # a file the engine cannot read
        ("partners", 'partner_id,name,kind\nP1,"open,service_provider\n', False),
    ],
)
def test_anything_unsure_rolls_back_to_the_staging_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, text: str, allow: bool
) -> None:
    bundle = _plain(tmp_path / "b", {f"{table}.csv": text.encode()})
    spy = _Spy(monkeypatch)
    direct = _snapshot(bundle, True, monkeypatch, allow=allow)
    assert spy.loaded, "the direct load was tried"
    assert spy.staged, "and the staging path imported the bundle"
    assert direct == _snapshot(bundle, False, monkeypatch, allow=allow)
    assert ("error" in direct) is not allow or direct["n_rejected"] > 0


def test_a_workspace_with_rows_in_any_bundle_table_takes_the_staging_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with b2bcx.open_workspace(":memory:") as ws:
        ws.import_bundle(write_bundle(tmp_path / "a", {}), ImportOptions())
        spy = _Spy(monkeypatch)
        extra = "partner_id,name,kind\nP1,NordService,service_provider\nP2,X,service_provider\n"
        result = ws.import_bundle(_plain(tmp_path / "b", {"partners.csv": extra.encode()}))
    assert spy.loaded == []
    assert result.tables["partners"].inserted == 1
    assert result.tables["partners"].unchanged == 1


def test_a_demo_world_loads_exactly_as_it_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.demo import generate_world

    bundle = tmp_path / "world"
    generate_world(bundle, size=3000, seed=5)
    spy = _Spy(monkeypatch)
    direct = _snapshot(bundle, True, monkeypatch)
    assert "interactions" in spy.loaded and "interactions" not in spy.staged
    assert direct["tables"]["interactions"].inserted > 2000
    assert direct == _snapshot(bundle, False, monkeypatch)


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files=edited_bundles())
def test_a_first_import_is_exactly_the_staging_paths(
    files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle = _plain(Path(tmp) / "b", files)
        assert _snapshot(bundle, True, monkeypatch) == _snapshot(bundle, False, monkeypatch)


def test_inside_an_open_transaction_the_staging_path_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A direct load rolls back by itself when unsure, so it needs its own transaction."""
    spy = _Spy(monkeypatch)
    with b2bcx.open_workspace(":memory:") as ws:
        with ws.backend.transaction():
            result = ws.import_bundle(_plain(tmp_path / "b"))
        assert staging.in_transaction(ws.backend) is False
    assert spy.loaded == []
    assert "interactions" in spy.staged
    assert result.tables["interactions"].inserted == 5
