"""Invariants of the bundle specification (TABLES) and the framework maps."""

from __future__ import annotations

import pytest

from b2bcx.model import enums
from b2bcx.model.enums import GOAL_LEVEL, GOAL_VALUE_PROPOSITION, Goal, GoalLevel, ValueProposition
from b2bcx.model.tables import RATING_SCALES, REQUIRED_TABLES, TABLES, Column, Kind, Scale

_COLUMNS = [(t.name, c) for t in TABLES.values() for c in t.columns]


@pytest.mark.parametrize(("table", "col"), _COLUMNS, ids=lambda x: getattr(x, "name", x))
def test_every_reference_points_to_an_existing_column(table: str, col: Column) -> None:
    ref = col.references
    if ref is None:
        return
    target_table, _, target_col = ref.partition(".")
    assert target_table in TABLES, f"{table}.{col}: unknown table {target_table}"
    assert target_col in TABLES[target_table].column_names
    # a reference points at the key of the target's entity
    target = TABLES[target_table]
    assert target_col in target.key or target_col == target.entity_id


@pytest.mark.parametrize("table", list(TABLES))
def test_key_columns_exist(table: str) -> None:
    spec = TABLES[table]
    assert spec.key, table
    for name in spec.key:
        assert name in spec.column_names, f"{table}: key column {name} missing"


@pytest.mark.parametrize("table", [n for n, t in TABLES.items() if t.history])
def test_history_tables_key_on_valid_from(table: str) -> None:
    spec = TABLES[table]
    assert "valid_from" in spec.key
    assert spec.column("valid_from").kind is Kind.DATE
    assert spec.entity_id is not None and spec.entity_id in spec.key


def test_referenced_tables_come_first() -> None:
    order = list(TABLES)
    for name, spec in TABLES.items():
        for column, ref in spec.references.items():
            target = ref.partition(".")[0]
            if target != name:
                assert order.index(target) < order.index(name), f"{name}.{column} → {ref}"


@pytest.mark.parametrize(("table", "col"), _COLUMNS, ids=lambda x: getattr(x, "name", x))
def test_enum_columns_have_an_enum(table: str, col: Column) -> None:
    if col.kind is Kind.ENUM:
        assert col.enum is not None, f"{table}.{col.name}"


def test_column_names_are_unique_and_lower_case() -> None:
    for spec in TABLES.values():
        names = spec.column_names
        assert len(set(names)) == len(names), spec.name
        assert all(n == n.lower() and " " not in n for n in names)


def test_required_tables_as_in_data_format() -> None:
    assert set(REQUIRED_TABLES) == {"accounts", "stakeholders", "interactions"}


# DATA_FORMAT.md, interactions and goals.
_SCALES = {
    "cx": Scale(0, 10),
    "nps": Scale(0, 10, integer=True),
    "csat": Scale(1, 5),
    "ces": Scale(1, 7),
    **{g.value: Scale(1, 5) for g in Goal},
}


def test_rating_scales_as_in_data_format() -> None:
    assert RATING_SCALES == _SCALES
    for name, scale in _SCALES.items():
        assert TABLES["interactions"].column(name).scale == scale
    assert TABLES["goals"].column("importance").scale == Scale(1, 5)
    assert TABLES["interactions"].column("nps").kind is Kind.INTEGER


def test_scale_rescales_to_0_100() -> None:
    assert _SCALES["csat"].to_0_100(1) == 0.0
    assert _SCALES["csat"].to_0_100(5) == 100.0
    assert _SCALES["ces"].to_0_100(4) == 50.0


# Wirtz et al. (2025), Table 1: rows are value propositions, columns the two levels.
_TABLE_1 = {
    ValueProposition.RELIEVING: (Goal.EFFICIENCY, Goal.CONVENIENCE),
    ValueProposition.ENABLING: (Goal.DIFFERENTIATION, Goal.EMPOWERMENT),
    ValueProposition.ENRICHING: (Goal.ASSOCIATION, Goal.RELATIONSHIPS),
}


def test_goal_maps_match_wirtz_table_1() -> None:
    for proposition, (organizational, individual) in _TABLE_1.items():
        assert GOAL_LEVEL[organizational] is GoalLevel.ORGANIZATIONAL
        assert GOAL_LEVEL[individual] is GoalLevel.INDIVIDUAL
        assert GOAL_VALUE_PROPOSITION[organizational] is proposition
        assert GOAL_VALUE_PROPOSITION[individual] is proposition
    assert set(GOAL_LEVEL) == set(GOAL_VALUE_PROPOSITION) == set(Goal)


def test_stage_order_is_witell_dimension_4() -> None:
    assert tuple(enums.Stage) == enums.STAGE_ORDER
    assert [s.value for s in enums.STAGE_ORDER] == [
        "pre_bid",
        "negotiation",
        "implementation",
        "operations",
    ]
