"""Typed records of the domain: one frozen dataclass per bundle table.

A record is one row of a bundle table with Python types: enum members from
:mod:`b2bcx.model.enums`, :class:`datetime.date` / :class:`datetime.datetime`,
``tuple`` for ``;``-separated lists, and ``attributes`` for the unknown extra
columns that a bundle keeps (``DATA_FORMAT.md``). The field names are the column
names of :data:`b2bcx.model.tables.TABLES`; a test keeps the two in step.

:func:`from_row` builds a record from already-typed storage values (a dict such
as a database row); :meth:`Record.to_row` gives the row back. No I/O here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from b2bcx.model import enums
from b2bcx.model.tables import ATTRIBUTES_COLUMN, Kind, table_spec

__all__ = [
    "RECORD_TYPES",
    "Account",
    "Activity",
    "Cue",
    "GoalImportance",
    "Interaction",
    "Journey",
    "JourneyStage",
    "Outcome",
    "Partner",
    "Record",
    "Relationship",
    "Stakeholder",
    "Touchpoint",
    "from_row",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Base of all records: the table it belongs to and its unknown extra columns.

    Attributes
    ----------
    attributes : Mapping[str, str]
        Unknown extra columns of the row, kept and never dropped
        (``DATA_FORMAT.md``: "Unknown extra columns are kept as attributes").
    """

    table: ClassVar[str] = ""
    attributes: Mapping[str, str] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """The record as a row: column name → value, then the extra attributes.

        Enum members stay members (they are ``str``); lists stay tuples. The
        attributes follow as extra keys, so ``from_row(table, r.to_row()) == r``.
        """
        row: dict[str, Any] = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "attributes"
        }
        row.update(self.attributes)
        return row


