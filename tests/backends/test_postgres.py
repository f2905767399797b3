"""PostgreSQL: imports with the same semantics as DuckDB, and safe concurrent writers."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pgcluster import PgCluster

import b2bcx
from b2bcx import ImportOptions
from b2bcx.errors import DataRejected, WorkspaceError
from b2bcx.model.tables import TABLES
from b2bcx.storage import connect
from b2bcx.storage.postgres import redact_url

sys.path.insert(0, str(Path(__file__).parents[1] / "bundle"))
from load_bundles import BASE, add_rows, write_bundle

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

_COUNTER = iter(range(1_000_000))


def _fresh(cluster: PgCluster) -> str:
    return cluster.create_database(f"t{next(_COUNTER)}")


def _rows(ws: b2bcx.Workspace, table: str) -> list[dict[str, Any]]:
    """Every row of a table without its batch id, in a stable order."""
    t = ws.table(table)
    t = t.drop("_batch_id" if "_batch_id" in t.columns else "batch_id")
    rows = ws.backend.to_arrow(t).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _replay(ws: b2bcx.Workspace, tmp: Path) -> list[Any]:
    """A sequence of imports exercising every merge path; returns what each did."""
    out: list[Any] = []
    out.append(ws.import_bundle(write_bundle(tmp / "base")).tables)
    out.append(ws.import_bundle(write_bundle(tmp / "base")).tables)  # re-run: unchanged
    moved = BASE["touchpoints"].replace(
        "T1,Service visit,operations,human,partner,P1,",
        "T1,Service visit,operations,human,supplier,,",
    )
    retyped = BASE["accounts"].replace(
        "A2,Bolt Mining,DE,5000,transactional,relational",
        "A2,Bolt Mining,DE,7000,relational,relational",
    )
    out.append(
        ws.import_bundle(
            write_bundle(tmp / "changed", touchpoints=moved, accounts=retyped),
            ImportOptions(effective_date=dt.date(2025, 2, 1)),
        ).tables
    )
    dangling = add_rows("interactions", "I9,S404,2024-05-01,T1,survey,true,5,,")
    with pytest.raises(DataRejected):
        ws.import_bundle(
            write_bundle(tmp / "bad", interactions=dangling),
            ImportOptions(rejects_path=tmp / "bad.rejects.csv"),
        )
    out.append(
        ws.import_bundle(
            write_bundle(tmp / "bad", interactions=dangling),
            ImportOptions(allow_rejects=True, rejects_path=tmp / "bad2.rejects.csv"),
        ).tables
    )
    return out


def test_imports_merge_exactly_as_on_duckdb(pg_cluster: PgCluster, tmp_path: Path) -> None:
    """The same imports (new, re-run, versioned change, rejected, partial) leave the
    same tables on PostgreSQL as on DuckDB, with the same counts reported."""
    duck = b2bcx.open_workspace(":memory:")
    pg = b2bcx.open_workspace(_fresh(pg_cluster))
    assert _replay(pg, tmp_path / "pg") == _replay(duck, tmp_path / "duck")
    for table in [*TABLES, "import_rejects"]:
        assert _rows(pg, table) == _rows(duck, table), table
    statuses = pg.table("import_batches").status.value_counts().to_pandas()
    assert dict(zip(statuses.status, statuses.status_count, strict=True)) == {
        "committed": 4,
        "rejected": 1,
    }
    relationships = _rows(pg, "relationships")
    # A2 became relational on 2 Feb 2025; the last bundle (BASE again) made it
    # transactional from today; its first type is the base version
    assert sorted((r["valid_from"] or dt.date.min, r["relationship_intended"])
                  for r in relationships) == [
        (dt.date.min, "transactional"),
        (dt.date(2025, 2, 1), "relational"),
        (dt.date.today(), "transactional"),
    ]  # fmt: skip


def test_export_then_import_gives_the_same_workspace(pg_cluster: PgCluster, world: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    pg = b2bcx.open_workspace(_fresh(pg_cluster))
    pg.import_bundle(world)
    pg.export_bundle(tmp_path / "out.zip")
    back = b2bcx.open_workspace(":memory:")
    back.import_bundle(tmp_path / "out.zip")
    assert back.info().counts == pg.info().counts
    for table in ("interactions", "touchpoints", "goals"):
        assert _rows(back, table) == _rows(pg, table), table


def test_transaction_rolls_back_everything(pg_cluster: PgCluster) -> None:
    backend = b2bcx.open_workspace(_fresh(pg_cluster)).backend
    with pytest.raises(RuntimeError), backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
        with backend.transaction():  # nested: joins the outer transaction
            backend.append("accounts", pa.table({"account_id": ["A2"]}))
        raise RuntimeError("boom")
    assert backend.table("accounts").count().execute() == 0
    with backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
    assert backend.table("accounts").count().execute() == 1


def test_append_copies_every_type(pg_cluster: PgCluster) -> None:
    """COPY carries text with quotes and newlines, lists, dates, timestamps, NULLs."""
    ws = b2bcx.open_workspace(_fresh(pg_cluster))
    activities = pa.table(
        {
            "activity_id": ["J1", "J2", "J3"],
            "touchpoint_ids": [["T1", 'he said "x"', "a,b"], None, []],
        }
    )
    ws.backend.append("activities", activities)
    got = ws.backend.to_arrow(ws.table("activities").order_by("activity_id")).to_pylist()
    assert [r["touchpoint_ids"] for r in got] == [["T1", 'he said "x"', "a,b"], None, []]
    when = dt.datetime(2024, 3, 5, 14, 30, 0, 123456)
    comment = 'line one\nline "two", end'
    ws.backend.append(
        "interactions",
        pa.table({"interaction_id": ["I1", "I2"], "stakeholder_id": ["S1", "S1"],
                  "occurred_at": [when, when], "comment": [comment, ""],
                  "cx": pa.array([7.5, None], pa.float64())}),
    )  # fmt: skip
    rows = ws.backend.to_arrow(ws.table("interactions").order_by("interaction_id")).to_pylist()
    assert [(r["occurred_at"], r["comment"], r["cx"]) for r in rows] == [
        (when, comment, 7.5),
        (when, "", None),  # an empty string stays empty, a missing value stays NULL
    ]


def test_url_never_shows_the_password(pg_cluster: PgCluster) -> None:
    assert redact_url("postgresql://u:s3cret@h:1/d") == "postgresql://u:***@h:1/d"
    url = pg_cluster.url("postgres").replace("b2bcx@", "b2bcx:s3cret@")
    backend = connect(url)  # trust auth ignores the password
    assert "s3cret" not in backend.url
    backend.close()
    with pytest.raises(WorkspaceError) as caught:
        connect(f"postgresql://u:s3cret@127.0.0.1:{pg_cluster.port}/no_such_db")
    assert "s3cret" not in str(caught.value)
    assert "no_such_db" in str(caught.value)


# -- concurrent writers --------------------------------------------------------

N_WRITERS = 4
OWN_ROWS = 1500  # interactions only one writer has
SHARED_ROWS = 400  # identical interactions every writer imports

_WRITER = """
import json, sys, time
from pathlib import Path
import b2bcx
url, bundle, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.01)
ws = b2bcx.open_workspace(url)       # concurrent first opens: migrations too
result = ws.import_bundle(bundle)
print(json.dumps({t: [c.inserted, c.updated, c.unchanged] for t, c in result.tables.items()}))
"""

_READER = """
import json, sys, time
from pathlib import Path
import b2bcx
url, go, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
while not go.exists():
    time.sleep(0.01)
