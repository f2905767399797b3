"""Response models: what the OpenAPI spec promises (and schemathesis checks).

Record models are generated from the bundle's table specs
(:data:`b2bcx.model.tables.TABLES`), so the API shows exactly the documented
columns; analysis results are typed where their contract is stable.
"""

from __future__ import annotations

import datetime as _dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from b2bcx.api.pagination import Page
from b2bcx.cases.model import CaseStatus
from b2bcx.model.tables import TABLES, Kind
from b2bcx.server.tokens import Role

_PY: dict[Kind, Any] = {
    Kind.ID: str,
    Kind.TEXT: str,
    Kind.ENUM: str,
    Kind.COUNTRY: str,
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.DATE: _dt.date,
    Kind.TIMESTAMP: _dt.datetime,
    Kind.BOOLEAN: bool,
    Kind.LIST: list[str],
}


def _record_model(table: str, name: str, extra: dict[str, Any] | None = None) -> type[BaseModel]:
    fields: dict[str, Any] = {c.name: (_PY[c.kind] | None, None) for c in TABLES[table].columns}
    fields["attributes"] = (dict[str, Any] | None, None)
    fields.update(extra or {})
    model: type[BaseModel] = create_model(name, __doc__=f"One row of {table}.", **fields)
    return model


AccountRecord = _record_model("accounts", "AccountRecord")
StakeholderRecord = _record_model("stakeholders", "StakeholderRecord")
JourneyRecord = _record_model("journeys", "JourneyRecord")
JourneyStageRecord = _record_model(
    "journey_stages", "JourneyStageRecord", {"account_id": (str | None, None)}
)
TouchpointRecord = _record_model("touchpoints", "TouchpointRecord")
PartnerRecord = _record_model("partners", "PartnerRecord")
InteractionRecord = _record_model(
    "interactions", "InteractionRecord", {"account_id": (str | None, None)}
)
RelationshipRecord = _record_model("relationships", "RelationshipRecord")


class Open(BaseModel):
    """An object whose fields follow the library's documented JSON contract."""

    model_config = ConfigDict(extra="allow")


class Health(BaseModel):
    """Liveness."""

    status: str
    version: str


class Me(BaseModel):
    """The calling token."""

    token_id: str
    name: str
    role: str
    accounts: list[str] | None


#: The ``verdict`` field's description (the values of :data:`b2bcx.measures.verdict.VERDICTS`).
VERDICT_DESCRIPTION = (
    "Whether the people's experiences form one collective experience: 'collective & "
    "aligned' (rwg >= .70 and more alike than random groups, chance p <= .05), "
    "'agreement not proven' (rwg >= .70 but no more alike than random groups of the "
    "portfolio: neither collective nor diverse), 'diverse & unaligned' (rwg < .70, or AD "
    "over its limit), 'too few respondents' (fewer than 3 people); null without ratings."
)


class AccountSummary(BaseModel):
    """An account with its collective CX, agreement, verdict and risk."""

    account_id: str
    name: str | None = None
    segment: str | None = None
    country: str | None = None
    annual_value: float | None = None
    account_manager: str | None = None
    parent_account_id: str | None = None
    relationship_intended: str | None = None
    relationship_expected: str | None = None
    n_stakeholders: int | None = None
    n_interactions: int | None = None
    cx: float | None = None
    nps: float | None = None
    rwg: float | None = None
    verdict: str | None = Field(default=None, description=VERDICT_DESCRIPTION)
    risk: float | None = None
    risk_reasons: list[str] = []
    findings: int = 0


class JourneyWithStages(BaseModel):
    """A journey and the stages it entered, in order."""

    journey: JourneyRecord  # type: ignore[valid-type]
    stages: list[JourneyStageRecord]  # type: ignore[valid-type]


class GroupSummary(BaseModel):
    """The corporate group an account belongs to (``parent_account_id`` rolled up):
    its accounts and its collective CX over all their people."""

    group_id: str
    accounts: list[str]
    n_accounts: int | None = None
    n_stakeholders: int | None = None
    cx: float | None = None
    nps: float | None = None
    rwg: float | None = None
    verdict: str | None = Field(default=None, description=VERDICT_DESCRIPTION)


class SavedAnswers(BaseModel):
    """A saved strategy assessment (answers to the questionnaire)."""

    assessment_id: str
    answered_at: str
    respondent: str | None = None
    source: str
    items: int


class AccountDetail(BaseModel):
    """One account on one page; ``group`` only for tokens that see every account
    (a group's figures pool other accounts' people) and accounts in a group."""

    account: AccountRecord  # type: ignore[valid-type]
    summary: AccountSummary
    relationships: list[RelationshipRecord]  # type: ignore[valid-type]
    group: GroupSummary | None = None