@dataclass(frozen=True, slots=True, kw_only=True)
class Account(Record):
    """A client organization (the account); B2B CX lives in the people inside it.

    Wirtz et al. (2025), section 2.2: B2B CX is the cumulative responses of the
    individuals of a client organization. Witell et al. (2020), dimension 1: the
    relationship type the supplier intends and the customer expects.

    Attributes
    ----------
    account_id : str
        Unique id of the account.
    name, industry, segment, account_manager : str or None
        Descriptive fields; ``segment`` is the supplier's own segmentation.
    employees : int or None
        Size of the client organization (≥ 0).
    country : str or None
        ISO 3166-1 alpha-2 code.
    annual_value : float or None
        The supplier's annual revenue from the account (≥ 0).
    parent_account_id : str or None
        Parent in a corporate group (subsidiary, site, business unit); results
        roll up this hierarchy.
    relationship_intended, relationship_expected : RelationshipType or None
        Transactional vs relational (Witell et al. 2020, section 2.1): what the
        supplier intends and what the customer expects. A gap is challenge C1.
        Without a ``relationships`` history these hold for all time.
    """

    table: ClassVar[str] = "accounts"
    account_id: str
    name: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    segment: str | None = None
    annual_value: float | None = None
    account_manager: str | None = None
    parent_account_id: str | None = None
    relationship_intended: enums.RelationshipType | None = None
    relationship_expected: enums.RelationshipType | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Relationship(Record):
    """One version of an account's relationship type (history of Witell dimension 1).

    A row holds from ``valid_from`` until the next row of the same account;
    shifts are part of the dynamics of CX (challenge C5).

    Attributes
    ----------
    account_id : str
        The account.
    valid_from : datetime.date or None
        Start of validity; ``None`` means since the beginning.
    relationship_intended, relationship_expected : RelationshipType or None
        The supplier's intended and the customer's expected relationship type.
    """

    table: ClassVar[str] = "relationships"
    account_id: str
    valid_from: dt.date | None = None
    relationship_intended: enums.RelationshipType | None = None
    relationship_expected: enums.RelationshipType | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Stakeholder(Record):
    """A person in a client organization whose experience b2bcx measures.

    Witell et al. (2020), dimension 3 (function and hierarchical level) and
    section 2.3 (buying centre vs usage centre); Wirtz et al. (2025), section 3.1
    (individual CX).

    Attributes
    ----------
    stakeholder_id : str
        Unique id of the person.
    account_id : str
        The client organization the person belongs to.
    function : Function or None
        The function the person works in (procurement, maintenance, ...).
    level : Level or None
        Hierarchical level: executive, manager or operational.
    center : Center or None
        Buying-centre, usage-centre or both.
    role : str or None
        Free-text role, e.g. "maintenance manager".
    unit : str or None
        Organizational unit or site inside the client.
    decision_maker : bool or None
        Whether the person decides on purchases.
    active_from, active_to : datetime.date or None
        When the person was a contact.
    name, email : str or None
        The person's name and e-mail address (personal data; shown only to
        who may contact customers, pseudonymised by ``export --pseudonymise``).
    """

    table: ClassVar[str] = "stakeholders"
    stakeholder_id: str
    account_id: str
    function: enums.Function | None = None
    level: enums.Level | None = None
    center: enums.Center | None = None
    role: str | None = None
    unit: str | None = None
    decision_maker: bool | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner(Record):
    """A third party that serves the supplier's customers.

    Witell et al. (2020), section 2.2 and dimension 2: partner-controlled
    touchpoints in a network of actors (challenge C4).

    Attributes
    ----------
    partner_id : str
        Unique id of the partner.
    name : str or None
        Its name.
    kind : PartnerKind or None
        Dealer, distributor, service provider, integrator, ...
    """

    table: ClassVar[str] = "partners"
    partner_id: str
    name: str | None = None
    kind: enums.PartnerKind | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Touchpoint(Record):
    """One version of a touchpoint of the catalogue.

    Wirtz et al. (2025), section 2.1: touchpoints are the middle level of stimuli
    (cue → touchpoint → journey). Witell et al. (2020), dimension 2 (control) and
    dimension 4 (stage); Table 2 maps control by stage.

    Attributes
    ----------
    touchpoint_id : str
        Id of the touchpoint; several versions share it.
    name : str
        Its name.
    stage : Stage
        The journey stage it belongs to.
    channel : Channel or None
        Human, digital, physical or hybrid.
    controller : Controller
        Who controls it: supplier, customer, partner or external.
    partner_id : str or None
        The controlling partner; required when ``controller`` is ``partner``.
    valid_from : datetime.date or None
        Start of this version; ``None`` means since the beginning.
    """

    table: ClassVar[str] = "touchpoints"
    touchpoint_id: str
    name: str
    stage: enums.Stage
    channel: enums.Channel | None = None
    controller: enums.Controller
    partner_id: str | None = None
    valid_from: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue(Record):
    """A stimulus at a touchpoint: the lowest level of stimuli (Wirtz et al. 2025, 2.1).

    Attributes
    ----------
    cue_id : str
        Unique id of the cue.
    touchpoint_id : str
        The touchpoint the cue is part of.
    description : str or None
        What the customer meets (an invoice layout, a technician's manner, ...).
    """

    table: ClassVar[str] = "cues"
    cue_id: str
    touchpoint_id: str
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Journey(Record):
    """A customer journey of an account, one per offering or contract.

    Wirtz et al. (2025), section 2.1: the journey is the highest level of stimuli;
    Witell et al. (2020), dimension 4: it moves through four stages.

    Attributes
    ----------
    journey_id : str
        Unique id of the journey.
    account_id : str
        The account on the journey.
    offering : str or None
        The offering or contract.
    started_at : datetime.date or None
        When the journey began.
    contract_value : float or None
        Value of the contract (≥ 0).
    """

    table: ClassVar[str] = "journeys"
    journey_id: str
    account_id: str
    offering: str | None = None
    started_at: dt.date | None = None
    contract_value: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyStage(Record):
    """When a journey entered a stage (Witell et al. 2020, dimension 4).

    Attributes
    ----------
    journey_id : str
        The journey.
    stage : Stage
        Pre-bid engagement, negotiation, implementation or operations.
    entered_at : datetime.date
        The date the journey entered the stage.
    """

    table: ClassVar[str] = "journey_stages"
    journey_id: str
    stage: enums.Stage
    entered_at: dt.date


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction(Record):
    """One experience of one stakeholder: the unit of individual CX.

    Rich CX data (Wirtz et al. 2025, section 4.2): solicited or unsolicited, quantitative
    (ratings) or qualitative (``comment``). Ratings are on the scales of
    ``DATA_FORMAT.md``; the six goal columns rate how well the experience served
    each customer goal of Wirtz et al. (2025), Table 1.

    Attributes
    ----------
    interaction_id : str
        Unique id.
    stakeholder_id : str
        Whose experience it is.
    occurred_at : datetime.datetime
        When it happened.
    touchpoint_id, journey_id : str or None
        Where in the catalogue and on which journey.
    stage : Stage or None
        Journey stage; if ``None``, taken from the touchpoint.
    source : Source or None
        Survey, ticket, e-mail, review, call, meeting, event, other.
    solicited : bool or None
        Asked for (survey) or not.
    cx : float or None
        Overall experience, 0–10.
    nps : int or None
        Likelihood to recommend, integer 0–10.
    csat : float or None
        Satisfaction, 1–5.
    ces : float or None
        Ease, 1–7 (7 = very easy).
    efficiency, differentiation, association : float or None
        How well it served each organizational goal, 1–5.
    convenience, empowerment, relationships : float or None
        How well it served each individual goal, 1–5.
    comment : str or None
        Free text, for text analytics.
    """

    table: ClassVar[str] = "interactions"
    interaction_id: str
    stakeholder_id: str
    occurred_at: dt.datetime
    touchpoint_id: str | None = None
    journey_id: str | None = None
    stage: enums.Stage | None = None
    source: enums.Source | None = None
    solicited: bool | None = None
    cx: float | None = None
    nps: int | None = None
    csat: float | None = None
    ces: float | None = None
    efficiency: float | None = None
    differentiation: float | None = None
    association: float | None = None
    convenience: float | None = None
    empowerment: float | None = None
    relationships: float | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalImportance(Record):
    """How important one customer goal is to a stakeholder (table ``goals``).

    Wirtz et al. (2025), Table 1: six goals on two levels, served by relieving,
    enabling and enriching CX. Compared with the goal ratings of interactions it
    shows what "excellent CX" means to each side (challenge C1).

    Attributes
    ----------
    stakeholder_id : str
        Who was asked.
    asked_at : datetime.date
        When.
    goal : Goal
        One of the six goals.
    importance : float
        Importance, 1–5.
    """

    table: ClassVar[str] = "goals"
    stakeholder_id: str
    asked_at: dt.date
    goal: enums.Goal
    importance: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome(Record):
    """A commercial event on an account: the return CXM is judged by.

    Attributes
    ----------
    account_id : str
        The account.
    occurred_at : datetime.date
        When.
    kind : OutcomeKind
        New contract, renewal, expansion, contraction or churn.
    value : float or None
        Its value.
    """

    table: ClassVar[str] = "outcomes"
    account_id: str
    occurred_at: dt.date
    kind: enums.OutcomeKind
    value: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity(Record):
    """One of the supplier's own CXM activities.

    Wirtz et al. (2025), section 4: CXM impact and CXM scope; the touchpoints and
    stages an activity covers feed the scope measured from data, and its cost the
    start/keep/stop decisions of the playbook (section 7.2).

    Attributes
    ----------
    activity_id : str
        Unique id.
    name : str or None
        Its name.
    kind : ActivityKind or None
        Measurement, technology, program, touchpoint design, training, ...
    touchpoint_ids : tuple of str
        The touchpoints it covers.
    stages : tuple of Stage
        The journey stages it covers.
    annual_cost : float or None
        Annual cost (≥ 0).
    started_at, ended_at : datetime.date or None
        When it ran.
    owner_unit : str or None
        The supplier's unit that owns it.
    """

    table: ClassVar[str] = "activities"
    activity_id: str
    name: str | None = None
    kind: enums.ActivityKind | None = None
    touchpoint_ids: tuple[str, ...] | None = None
    stages: tuple[enums.Stage, ...] | None = None
    annual_cost: float | None = None
    started_at: dt.date | None = None
    ended_at: dt.date | None = None
    owner_unit: str | None = None