seen = []
while not stop.exists():
    try:
        ws = b2bcx.open_workspace(url)
        break
    except Exception:
        time.sleep(0.05)
while not stop.exists():
    t = ws.table("interactions")
    agg = t.aggregate(n=t.count(), ids=t.interaction_id.nunique())
    row = ws.backend.to_arrow(agg).to_pylist()[0]
    seen.append([row["n"], row["ids"]])
    time.sleep(0.02)
print(json.dumps(seen))
"""


def _writer_bundle(folder: Path, k: int) -> Path:
    """Writer ``k``'s bundle: the shared accounts and people, shared rows, own rows."""
    lines = [
        f"SH{i},S{1 + i % 3},2024-01-{1 + i % 28:02d}T08:00:00Z,T1,survey,true,{i % 11},,"
        for i in range(SHARED_ROWS)
    ]
    lines += [
        f"W{k}-{i},S{1 + (i + k) % 3},2024-02-{1 + i % 28:02d}T09:{k:02d}:00Z,T2,survey,true,"
        f"{(i + k) % 11},{(i * k) % 11},"
        for i in range(OWN_ROWS)
    ]
    return write_bundle(folder, interactions=add_rows("interactions", *lines))


def test_concurrent_writers_lose_and_duplicate_nothing(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """Several processes open a fresh database and import overlapping bundles at the
    same moment while another reads: every row lands exactly once, the counts each
    import reports add up, and a reader never sees a duplicate or a count go back."""
    url = _fresh(pg_cluster)
    go, stop = tmp_path / "go", tmp_path / "stop"
    bundles = [_writer_bundle(tmp_path / f"w{k}", k) for k in range(N_WRITERS)]
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, url, str(go), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, str(b), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in bundles
    ]
    time.sleep(2.0)  # let every child import b2bcx and wait at the start line
    go.touch()
    outputs = []
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-3000:]
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    stop.touch()
    seen = json.loads(reader.communicate(timeout=60)[0].strip().splitlines()[-1])

    ws = b2bcx.open_workspace(url)
    t = ws.table("interactions")
    n, distinct = (
        ws.backend.to_arrow(t.aggregate(n=t.count(), ids=t.interaction_id.nunique()))
        .to_pylist()[0]
        .values()
    )
    base_rows = BASE["interactions"].count("\n") - 1
    expected = base_rows + SHARED_ROWS + N_WRITERS * OWN_ROWS
    assert (n, distinct) == (expected, expected)
    inserted = sum(o["interactions"][0] for o in outputs)
    unchanged = sum(o["interactions"][2] for o in outputs)
    assert inserted == expected  # each row inserted by exactly one writer
    assert unchanged == (N_WRITERS - 1) * (base_rows + SHARED_ROWS)  # the others saw it
    assert sum(o["accounts"][0] for o in outputs) == 2
    assert ws.table("accounts").count().execute() == 2
    assert ws.backend.get_meta("schema_version") is not None
    meta = ws.backend.to_arrow(ws.table("b2bcx_meta")).column("key").to_pylist()
    # one row per fact (schema version, spec fingerprint), not one per opener
    assert sorted(meta) == ["schema_version", "spec_columns"]
    batches = ws.table("import_batches")
    assert batches.filter(batches.status == "committed").count().execute() == N_WRITERS
    # the reader: never a duplicate id, never a count going back, and it saw work happen
    assert all(rows == ids for rows, ids in seen)
    counts = [rows for rows, _ in seen]
    assert counts == sorted(counts)
    assert counts and counts[-1] in (0, *range(base_rows + SHARED_ROWS, expected + 1))
