"""Imports: upload a bundle or an export in another layout (through a mapping),
see past imports and their rejected rows."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Analyst, State, Viewer, audited, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES, ApiError, ErrorEnvelope
from b2bcx.api.pagination import Page, Paging, page_of
from b2bcx.api.schemas import ImportBatch, ImportOutcome, RejectRow
from b2bcx.errors import NotFound
from b2bcx.server import import_wizard as wizard
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


# -- exports in other layouts: the import wizard's steps ---------------------------


class MappingInfo(BaseModel):
    """A mapping the server offers: shipped with b2bcx or saved in the workspace."""

    name: str
    origin: Literal["shipped", "saved"]
    sources: list[str]
    fits: bool = Field(description="Whether the upload's files are the ones it reads.")


class SourceFileInfo(BaseModel):
    """One uploaded source file: its header and first rows (as text)."""

    name: str
    columns: list[str]
    rows: list[dict[str, str | None]]


class StagedUpload(BaseModel):
    """An upload waiting for its mapping and import (kept for a day)."""

    upload_id: str
    files: list[SourceFileInfo]
    mapping: str | None
    suggested_columns: dict[str, str] = Field(
        description="For one file: `table.column` → the source column that most likely holds it."
    )
    mappings: list[MappingInfo] = Field(description="The mappings, those that fit first.")


class PreviewError(BaseModel):
    """One problem found: where, what, and the fix."""

    table: str
    file: str
    row: int | None
    column: str
    value: str
    problem: str
    fix: str


class PreviewTableOut(BaseModel):
    """The first mapped rows of one bundle table (``_file``, ``_row``, ``_error``
    give each row's source and whether it has an error)."""

    table: str
    columns: list[str]
    rows: list[dict[str, Any]]
    read: int
    rejected: int


class PreviewOut(BaseModel):
    """What importing the upload would do, found without committing anything."""

    upload_id: str
    mapping: str | None
    tables: list[PreviewTableOut]
    errors: list[PreviewError]
    n_errors: int = Field(description="Errors found (a row may have several).")
    n_rejected: int = Field(description="Rows that would be rejected.")
    message: str | None


def _staged_out(state: Any, staged: wizard.StagedSource) -> dict[str, Any]:
    mappings = [m.to_dict() for m in wizard.list_mappings(state, staged)]
    return {**staged.to_dict(), "mappings": mappings}


@router.get("/mappings", response_model=list[MappingInfo], summary="Mappings to choose from")
def mappings(caller: Analyst, state: State) -> list[dict[str, Any]]:
    """The saved mappings and those shipped with b2bcx (Salesforce, HubSpot, G2)."""
    require_all_accounts(caller, "the mappings")
    return [m.to_dict() for m in wizard.list_mappings(state)]


@router.post(
    "/mappings",
    response_model=MappingInfo,
    status_code=201,
    summary="Save a mapping",
    responses={415: {"model": ErrorEnvelope, "description": "Not a .yaml file"}},
)
def save_mapping_file(
    caller: Analyst,
    state: State,
    name: Annotated[str, Form(max_length=60, description="Letters, digits, space, - _ .")],
    file: Annotated[UploadFile, File(description="A mapping YAML (docs/mappings.md).")],
) -> dict[str, Any]:
    """Check a mapping file and save it under ``name`` (beside the workspace)."""
    require_all_accounts(caller, "saving a mapping")
    with audited(state, caller, "POST /api/v1/imports/mappings", name, {}):
        return wizard.save_mapping_file(state, name, file.file, file.filename).to_dict()


@router.post(
    "/sources",
    response_model=StagedUpload,
    status_code=201,
    summary="Upload an export (CSV files or a .zip of them)",
    responses={
        413: {"model": ErrorEnvelope, "description": "Too large"},
        415: {"model": ErrorEnvelope, "description": "Not CSV files or a .zip"},
    },
)
def upload_source(
    caller: Analyst,
    state: State,
    files: Annotated[list[UploadFile], File(description="One or more .csv files, or one .zip.")],
) -> dict[str, Any]:
    """Keep an export in another layout for its mapping: each file's header and
    first rows, the suggested column matches and the mappings that fit."""
    require_all_accounts(caller, "an import")
    staged = wizard.stage_source(state, [(f.file, f.filename) for f in files])
    return _staged_out(state, staged)


@router.post(
    "/sources/{upload_id}/mapping",
    response_model=PreviewOut,
    summary="Map an uploaded export and preview it",
    responses={404: {"model": ErrorEnvelope, "description": "No such upload or mapping"}},
)
def map_source(
    upload_id: str,
    caller: Analyst,
    state: State,
    mapping: Annotated[str | None, Form(description="A mapping's name (GET /mappings).")] = None,
    mapping_file: Annotated[
        UploadFile | None, File(description="Or a mapping YAML of your own.")
    ] = None,
    columns: Annotated[
        str | None,
        Form(description='Or columns matched by hand: JSON {"table.column": "source column"}.'),
    ] = None,
    date_format: Annotated[
        str, Form(description="With columns: the dates' layout, e.g. %d/%m/%Y.")
    ] = "",
) -> dict[str, Any]:
    """Give the upload its mapping (exactly one of ``mapping``, ``mapping_file``,
    ``columns``) and answer the preview: the first 20 mapped rows of each table
    and every error found, nothing committed."""
    require_all_accounts(caller, "an import")
    given = [x for x in (mapping, mapping_file, columns) if x]
    if len(given) != 1:
        raise ApiError(422, "give exactly one of mapping, mapping_file or columns")
    if mapping:
        wizard.use_named_mapping(state, upload_id, mapping)
    elif mapping_file is not None:
        wizard.use_uploaded_mapping(state, upload_id, mapping_file.file, mapping_file.filename)
    else:
        try:
            chosen = json.loads(columns or "")
        except json.JSONDecodeError:
            chosen = None
        if not isinstance(chosen, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in chosen.items()
        ):
            raise ApiError(422, 'columns is a JSON object {"table.column": "source column"}')
        wizard.use_matched_columns(state, upload_id, chosen, date_format=date_format)
    return wizard.preview(state, upload_id).to_dict()


@router.get(
    "/sources/{upload_id}/preview",
    response_model=PreviewOut,
    summary="Preview a mapped export",
    responses={404: {"model": ErrorEnvelope, "description": "No such upload"}},
)
def preview_source(upload_id: str, caller: Analyst, state: State) -> dict[str, Any]:
    """The first 20 mapped rows of each table and every error found."""
    require_all_accounts(caller, "an import")
    return wizard.preview(state, upload_id).to_dict()


@router.post(
    "/sources/{upload_id}/mapping/save",
    response_model=MappingInfo,
    status_code=201,
    summary="Save an upload's mapping by name",
    responses={404: {"model": ErrorEnvelope, "description": "No such upload"}},
)
def save_source_mapping(
    upload_id: str,
    caller: Analyst,
    state: State,
    name: Annotated[str, Form(max_length=60, description="Letters, digits, space, - _ .")],
) -> dict[str, Any]:
    """Save the mapping the upload uses (e.g. matched by hand) for the next export."""
    require_all_accounts(caller, "saving a mapping")
    with audited(state, caller, "POST /api/v1/imports/mappings", name, {"upload_id": upload_id}):
        return wizard.save_mapping(state, upload_id, name).to_dict()


@router.post(
    "/sources/{upload_id}/import",
    response_model=ImportOutcome,
    status_code=201,
    summary="Import a mapped export",
    responses={404: {"model": ErrorEnvelope, "description": "No such upload"}},
)
def import_source(
    upload_id: str,
    caller: Analyst,
    state: State,
    allow_rejects: Annotated[bool, Form(description="Commit valid rows despite rejects.")] = False,
) -> dict[str, Any]:
    """Import the upload through its mapping: all or nothing unless
    ``allow_rejects``; the rejected rows are in GET /imports/{batch_id}/rejects.csv."""
    require_all_accounts(caller, "an import")
    start = {"upload_id": upload_id, "allow_rejects": allow_rejects}
    with audited(state, caller, "POST /api/v1/imports/sources", upload_id, start) as detail:
        outcome = wizard.finish_import(state, upload_id, allow_rejects=allow_rejects)
        detail.update(batch_id=outcome.batch_id, n_rejected=outcome.n_rejected)
        return outcome.to_dict()


@router.get(
    "/{batch_id}/rejects.csv",
    response_class=Response,
    summary="Rejected rows as a CSV file",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The rejects file",
        }
    },
)
def rejects_file(batch_id: str, caller: Viewer, state: State) -> Response:
    """Every rejected row of one import: table, file, row, column, value, reason,
    fix and the row as read (JSON)."""
    require_all_accounts(caller, "rejected rows")
    return Response(
        wizard.rejects_csv(state, batch_id),
        media_type=wizard.REJECTS_MEDIA_TYPE,
        headers=wizard.rejects_headers(batch_id),
    )
