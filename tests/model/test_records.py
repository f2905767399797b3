"""Records and TABLES cannot drift: same fields, same optionality, same types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b2bcx.model import enums
from b2bcx.model.records import RECORD_TYPES, Account, Activity, Interaction, from_row
from b2bcx.model.tables import TABLES, Column, Kind

_SCALAR: dict[Kind, type] = {
    Kind.ID: str,
    Kind.TEXT: str,
    Kind.COUNTRY: str,
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.DATE: dt.date,
    Kind.TIMESTAMP: dt.datetime,
    Kind.BOOLEAN: bool,
}


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if f.name != "attributes"}


def _expected_type(col: Column) -> Any:
    if col.kind is Kind.LIST:
        base: Any = tuple[(col.enum or str), ...]  # type: ignore[misc]
    elif col.kind is Kind.ENUM:
        base = col.enum
    else:
        base = _SCALAR[col.kind]
    return base if col.required else base | None


def test_every_table_has_a_record_type_in_table_order() -> None:
    assert list(RECORD_TYPES) == list(TABLES)


@pytest.mark.parametrize("table", list(TABLES))
def test_record_fields_equal_table_columns(table: str) -> None:
    cls = RECORD_TYPES[table]
    assert list(_fields(cls)) == list(TABLES[table].column_names)


@pytest.mark.parametrize("table", list(TABLES))
def test_record_optionality_and_types_follow_table(table: str) -> None:
    cls = RECORD_TYPES[table]
    hints = typing.get_type_hints(cls)
    for name, f in _fields(cls).items():
        col = TABLES[table].column(name)
        has_default = f.default is not dataclasses.MISSING
        assert has_default is (not col.required), f"{table}.{name} optionality"
        assert hints[name] == _expected_type(col), f"{table}.{name} type"


@pytest.mark.parametrize("table", list(TABLES))
def test_records_are_frozen_slotted_keyword_only(table: str) -> None:
    cls = RECORD_TYPES[table]
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in cls.__dict__
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert cls.__doc__ and "Attributes" in cls.__doc__


def _value(col: Column) -> st.SearchStrategy[Any]:
    if col.kind is Kind.LIST:
        inner = st.sampled_from(list(col.enum)) if col.enum else st.text(min_size=1)
        return st.lists(inner, max_size=3).map(tuple)
    if col.enum is not None:
        return st.sampled_from(list(col.enum))
    if col.scale is not None:
        if col.scale.integer:
            return st.integers(int(col.scale.low), int(col.scale.high))
        return st.floats(col.scale.low, col.scale.high)
    return {
        Kind.ID: st.text(min_size=1),
        Kind.TEXT: st.text(),
        Kind.COUNTRY: st.sampled_from(["SE", "DE", "US"]),
        Kind.INTEGER: st.integers(0, 10**6),
        Kind.NUMBER: st.floats(0, 1e9),
        Kind.DATE: st.dates(),
        Kind.TIMESTAMP: st.datetimes(timezones=st.just(dt.UTC)),
        Kind.BOOLEAN: st.booleans(),
    }[col.kind]


@st.composite
def _rows(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    table = draw(st.sampled_from(list(TABLES)))
    spec = TABLES[table]
    row: dict[str, Any] = {}
    for col in spec.columns:
        value = _value(col)
        row[col.name] = draw(value if col.required else st.none() | value)
    extra = draw(
        st.dictionaries(
            st.text(min_size=1).filter(lambda k: k not in spec.column_names and k != "attributes"),
            st.text(),
            max_size=2,
        )
    )
    return table, {**row, **extra}


@given(_rows())
def test_from_row_to_row_round_trip(case: tuple[str, dict[str, Any]]) -> None:
    table, row = case
    record = from_row(table, row)
    assert isinstance(record, RECORD_TYPES[table])
    assert record.to_row() == row
    assert from_row(table, record.to_row()) == record


def test_enum_strings_are_coerced_to_members() -> None:
    rec = from_row(
        "accounts", {"account_id": "a1", "relationship_intended": "relational", "crm": "9"}
    )
    assert isinstance(rec, Account)
    assert rec.relationship_intended is enums.RelationshipType.RELATIONAL
    assert dict(rec.attributes) == {"crm": "9"}
    act = from_row("activities", {"activity_id": "x", "stages": ["pre_bid", "operations"]})
    assert isinstance(act, Activity)
    assert act.stages == (enums.Stage.PRE_BID, enums.Stage.OPERATIONS)


def test_attributes_column_is_merged() -> None:
    rec = from_row("accounts", {"account_id": "a1", "attributes": {"tier": "gold"}})
    assert dict(rec.attributes) == {"tier": "gold"}


@pytest.mark.parametrize(
    ("table", "row"),
    [
        ("accounts", {"account_id": "a", "relationship_expected": "friendly"}),
        ("stakeholders", {"stakeholder_id": "s", "account_id": "a", "level": "Executive"}),
        ("activities", {"activity_id": "x", "stages": ["pre_bid", "launch"]}),
    ],
)
def test_bad_enum_value_raises_value_error(table: str, row: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        from_row(table, row)


def test_missing_required_column_raises() -> None:
    with pytest.raises(TypeError):
        from_row("interactions", {"interaction_id": "i", "stakeholder_id": "s"})


def test_records_are_immutable() -> None:
    rec = Interaction(interaction_id="i", stakeholder_id="s", occurred_at=dt.datetime(2025, 1, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.cx = 5.0  # type: ignore[misc]
