"""Text insights: goals, emotions and topics with example comments."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render
from b2bcx.web.routes.text_jobs import JOB_REFRESH_SECONDS, job_context

router = APIRouter(include_in_schema=False)


@router.get("/text", response_class=HTMLResponse)
def text(request: Request, visitor: Visitor, state: State) -> HTMLResponse:
    """The text insights page (topics only once computed: they take a clustering run)."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Text insights")
    insights = state.results.get("text")
    topics = state.results.peek("topics")
    job = job_context(request, state)
    page = render(
        request,
        "text.html",
        text_job=job,
        insights=insights,
        topics=None
        if topics is None
        else (
            topics.value
            if isinstance(topics.value, Unavailable)
            else topics.value.to_dict("records")
        ),
    )
    following = job["job"].running or (job["job"].state == "done" and state.results.is_refreshing())
    if following:  # the page follows the analysis until its results are in
        page.headers["Refresh"] = str(JOB_REFRESH_SECONDS)
        page.headers["Cache-Control"] = "no-store"
    return page
