"""Import: upload a bundle, or an export through the wizard (files → mapping →
preview → import → rejects file), and see the recent imports."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from b2bcx.errors import B2bcxError
from b2bcx.server import import_wizard as wizard
from b2bcx.server.http import State
from b2bcx.server.records import list_batches
from b2bcx.server.sessions import csrf_ok
from b2bcx.server.state import AppState
from b2bcx.server.tokens import Principal
from b2bcx.server.uploads import UploadOutcome, UploadRejected, import_upload
from b2bcx.web.deps import AnalystVisitor, FormError, refuse_forged_form
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

#: The form field prefix of the match-by-hand selects (``match.accounts.name``).
MATCH = "match."


def _batches(state: State) -> list[dict[str, object]]:
    with state.db() as backend:
        return list_batches(backend, limit=20, offset=0)[1]


def _form_error(exc: B2bcxError) -> FormError:
    """The form error in the page's words (never a CLI flag)."""
    error = FormError.of(exc)
    details = error.details
    if isinstance(exc, UploadRejected):
        details = [
            {**d, "rejects": _worded(d["rejects"]), "rejects_url": _rejects_url(exc.batch_id)}
            for d in details
        ]
    return FormError(error.status, wizard.page_words(error.message), details)


def _worded(rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rejected rows whose reasons speak of the page's controls."""
    return [{**r, "reason": wizard.page_words(str(r.get("reason") or ""))} for r in rejects]


def _shown(outcome: UploadOutcome | None) -> UploadOutcome | None:
    if outcome is None:
        return None
    return dataclasses.replace(outcome, rejects=_worded(outcome.rejects))


def _rejects_url(batch_id: str) -> str:
    return f"/import/batches/{batch_id}/rejects.csv"


def _import_page(
    request: Request, state: AppState, status: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("outcome", None)
    context.setdefault("error", None)
    context.setdefault("source_error", None)
    return render(
        request,
        "import.html",
        status=status,
        batches=_batches(state),
        mappings=wizard.list_mappings(state),
        **context,
    )


def _back_to_import(request: Request, state: AppState, error: FormError) -> HTMLResponse:
    """The import page with the wizard's error above its upload form."""
    return _import_page(request, state, status=error.status, source_error=error)


def _audit(
    state: AppState,
    visitor: Principal,
    action: str,
    target: str,
    status: int,
    detail: dict[str, Any],
) -> None:
    """One audit entry of an import form, with the visitor's token and role."""
    state.audit(
        token_id=visitor.token_id,
        role=visitor.role.value,
        action=action,
        target=target,
        status=status,
        detail=detail,
    )


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, visitor: AnalystVisitor, state: State) -> HTMLResponse:
    """The upload forms (a bundle, or an export for the wizard) and the recent imports."""
    return _import_page(request, state)


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
        error = _form_error(exc)
        status = error.status
    finally:
        batch_id = outcome.batch_id if outcome else None
        _audit(state, visitor, "POST /import", str(file.filename), status, {"batch_id": batch_id})
    return _import_page(
        request,
        state,
        status=200 if error is None else error.status,
        outcome=_shown(outcome),
        error=error,
        rejects_url=_rejects_url(outcome.batch_id) if outcome and outcome.n_rejected else None,
    )


# -- the wizard --------------------------------------------------------------------


@router.post("/import/source", response_class=HTMLResponse)
def upload_source(
    request: Request,
    visitor: AnalystVisitor,
    state: State,
    files: Annotated[list[UploadFile], File()],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    """Step 1: keep the uploaded export and go to the mapping step."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    try:
        staged = wizard.stage_source(state, [(f.file, f.filename) for f in files])
    except B2bcxError as exc:
        return _back_to_import(request, state, _form_error(exc))
    return RedirectResponse(f"/import/source/{staged.upload_id}", status_code=303)


def _mapping_page(
    request: Request,
    state: AppState,
    staged: wizard.StagedSource,
    *,
    error: FormError | None = None,
    status: int = 200,
) -> HTMLResponse:
    matched = staged.manual or staged.suggestions()
    return render(
        request,
        "import_mapping.html",
        status=status,
        staged=staged,
        mappings=wizard.list_mappings(state, staged),
        targets=wizard.MANUAL_TARGETS,
        matched=matched,
        date_layouts=wizard.DATE_LAYOUTS,
        error=error,
    )


@router.get("/import/source/{upload_id}", response_class=HTMLResponse)
def mapping_step(
    request: Request, upload_id: str, visitor: AnalystVisitor, state: State
) -> HTMLResponse:
    """Step 2: choose, upload or match a mapping for the uploaded files."""
    try:
        staged = wizard.load_staged(state, upload_id)
    except B2bcxError as exc:
        return _back_to_import(request, state, _form_error(exc))
    return _mapping_page(request, state, staged)


@router.post("/import/source/{upload_id}/mapping", response_class=HTMLResponse)
async def choose_mapping(
    request: Request, upload_id: str, visitor: AnalystVisitor, state: State
) -> Response:
    """Take the mapping (``how``: ``choose``, ``upload`` or ``match``) and go to
    the preview."""
    form = await request.form()
    if not csrf_ok(request.state.session.csrf, str(form.get("csrf_token") or "")):
        raise refuse_forged_form()
    how = str(form.get("how") or "")

    def take() -> wizard.StagedSource:
        if how == "choose":
            return wizard.use_named_mapping(state, upload_id, str(form.get("mapping") or ""))
        if how == "upload":
            upload = form.get("mapping_file")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise wizard.WizardError("choose a mapping file (.yaml) to upload")
            return wizard.use_uploaded_mapping(state, upload_id, upload.file, upload.filename)
        choices = {
            key[len(MATCH) :]: str(value)
            for key, value in form.multi_items()
            if key.startswith(MATCH) and isinstance(value, str)
        }
        layout = str(form.get("date_format") or "")
        return wizard.use_matched_columns(state, upload_id, choices, date_format=layout)

    try:
        await run_in_threadpool(take)
    except B2bcxError as exc:
        error = _form_error(exc)
        try:
            staged = await run_in_threadpool(wizard.load_staged, state, upload_id)
        except B2bcxError:
            return _back_to_import(request, state, error)
        return _mapping_page(request, state, staged, error=error, status=error.status)
    return RedirectResponse(f"/import/source/{upload_id}/preview", status_code=303)


@router.get("/import/source/{upload_id}/preview", response_class=HTMLResponse)
def preview_step(
    request: Request,
    upload_id: str,
    visitor: AnalystVisitor,
    state: State,
    saved: str | None = None,
) -> HTMLResponse:
    """Step 3: the first mapped rows and every error found, before importing."""
    try:
        staged = wizard.load_staged(state, upload_id)
        if staged.mapping_path is None:
            return _mapping_page(request, state, staged)
        result = wizard.preview(state, upload_id)
    except B2bcxError as exc:
        return _back_to_import(request, state, _form_error(exc))
    return _preview_page(request, staged, result, saved=saved)


def _preview_page(
    request: Request,
    staged: wizard.StagedSource,
    result: wizard.Preview,
    *,
    saved: str | None = None,
    error: FormError | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "import_preview.html",
        status=status,
        staged=staged,
        preview=result,
        saved=saved,
        error=error,
        shown_rows=wizard.PREVIEW_ROWS,
    )


@router.post("/import/source/{upload_id}/save", response_class=HTMLResponse)
def save_mapping(
    request: Request,
    upload_id: str,
    visitor: AnalystVisitor,
    state: State,
    name: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    """Save the upload's mapping under a name, for the next export."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    status = 500
    try:
        choice = wizard.save_mapping(state, upload_id, name)
        status = 201
    except B2bcxError as exc:
        error = _form_error(exc)
        status = error.status
        try:
            staged = wizard.load_staged(state, upload_id)
            result = wizard.preview(state, upload_id)
        except B2bcxError:
            return _back_to_import(request, state, error)
        return _preview_page(request, staged, result, error=error, status=error.status)
    finally:
        _audit(state, visitor, "POST /import/source/save", name[:100], status,
               {"upload_id": upload_id})  # fmt: skip
    return RedirectResponse(
        f"/import/source/{upload_id}/preview?saved={choice.name}", status_code=303
    )


@router.post("/import/source/{upload_id}/import", response_class=HTMLResponse)
def import_source(
    request: Request,
    upload_id: str,
    visitor: AnalystVisitor,
    state: State,
    csrf_token: Annotated[str, Form(max_length=200)],
    allow_rejects: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Step 4: import through the mapping (all or nothing unless rejects are allowed)."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    outcome, error, status, shown = None, None, 500, upload_id
    try:
        staged = wizard.load_staged(state, upload_id)
        shown = staged.shown
        outcome = wizard.finish_import(state, upload_id, allow_rejects=allow_rejects)
        status = 201
    except B2bcxError as exc:
        error = _form_error(exc)
        status = error.status
    finally:
        batch_id = outcome.batch_id if outcome else None
        _audit(state, visitor, "POST /import/source", shown, status,
               {"batch_id": batch_id, "upload_id": upload_id})  # fmt: skip
    return _import_page(
        request,
        state,
        status=200 if error is None else error.status,
        outcome=_shown(outcome),
        error=error,
        retry_url=None if error is None else f"/import/source/{upload_id}/preview",
        rejects_url=_rejects_url(outcome.batch_id) if outcome and outcome.n_rejected else None,
    )


@router.get("/import/batches/{batch_id}/rejects.csv")
def download_rejects(
    request: Request, batch_id: str, visitor: AnalystVisitor, state: State
) -> Response:
    """Every rejected row of one import, with its reason and fix, as a CSV file."""
    try:
        text = wizard.rejects_csv(state, batch_id)
    except B2bcxError as exc:
        return _back_to_import(request, state, _form_error(exc))
    return Response(
        text, media_type=wizard.REJECTS_MEDIA_TYPE, headers=wizard.rejects_headers(batch_id)
    )
