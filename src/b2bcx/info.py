"""What a workspace holds: counts per table, date range, coverage of columns."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from b2bcx.model.tables import TABLES
from b2bcx.storage import Backend, current_version


@dataclass(frozen=True, kw_only=True)
class WorkspaceInfo:
    """A summary of a workspace.

    Attributes
    ----------
    url: where it lives.
    schema_version: its schema version.
    counts: rows per bundle table.
    first_interaction, last_interaction: the range of ``interactions.occurred_at``.
    coverage: table → column → share of rows (0–1) with a value; only for
        tables with rows.
    """

    url: str
    schema_version: int
    counts: dict[str, int]
    first_interaction: _dt.datetime | None = None
    last_interaction: _dt.datetime | None = None
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def tables_present(self) -> list[str]:
        """The bundle tables that have at least one row."""
        return [name for name, n in self.counts.items() if n > 0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "url": self.url,
            "schema_version": self.schema_version,
            "counts": dict(self.counts),
            "first_interaction": _iso(self.first_interaction),
            "last_interaction": _iso(self.last_interaction),
            "coverage": {t: dict(c) for t, c in self.coverage.items()},
        }


def _iso(value: _dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def describe_workspace(backend: Backend) -> WorkspaceInfo:
    """Summarize a workspace: one aggregate query per table, run by the engine."""
    counts: dict[str, int] = {}
    coverage: dict[str, dict[str, float]] = {}
    for name, spec in TABLES.items():
        t = backend.table(name)
        aggs = {"n": t.count()}
        aggs.update({f"c_{c.name}": t[c.name].count() for c in spec.columns})
        row = backend.to_arrow(t.aggregate(**aggs)).to_pylist()[0]
        n = int(row["n"])
        counts[name] = n
        if n:
            coverage[name] = {c.name: int(row[f"c_{c.name}"]) / n for c in spec.columns}
    first = last = None
    if counts["interactions"]:
        t = backend.table("interactions")
        rng = backend.to_arrow(
            t.aggregate(lo=t.occurred_at.min(), hi=t.occurred_at.max())
        ).to_pylist()[0]
        first, last = rng["lo"], rng["hi"]
    version = current_version(backend)
    return WorkspaceInfo(
        url=backend.url,
        schema_version=version,
        counts=counts,
        first_interaction=first,
        last_interaction=last,
        coverage=coverage,
    )