class Subject(BaseModel):
    """What a finding is about."""

    kind: str
    id: str


class Finding(BaseModel):
    """A diagnosed instance of a B2B CEM challenge (``docs/diagnose.md``)."""

    challenge: str
    account_id: str | None
    subject: Subject
    severity: float
    detector: str = ""
    evidence: dict[str, Any]
    summary: str
    implication: str
    actions: list[str]


class AtRisk(Open):
    """An account at risk: ``account_id``, ``risk`` (0–1), ``reasons`` and the terms."""

    account_id: str
    risk: float | None
    reasons: list[str] = []


class Priority(Open):
    """A ranked root cause: ``rank``, ``touchpoint_id``, ``stage``, ``goal``, ``score``,
    ``action``."""

    rank: int


class Sensitivity(Open):
    """What the diagnosis could not have seen: minimal detectable effects of C2
    and C3 per account (the ``sensitivity`` block of ``docs/diagnose.md``)."""

    power: float
    challenges: list[dict[str, Any]] = []
    not_assessed: dict[str, str] = {}


class Comment(BaseModel):
    """A comment with who wrote it, where and how they rated it."""

    interaction_id: str
    account_id: str | None = None
    stakeholder_id: str | None = None
    function: str | None = None
    level: str | None = None
    center: str | None = None
    occurred_at: _dt.datetime | None = None
    touchpoint_id: str | None = None
    stage: str | None = None
    source: str | None = None
    cx: float | None = None
    nps: int | None = None
    comment: str | None = None


class TokenInfo(BaseModel):
    """A token without its secret."""

    token_id: str
    name: str | None = None
    role: str
    accounts: list[str] | None = None
    created_at: _dt.datetime | None = None
    revoked_at: _dt.datetime | None = None


#: An account id: no whitespace or control characters. Spelled out as code point
#: ranges, not ``\S``: regex engines disagree on what ``\s`` covers (U+0085, U+001C…),
#: and the spec, the validator and API clients must accept the same strings.
ACCOUNT_ID_PATTERN = (
    "^[!-~\u00a1-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e"
    "\u2030-\u205e\u2060-\u2fff\u3001-\ud7ff\ue000-\uffff]+$"
)
AccountId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=ACCOUNT_ID_PATTERN)
]


class TokenCreate(BaseModel):
    """A request to make a token: its role, the accounts it is limited to
    (``null``: every account) and a note on whom it is for."""

    role: Role
    accounts: list[AccountId] | None = Field(default=None, min_length=1)
    name: str = Field(default="", max_length=200)


class TokenCreated(TokenInfo):
    """A new token: ``token`` is shown this once and never again."""

    token: str


class AuditEntry(BaseModel):
    """One write, as the audit log recorded it."""

    at: _dt.datetime
    token_id: str | None = None
    role: str | None = None
    action: str
    target: str
    status: int
    detail: dict[str, Any] = {}


class ImportBatch(BaseModel):
    """An import and its outcome."""

    batch_id: str
    started_at: _dt.datetime | None = None
    finished_at: _dt.datetime | None = None
    source: str | None = None
    status: str | None = None
    n_rows: int | None = None
    n_rejected: int | None = None
    options: str | None = None


class RejectRow(BaseModel):
    """A rejected row with its reason."""

    batch_id: str
    table_name: str | None = None
    file: str | None = None
    row: int | None = None
    column_name: str | None = None
    value: str | None = None
    reason: str | None = None
    original: dict[str, Any] | None = None


class ImportOutcome(BaseModel):
    """What an upload did: per-table counts, warnings and the first rejects."""

    batch_id: str
    status: str
    result: dict[str, Any]
    rejects: list[RejectRow]
    n_rejected: int


class Refreshed(BaseModel):
    """Results scheduled for recomputing."""

    scheduled: list[str]


class ComputedResult(BaseModel):
    """One cached result: how long it took and when it finished (epoch seconds)."""

    seconds: float
    computed_at: float


class TextJobOut(BaseModel):
    """The text analysis job of the server (``POST``/``GET /api/v1/text/analyze``):
    its state, comments done of ``total``, and the workspace's comment counts."""

    state: str
    total: int | None
    done: int
    share: float | None
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    model: str | None
    started_by: str | None
    error: str | None
    comments: int
    analysed: int
    started: bool = False


class ResultsStatus(BaseModel):
    """How warm the server is: the results computed for the current data, the
    ones a starting server computes that are still waiting, and whether results
    are being recomputed."""

    computed: dict[str, ComputedResult]
    waiting: list[str]
    refreshing: bool


