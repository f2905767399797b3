"""Comment language: business prose composed from parts tied to the experience.

A comment is built from a sentence about the touchpoint's topic in the tone of
the experience (negative, mixed, positive), often a sentence about the customer
goal it touched (Wirtz et al. 2025, Table 1), sometimes an opener or closer,
and — for planted C3 accounts — the promise made early and broken later.
Choices are drawn with NumPy for all commented rows at once; a few comments
are made short, lower-case or misspelt, as people write.
"""

from __future__ import annotations

import numpy as np

NEG, MIX, POS = 0, 1, 2

TOPIC: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "fair": (
        (
            "The booth was crowded and nobody had time to discuss our line layout.",
            "The trade fair demo broke down twice, which did not inspire confidence.",
        ),
        ("The trade fair stand showed the new models but little about service.",),
        (
            "The live demo at the fair convinced our production manager.",
            "Great conversations at the trade fair; the engineers knew our process.",
        ),
    ),
    "press": (
        (
            "Reviews online mention long waiting times for spare parts.",
            "The analyst report rates their service network as weak in our region.",
        ),
        ("The trade press coverage was fair but generic.",),
        (
            "Peers in the industry speak highly of their machines.",
            "The review sites confirm the reliability we were told about.",
        ),
    ),
    "sales": (
        (
            "The sales engineer pushed the big model without understanding our volumes.",
            "The dealer demo was poorly prepared and the unit on show was outdated.",
        ),
        ("The sales visit was fine, but we had to explain our process twice.",),
        (
            "The sales engineer took time to understand our bottlenecks on the line.",
            "The dealer's demonstration on our own product samples was very convincing.",
        ),
    ),
    "reference": (
        ("The reference site had problems they did not want to talk about.",),
        ("The reference visit was useful but the plant is much larger than ours.",),
        ("Seeing the machine run at a reference plant answered most of our questions.",),
    ),
    "quote": (
        (
            "The quote arrived three weeks late and the price breakdown was unclear.",
            "Hidden costs for commissioning and training appeared only in the final offer.",
        ),
        ("The quote was complete but the financing terms took several rounds.",),
        (
            "Procurement appreciated the transparent total-cost-of-ownership model in the quote.",
            "The financing offer made the investment easy to approve internally.",
        ),
    ),
    "contract": (
        ("Negotiations dragged on and every change needed approval from headquarters.",),
        ("The contract terms are standard; liability clauses needed some work.",),
        ("The negotiation was constructive and they were flexible on payment terms.",),
    ),
    "procurement": (
        ("Their documents never matched the format our procurement portal requires.",),
        ("Supplier onboarding in our portal took longer than planned.",),
        ("They handled our procurement portal and compliance forms without any fuss.",),
    ),
    "delivery": (
        (
            "The machine was delivered a week late and the delivery slot was never confirmed.",
            "The forwarder damaged the packaging and a panel had to be replaced.",
        ),
        ("Delivery was on the agreed day but unloading instructions were missing.",),
        ("Delivery was punctual and the driver coordinated well with our warehouse.",),
    ),
    "install": (
        (
            "Commissioning took twice as long as planned and the line stood still for days.",
            "The technicians left before the test run was signed off.",
        ),
        ("Installation went reasonably; some settings had to be redone later.",),
        (
            "The commissioning team was excellent and the line was running on day two.",
            "Installation was smooth, with a clear commissioning report.",
        ),
    ),
    "integration": (
        ("The integrator and the supplier blamed each other for the interface problems.",),
        ("Integration with our MES needed more workarounds than expected.",),
        ("Line integration was handled professionally by the integrator.",),
    ),
    "training": (
        ("The operator training was rushed and the manual is only in English.",),
        ("Training covered the basics; our maintenance staff wanted more depth.",),
        (
            "Our operators gained real confidence from the hands-on training.",
            "The training helped our team run the machine in new ways.",
        ),
    ),
    "acceptance": (
        ("The site acceptance test revealed open points that are still not closed.",),
        ("The acceptance test passed with a list of minor punch items.",),
        ("The site acceptance test went smoothly and was well documented.",),
    ),
    "service": (
        (
            "The technician arrived two days late and the line stood still; we lost a full shift.",
            "The service visit did not fix the root cause and the fault came back a week later.",
            "Nobody told us when the technician would arrive; we waited all morning.",
        ),
        ("The technician fixed the problem but had to come back for a missing part.",),
        (
            "The service technician was on site within hours and fixed the fault quickly.",
            "Very competent technician who also explained how to prevent the issue.",
        ),
    ),
    "parts": (
        (
            "Spare parts showed as in stock but were back-ordered for three weeks.",
            "Ordering spare parts online is a maze of part numbers.",
        ),
        ("The webshop works, though order tracking is often out of date.",),
        ("Ordering spare parts in the webshop takes two minutes and delivery is next day.",),
    ),
    "portal": (
        ("The portal keeps logging us out and the data export does not work.",),
        ("The portal shows the key figures but is not intuitive.",),
        (
            "The remote monitoring portal gives our engineers insights we never had before.",
            "The online configurator made it easy to compare options.",
        ),
    ),
    "hotline": (
        (
            "The support hotline put us on hold for forty minutes.",
            "Each call to the hotline means explaining the problem from the start.",
        ),
        ("The hotline answered quickly but needed to escalate the question.",),
        ("The hotline engineer solved our issue remotely within the hour.",),
    ),
    "review": (
        ("The account review was a sales pitch rather than a review of our issues.",),
        ("The annual review covered performance figures but few improvements.",),
        ("The annual account review was open and we agreed concrete improvements together.",),
    ),
    "billing": (
        ("Invoices do not match our order numbers; our accounts team chases corrections.",),
        ("Billing is correct most of the time.",),
        ("Invoicing is accurate and arrives in the format our finance team needs.",),
    ),
    "maintenance": (
        ("Planning maintenance is hard because service windows are never confirmed.",),
        ("We plan maintenance ourselves with the data they provide.",),
        ("Their maintenance recommendations fit well into our own planning.",),
    ),
}

