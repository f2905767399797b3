"""The engine seam: URLs, transactions, appends."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.storage import connect, migrate, resolve_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (":memory:", ("duckdb", ":memory:")),
        ("duckdb://:memory:", ("duckdb", ":memory:")),
        ("cx.duckdb", ("duckdb", "cx.duckdb")),
        ("duckdb:///data/cx.duckdb", ("duckdb", "/data/cx.duckdb")),
        ("duckdb://rel/cx.duckdb", ("duckdb", "rel/cx.duckdb")),
    ],
)
def test_resolve_url(url: str, expected: tuple[str, str]) -> None:
    assert resolve_url(url) == expected


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="not available"):
        connect("mysql://host/db")


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        connect(tmp_path / "nope" / "w.duckdb")


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is a folder"):
        connect(tmp_path)


def test_transaction_rolls_back_everything() -> None:
    backend = connect(":memory:")
    migrate(backend)
    with pytest.raises(RuntimeError), backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
        with backend.transaction():  # nested: joins the outer transaction
            backend.append("accounts", pa.table({"account_id": ["A2"]}))
        raise RuntimeError("boom")
    assert backend.table("accounts").count().execute() == 0
    with backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
    assert backend.table("accounts").count().execute() == 1


def test_list_tables_hides_ibis_temporaries() -> None:
    backend = connect(":memory:")
    migrate(backend)
    backend.con.insert("accounts", pa.table({"account_id": ["X"]}))  # registers a memtable
    assert not [t for t in backend.list_tables() if t.startswith("ibis_")]


def test_unknown_table_is_not_found() -> None:
    backend = connect(":memory:")
    with pytest.raises(NotFound, match="no table"):
        backend.table("nope")


def _storage_imports() -> dict[str, set[str]]:
    """Module of ``b2bcx.storage`` → the storage modules it imports (anywhere in it)."""
    import ast

    import b2bcx.storage

    folder = Path(b2bcx.storage.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "b2bcx.storage":
                    found |= {a.name for a in node.names if a.name in modules} or {"__init__"}
                elif node.module.startswith("b2bcx.storage."):
                    found.add(node.module.split(".")[2])
        graph[path.stem] = found - {path.stem}
    return graph


def test_storage_modules_import_each_other_without_a_cycle() -> None:
    graph = _storage_imports()
    assert "postgres" in graph["connect"] and "spark" in graph["connect"]
    assert not graph["backend"] & {"postgres", "spark", "connect"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()) - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    cycles = sorted(m for m in graph if m != "__init__" and reaches(m, m, set()))
    assert not cycles, f"import cycles through: {cycles}"


def test_the_public_names_stay_importable_from_the_package() -> None:
    from b2bcx.storage import Backend, connect, migrate, resolve_url
    from b2bcx.storage.connect import connect as connect_impl

    assert connect is connect_impl and callable(migrate) and callable(resolve_url)
    assert isinstance(connect(":memory:"), Backend)
