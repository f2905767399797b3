"""Imports: upload a bundle, see past imports and their rejected rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Analyst, State, Viewer, audited, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES, ErrorEnvelope
from b2bcx.api.pagination import Page, Paging, page_of
from b2bcx.api.schemas import ImportBatch, ImportOutcome, RejectRow
from b2bcx.errors import NotFound
from b2bcx.server.records import batch_exists, list_batches, list_rejects
from b2bcx.server.uploads import import_upload

router = APIRouter(prefix=f"{API_PREFIX}/imports", tags=["imports"], responses=ERROR_RESPONSES)


@router.post(
    "",
    response_model=ImportOutcome,
    status_code=201,
    summary="Import a bundle (.zip)",
    responses={
        413: {"model": ErrorEnvelope, "description": "Too large"},
        415: {"model": ErrorEnvelope, "description": "Not a .zip"},
    },
)
def upload(
    caller: Analyst,
    state: State,
    file: Annotated[UploadFile, File(description="A bundle as a .zip (see DATA_FORMAT.md).")],
    allow_rejects: Annotated[bool, Form(description="Commit valid rows despite rejects.")] = False,
) -> dict[str, Any]:
    """Validate and import a bundle: all or nothing unless ``allow_rejects``; every
    rejected row is kept with its reason (the first ones are in the answer, or in
    the error's ``details`` when the import was refused). Needs the analyst role
    and a token for every account."""
    require_all_accounts(caller, "an import")
    start = {"file": file.filename, "allow_rejects": allow_rejects}
    with audited(state, caller, "POST /api/v1/imports", str(file.filename), start) as detail:
        outcome = import_upload(state, file.file, file.filename, allow_rejects=allow_rejects)
        detail.update(batch_id=outcome.batch_id, n_rejected=outcome.n_rejected)
        return outcome.to_dict()


@router.get("", response_model=Page[ImportBatch], summary="Past imports")
def batches(request: Request, caller: Viewer, state: State, paging: Paging) -> dict[str, Any]:
    """Every import, newest first, with its status and counts."""
    require_all_accounts(caller, "the import history")
    with state.db() as backend:
        total, rows = list_batches(backend, limit=paging.limit, offset=paging.offset)
    return page_of(request, paging, total, rows)


@router.get("/{batch_id}/rejects", response_model=Page[RejectRow], summary="Rejected rows")
def rejects(
    request: Request, batch_id: str, caller: Viewer, state: State, paging: Paging
) -> dict[str, Any]:
    """The rows one import rejected, each with its reason and the row as read."""
    require_all_accounts(caller, "rejected rows")
    with state.db() as backend:
        if not batch_exists(backend, batch_id):
            raise NotFound(f"no import batch {batch_id!r}")
        total, rows = list_rejects(backend, batch_id, limit=paging.limit, offset=paging.offset)
    return page_of(request, paging, total, rows)
