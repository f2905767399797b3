"""Comments of this industry (field-service software, service desk, integrators).

Written for this generator: the promise and broken-promise wording is its own.
"""

from __future__ import annotations

import numpy as np

POSITIVE = np.array([
    "Go-live went smoothly and the dispatchers picked up the new planner within a week.",
    "Ticket resolved the same afternoon, with a clear explanation of the root cause.",
    "The licence overview finally matches what we pay for.",
    "Good session, our admins now manage work orders without calling anyone.",
    "Uptime has been solid this quarter and the status updates were timely.",
    "They listened to our roadmap wishes and came back with a concrete plan.",
    "The invoice was correct and easy to reconcile with the purchase order.",
    "Mobile app works offline in the basements now, technicians are pleased.",
])  # fmt: skip
NEUTRAL = np.array([
    "Ticket closed; we will monitor whether the sync error comes back.",
    "Reviewed the usage report together, nothing special to note.",
    "The migration checklist is clear, waiting for our own data export.",
    "Renewal paperwork received, legal is reviewing the terms.",
    "SSO works for most users, a few accounts still need to be mapped.",
    "The demo covered the scheduling module; analytics will be shown next time.",
])  # fmt: skip
NEGATIVE = np.array([
    "Third ticket about the same sync failure and still no fix.",
    "The integrator's consultants changed every two weeks and we had to explain everything again.",
    "Outage during our peak morning and the status page said all systems operational.",
    "Licence uplift at renewal came without any warning or justification.",
    "Nobody from the vendor has visited us since the contract was signed.",
    "Training was generic slides, nothing about how our field teams actually work.",
    "Invoice lists modules we never activated; credit note took two months.",
    "The data migration lost our asset history and we are re-keying it by hand.",
])  # fmt: skip
PROMISE = np.array([
    "Sales confirmed the SSO connector comes at no extra charge.",
    "They committed to a dedicated migration lead for the whole project.",
    "We were assured that onboarding for all sites is part of the package.",
    "The account executive guaranteed a 4-hour response on priority tickets.",
])  # fmt: skip
BROKEN = np.array([
    "The SSO connector we were told was part of the deal now shows up as a paid add-on.",
    "The dedicated migration lead we were assured of was never assigned.",
    "Onboarding of the other sites is suddenly a separate statement of work.",
    "Priority tickets wait two days, nothing like the response time agreed at signing.",
])  # fmt: skip


def make_comments(
    rng: np.random.Generator,
    latent: np.ndarray,
    buying: np.ndarray,
    promise_account: np.ndarray,
    share: float = 0.35,
) -> np.ndarray:
    """One comment or ``""`` per interaction.

    ``latent`` is the interaction's latent rating (0–10), ``buying`` whether it is
    at a buying stage, ``promise_account`` whether its account had a promise
    broken (planted C3). Elsewhere buying-stage promises are made and kept.
    """
    n = latent.size
    out = np.full(n, "", dtype=object)
    has = rng.random(n) < share
    pos, neg = latent >= 7.5, latent <= 4.5
    pick = rng.random(n)
    out[has & pos] = POSITIVE[(pick[has & pos] * POSITIVE.size).astype(int)]
    out[has & neg] = NEGATIVE[(pick[has & neg] * NEGATIVE.size).astype(int)]
    mid = has & ~pos & ~neg
    out[mid] = NEUTRAL[(pick[mid] * NEUTRAL.size).astype(int)]
    promise = has & buying & (rng.random(n) < 0.2)
    out[promise] = PROMISE[(pick[promise] * PROMISE.size).astype(int)]
    broken = has & ~buying & promise_account & (latent < 6.5) & (rng.random(n) < 0.5)
    out[broken] = BROKEN[(pick[broken] * BROKEN.size).astype(int)]
    return out
