"""The demo supplier's fixed world: partners and the touchpoint catalogue.

The supplier is an industrial equipment maker ("Nordhav Machines") selling
machines, service contracts, spare parts and retrofits, directly and through
dealers, service partners, a logistics firm and a line integrator. Touchpoints
cover the four journey stages and the four controllers (Witell et al. 2020,
Table 2): each has a *topic* that the comment language draws on.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("P-DLR-1", "Nordic Machinery Dealers", "dealer"),
    ("P-DLR-2", "Central Europe Equipment", "dealer"),
    ("P-SRV-1", "ProService Technik", "service_provider"),
    ("P-SRV-2", "Rapid Field Service", "service_provider"),
    ("P-LOG-1", "FreightLine Logistics", "logistics"),
    ("P-INT-1", "LineTech Integration", "integrator"),
)
DEALERS = ("P-DLR-1", "P-DLR-2")
SERVICE_PARTNERS = ("P-SRV-1", "P-SRV-2")
#: The planted weak partner (C4): its touchpoints underperform comparable ones.
WEAK_PARTNER = "P-SRV-1"


@dataclass(frozen=True)
class TouchpointDef:
    """One catalogue entry."""

    touchpoint_id: str
    name: str
    stage: str
    channel: str
    controller: str
    partner_id: str | None
    topic: str
    cues: tuple[str, ...] = ()


def _tp(
    tid: str,
    name: str,
    stage: str,
    channel: str,
    controller: str,
    topic: str,
    partner: str | None = None,
    cues: tuple[str, ...] = (),
) -> TouchpointDef:
    return TouchpointDef(tid, name, stage, channel, controller, partner, topic, cues)


TOUCHPOINTS: tuple[TouchpointDef, ...] = (
    # pre-bid engagement
    _tp(
        "TP-FAIR",
        "Industry trade fair",
        "pre_bid",
        "physical",
        "external",
        "fair",
        cues=("booth demonstration", "product brochure"),
    ),
    _tp("TP-PRESS", "Trade press and analyst reviews", "pre_bid", "digital", "external", "press"),
    _tp(
        "TP-SALESV",
        "Sales engineer visit",
        "pre_bid",
        "human",
        "supplier",
        "sales",
        cues=("needs analysis", "line audit"),
    ),
    _tp("TP-CONFIG", "Online machine configurator", "pre_bid", "digital", "supplier", "portal"),
    _tp("TP-REFSITE", "Reference site visit", "pre_bid", "physical", "customer", "reference"),
    _tp(
        "TP-DEMO-1",
        "Dealer product demo (Nordic Machinery Dealers)",
        "pre_bid",
        "physical",
        "partner",
        "sales",
        partner="P-DLR-1",
    ),
    _tp(
        "TP-DEMO-2",
        "Dealer product demo (Central Europe Equipment)",
        "pre_bid",
        "physical",
        "partner",
        "sales",
        partner="P-DLR-2",
    ),
    # negotiation
    _tp(
        "TP-QUOTE",
        "Quote and total-cost-of-ownership proposal",
        "negotiation",
        "hybrid",
        "supplier",
        "quote",
        cues=("price breakdown", "TCO calculation"),
    ),
    _tp(
        "TP-CONTRACT",
        "Contract negotiation meeting",
        "negotiation",
        "human",
        "supplier",
        "contract",
    ),
    _tp(
        "TP-PROCURE",
        "Customer procurement portal",
        "negotiation",
        "digital",
        "customer",
        "procurement",
    ),
    _tp(
        "TP-FIN-1",
        "Dealer financing offer (Nordic Machinery Dealers)",
        "negotiation",
        "human",
        "partner",
        "quote",
        partner="P-DLR-1",
    ),
    _tp(
        "TP-FIN-2",
        "Dealer financing offer (Central Europe Equipment)",
        "negotiation",
        "human",
        "partner",
        "quote",
        partner="P-DLR-2",
    ),
    # implementation
    _tp(
        "TP-DELIVERY",
        "Machine delivery",
        "implementation",
        "physical",
        "partner",
        "delivery",
        partner="P-LOG-1",
        cues=("delivery slot", "unloading"),
    ),
    _tp(
        "TP-INSTALL",
        "Installation and commissioning",
        "implementation",
        "human",
        "supplier",
        "install",
        cues=("commissioning report", "test run"),
    ),
    _tp(
        "TP-INTEG",
        "Line integration",
        "implementation",
        "human",
        "partner",
        "integration",
        partner="P-INT-1",
    ),
    _tp(
        "TP-TRAIN",
        "Operator training",
        "implementation",
        "hybrid",
        "supplier",
        "training",
        cues=("training manual", "hands-on session"),
    ),
    _tp("TP-SAT", "Site acceptance test", "implementation", "physical", "customer", "acceptance"),
    # operations
    _tp(
        "TP-SVC",
        "Service technician visit",
        "operations",
        "human",
        "supplier",
        "service",
        cues=("arrival time", "repair report"),
    ),
    _tp(
        "TP-SVC-1",
        "Service visit (ProService Technik)",
        "operations",
        "human",
        "partner",
        "service",
        partner="P-SRV-1",
        cues=("arrival time",),
    ),
    _tp(
        "TP-SVC-2",
        "Service visit (Rapid Field Service)",
        "operations",
        "human",
        "partner",
        "service",
        partner="P-SRV-2",
        cues=("arrival time",),
    ),
    _tp(
        "TP-PARTS",
        "Spare parts webshop",
        "operations",
        "digital",
        "supplier",
        "parts",
        cues=("stock availability", "order tracking"),
    ),
    _tp("TP-MONITOR", "Remote monitoring portal", "operations", "digital", "supplier", "portal"),
    _tp("TP-HOTLINE", "Technical support hotline", "operations", "human", "supplier", "hotline"),
    _tp("TP-REVIEW", "Annual account review", "operations", "human", "supplier", "review"),
    _tp("TP-BILLING", "Invoicing and billing", "operations", "digital", "supplier", "billing"),
    _tp("TP-ONLINE", "Online review sites", "operations", "digital", "external", "press"),
    _tp(
        "TP-MAINT",
        "Customer's own maintenance planning",
        "operations",
        "human",
        "customer",
        "maintenance",
    ),
)

#: A touchpoint whose control moves from the supplier to a partner (C4/C5):
#: (touchpoint id, date, new controller, new partner).
CONTROL_CHANGE = ("TP-HOTLINE", "2024-09-01", "partner", "P-SRV-2")

STAGES = ("pre_bid", "negotiation", "implementation", "operations")
BUYING_STAGES = ("pre_bid", "negotiation")
USAGE_STAGES = ("implementation", "operations")

OFFERINGS = (
    "Packaging line machine",
    "Full-service contract",
    "Spare parts agreement",
    "Retrofit project",
    "Remote monitoring subscription",
)
INDUSTRIES = (
    "food processing",
    "automotive",
    "mining",
    "pulp and paper",
    "pharmaceuticals",
    "chemicals",
    "logistics",
)
SEGMENTS = ("key account", "mid-market", "SMB")
COUNTRIES = ("SE", "NO", "FI", "DK", "DE", "NL", "PL", "GB", "FR", "US")
