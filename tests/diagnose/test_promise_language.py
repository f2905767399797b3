"""The promise matcher of C3 on language other than the demo's (a test of its generality).

The sentences below were written for this test, in the voice of B2B customers
of several industries, and were never shown to any world generator: broken
promises said in many ways, kept promises and near misses that must not
fire, and promises made during a sale. The same patterns must mean the same
in DuckDB's RE2 as in Python (no look-arounds, no ``\\b``).

Measured on the 5,772 G2 sentences (``python scripts/text_corpus.py sentences``,
docs/diagnose.md): the broken-promise pattern fires on 5, all five about a
promise not kept (over-promising, "promised to get back … haven't heard");
the promise-made pattern fires on 14, of which 9 are about a supplier's
promise.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from b2bcx.diagnose.data import PROMISE_BROKEN, PROMISE_MADE

BROKEN = [
    "We were told the data migration was included, but then they billed us for it.",
    "The onboarding workshops they promised never happened.",
    "Sales promised us a dedicated account manager and we never got one.",
    "They often make promises to follow up on our tickets but never do.",
    "Big promises, poor delivery.",
    "Honestly it was over-promised and under-delivered.",
    "What we were sold is not what we got.",
    "The features we were promised at signing are still not available a year later.",
    "Premium support that was supposed to be free is now charged as an extra.",
    "They said training was part of the package, then sent us an invoice for it.",
    "Still waiting for the SAP connector they committed to before we signed.",
    "The uptime they guaranteed in the contract has not been honoured.",
    "The discount promised by the account executive did not show up on the invoice.",
    "They failed to deliver what was promised during the sales process.",
    "None of the commitments made during the negotiation were kept.",
    "The free health checks stopped after the first quarter and are now billed.",
    "Our rep assured us the API limits would be lifted, which never happened.",
    "The implementation partner didn't deliver the reports we'd been promised.",
]
NOT_BROKEN = [
    "The product delivers on its promise.",
    "Implementation was done exactly as promised.",
    "They kept every commitment made during the sale.",
    "The roadmap looks promising.",
    "The free plan is great for small teams.",
    "Support is included and it is excellent.",
    "Never had a single outage in two years.",
    "We have not found a better tool for field service scheduling.",
    "Billing is clear and the invoices are on time.",
    "The go-live happened on the date we agreed.",
]
MADE = [
    "During the demo they promised free onboarding for the whole team.",
    "The account executive guaranteed 99.9 % uptime in the proposal.",
    "We were told training would come at no extra cost.",
    "In the negotiation they committed to a dedicated customer success manager.",
    "Data migration would be free of charge, according to the offer.",
    "The sales rep assured us that the integration would be ready by go-live.",
    "Their proposal promises a named support engineer.",
    "They offered the first year of premium support for free to close the deal.",
]
NOT_MADE = [
    "The roadmap looks promising.",
    "We are committed to the process on our side.",
    "Our category is not included in the reports.",
    "The interface is clean and easy to use.",
    "Pricing is transparent and fair.",
    "The free trial was long enough to evaluate it.",
    "We compared three vendors before choosing this one.",
    "The reports include everything our finance team needs.",
]

DEMO = (
    "During the bid they promised free commissioning support and a dedicated service contact.",
    "The free support and the dedicated contact we were promised never materialised.",
)


def _fires(pattern: str, sentences: list[str]) -> list[str]:
    return [s for s in sentences if re.search(pattern, s.lower())]


def test_broken_promises_in_many_words() -> None:
    assert _fires(PROMISE_BROKEN, BROKEN) == BROKEN


def test_kept_promises_and_near_misses_do_not_fire() -> None:
    assert _fires(PROMISE_BROKEN, NOT_BROKEN) == []


def test_promises_made_during_the_sale() -> None:
    assert _fires(PROMISE_MADE, MADE) == MADE
    assert _fires(PROMISE_MADE, NOT_MADE) == []


def test_the_demo_sentences_still_match() -> None:
    assert re.search(PROMISE_MADE, DEMO[0].lower())
    assert re.search(PROMISE_BROKEN, DEMO[1].lower())


@pytest.mark.parametrize("pattern", [PROMISE_MADE, PROMISE_BROKEN])
def test_duckdb_reads_the_patterns_as_python_does(pattern: str) -> None:
    everything = BROKEN + NOT_BROKEN + MADE + NOT_MADE
    rows = duckdb.sql(
        "select s from (select unnest(?) as s) where regexp_matches(lower(s), ?)",
        params=[everything, pattern],
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(_fires(pattern, everything))
