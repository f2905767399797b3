"""The bundle tables exactly as schema version 1 created them: a frozen snapshot.

Migration 1 builds these tables from this literal, never from the current
``model/tables.py``: a workspace created by any b2bcx then starts from the same
v1 tables, and every later column reaches it through a later migration
(:func:`b2bcx.storage.migrations.add_missing_columns`). **Never edit this
module**: a column added to ``TABLES`` is added to stored tables by the
migrations, not here.

Derived once (2026-11-29) from ``storage.schema.data_schemas()`` at commit
61bab39, where migration 1 was introduced; the bundle columns were unchanged
from there to the commit that froze it. Types are Ibis type strings; ``!`` marks
a ``NOT NULL`` column (the v1 ``required`` columns).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import ibis
import ibis.expr.schema as sch

#: Table → column → Ibis type string, in column order, as version 1 stored them.
V1_COLUMNS: Final = MappingProxyType(
    {
        "accounts": {
            "account_id": "!string",
            "name": "string",
            "industry": "string",
            "employees": "int64",
            "country": "string",
            "segment": "string",
            "annual_value": "float64",
            "account_manager": "string",
            "parent_account_id": "string",
            "relationship_intended": "string",
            "relationship_expected": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
        "relationships": {
            "account_id": "!string",
            "valid_from": "date",
            "relationship_intended": "string",
            "relationship_expected": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
        "partners": {
            "partner_id": "!string",
            "name": "string",
            "kind": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
        "touchpoints": {
            "touchpoint_id": "!string",
            "name": "!string",
            "stage": "!string",
            "channel": "string",
            "controller": "!string",
            "partner_id": "string",
            "valid_from": "date",
            "attributes": "string",
            "_batch_id": "string",
        },
        "cues": {
            "cue_id": "!string",
            "touchpoint_id": "!string",
            "description": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
        "stakeholders": {
            "stakeholder_id": "!string",
            "account_id": "!string",
            "function": "string",
            "level": "string",
            "center": "string",
            "role": "string",
            "unit": "string",
            "decision_maker": "boolean",
            "active_from": "date",
            "active_to": "date",
            "attributes": "string",
            "_batch_id": "string",
        },
        "journeys": {
            "journey_id": "!string",
            "account_id": "!string",
            "offering": "string",
            "started_at": "date",
            "contract_value": "float64",
            "attributes": "string",
            "_batch_id": "string",
        },
        "journey_stages": {
            "journey_id": "!string",
            "stage": "!string",
            "entered_at": "!date",
            "attributes": "string",
            "_batch_id": "string",
        },
        "interactions": {
            "interaction_id": "!string",
            "stakeholder_id": "!string",
            "occurred_at": "!timestamp",
            "touchpoint_id": "string",
            "journey_id": "string",
            "stage": "string",
            "source": "string",
            "solicited": "boolean",
            "cx": "float64",
            "nps": "int64",
            "csat": "float64",
            "ces": "float64",
            "efficiency": "float64",
            "differentiation": "float64",
            "association": "float64",
            "convenience": "float64",
            "empowerment": "float64",
            "relationships": "float64",
            "comment": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
        "goals": {
            "stakeholder_id": "!string",
            "asked_at": "!date",
            "goal": "!string",
            "importance": "!float64",
            "attributes": "string",
            "_batch_id": "string",
        },
        "outcomes": {
            "account_id": "!string",
            "occurred_at": "!date",
            "kind": "!string",
            "value": "float64",
            "attributes": "string",
            "_batch_id": "string",
        },
        "activities": {
            "activity_id": "!string",
            "name": "string",
            "kind": "string",
            "touchpoint_ids": "array<string>",
            "stages": "array<string>",
            "annual_cost": "float64",
            "started_at": "date",
            "ended_at": "date",
            "owner_unit": "string",
            "attributes": "string",
            "_batch_id": "string",
        },
    }
)


def v1_schemas() -> dict[str, sch.Schema]:
    """Table name → the storage schema version 1 created for it."""
    return {name: ibis.schema(dict(columns)) for name, columns in V1_COLUMNS.items()}


__all__ = ["V1_COLUMNS", "v1_schemas"]
