"""Enumerations of the B2B CX domain, with the framework each one comes from.

Values are the lower-case words of the bundle format (``DATA_FORMAT.md``);
they are a public contract.
"""

from __future__ import annotations

from enum import StrEnum


class RelationshipType(StrEnum):
    """Witell et al. (2020), dimension 1: the type of business relationship."""

    TRANSACTIONAL = "transactional"
    RELATIONAL = "relational"


class Controller(StrEnum):
    """Witell et al. (2020), dimension 2: who controls a touchpoint."""

    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    PARTNER = "partner"
    EXTERNAL = "external"


class Function(StrEnum):
    """Witell et al. (2020), dimension 3: the function a customer's person works in."""

    MANAGEMENT = "management"
    PROCUREMENT = "procurement"
    FINANCE = "finance"
    IT = "it"
    ENGINEERING = "engineering"
    PRODUCTION = "production"
    OPERATIONS = "operations"
    MAINTENANCE = "maintenance"
    QUALITY = "quality"
    LOGISTICS = "logistics"
    SALES = "sales"
    HR = "hr"
    OTHER = "other"


class Level(StrEnum):
    """Witell et al. (2020), dimension 3: hierarchical level."""

    EXECUTIVE = "executive"
    MANAGER = "manager"
    OPERATIONAL = "operational"


class Center(StrEnum):
    """Buying centre vs usage centre membership (Witell et al. 2020, section 2.3)."""

    BUYING = "buying"
    USAGE = "usage"
    BOTH = "both"


class Stage(StrEnum):
    """Witell et al. (2020), dimension 4: the stages of a B2B customer journey."""

    PRE_BID = "pre_bid"
    NEGOTIATION = "negotiation"
    IMPLEMENTATION = "implementation"
    OPERATIONS = "operations"


class Channel(StrEnum):
    """How a touchpoint is delivered."""

    HUMAN = "human"
    DIGITAL = "digital"
    PHYSICAL = "physical"
    HYBRID = "hybrid"


class PartnerKind(StrEnum):
    """Kinds of third parties that serve the supplier's customers."""

    DEALER = "dealer"
    DISTRIBUTOR = "distributor"
    SERVICE_PROVIDER = "service_provider"
    INTEGRATOR = "integrator"
    LOGISTICS = "logistics"
    CONSULTANT = "consultant"
    OTHER = "other"


class Source(StrEnum):
    """Where an experience record comes from (rich CX data, Wirtz et al. 2025)."""

    SURVEY = "survey"
    TICKET = "ticket"
    EMAIL = "email"
    REVIEW = "review"
    CALL = "call"
    MEETING = "meeting"
    EVENT = "event"
    OTHER = "other"


class Goal(StrEnum):
    """Wirtz et al. (2025), Table 1: the six customer goals."""

    EFFICIENCY = "efficiency"
    DIFFERENTIATION = "differentiation"
    ASSOCIATION = "association"
    CONVENIENCE = "convenience"
    EMPOWERMENT = "empowerment"
    RELATIONSHIPS = "relationships"


class GoalLevel(StrEnum):
    """Wirtz et al. (2025): goals sit on the organizational or the individual level."""

    ORGANIZATIONAL = "organizational"
    INDIVIDUAL = "individual"


class ValueProposition(StrEnum):
    """Wirtz et al. (2025), Table 1: the three CXM value propositions."""

    RELIEVING = "relieving"
    ENABLING = "enabling"
    ENRICHING = "enriching"


class OutcomeKind(StrEnum):
    """Commercial events on an account."""

    NEW_CONTRACT = "new_contract"
    RENEWAL = "renewal"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"


class ActivityKind(StrEnum):
    """Kinds of the supplier's own CXM activities (Wirtz et al. 2025, section 4)."""

    MEASUREMENT = "measurement"
    TECHNOLOGY = "technology"
    PROGRAM = "program"
    TOUCHPOINT_DESIGN = "touchpoint_design"
    TRAINING = "training"
    GOVERNANCE = "governance"
    OTHER = "other"


#: Wirtz et al. (2025), Table 1: each goal's level and value proposition.
#: Relieving: efficiency (organizational), convenience (individual);
#: enabling: differentiation, empowerment; enriching: association, relationships.
GOAL_LEVEL: dict[Goal, GoalLevel] = {
    Goal.EFFICIENCY: GoalLevel.ORGANIZATIONAL,
    Goal.DIFFERENTIATION: GoalLevel.ORGANIZATIONAL,
    Goal.ASSOCIATION: GoalLevel.ORGANIZATIONAL,
    Goal.CONVENIENCE: GoalLevel.INDIVIDUAL,
    Goal.EMPOWERMENT: GoalLevel.INDIVIDUAL,
    Goal.RELATIONSHIPS: GoalLevel.INDIVIDUAL,
}

GOAL_VALUE_PROPOSITION: dict[Goal, ValueProposition] = {
    Goal.EFFICIENCY: ValueProposition.RELIEVING,
    Goal.CONVENIENCE: ValueProposition.RELIEVING,
    Goal.DIFFERENTIATION: ValueProposition.ENABLING,
    Goal.EMPOWERMENT: ValueProposition.ENABLING,
    Goal.ASSOCIATION: ValueProposition.ENRICHING,
    Goal.RELATIONSHIPS: ValueProposition.ENRICHING,
}

#: The order of the journey stages (Witell et al. 2020, dimension 4).
STAGE_ORDER: tuple[Stage, ...] = (
    Stage.PRE_BID,
    Stage.NEGOTIATION,
    Stage.IMPLEMENTATION,
    Stage.OPERATIONS,
)

#: The stages the buying centre meets (bid and negotiation) and those the usage
#: centre lives with (implementation and operations): Witell et al. (2020),
#: section 3.2.1 (C3, mismatches across the customer journey).
BUYING_STAGES: tuple[Stage, ...] = (Stage.PRE_BID, Stage.NEGOTIATION)
USAGE_STAGES: tuple[Stage, ...] = (Stage.IMPLEMENTATION, Stage.OPERATIONS)
