"""Data readiness: the ``/readiness`` page (every analysis, whether the data
supports it, why and what unlocks it) and the panel pages include where they
would otherwise be empty (``_readiness.html``).

The panel's data comes from :func:`readiness_gaps`, a template global this
module registers on the dashboard's template environment: a page includes the
partial with the analyses it shows, and the panel lists those the data does not
(fully) support::

    {% with readiness_keys=["map", "key_drivers", "C4"] %}
    {% include "_readiness.html" %}{% endwith %}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from b2bcx.readiness import READY, UNAVAILABLE
from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.web.deps import Visitor
from b2bcx.web.render import environment, render

router = APIRouter(include_in_schema=False)


def readiness_gaps(
    request: Request, keys: Iterable[str], *, partial: bool = True
) -> list[dict[str, Any]]:
    """The analyses of ``keys`` the data does not support (unavailable ones, and
    partial ones with ``partial``), each as its JSON object, for the panel.

    Empty for a visitor limited to some accounts (the counts cover every account)
    and while readiness itself cannot be computed.
    """
    principal = getattr(request.state, "principal", None)
    state = getattr(request.app.state, "b2bcx", None)
    if state is None or principal is None or principal.is_restricted:
        return []
    found = state.results.get("readiness")
    if isinstance(found, Unavailable):
        return []
    wanted = list(keys)
    skip = {READY} if partial else {READY, "partial"}
    rows = [a.to_dict() for a in found.analyses if a.key in wanted and a.status not in skip]
    rows.sort(key=lambda a: wanted.index(a["key"]))
    return rows


environment().globals["readiness_gaps"] = readiness_gaps


@router.get("/readiness", response_class=HTMLResponse)
def readiness(request: Request, visitor: Visitor, state: State) -> HTMLResponse:
    """Every analysis b2bcx offers, whether this workspace's data supports it, why
    (counts) and what to add to unlock it."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Data readiness")
    found = state.results.get("readiness")
    if isinstance(found, Unavailable):
        return render(request, "readiness.html", readiness=found, areas={})
    areas: dict[str, list[dict[str, Any]]] = {}
    for a in found.analyses:
        areas.setdefault(a.area, []).append(a.to_dict())
    return render(
        request,
        "readiness.html",
        readiness=found.to_dict(),
        areas=areas,
        unavailable=UNAVAILABLE,
    )
