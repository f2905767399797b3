"""The results the API and dashboard cache: each one call into the library.

A key is ``name`` or ``name:argument`` (e.g. ``units:function_level``).
"""

from __future__ import annotations

from typing import Any

from b2bcx.api.results import Computation, ResultContext, Unavailable
from b2bcx.storage import Backend


def _metric(backend: Backend) -> str:
    """cx, or the rating the workspace has instead (``default_metric``)."""
    from b2bcx.measures.individual import default_metric

    return default_metric(backend)


def _accounts(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.collective import measure_units

    return measure_units(backend, by="account", metric=arg or _metric(backend))


def _units(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.collective import measure_units

    by, _, metric = arg.partition(",")
    return measure_units(backend, by=by or "function_level", metric=metric or _metric(backend))


def _groups(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.collective import account_groups

    return account_groups(backend)


def _map(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.maps import stage_control_map

    return stage_control_map(backend, metric=_metric(backend), per_account=arg == "accounts")


def _trend(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.breakdowns import monthly_trend

    return monthly_trend(backend, metric=_metric(backend), per_account=arg == "accounts")


def _split(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.breakdowns import split

    return split(backend, by=arg or "controller", metric=_metric(backend))


def _drivers(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.measures.keydrivers import key_drivers

    return key_drivers(backend, target="nps", drivers=arg or "goals", n_boot=100)


def _diagnosis(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.diagnose import DiagnoseOptions, diagnose

    return diagnose(backend, DiagnoseOptions(metric=_metric(backend))).to_json()


def _text(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.report.insights import text_insights

    found = text_insights(backend)
    if found is None:
        return Unavailable(
            "no comment has been analysed yet: run `b2bcx text analyze` "
            "on the workspace, then refresh"
        )
    return found


#: Above this many analysed comments the server does not cluster them itself.
MAX_TOPIC_COMMENTS = 200_000


def _topics(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.text import load_scores, topics

    scores = load_scores(backend)
    if scores is None:
        return Unavailable("no comment has been analysed yet: run `b2bcx text analyze`")
    if scores.interaction_id.nunique() > MAX_TOPIC_COMMENTS:
        return Unavailable(
            f"{scores.interaction_id.nunique():,} analysed comments are too many to cluster "
            f"inside the server (limit {MAX_TOPIC_COMMENTS:,}): run `b2bcx text topics`"
        )
    return topics(backend, store=False)


def _profile(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.strategy import profile

    return profile(backend).to_json()


def _assessment(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.strategy import assess
    from b2bcx.strategy.saved import resolve_answers

    # the server's --answers file, else the latest answers saved in the workspace
    return assess(backend, resolve_answers(backend, ctx.answers).answers).to_json()


def _plan(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.strategy import plan
    from b2bcx.strategy.saved import resolve_answers

    resolved = resolve_answers(backend, ctx.answers)
    return plan(backend, resolved.answers, previous=resolved.previous).to_json()


def _info(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.info import describe_workspace

    return describe_workspace(backend).to_dict()


def _catalogue(backend: Backend, arg: str, ctx: ResultContext) -> Any:
    from b2bcx.api.records import all_records

    return all_records(backend, arg)


COMPUTATIONS: dict[str, Computation] = {
    "accounts": _accounts,
    "units": _units,
    "groups": _groups,
    "map": _map,
    "trend": _trend,
    "split": _split,
    "drivers": _drivers,
    "diagnosis": _diagnosis,
    "text": _text,
    "topics": _topics,
    "profile": _profile,
    "assessment": _assessment,
    "plan": _plan,
    "catalogue": _catalogue,
    "info": _info,
}

#: What a server computes when it starts, in the order pages need them.
WARM_KEYS: tuple[str, ...] = (
    "catalogue:accounts",
    "catalogue:touchpoints",
    "catalogue:partners",
    "groups",
    "accounts",
    "trend",
    "map",
    "map:accounts",
    "units:function_level",
    "units:center",
    "units:group",
    "trend:accounts",
    "split:controller",
    "diagnosis",
    "drivers:touchpoints",
    "text",
    "profile",
    "assessment",
    "plan",
    "topics",
)
