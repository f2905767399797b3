"""Apache Spark: the same analytics over a folder of Parquet tables, on a cluster.

A Spark workspace is a folder (local, ``hdfs://``, ``s3a://`` — anything Spark
reads) holding one Parquet file or folder of part files per workspace table:
``interactions.parquet`` or ``interactions/`` and so on. Two layouts work:

- a bundle written by ``b2bcx export --format parquet`` (every column as text,
  as in ``DATA_FORMAT.md``): columns are cast to the storage types on read;
- a typed dump (the storage schema itself, written by :func:`write_tables`
  from a DuckDB or PostgreSQL workspace): read as is, the faster layout.

Tables absent from the folder are empty. Spark reads; it does not import:
validation, merging and migrations stay with DuckDB or PostgreSQL, and the
folder is produced from such a workspace. The measures and the diagnosis are
the same Ibis expressions as on the other engines, run by the SparkSession.

URL: ``spark://MASTER?path=FOLDER[&spark.option=value…]`` where ``MASTER`` is
``local[2]``, ``local[*]``, ``yarn``, ``HOST:7077`` (a standalone master) or
empty (the session ``spark-submit`` configured); ``master=k8s://…`` in the
query names any other master. Options that start with ``spark.`` go to the
session's configuration.

>>> parse_spark_url("spark://local[2]?path=/data/cx&spark.sql.shuffle.partitions=4")
SparkTarget(master='local[2]', path='/data/cx', conf={'spark.sql.shuffle.partitions': '4'})
>>> parse_spark_url("spark://head:7077?path=hdfs://nn/cx").master
'spark://head:7077'
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.schema as sch
import pyarrow as pa

from b2bcx.errors import ConfigurationError, NotFound, WorkspaceError, WorkspaceReadOnly
from b2bcx.model.tables import TABLES
from b2bcx.storage import schema
from b2bcx.storage.backend import Backend, quote
from b2bcx.storage.engine_errors import map_engine_errors

#: Masters given without a scheme that are Spark's own words, not host names.
_BARE_MASTERS = ("local", "yarn")

#: Shuffle partitions of a local session unless the URL says otherwise: Spark's
#: default of 200 makes every small group-by pay for 200 tasks.
LOCAL_SHUFFLE_PARTITIONS = "8"

_READ_ONLY = (
    "a Spark workspace only reads (measures, diagnosis, export); import into a "
    "DuckDB or PostgreSQL workspace and write it as Parquet for Spark "
    "(b2bcx export --format parquet)"
)


@dataclass(frozen=True)
class SparkTarget:
    """A parsed ``spark://`` URL."""

    master: str | None
    path: str
    conf: dict[str, str] = field(default_factory=dict)


def parse_spark_url(url: str) -> SparkTarget:
    """Split a ``spark://`` URL into master, folder and configuration."""
    rest = url.removeprefix("spark://")
    where, _, query = rest.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True))
    path = options.pop("path", "")
    if not path:
        raise ConfigurationError(
            f"Spark workspace URL {url!r} names no folder; use spark://local[2]?path=/data/cx "
            "(or a cluster master such as spark://host:7077?path=hdfs://…/cx)"
        )
    master: str | None = options.pop("master", "") or where.rstrip("/") or None
    if master and "://" not in master and not master.startswith(_BARE_MASTERS):
        master = f"spark://{master}"
    unknown = [k for k in options if not k.startswith("spark.")]
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)} in {url!r}; the query takes path, "
            "master and spark.* settings"
        )
    return SparkTarget(master=master, path=path, conf=options)


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """Get (or create) a SparkSession on ``master`` with ``conf`` applied.

    Local sessions bind to ``SPARK_LOCAL_IP`` (127.0.0.1 unless set), keep the
    UI off, use :data:`LOCAL_SHUFFLE_PARTITIONS` and run Python tasks in this
    interpreter (``PYSPARK_PYTHON`` unless set); every session computes in UTC
    (timestamps are stored as UTC).
    """
    from pyspark.sql import SparkSession

    settings = {"spark.sql.session.timeZone": "UTC", **(conf or {})}
    builder = SparkSession.builder.appName("b2bcx")
    if master:
        builder = builder.master(master)
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            # Python tasks (the text job) run in this interpreter, where b2bcx is
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            settings.setdefault("spark.ui.enabled", "false")
            settings.setdefault("spark.sql.shuffle.partitions", LOCAL_SHUFFLE_PARTITIONS)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in settings.items():  # an existing session takes them too
        if not key.startswith(("spark.driver.", "spark.executor.", "spark.ui.")):
            session.conf.set(key, value)
    return session


