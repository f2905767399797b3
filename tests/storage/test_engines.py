"""Engine dispatch without a server: URLs, placeholders, COPY text, clear errors."""

from __future__ import annotations

import pyarrow as pa
import pytest

from b2bcx.errors import ConfigurationError, EngineUnavailable
from b2bcx.storage import connect, resolve_url
from b2bcx.storage.postgres import _copyable, _pg_array_text, _placeholders, redact_url


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("postgresql://cx@db:5432/cx", "postgres"),
        ("postgres://cx@db/cx", "postgres"),
        ("PostgreSQL://cx@db/cx", "postgres"),
        ("spark://local[2]?path=/data", "spark"),
        ("spark://?path=/data", "spark"),
    ],
)
def test_server_urls_pick_their_engine(url: str, kind: str) -> None:
    assert resolve_url(url) == (kind, url)


def test_placeholders_become_psycopg_style() -> None:
    sql = "SELECT * FROM t WHERE a = ? AND b LIKE '%x' AND c = ?"
    assert _placeholders(sql) == "SELECT * FROM t WHERE a = %s AND b LIKE '%%x' AND c = %s"


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (["a", "b"], '{"a","b"}'),
        (['say "hi"', "back\\slash", "a,b", None], '{"say \\"hi\\"","back\\\\slash","a,b",NULL}'),
        ([], "{}"),
        (None, None),
    ],
)
def test_lists_become_postgres_array_literals(values: list[str] | None, text: str | None) -> None:
    assert _pg_array_text(values) == text


def test_only_list_columns_are_rewritten_for_copy() -> None:
    data = pa.table({"a": ["x"], "l": pa.array([["p", "q"]], pa.list_(pa.string()))})
    out = _copyable(data)
    assert out.column("a").to_pylist() == ["x"]
    assert out.column("l").to_pylist() == ['{"p","q"}']


def test_passwords_are_redacted() -> None:
    assert redact_url("postgresql://u:pw@h/d") == "postgresql://u:***@h/d"
    assert redact_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_postgres_url_without_database_is_explained() -> None:
    with pytest.raises(ConfigurationError, match="names no database"):
        connect("postgresql://u@127.0.0.1:5432")


def test_unreachable_postgres_is_a_workspace_error() -> None:
    # port 9 (discard) on the loopback: nothing listens, the refusal is immediate
    with pytest.raises(EngineUnavailable, match="cannot connect") as caught:
        connect("postgresql://u:pw@127.0.0.1:9/cx?connect_timeout=2")
    assert "pw@" not in str(caught.value) and "check that the server runs" in str(caught.value)


def test_spark_url_without_folder_is_explained() -> None:
    with pytest.raises(ConfigurationError, match="names no folder"):
        connect("spark://local[2]")
