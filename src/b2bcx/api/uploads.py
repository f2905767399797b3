"""Importing an uploaded bundle (``.zip``): shared by the API and the dashboard."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from b2bcx.api.convert import plain_dict
from b2bcx.api.errors import ApiError
from b2bcx.api.records import list_batches, list_rejects
from b2bcx.api.state import AppState
from b2bcx.bundle.results import ImportOptions
from b2bcx.errors import DataRejected

#: How many rejected rows an upload's answer shows (all are kept in the workspace).
SHOWN_REJECTS = 200


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload did."""

    batch_id: str
    status: str
    result: dict[str, Any]
    rejects: list[dict[str, Any]]
    n_rejected: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "result": self.result,
            "rejects": self.rejects,
            "n_rejected": self.n_rejected,
        }


def _safe_name(filename: str | None) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "bundle.zip").name)[:80]
    return stem if stem.lower().endswith(".zip") else "bundle.zip"


def import_upload(
    state: AppState,
    stream: BinaryIO,
    filename: str | None,
    *,
    allow_rejects: bool = False,
) -> UploadOutcome:
    """Save an uploaded ``.zip`` bundle, import it and report counts and rejects.

    Raises :class:`ApiError` 413 past ``max_upload_mb``, 415 for a non-zip, and
    422 ``data_rejected`` (with the first rejects in ``details``) when rows fail
    validation and ``allow_rejects`` is off.
    """
    if filename is not None and not filename.lower().endswith(".zip"):
        raise ApiError(415, "upload a bundle as a .zip file")
    limit = state.settings.max_upload_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="b2bcx-upload-") as tmp:
        path = Path(tmp) / _safe_name(filename)
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"the upload exceeds {state.settings.max_upload_mb} MB")
                out.write(chunk)
        head = path.read_bytes()[:4]
        if head[:2] != b"PK":
            raise ApiError(415, "the upload is not a .zip file")
        options = ImportOptions(allow_rejects=allow_rejects)
        with state.connection() as ws:
            backend = ws.backend
            try:
                result = ws.import_bundle(path, options)
            except DataRejected as exc:
                _, batches = list_batches(backend, limit=1, offset=0)
                batch_id = str(batches[0]["batch_id"]) if batches else ""
                _, rejects = list_rejects(backend, batch_id, limit=SHOWN_REJECTS, offset=0)
                state.results.invalidate()
                raise ApiError(
                    422,
                    str(exc),
                    code="data_rejected",
                    details=[
                        {"batch_id": batch_id, "n_rejected": exc.n_rejected, "rejects": rejects}
                    ],
                ) from None
            n_rej, rejects = list_rejects(backend, result.batch_id, limit=SHOWN_REJECTS, offset=0)
    state.results.invalidate()
    return UploadOutcome(
        result.batch_id, result.status, _result_dict(result.to_dict()), rejects, n_rej
    )


def _result_dict(data: dict[str, Any]) -> dict[str, Any]:
    return plain_dict(data)


#: The largest strategy answers file accepted (a questionnaire, not a bundle).
MAX_ANSWERS_BYTES = 256 * 1024
_ANSWER_SUFFIXES = (".yaml", ".yml", ".csv")


def answers_upload(state: AppState, stream: BinaryIO, filename: str | None) -> dict[str, Any]:
    """Check an uploaded strategy answers file (YAML or CSV, as ``--answers``) and
    save it in the workspace; returns the saved assessment.

    Raises :class:`ApiError` 413 past 256 KB, 415 for another file type, and 422
    with the loader's message (file, key or row, and the fix) for a bad answer.
    """
    from b2bcx.errors import ConfigurationError
    from b2bcx.strategy import load_answers, save_answers

    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "answers.yaml").name)[:80]
    if not name.lower().endswith(_ANSWER_SUFFIXES):
        raise ApiError(415, "upload the answers as a .yaml, .yml or .csv file")
    data = stream.read(MAX_ANSWERS_BYTES + 1)
    if len(data) > MAX_ANSWERS_BYTES:
        raise ApiError(413, "an answers file is at most 256 KB")
    with tempfile.TemporaryDirectory(prefix="b2bcx-answers-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            answers = load_answers(path)
        except ConfigurationError as exc:
            raise ApiError(422, str(exc).replace(str(path), name), code="invalid_answers") from exc
    if not answers:
        raise ApiError(422, f"{name}: no item is answered", code="invalid_answers")
    answers = dataclasses.replace(answers, source=name)  # not the temporary path
    with state.db() as backend:
        saved = save_answers(backend, answers)
    # the assessment and the plan use the new answers from the next request on;
    # the rest is refreshed in the background (the data version includes answers)
    state.results.forget("assessment", "plan")
    state.results.invalidate()
    return {
        "assessment_id": saved.assessment_id,
        "answered_at": saved.answered_at.isoformat(),
        "respondent": answers.respondent,
        "source": name,
        "items": len(answers.values),
    }