#: Table name → record class, in the order of :data:`TABLES`.
RECORD_TYPES: dict[str, type[Record]] = {
    cls.table: cls
    for cls in (
        Account,
        Relationship,
        Partner,
        Touchpoint,
        Cue,
        Stakeholder,
        Journey,
        JourneyStage,
        Interaction,
        GoalImportance,
        Outcome,
        Activity,
    )
}


def _coerce_list(value: Any) -> tuple[Any, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip())
    return tuple(value)


def from_row(table: str, row: Mapping[str, Any]) -> Record:
    """Build the record of ``table`` from a row of already-typed storage values.

    Enum strings become enum members (lists of them too); lists become tuples;
    ``None`` stays missing. Keys that are not columns of the table become
    ``attributes`` (as does a mapping under the ``attributes`` key).

    Parameters
    ----------
    table : str
        A bundle table name, e.g. ``"interactions"``.
    row : Mapping[str, Any]
        Column name → value.

    Returns
    -------
    Record
        An instance of ``RECORD_TYPES[table]``.

    Raises
    ------
    b2bcx.errors.NotFound
        If ``table`` is not a bundle table.
    ValueError
        If an enum column holds a value outside its enumeration.
    TypeError
        If a required column is missing.

    Examples
    --------
    >>> rec = from_row("stakeholders", {"stakeholder_id": "s1", "account_id": "a1",
    ...                                 "level": "executive", "crm_id": "X9"})
    >>> rec.level, dict(rec.attributes)
    (<Level.EXECUTIVE: 'executive'>, {'crm_id': 'X9'})
    """
    spec = table_spec(table)
    cls = RECORD_TYPES[spec.name]
    values: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, value in row.items():
        if name == ATTRIBUTES_COLUMN and (value is None or isinstance(value, Mapping)):
            attributes.update(value or {})
            continue
        try:
            col = spec.column(name)
        except KeyError:
            attributes[name] = value
            continue
        if value is None:
            values[name] = None
        elif col.kind is Kind.LIST:
            items = _coerce_list(value)
            values[name] = tuple(col.enum(v) for v in items) if col.enum else items
        elif col.enum is not None:
            values[name] = col.enum(value)
        else:
            values[name] = value
    return cls(**values, attributes=attributes)
