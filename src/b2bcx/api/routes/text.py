"""Text insights: goals, emotions and topics in what customers write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Analyst, State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Open, TextJobOut
from b2bcx.server.convert import records
from b2bcx.server.text_job import TextJobStatus, comment_counts, job_connection, text_job
from b2bcx.server.views import json_result, result

router = APIRouter(prefix=f"{API_PREFIX}/text", tags=["text"], responses=ERROR_RESPONSES)


@router.get("/insights", response_model=Open, summary="Goals, emotions, sentiment")
def insights(caller: Viewer, state: State) -> dict[str, Any]:
    """What the analysed comments say: the six goals, the Ekman emotions, sentiment
    and effort, each with example comments (409 until text was analysed)."""
    require_all_accounts(caller, "text insights")
    return json_result(state.results, "text")


@router.get("/topics", response_model=list[Open], summary="Topics")
def topics(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Themes of the analysed comments with their share, sentiment and examples."""
    require_all_accounts(caller, "topics")
    return records(result(state.results, "topics"))


def _job_out(state: Any, job: TextJobStatus, *, started: bool = False) -> dict[str, Any]:
    comments, analysed = comment_counts(state)
    return {**job.to_dict(), "comments": comments, "analysed": analysed, "started": started}


@router.post(
    "/analyze",
    response_model=TextJobOut,
    status_code=202,
    summary="Analyse the comments not analysed yet",
)
def analyze(request: Request, caller: Analyst, state: State) -> dict[str, Any]:
    """Start the text analysis in the background: every comment not scored yet
    gets its goals, value propositions, sentiment, emotions and effort. One job at
    a time: while one runs, this returns it (``started`` false). Follow it with
    ``GET /api/v1/text/analyze``; the text results refresh when it ends."""
    require_all_accounts(caller, "the text analysis")
    job = text_job(request.app)
    status, started = job.start(
        job_connection(state), by=caller.owner_name, on_done=state.results.invalidate
    )
    return _job_out(state, status, started=started)


@router.get("/analyze", response_model=TextJobOut, summary="The text analysis job")
def analyze_status(request: Request, caller: Viewer, state: State) -> dict[str, Any]:
    """Where the text analysis job stands (``idle`` when none ran in this server),
    with how many comments the workspace has and how many are analysed."""
    return _job_out(state, text_job(request.app).status())