GOAL: dict[str, tuple[str, str]] = {  # (negative, positive)
    "efficiency": (
        "This costs us uptime and money.",
        "It clearly lowers our cost per unit and keeps uptime high.",
    ),
    "differentiation": (
        "We expected the new line to give us an edge, but it has not.",
        "It helps us offer products our competitors cannot.",
    ),
    "association": (
        "Being linked to this supplier does not help our reputation right now.",
        "Working with a respected brand strengthens our position with our own customers.",
    ),
    "convenience": (
        "It made my job harder than it needs to be.",
        "It saves me a lot of hassle in my daily work.",
    ),
    "empowerment": (
        "We do not get the know-how to develop our own skills.",
        "I learned a lot and can now solve more problems myself.",
    ),
    "relationships": (
        "We feel like just another order number.",
        "Our contact person really knows us and cares.",
    ),
}

OPENERS = ("Overall:", "Honestly,", "To be frank,", "Feedback from our plant:", "In short:")
CLOSERS = (
    "Please follow up.",
    "We will raise this at the next review.",
    "Thanks to the team.",
    "Happy to discuss.",
)
PROMISE_MADE = (
    "During the bid they promised free commissioning support and a dedicated service contact."
)
PROMISE_BROKEN = "The free support and the dedicated contact we were promised never materialised."


def _typo(text: str, rng: np.random.Generator) -> str:
    if len(text) < 12:
        return text
    i = int(rng.integers(1, len(text) - 2))
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def compose_comments(
    rng: np.random.Generator,
    topics: list[str],
    tone: np.ndarray,
    goals: list[str],
    promise: np.ndarray,
) -> list[str]:
    """One comment per row: topic sentence in ``tone``, a goal phrase, extras.

    ``promise`` is 0 (none), 1 (promise made) or 2 (promise broken).
    """
    n = len(topics)
    pick = rng.random((n, 4))
    out: list[str] = []
    for i in range(n):
        bank = TOPIC[topics[i]][int(tone[i])]
        parts = [bank[int(pick[i, 0] * len(bank))]]
        if tone[i] != MIX and pick[i, 1] < 0.55:
            parts.append(GOAL[goals[i]][1 if tone[i] == POS else 0])
        if promise[i] == 1:
            parts.insert(0, PROMISE_MADE)
        elif promise[i] == 2:
            parts.append(PROMISE_BROKEN)
        if pick[i, 2] < 0.15:
            parts.insert(0, OPENERS[int(pick[i, 3] * len(OPENERS))])
        elif pick[i, 2] > 0.9:
            parts.append(CLOSERS[int(pick[i, 3] * len(CLOSERS))])
        text = " ".join(parts)
        style = pick[i, 3]
        if style < 0.05:
            text = text.lower()
        elif style < 0.09:
            text = _typo(text, rng)
        elif style > 0.95 and promise[i] == 0:
            text = parts[0].split(" and ")[0].split(";")[0].rstrip(".") + "."
        out.append(text)
    return out
