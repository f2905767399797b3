"""kill -9 at random points of ``b2bcx import`` (issue 21, item 6).

A subprocess runs ``b2bcx import`` of an update (every rating changed) into a
populated workspace and is killed with SIGKILL after a random delay, from its
start-up to the open merge transaction. After every kill:

- the data is identical to before the import or to after it (the review's
  fingerprint: per table the row count and a hash of the sorted rows);
- the workspace opens;
- a re-run of the import succeeds and gives the after state.

On DuckDB (a file) and on PostgreSQL (a throwaway cluster; each run starts from
a ``CREATE DATABASE … TEMPLATE`` copy of the populated database).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from fault_inputs import fingerprint

import b2bcx

pytestmark = pytest.mark.slow

WORLD_SIZE = 4000
KILLS = {"duckdb": 4, "postgres": 3}
CLI = str(Path(sys.executable).parent / "b2bcx")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo world, and the same world with every rating of every interaction changed."""
    from b2bcx.demo import generate_world

    root = tmp_path_factory.mktemp("kill")
    world = root / "world"
    generate_world(world, size=WORLD_SIZE, seed=5)
    update = root / "update"
    shutil.copytree(world, update)
    path = update / "interactions.csv"
    text = {n: pa.string() for n in pacsv.read_csv(path).column_names}
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=True)
    )
    for name in ("cx", "nps", "csat", "ces"):
        if name in table.column_names:
            col = table.column(name)
            scale = {"cx": 10, "nps": 10, "csat": 6, "ces": 8}[name]  # x -> low+high-x
            value = pc.cast(col, pa.float64())
            flipped = pc.subtract(pa.scalar(float(scale)), value)
            if name == "nps":
                flipped = pc.cast(flipped, pa.int64())
            table = table.set_column(
                table.schema.get_field_index(name), name, pc.cast(flipped, pa.string())
            )
    pacsv.write_csv(table, path)
    return world, update


def _cli_import(update: Path, workspace: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CLI, "import", str(update), "-w", workspace],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _state(url: str) -> dict[str, tuple[int, str]]:
    ws = b2bcx.open_workspace(url)  # the workspace opens after the kill
    try:
        return fingerprint(ws)
    finally:
        ws.close()


def _kill_runs(
    engine: str,
    update: Path,
    fresh: Callable[[str], str],
    before: dict[str, Any],
) -> list[str]:
    """Import into a fresh copy and measure; then kill at random points. Returns
    what each run found: 'before', 'after' or 'finished'."""
    after_url = fresh("after")
    started = time.monotonic()
    assert _cli_import(update, after_url).wait(timeout=300) == 0
    took = time.monotonic() - started
    after = _state(after_url)
    assert after != before  # the update changes the data
    rng = random.Random(21)
    seen = []
    for i in range(KILLS[engine]):
        url = fresh(f"run{i}")
        proc = _cli_import(update, url)
        time.sleep(rng.uniform(0.3, 1.0) * took)
        if proc.poll() is None:
            proc.kill()  # SIGKILL
        code = proc.wait(timeout=60)
        state = _state(url)
        assert state in (before, after), f"run {i}: a partial import after kill -9"
        seen.append("finished" if code == 0 else "before" if state == before else "after")
        ws = b2bcx.open_workspace(url)
        try:
            ws.import_bundle(update)  # a re-run succeeds ...
            assert fingerprint(ws) == after  # ... and gives the after state
        finally:
            ws.close()
    print(f"{engine}: import took {took:.1f} s; kills: {seen}")
    return seen


def test_kill_9_mid_import_on_duckdb(bundles: tuple[Path, Path], tmp_path: Path) -> None:
    world, update = bundles
    base = tmp_path / "base.duckdb"
    ws = b2bcx.open_workspace(base)
    ws.import_bundle(world)
    before = fingerprint(ws)
    ws.close()

    def fresh(name: str) -> str:
        target = tmp_path / f"{name}.duckdb"
        shutil.copy(base, target)
        return str(target)

    seen = _kill_runs("duckdb", update, fresh, before)
    assert len(seen) == KILLS["duckdb"]


@pytest.mark.postgres
def test_kill_9_mid_import_on_postgres(bundles: tuple[Path, Path], pg_cluster: Any) -> None:
    import psycopg

    world, update = bundles
    base_url = pg_cluster.create_database("kill_base")
    ws = b2bcx.open_workspace(base_url)
    ws.import_bundle(world)
    before = fingerprint(ws)
    ws.close()

    def fresh(name: str) -> str:
        with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "kill_{name}" TEMPLATE "kill_base"')
        return str(pg_cluster.url(f"kill_{name}"))

    seen = _kill_runs("postgres", update, fresh, before)
    assert len(seen) == KILLS["postgres"]