class CaseOut(BaseModel):
    """A case: what ``b2bcx cases list --format json`` gives for it, with
    ``overdue`` now and the statuses it may move to (``allowed``)."""

    case_id: str
    rule: str
    account_id: str | None = None
    stakeholder_id: str | None = None
    title: str
    owner: str
    priority: str
    status: str
    opened_at: _dt.datetime
    due_at: _dt.datetime | None = None
    first_response_at: _dt.datetime | None = None
    closed_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    outcome: str | None = None
    rating: float | None = None
    interaction_ids: list[str] = []
    finding: dict[str, Any] = {}
    dedupe_key: str | None = None
    overdue: bool
    allowed: list[str]


class CaseEventOut(BaseModel):
    """One change of a case (its history): opened, status, note, assigned,
    priority, due, attached."""

    event_id: str
    case_id: str
    at: _dt.datetime
    kind: str
    actor: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] = {}


class CaseDetail(BaseModel):
    """One case with its history, the answers behind it and the person it is about
    (``name`` and ``email`` only when ``may_contact``)."""

    case: CaseOut
    history: list[CaseEventOut]
    interactions: list[Comment]
    person: StakeholderRecord | None = None  # type: ignore[valid-type]
    may_contact: bool
    allowed: list[str]


class CasePriority(StrEnum):
    """How urgent a case is (the values of :class:`b2bcx.cases.Priority`, under a
    name of its own in the spec beside the root-cause ``Priority``)."""

    low = "low"
    normal = "normal"
    high = "high"


class CaseUpdate(BaseModel):
    """A change of a case: any of a new status (``open``, ``in_progress``,
    ``closed``: closing needs an ``outcome``), owner, priority, due time, a note."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    priority: CasePriority | None = None
    note: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=10_000)
    due_at: _dt.datetime | None = None


class CaseCreate(BaseModel):
    """A case opened by hand: the account, a title saying what to follow up,
    optionally the person, the owner (default: the account manager), the
    priority and the business days until it is due."""

    model_config = ConfigDict(extra="forbid")

    account_id: AccountId
    title: str = Field(min_length=1, max_length=500)
    stakeholder_id: AccountId | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    priority: CasePriority = CasePriority.normal
    due_business_days: int = Field(default=5, ge=0, le=60)


class OwnerLoadOut(BaseModel):
    """One owner's cases."""

    owner: str
    open: int
    overdue: int
    closed: int


class FollowUpOut(BaseModel):
    """The person's next rating after the case closed against the one that opened
    it: the mean paired change with its paired t interval."""

    n: int
    mean_before: float | None = None
    mean_after: float | None = None
    mean_change: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: float
    metric: str
    method: str


class ClosedLoop(BaseModel):
    """The closed-loop figures (``b2bcx cases results --format json``)."""

    as_of: _dt.datetime
    n_cases: int
    n_open: int
    n_overdue: int
    detractor_cases: int
    sla_decided: int
    sla_met: int
    sla_share: float | None = None
    median_hours_to_first_response: float | None = None
    median_hours_to_close: float | None = None
    by_owner: list[OwnerLoadOut]
    follow_up: FollowUpOut


PageOf = Page  # re-exported for route signatures

# pages and lists of the generated record models (values for ``response_model=``)
StakeholderPage: Any = Page[StakeholderRecord]  # type: ignore[valid-type]
JourneyPage: Any = Page[JourneyRecord]  # type: ignore[valid-type]
InteractionPage: Any = Page[InteractionRecord]  # type: ignore[valid-type]
CasePage: Any = Page[CaseOut]
TouchpointList: Any = list[TouchpointRecord]  # type: ignore[valid-type]
PartnerList: Any = list[PartnerRecord]  # type: ignore[valid-type]

__all__ = [
    "AccountDetail",
    "AccountRecord",
    "AccountSummary",
    "AtRisk",
    "AuditEntry",
    "CaseCreate",
    "CaseDetail",
    "CaseEventOut",
    "CaseOut",
    "CasePage",
    "CasePriority",
    "CaseUpdate",
    "ClosedLoop",
    "Comment",
    "Finding",
    "FollowUpOut",
    "Health",
    "ImportBatch",
    "ImportOutcome",
    "InteractionPage",
    "InteractionRecord",
    "JourneyPage",
    "JourneyRecord",
    "JourneyStageRecord",
    "JourneyWithStages",
    "Me",
    "Open",
    "OwnerLoadOut",
    "PageOf",
    "PartnerList",
    "PartnerRecord",
    "Priority",
    "Refreshed",
    "RejectRow",
    "RelationshipRecord",
    "StakeholderPage",
    "StakeholderRecord",
    "Subject",
    "TokenCreate",
    "TokenCreated",
    "TokenInfo",
    "TouchpointList",
    "TouchpointRecord",
]
