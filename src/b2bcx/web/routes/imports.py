"""Import: upload a bundle, see validation results and rejects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from b2bcx.errors import B2bcxError
from b2bcx.server.http import State
from b2bcx.server.records import list_batches
from b2bcx.server.sessions import csrf_ok
from b2bcx.server.uploads import import_upload
from b2bcx.web.deps import AnalystVisitor, FormError, refuse_forged_form
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)


def _batches(state: State) -> list[dict[str, object]]:
    with state.db() as backend:
        return list_batches(backend, limit=20, offset=0)[1]


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, visitor: AnalystVisitor, state: State) -> HTMLResponse:
    """The upload form and the recent imports."""
    return render(request, "import.html", outcome=None, error=None, batches=_batches(state))


@router.post("/import", response_class=HTMLResponse)
def import_bundle(
    request: Request,
    visitor: AnalystVisitor,
    state: State,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)],
    allow_rejects: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Import the uploaded bundle and show the counts and the rejected rows."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    outcome, error, status = None, None, 500  # until it is known (an unexpected error)
    try:
        outcome = import_upload(state, file.file, file.filename, allow_rejects=allow_rejects)
        status = 201
    except B2bcxError as exc:
        error = FormError.of(exc)
        status = error.status
    finally:
        state.audit(
            token_id=visitor.token_id,
            role=visitor.role.value,
            action="POST /import",
            target=str(file.filename),
            status=status,
            detail={"batch_id": outcome.batch_id if outcome else None},
        )
    return render(
        request,
        "import.html",
        status=200 if error is None else error.status,
        outcome=outcome,
        error=error,
        batches=_batches(state),
    )
