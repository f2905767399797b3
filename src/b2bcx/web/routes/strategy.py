"""Strategy: the impact × scope matrix with the firm's position, the
value-proposition profile, the playbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from b2bcx.errors import B2bcxError
from b2bcx.server.http import State
from b2bcx.server.sessions import csrf_ok
from b2bcx.server.uploads import answers_upload
from b2bcx.server.views import json_or_reason
from b2bcx.web.deps import AnalystVisitor, FormError, Visitor, refuse_forged_form
from b2bcx.web.render import render
from b2bcx.web.xlsx import plain_sheet, xlsx_response

router = APIRouter(include_in_schema=False)


@router.get("/strategy", response_class=HTMLResponse, response_model=None)
def strategy(
    request: Request,
    visitor: Visitor,
    state: State,
    format: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The strategy page (``?format=xlsx`` downloads its tables)."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="The CXM strategy")
    if format == "xlsx":
        profile = json_or_reason(state.results, "profile")
        assessment = json_or_reason(state.results, "assessment")
        rows = [] if not isinstance(profile, dict) else profile.get("rows") or []
        dims = [] if not isinstance(assessment, dict) else assessment["scope"]["dimensions"]
        return xlsx_response(
            "strategy",
            {
                "Value-proposition profile": plain_sheet(rows, PROFILE_COLUMNS),
                "Scope": plain_sheet(dims, SCOPE_COLUMNS),
            },
        )
    return _page(request, state)


#: The profile's columns in the download (key → header).
PROFILE_COLUMNS = {
    "goal": "Goal", "goal_level": "Level", "value_proposition": "Value proposition",
    "importance": "Importance (1-5)", "rating": "Rating (1-5)", "gap": "Gap",
    "text_share": "Share of comments",
}  # fmt: skip
#: The scope dimensions' columns in the download.
SCOPE_COLUMNS = {"dimension": "Dimension", "data": "In the data (0-1)",
                 "self": "Self-assessed (0-1)", "detail": "Detail"}  # fmt: skip


def _page(
    request: Request,
    state: State,
    *,
    saved: dict[str, Any] | None = None,
    error: FormError | None = None,
) -> HTMLResponse:
    from b2bcx.strategy import saved_assessments

    with state.db() as backend:
        history = saved_assessments(backend)
    return render(
        request,
        "strategy.html",
        status=200 if error is None else error.status,
        profile=json_or_reason(state.results, "profile"),
        assessment=json_or_reason(state.results, "assessment"),
        plan=json_or_reason(state.results, "plan"),
        history=history,
        given_answers=state.settings.strategy_answers is not None,
        saved=saved,
        error=error,
    )


@router.post("/strategy/answers", response_class=HTMLResponse)
def save_answers(
    request: Request,
    visitor: AnalystVisitor,
    state: State,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> HTMLResponse:
    """Save uploaded strategy answers; the page then shows the new assessment."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    saved, error, status = None, None, 500  # until it is known (an unexpected error)
    try:
        saved = answers_upload(state, file.file, file.filename)
        status = 201
    except B2bcxError as exc:
        error = FormError.of(exc)
        status = error.status
    finally:
        kept = saved["assessment_id"] if saved else None
        state.audit(token_id=visitor.token_id, role=visitor.role.value,
                    action="POST /strategy/answers", target=str(file.filename),
                    status=status, detail={"assessment_id": kept})  # fmt: skip
    return _page(request, state, saved=saved, error=error)
