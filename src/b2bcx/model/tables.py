"""The bundle format as data: every table, column, type, scale and reference.

This module is the one place that knows ``DATA_FORMAT.md``. Validation, the
storage schema, export and the docs are all derived from :data:`TABLES`, so a
column added here appears everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from b2bcx.model import enums


class Kind(StrEnum):
    """The logical type of a bundle column."""

    ID = "id"  # non-empty string
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    ENUM = "enum"
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    LIST = "list"  # ';'-separated text in a CSV cell


_V = TypeVar("_V", float, npt.NDArray[np.float64])


@dataclass(frozen=True)
class Scale:
    """A rating scale: the closed range ``[low, high]`` of valid values.

    ``integer`` scales accept whole numbers only (e.g. NPS 0–10).
    """

    low: float
    high: float
    integer: bool = False

    def to_0_100(self, value: _V) -> _V:
        """Rescale ``value`` from this scale onto the common 0–100 scale."""
        return (value - self.low) / (self.high - self.low) * 100.0


@dataclass(frozen=True)
class Column:
    """One column of a bundle table.

    Parameters
    ----------
    name: the column name, exactly as in the bundle format.
    kind: its logical type.
    required: a value must be present in every row.
    enum: for ``Kind.ENUM`` (and lists of enums), the enumeration.
    scale: for rating columns, the valid range.
    minimum: for counts and amounts, the smallest valid value (e.g. 0).
    references: ``"table.column"`` this id must exist in.
    required_when: a condition ``(column, value)`` under which the column is required.
    """

    name: str
    kind: Kind
    required: bool = False
    enum: type[StrEnum] | None = None
    scale: Scale | None = None
    minimum: float | None = None
    references: str | None = None
    required_when: tuple[str, str] | None = None
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One table of the bundle format.

    ``key`` is the natural key: re-importing a row with the same key updates it.
    ``history`` tables keep several versions of one entity, keyed by ``key``
    (which then includes ``valid_from``).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    history: bool = False
    doc: str = ""
    entity_id: str | None = None  # for history tables: the id of the versioned entity

    def column(self, name: str) -> Column:
        """The column called ``name``; raises ``KeyError`` if there is none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in bundle order."""
        return tuple(c.name for c in self.columns)

    @property
    def references(self) -> dict[str, str]:
        """Column name → ``"table.column"`` for each reference."""
        return {c.name: c.references for c in self.columns if c.references}


# Rating scales (DATA_FORMAT.md, interactions and goals).
CX_SCALE = Scale(0, 10)
NPS_SCALE = Scale(0, 10, integer=True)
CSAT_SCALE = Scale(1, 5)
CES_SCALE = Scale(1, 7)
GOAL_SCALE = Scale(1, 5)

#: Each rating column and its scale.
RATING_SCALES: dict[str, Scale] = {
    "cx": CX_SCALE,
    "nps": NPS_SCALE,
    "csat": CSAT_SCALE,
    "ces": CES_SCALE,
    **{g.value: GOAL_SCALE for g in enums.Goal},
}

_C = Column
_K = Kind

ACCOUNTS = TableSpec(
    "accounts",
    (
        _C("account_id", _K.ID, required=True),
        _C("name", _K.TEXT),
        _C("industry", _K.TEXT),
        _C("employees", _K.INTEGER, minimum=0, doc="size of the client organization"),
        _C("country", _K.COUNTRY),
        _C("segment", _K.TEXT, doc="the supplier's own segmentation"),
        _C("annual_value", _K.NUMBER, minimum=0, doc="annual revenue from the account"),
        _C("account_manager", _K.TEXT),
        _C(
            "parent_account_id",
            _K.ID,
            references="accounts.account_id",
            doc="the parent in a corporate group; results roll up the hierarchy",
        ),
        _C(
            "relationship_intended",
            _K.ENUM,
            enum=enums.RelationshipType,
            doc="the relationship the supplier intends",
        ),
        _C(
            "relationship_expected",
            _K.ENUM,
            enum=enums.RelationshipType,
            doc="the relationship the customer expects",
        ),
    ),
    key=("account_id",),
    required=True,
    doc="client organizations",
)

RELATIONSHIPS = TableSpec(
    "relationships",
    (
        _C("account_id", _K.ID, required=True, references="accounts.account_id"),
        _C("valid_from", _K.DATE, doc="empty: since the beginning"),
        _C("relationship_intended", _K.ENUM, enum=enums.RelationshipType),
        _C("relationship_expected", _K.ENUM, enum=enums.RelationshipType),
    ),
    key=("account_id", "valid_from"),
    history=True,
    entity_id="account_id",
    doc="history of relationship type",
)

STAKEHOLDERS = TableSpec(
    "stakeholders",
    (
        _C("stakeholder_id", _K.ID, required=True),
        _C("account_id", _K.ID, required=True, references="accounts.account_id"),
        _C("function", _K.ENUM, enum=enums.Function),
        _C("level", _K.ENUM, enum=enums.Level, doc="hierarchical level"),
        _C("center", _K.ENUM, enum=enums.Center, doc="buying-centre or usage-centre member"),
        _C("role", _K.TEXT, doc='e.g. "maintenance manager"'),
        _C("unit", _K.TEXT, doc="organizational unit or site inside the client"),
        _C("decision_maker", _K.BOOLEAN),
        _C("active_from", _K.DATE, doc="when the person became a contact"),
        _C("active_to", _K.DATE, doc="when the person stopped being a contact"),
        _C(
            "name",
            _K.TEXT,
            doc="the person's name (personal data: shown only to who may contact customers)",
        ),
        _C(
            "email",
            _K.TEXT,
            doc="the person's e-mail address (personal data; `export --pseudonymise` hides it)",
        ),
    ),
    key=("stakeholder_id",),
    required=True,
    doc="people in client organizations",
)

PARTNERS = TableSpec(
    "partners",
    (
        _C("partner_id", _K.ID, required=True),
        _C("name", _K.TEXT),
        _C("kind", _K.ENUM, enum=enums.PartnerKind),
    ),
    key=("partner_id",),
    doc="third parties that serve the supplier's customers",
)

TOUCHPOINTS = TableSpec(
    "touchpoints",
    (
        _C("touchpoint_id", _K.ID, required=True),
        _C("name", _K.TEXT, required=True),
        _C("stage", _K.ENUM, required=True, enum=enums.Stage, doc="journey stage"),
        _C("channel", _K.ENUM, enum=enums.Channel),
        _C("controller", _K.ENUM, required=True, enum=enums.Controller, doc="who controls it"),
        _C(
            "partner_id",
            _K.ID,
            references="partners.partner_id",
            required_when=("controller", "partner"),
        ),
        _C("valid_from", _K.DATE, doc="empty: since the beginning"),
    ),
    key=("touchpoint_id", "valid_from"),
    history=True,
    entity_id="touchpoint_id",
    doc="the touchpoint catalogue",
)

CUES = TableSpec(
    "cues",
    (
        _C("cue_id", _K.ID, required=True),
        _C("touchpoint_id", _K.ID, required=True, references="touchpoints.touchpoint_id"),
        _C("description", _K.TEXT),
    ),
    key=("cue_id",),
    doc="stimuli at touchpoints",
)

JOURNEYS = TableSpec(
    "journeys",
    (
        _C("journey_id", _K.ID, required=True),
        _C("account_id", _K.ID, required=True, references="accounts.account_id"),
        _C("offering", _K.TEXT),
        _C("started_at", _K.DATE),
        _C("contract_value", _K.NUMBER, minimum=0),
    ),
    key=("journey_id",),
    doc="one per offering or contract",
)

JOURNEY_STAGES = TableSpec(
    "journey_stages",
    (
        _C("journey_id", _K.ID, required=True, references="journeys.journey_id"),
        _C("stage", _K.ENUM, required=True, enum=enums.Stage),
        _C("entered_at", _K.DATE, required=True),
    ),
    key=("journey_id", "stage", "entered_at"),
    doc="when a journey entered a stage",
)

INTERACTIONS = TableSpec(
    "interactions",
    (
        _C("interaction_id", _K.ID, required=True),
        _C("stakeholder_id", _K.ID, required=True, references="stakeholders.stakeholder_id"),
        _C("occurred_at", _K.TIMESTAMP, required=True),
        _C("touchpoint_id", _K.ID, references="touchpoints.touchpoint_id"),
        _C("journey_id", _K.ID, references="journeys.journey_id"),
        _C("stage", _K.ENUM, enum=enums.Stage, doc="if absent, taken from the touchpoint"),
        _C("source", _K.ENUM, enum=enums.Source, doc="survey, ticket, e-mail, review, ..."),
        _C("solicited", _K.BOOLEAN, doc="asked for (survey) or not"),
        _C("cx", _K.NUMBER, scale=CX_SCALE, doc="overall experience of this interaction"),
        _C("nps", _K.INTEGER, scale=NPS_SCALE, doc="likelihood to recommend"),
        _C("csat", _K.NUMBER, scale=CSAT_SCALE, doc="satisfaction"),
        _C("ces", _K.NUMBER, scale=CES_SCALE, doc="ease (7 = very easy)"),
        *(
            _C(g.value, _K.NUMBER, scale=GOAL_SCALE, doc=f"how well it served {g.value}")
            for g in enums.Goal
        ),
        _C("comment", _K.TEXT, doc="free text"),
    ),
    key=("interaction_id",),
    required=True,
    doc="experience records",
)

GOALS = TableSpec(
    "goals",
    (
        _C("stakeholder_id", _K.ID, required=True, references="stakeholders.stakeholder_id"),
        _C("asked_at", _K.DATE, required=True),
        _C("goal", _K.ENUM, required=True, enum=enums.Goal),
        _C("importance", _K.NUMBER, required=True, scale=GOAL_SCALE),
    ),
    key=("stakeholder_id", "asked_at", "goal"),
    doc="what stakeholders seek",
)

OUTCOMES = TableSpec(
    "outcomes",
    (
        _C("account_id", _K.ID, required=True, references="accounts.account_id"),
        _C("occurred_at", _K.DATE, required=True),
        _C("kind", _K.ENUM, required=True, enum=enums.OutcomeKind),
        _C("value", _K.NUMBER),
    ),
    key=("account_id", "occurred_at", "kind"),
    doc="commercial events",
)

ACTIVITIES = TableSpec(
    "activities",
    (
        _C("activity_id", _K.ID, required=True),
        _C("name", _K.TEXT),
        _C("kind", _K.ENUM, enum=enums.ActivityKind),
        _C("touchpoint_ids", _K.LIST, references="touchpoints.touchpoint_id"),
        _C("stages", _K.LIST, enum=enums.Stage),
        _C("annual_cost", _K.NUMBER, minimum=0),
        _C("started_at", _K.DATE),
        _C("ended_at", _K.DATE),
        _C("owner_unit", _K.TEXT),
    ),
    key=("activity_id",),
    doc="the supplier's own CXM activities",
)

#: Every table of the bundle format, in an order where references point backwards
#: (import in this order; a referenced table always comes first).
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        ACCOUNTS,
        RELATIONSHIPS,
        PARTNERS,
        TOUCHPOINTS,
        CUES,
        STAKEHOLDERS,
        JOURNEYS,
        JOURNEY_STAGES,
        INTERACTIONS,
        GOALS,
        OUTCOMES,
        ACTIVITIES,
    )
}

#: The tables a bundle must contain.
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)

#: Name of the column that keeps unknown extra columns (a JSON object per row).
ATTRIBUTES_COLUMN = "attributes"


def table_spec(name: str) -> TableSpec:
    """The spec of table ``name``; raises :class:`b2bcx.errors.NotFound` if unknown."""
    from b2bcx.errors import NotFound

    try:
        return TABLES[name]
    except KeyError:
        raise NotFound(
            f"unknown table {name!r}; the bundle tables are: {', '.join(TABLES)}"
        ) from None
