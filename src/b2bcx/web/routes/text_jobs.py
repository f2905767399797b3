"""Starting the text analysis from the dashboard (the text page's button).

The job itself is :mod:`b2bcx.server.text_job`; the text page shows its
progress and refreshes by itself while it runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from b2bcx.server.http import State
from b2bcx.server.sessions import csrf_ok
from b2bcx.server.text_job import comment_counts, estimate_seconds, job_connection, text_job
from b2bcx.web.deps import AnalystVisitor, refuse_forged_form

router = APIRouter(include_in_schema=False)

#: Seconds between the text page's reloads while the analysis runs.
JOB_REFRESH_SECONDS = 3


@router.post("/text/analyze")
def analyze(
    request: Request,
    visitor: AnalystVisitor,
    state: State,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    """Start analysing the comments not analysed yet; back to the text page."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    status, started = text_job(request.app).start(
        job_connection(state), by=visitor.owner_name, on_done=state.results.invalidate
    )
    state.audit(token_id=visitor.token_id, role=visitor.role.value,
                action="POST /text/analyze", target="text_scores",
                status=202, detail={"started": started, "state": status.state})  # fmt: skip
    return RedirectResponse("/text", status_code=303)


def job_context(request: Request, state: Any) -> dict[str, Any]:
    """What the text page shows of the analysis job: its status, the workspace's
    comment counts and a rough duration for the comments still to do."""
    job = text_job(request.app).status()
    comments, analysed = comment_counts(state)
    pending = max(0, comments - analysed)
    return {
        "job": job,
        "comments": comments,
        "analysed": analysed,
        "pending": pending,
        "estimate": estimate_seconds(pending) if pending else 0.0,
    }