def _spark_type(dtype: dt.DataType) -> Any:
    from ibis.backends.pyspark.datatypes import PySparkType

    if dtype.is_timestamp():
        from pyspark.sql.types import TimestampNTZType

        return TimestampNTZType()  # naive UTC, as DuckDB and PostgreSQL store it
    return PySparkType.from_ibis(dtype)


def _typed_column(frame: Any, name: str, dtype: dt.DataType) -> Any:
    """Column ``name`` of ``frame`` as the storage type ``dtype`` (text is parsed)."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import StringType

    target = _spark_type(dtype)
    if name not in frame.columns:
        return F.lit(None).cast(target).alias(name)
    col = F.col(f"`{name}`")
    current = frame.schema[name].dataType
    if current == target:
        return col
    if isinstance(current, StringType):
        text = F.nullif(F.trim(col), F.lit(""))
        if dtype.is_array():
            return F.split(text, ";").alias(name)
        if dtype.is_timestamp():
            # ISO text with Z or an offset → the UTC instant → naive UTC
            return F.to_timestamp(text).cast(target).alias(name)
        if dtype.is_boolean():
            return F.lower(text).isin("true", "1", "yes").alias(name)
        return text.cast(target).alias(name)
    return col.cast(target).alias(name)


class SparkBackend(Backend):
    """A read-only workspace of Parquet tables on a SparkSession (module docstring)."""

    is_read_only = True
    versioned = False

    def __init__(self, con: Any, *, url: str, views: Mapping[str, str], prefix: str = "") -> None:
        super().__init__(con, url=url, kind="spark")
        self._views = dict(views)
        self._prefix = prefix

    def refresh_results(self) -> None:
        """Register result tables a job has just written into the folder."""
        folder = parse_spark_url(self.url).path
        for name in register_results(self.con._session, folder, prefix=self._prefix):
            self._views[name] = self._prefix + name

    def list_tables(self) -> list[str]:
        """The workspace tables registered on the session."""
        return sorted(self._views)

    def table(self, name: str) -> ibis.Table:
        """The Ibis table of ``name`` (this workspace's view of it on the session)."""
        if name not in self._views:
            raise NotFound(f"the workspace has no table {name!r}")
        with self.engine_errors():
            return self.con.table(self._views[name])

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute ``expr`` on Spark and return the result as Arrow."""
        with self.engine_errors():
            result: pa.Table = self.con.to_pyarrow(expr)
        return result

    def get_meta(self, key: str) -> str | None:
        """A Parquet folder keeps no workspace facts: always ``None``."""
        return None

    # -- writes are refused ---------------------------------------------------
    def create_table(self, name: str, table_schema: sch.Schema) -> None:
        raise WorkspaceReadOnly(_READ_ONLY)

    def add_column(self, name: str, column: str, dtype: dt.DataType) -> bool:
        """Refused: the Parquet folder is read as it is. A column the folder lacks
        is read as nulls (:func:`register_tables`), so it needs no migration."""
        raise WorkspaceReadOnly(_READ_ONLY)

    def drop_table(self, name: str) -> None:
        raise WorkspaceReadOnly(_READ_ONLY)

    def load_arrow(self, name: str, data: pa.Table) -> None:
        raise WorkspaceReadOnly(_READ_ONLY)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise WorkspaceReadOnly(_READ_ONLY)

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise WorkspaceReadOnly(_READ_ONLY)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raise WorkspaceReadOnly(_READ_ONLY)
        yield  # pragma: no cover

    def set_meta(self, key: str, value: str) -> None:
        raise WorkspaceReadOnly(_READ_ONLY)

    def close(self) -> None:
        """Drop the workspace's views; the SparkSession stays up for its owner."""
        session = self.con._session
        for view in self._views.values():
            session.catalog.dropTempView(view)


def _table_path(session: Any, folder: str, name: str) -> str | None:
    """Where table ``name`` is in ``folder`` (``name.parquet`` or ``name/``), if anywhere."""
    jvm = session.sparkContext._jvm
    conf = session.sparkContext._jsc.hadoopConfiguration()
    for candidate in (f"{folder.rstrip('/')}/{name}.parquet", f"{folder.rstrip('/')}/{name}"):
        path = jvm.org.apache.hadoop.fs.Path(candidate)
        if path.getFileSystem(conf).exists(path):
            return candidate
    return None


def register_tables(session: Any, folder: str, *, prefix: str = "") -> list[str]:
    """Register every workspace table of ``folder`` as a typed temporary view
    named ``prefix + table`` (a prefix keeps several workspaces on one session apart).

    Returns the tables found in the folder; the others are registered empty.
    """
    found: list[str] = []
    for name, spec in TABLES.items():
        table_schema = schema.table_schema(spec)
        where = _table_path(session, folder, name)
        if where is None:
            from pyspark.sql.types import StructField, StructType

            fields = [StructField(n, _spark_type(t), True) for n, t in table_schema.items()]
            frame = session.createDataFrame([], StructType(fields))
        else:
            raw = session.read.parquet(where)
            frame = raw.select(*[_typed_column(raw, n, t) for n, t in table_schema.items()])
            found.append(name)
        frame.createOrReplaceTempView(f"{prefix}{name}")
    if "interactions" not in found:
        raise WorkspaceError(
            f"{folder!r} holds no interactions table (interactions.parquet or interactions/); "
            "write one with b2bcx export --format parquet"
        )
    return found


#: Result tables a Spark job writes into the folder (``b2bcx text analyze``).
RESULT_TABLES = (schema.TEXT_SCORES_TABLE, schema.TEXT_EMBEDDINGS_TABLE)


def register_results(session: Any, folder: str, *, prefix: str = "") -> list[str]:
    """Register the result tables present in ``folder`` (text scores and embeddings,
    as the Spark text job wrote them) as views ``prefix + table``."""
    found = []
    for name in RESULT_TABLES:
        where = _table_path(session, folder, name)
        if where is not None:
            # merged schemas: part files appended before a column was added (the
            # text job's ``sentences``) read it as null
            reader = session.read.option("mergeSchema", "true")
            reader.parquet(where).createOrReplaceTempView(f"{prefix}{name}")
            found.append(name)
    return found


def write_tables(backend: Backend, folder: str | Path) -> dict[str, int]:
    """Write every non-empty bundle table of a workspace as typed Parquet for Spark.

    The typed layout (``<folder>/<table>.parquet``, the storage schema) is the
    fast one for Spark: nothing to parse on read. DuckDB writes the files itself;
    other engines stream Arrow batches. Returns rows written per table.
    """
    import pyarrow.parquet as pq

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in TABLES:
        t = backend.table(name)
        n = int(backend.to_arrow(t.count().name("n").as_table()).column(0)[0].as_py())
        if not n:
            continue
        path = target / f"{name}.parquet"
        if backend.kind == "duckdb":
            literal = str(path).replace("'", "''")
            backend.execute(f"COPY {quote(name)} TO '{literal}' (FORMAT parquet)")
        else:
            batches = backend.con.to_pyarrow_batches(t, chunk_size=500_000)
            with pq.ParquetWriter(path, batches.schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
        written[name] = n
    return written


def connect_spark(url: str) -> SparkBackend:
    """Open the Parquet folder named by a ``spark://`` URL on a SparkSession."""
    target = parse_spark_url(url)
    try:
        session = spark_session(target.master, target.conf)
    except Exception as exc:
        raise WorkspaceError(f"cannot start Spark for {url!r}: {exc}") from exc
    prefix = f"b2bcx_{uuid.uuid4().hex[:8]}_"
    with map_engine_errors(url=url, read_only=True):
        register_tables(session, target.path, prefix=prefix)
        results = register_results(session, target.path, prefix=prefix)
    con = ibis.pyspark.connect(session)
    views = {name: prefix + name for name in (*TABLES, *results)}
    return SparkBackend(con, url=url, views=views, prefix=prefix)


__all__ = [
    "SparkBackend",
    "SparkTarget",
    "connect_spark",
    "parse_spark_url",
    "register_results",
    "register_tables",
    "spark_session",
    "write_tables",
]
