"""What the server caches: each key names one attribute of the data version's
:class:`~b2bcx.analyses.Analyses` (no logic here: the library computes).

A key is ``name`` or ``name:argument`` (e.g. ``units:function_level``,
``map:accounts``). The values are the library's typed results (``Diagnosis``,
``Plan``, ``CollectiveResult``, frames); the catalogue keys hold the stored
rows of a small table.
"""

from __future__ import annotations

from typing import Any

from b2bcx.analyses import Analyses
from b2bcx.errors import NotAvailable
from b2bcx.server.results import Computation
from b2bcx.storage.records import all_records

#: Above this many analysed comments the server does not cluster them itself.
MAX_TOPIC_COMMENTS = 200_000

#: Why text results are missing before ``b2bcx text analyze`` ran.
NO_TEXT = (
    "no comment has been analysed yet: run `b2bcx text analyze` on the workspace, then refresh"
)


def _text(a: Analyses, arg: str) -> Any:
    found = a.text
    if found is None:
        raise NotAvailable(NO_TEXT)
    return found


def _topics(a: Analyses, arg: str) -> Any:
    # a server-side limit, not an analysis: clustering millions of comments
    # inside the server would hold a worker for hours
    from b2bcx.text import load_scores

    scores = load_scores(a.backend)
    if scores is None:
        raise NotAvailable("no comment has been analysed yet: run `b2bcx text analyze`")
    n = scores.interaction_id.nunique()
    if n > MAX_TOPIC_COMMENTS:
        raise NotAvailable(
            f"{n:,} analysed comments are too many to cluster inside the server "
            f"(limit {MAX_TOPIC_COMMENTS:,}): run `b2bcx text topics`"
        )
    return a.topics


COMPUTATIONS: dict[str, Computation] = {
    "accounts": lambda a, arg: a.units("account"),
    "units": lambda a, arg: a.units(arg or "function_level"),
    "groups": lambda a, arg: a.groups,
    "map": lambda a, arg: a.map(per_account=arg == "accounts"),
    "trend": lambda a, arg: a.trend(per_account=arg == "accounts"),
    "split": lambda a, arg: a.split(arg or "controller"),
    "activity": lambda a, arg: a.activity(),
    "earlier": lambda a, arg: a.earlier(int(arg or 3)).diagnosis,
    "drivers": lambda a, arg: a.drivers(arg or "goals"),
    "diagnosis": lambda a, arg: a.diagnosis,
    "scorecards": lambda a, arg: a.scorecards,
    "text": _text,
    "topics": _topics,
    "profile": lambda a, arg: a.profile,
    "assessment": lambda a, arg: a.assessment,
    "plan": lambda a, arg: a.plan,
    "info": lambda a, arg: a.info,
    "readiness": lambda a, arg: a.readiness(),
    "catalogue": lambda a, arg: all_records(a.backend, arg),
}

#: The results the portfolio page shows (the first page people open).
PORTFOLIO_KEYS: tuple[str, ...] = (
    "catalogue:accounts",
    "catalogue:touchpoints",
    "catalogue:partners",
    "readiness",
    "accounts",
    "drivers:touchpoints",
    "diagnosis",
    "activity",
    "trend",
    "map",
    "scorecards",
)

#: What a server computes when it starts, in the order pages need them: first
#: everything the portfolio page shows (the first page people open; the touchpoint
#: drivers for its partner scorecards), then the other pages.
WARM_KEYS: tuple[str, ...] = (
    *PORTFOLIO_KEYS,
    "trend:accounts",
    "groups",
    "map:accounts",
    "units:function_level",
    "units:center",
    "units:group",
    "split:controller",
    "text",
    "profile",
    "assessment",
    "plan",
    "topics",
    "earlier:3",
)

#: The computations a second background worker may take on its own connection
#: (:class:`~b2bcx.server.results.ResultCache` ``engine_keys``): results that
#: need no diagnosis, only the metric and the date (the account and other units,
#: counts and cells, the touchpoint drivers' bootstrap), so they are computed
#: while the first worker runs the diagnosis, which waits for none of them.
SECOND_WORKER_KEYS: frozenset[str] = frozenset(
    {"catalogue", "readiness", "accounts", "units", "drivers", "activity", "trend", "map",
     "split", "groups", "info"}
)  # fmt: skip

#: Results a computation reuses when they are there, queued just before it
#: (:class:`~b2bcx.server.results.ResultCache` ``prerequisites``): the diagnosis
#: takes the bootstrapped touchpoint drivers (which the scorecards need anyway)
#: instead of computing their point estimates, whatever order a page asks in.
PREREQUISITES: dict[str, tuple[str, ...]] = {"diagnosis": ("drivers:touchpoints",)}

#: What a server warms only on a workspace of at most
#: :attr:`~b2bcx.server.settings.ServerSettings.warm_earlier_up_to` interactions:
#: the diagnosis as of 3 months earlier (the portfolio's "at high risk then") is
#: a second full diagnosis, which on a large workspace doubles the start's work.
#: Above that size it is computed when a page first asks for it.
SIZE_LIMITED_KEYS: tuple[str, ...] = ("earlier:3",)


def on_demand_keys(n_interactions: int, warm_up_to: int) -> tuple[str, ...]:
    """The warm keys a workspace of ``n_interactions`` computes only on demand:
    :data:`SIZE_LIMITED_KEYS` above ``warm_up_to`` interactions, else none."""
    return SIZE_LIMITED_KEYS if n_interactions > warm_up_to else ()
