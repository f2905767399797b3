"""Engine errors are mapped where they enter: plain messages, the fix, the cause kept."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis.expr.datatypes as dt
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.errors import (
    ConfigurationError,
    EngineError,
    NotFound,
    SchemaMismatchError,
    WorkspaceError,
    WorkspaceLocked,
    WorkspaceReadOnly,
)
from b2bcx.model.tables import TABLES, Column, Kind
from b2bcx.storage import connect, engine_errors, migrate
from b2bcx.storage.engine_errors import lock_error, map_engine_errors, process_command, translate


# -- translate: which errors, which subclass ----------------------------------
def test_errors_that_are_not_the_engines_pass_unchanged() -> None:
    assert translate(ValueError("a bug"), url="w") is None
    assert translate(NotFound("mine"), url="w") is None
    with pytest.raises(KeyError), map_engine_errors(url="w"):
        raise KeyError("x")


def test_a_missing_column_is_a_schema_mismatch_with_the_fix() -> None:
    backend = connect(":memory:")
    migrate(backend)
    with pytest.raises(SchemaMismatchError) as caught:
        backend.execute("SELECT region FROM accounts")
    message = str(caught.value)
    assert "'region'" in message and "read-write" in message
    assert isinstance(caught.value.__cause__, duckdb.BinderException)


def test_a_missing_table_is_a_schema_mismatch() -> None:
    backend = connect(":memory:")
    with pytest.raises(SchemaMismatchError, match="'nowhere'"):
        backend.fetch_dicts("SELECT * FROM nowhere")


def test_other_engine_errors_keep_the_engines_words() -> None:
    backend = connect(":memory:")
    with pytest.raises(EngineError, match="DuckDB failed on the workspace :memory:: Parser"):
        backend.execute("SELEC 1")


def test_a_closed_workspace_says_so() -> None:
    backend = connect(":memory:")
    backend.close()
    with pytest.raises(EngineError, match="is closed; open it again"):
        backend.execute("SELECT 1")


def test_ibis_queries_are_mapped_too() -> None:
    backend = connect(":memory:")
    migrate(backend)
    expr = backend.table("accounts")
    backend.execute("ALTER TABLE accounts DROP COLUMN segment")
    with pytest.raises(SchemaMismatchError, match="segment"):
        backend.to_arrow(expr.select("segment"))


def test_an_analysis_running_its_own_expression_is_mapped() -> None:
    # measures and diagnosis call expr.execute() / expr.to_pyarrow(), not the seam
    backend = connect(":memory:")
    migrate(backend)
    expr = backend.table("accounts").select("segment")
    backend.execute("ALTER TABLE accounts DROP COLUMN segment")
    with pytest.raises(SchemaMismatchError, match="segment"):
        expr.execute()
    with pytest.raises(SchemaMismatchError, match="segment"):
        expr.to_pyarrow()
    assert backend.table("accounts").count().execute() == 0  # queries still work


def test_engine_errors_in_a_transaction_leave_it_mapped_after_the_rollback() -> None:
    backend = connect(":memory:")
    migrate(backend)
    with pytest.raises(SchemaMismatchError), backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
        backend.con.con.execute("SELECT nope FROM accounts")  # raw, inside the block
    assert backend.execute("SELECT count(*) FROM accounts") == [(0,)]


def test_postgres_and_spark_errors_are_recognised_by_their_module() -> None:
    def fake(module: str, name: str, text: str) -> Exception:
        cls = type(name, (Exception,), {"__module__": module})
        return cls(text)

    down = fake("psycopg", "OperationalError", "connection to server failed")
    assert type(translate(down, url="pg")).__name__ == "EngineUnavailable"
    missing = fake("psycopg.errors", "UndefinedColumn", 'column "region" does not exist')
    assert isinstance(translate(missing, url="pg"), SchemaMismatchError)
    spark = fake("pyspark.errors", "AnalysisException", "[UNRESOLVED_COLUMN] `region` ...")
    assert "'region'" in str(translate(spark, url="spark://x"))
    assert isinstance(translate(fake("pyspark.sql", "Boom", "x"), url="s"), EngineError)


# -- locks -------------------------------------------------------------------------
_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("ready", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def workspace_file(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    b2bcx.open_workspace(path).close()
    return path


def _hold(path: Path, mode: str, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), mode, *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture
def writer(workspace_file: Path) -> Iterator[subprocess.Popen[str]]:
    proc = _hold(workspace_file, "rw", "b2bcx", "serve")  # looks like a running server
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def reader(workspace_file: Path) -> Iterator[subprocess.Popen[str]]:
    proc = _hold(workspace_file, "ro")
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_writing_process_is_named_with_what_to_do(
    workspace_file: Path, writer: subprocess.Popen[str], read_only: bool
) -> None:
    # DuckDB refuses even a read-only open while another process writes
    with pytest.raises(WorkspaceLocked) as caught:
        b2bcx.open_workspace(workspace_file, read_only=read_only)
    err = caught.value
    assert err.pid == writer.pid
    assert err.command is not None and "b2bcx serve" in err.command
    message = str(err)
    assert f"process {writer.pid}" in message
    assert "for writing" in message and "not even read-only" in message
    assert "use its API or dashboard" in message


def test_a_reading_process_allows_readers_and_says_so_to_writers(
    workspace_file: Path, reader: subprocess.Popen[str]
) -> None:
    with pytest.raises(WorkspaceLocked) as caught:
        b2bcx.open_workspace(workspace_file)
    assert caught.value.pid == reader.pid
    assert "has it open read-only" in str(caught.value)
    assert "read-only as well" in str(caught.value)
    with b2bcx.open_workspace(workspace_file, read_only=True) as ws:  # readers share
        assert ws.info().counts["accounts"] == 0


def test_a_holder_out_of_sight_is_still_named_by_pid(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engine_errors, "PROC", tmp_path)  # no /proc entry for it
    text = (
        'IO Error: Could not set lock on file "/x/w.duckdb": Conflicting lock is held in '
        "/usr/bin/python3 (PID 4242). See also https://duckdb.org/docs/stable/connect/concurrency"
    )
    err = lock_error(duckdb.IOException(text), url="/x/w.duckdb", read_only=False)
    assert err.pid == 4242 and err.command is None
    assert "process 4242 (/usr/bin/python3) [not visible here" in str(err)
    assert "Stop that process" in str(err)


def test_process_command_reads_proc() -> None:
    command = process_command(os.getpid())
    assert command is not None and "python" in command
    assert process_command(2**22 + 12345) is None


# -- read-only -----------------------------------------------------------------------
def test_read_only_reads_and_refuses_writes(workspace_file: Path, tmp_path: Path) -> None:
    with b2bcx.open_workspace(workspace_file, read_only=True) as ws:
        assert ws.backend.is_read_only
        assert ws.info().counts["interactions"] == 0
        with pytest.raises(WorkspaceReadOnly, match="open it without read-only"):
            ws.backend.append("accounts", pa.table({"account_id": ["A1"]}))
        with pytest.raises(WorkspaceReadOnly):
            ws.backend.add_column("accounts", "region", dt.string)


def test_read_only_needs_an_existing_current_workspace(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not create it"):
        b2bcx.open_workspace(tmp_path / "none.duckdb", read_only=True)
    with pytest.raises(ConfigurationError, match="in-memory"):
        b2bcx.open_workspace(":memory:", read_only=True)
    old = connect(tmp_path / "old.duckdb")
    migrate(old, target=2)
    old.close()
    with pytest.raises(SchemaMismatchError, match=r"schema version 2.*open it once read-write"):
        b2bcx.open_workspace(tmp_path / "old.duckdb", read_only=True)
    b2bcx.open_workspace(tmp_path / "old.duckdb").close()  # read-write once migrates it
    b2bcx.open_workspace(tmp_path / "old.duckdb", read_only=True).close()


def test_read_only_refuses_a_workspace_missing_spec_columns(
    workspace_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = TABLES["stakeholders"]
    extra = Column("tenure", Kind.INTEGER)
    monkeypatch.setitem(
        TABLES, "stakeholders", dataclasses.replace(spec, columns=(*spec.columns, extra))
    )
    with pytest.raises(SchemaMismatchError, match=r"stakeholders\.tenure"):
        b2bcx.open_workspace(workspace_file, read_only=True)


def test_same_file_twice_in_one_process_with_other_settings(workspace_file: Path) -> None:
    with b2bcx.open_workspace(workspace_file), pytest.raises(WorkspaceError, match="close the"):
        connect(workspace_file, read_only=True)


@pytest.mark.parametrize(
    ("cmdline", "server"),
    [
        ("/v/bin/python\0/v/bin/b2bcx\0serve\0-w\0w.duckdb\0", True),
        ("/v/bin/b2bcx\0demo\0-w\0w.duckdb\0", True),  # the demo ends by serving
        ("/v/bin/b2bcx\0demo\0--no-serve\0-w\0w.duckdb\0", False),
        ("/v/bin/b2bcx\0import\0reserved.zip\0", False),
    ],
)
def test_only_a_serving_process_is_called_a_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cmdline: str, server: bool
) -> None:
    monkeypatch.setattr(engine_errors, "PROC", tmp_path)
    (tmp_path / "4243").mkdir()
    (tmp_path / "4243" / "cmdline").write_bytes(cmdline.encode())
    text = (
        'IO Error: Could not set lock on file "/x/w.duckdb": Conflicting lock is held in '
        "/v/bin/python (PID 4243). See also https://duckdb.org/docs/stable/connect/concurrency"
    )
    err = lock_error(duckdb.IOException(text), url="/x/w.duckdb", read_only=False)
    assert ("It is a b2bcx server" in str(err)) is server
