"""Options and results of bundle import and export (frozen values)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """How to read and commit a bundle.

    Attributes
    ----------
    allow_rejects:
        Commit the valid rows even if some rows are rejected (the rejects are
        still written). Default: all or nothing.
    date_formats:
        Extra ``strftime`` formats accepted for dates and timestamps besides
        ISO 8601 (e.g. ``("%d/%m/%Y",)``), for files with mixed date formats.
    encoding:
        Force a text encoding for CSV/JSONL files (default: UTF-8, and a
        detected encoding when a file is not UTF-8).
    delimiter:
        Force a CSV delimiter (default: detected from the header line).
    mapping:
        A mapping YAML file for sources in another layout.
    rejects_path:
        Where to write the rejects file (default: beside the workspace).
    effective_date:
        The date a change of a versioned fact takes effect when the source gives
        none (default: today).
    source_name:
        What the import history records as the source instead of the path
        (the server gives the uploaded file's name, never its temporary path).
    """

    allow_rejects: bool = False
    date_formats: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    mapping: Path | None = None
    rejects_path: Path | None = None
    effective_date: _dt.date | None = None
    source_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableCounts:
    """What an import did to one table."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    """The outcome of one import batch.

    ``status`` is ``committed`` (all rows, or all valid rows with
    ``allow_rejects``) or ``rejected`` (nothing committed).
    """

    batch_id: str
    source: str
    status: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    n_rejected: int = 0
    rejects_path: Path | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def n_rows(self) -> int:
        """Rows read over all tables."""
        return sum(c.read for c in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["rejects_path"] = str(self.rejects_path) if self.rejects_path else None
        d["n_rows"] = self.n_rows
        return d


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """The outcome of an export: where each table went and how many rows."""

    path: Path
    format: str
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"path": str(self.path), "format": self.format, "rows": dict(self.rows)}
