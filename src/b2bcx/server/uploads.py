"""Importing an uploaded bundle (``.zip``) and saving uploaded strategy answers:
shared by the API and the dashboard.

An upload that cannot be taken raises one of the errors below (library errors,
no HTTP): the API maps them to its envelope (413, 415, 422), the dashboard to
the message on its form.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from b2bcx.bundle.results import ImportOptions
from b2bcx.errors import B2bcxError, ConfigurationError, DataRejected
from b2bcx.server.convert import plain_dict
from b2bcx.server.state import AppState
from b2bcx.storage.records import list_batches, list_rejects

#: How many rejected rows an upload's answer shows (all are kept in the workspace).
SHOWN_REJECTS = 200


class UploadTooLarge(B2bcxError):
    """The upload is larger than the server accepts."""


class UnsupportedUpload(B2bcxError):
    """The upload is not of a type the endpoint takes (a ``.zip`` bundle, answers)."""


class InvalidAnswers(ConfigurationError):
    """An uploaded answers file cannot be used (the message names the item and the fix)."""


class UploadRejected(DataRejected):
    """Rows of an uploaded bundle failed validation and nothing was imported.

    Parameters
    ----------
    message:
        The importer's summary.
    n_rejected:
        How many rows were rejected.
    batch_id:
        The import batch the rejects are kept under.
    rejects:
        The first rejected rows (:data:`SHOWN_REJECTS`), each with its reason.
    """

    def __init__(
        self, message: str, *, n_rejected: int, batch_id: str, rejects: list[dict[str, Any]]
    ) -> None:
        super().__init__(message, n_rejected=n_rejected, rejects_path=None)
        self.batch_id = batch_id
        self.rejects = rejects

    def details(self) -> list[dict[str, Any]]:
        """``[{"batch_id", "n_rejected", "rejects"}]``: what the answer shows."""
        return [{"batch_id": self.batch_id, "n_rejected": self.n_rejected, "rejects": self.rejects}]


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

    Raises
    ------
    UploadTooLarge
        Past ``max_upload_mb``.
    UnsupportedUpload
        For a file that is not a ``.zip``.
    UploadRejected
        When rows fail validation and ``allow_rejects`` is off (with the first
        rejects).
    """
    if filename is not None and not filename.lower().endswith(".zip"):
        raise UnsupportedUpload(
            "upload a bundle as a .zip file; an export in another layout (CSV) goes "
            'through "Import an export", where its columns are matched'
        )
    limit = state.settings.max_upload_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="b2bcx-upload-") as tmp:
        path = Path(tmp) / _safe_name(filename)
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(f"the upload exceeds {state.settings.max_upload_mb} MB")
                out.write(chunk)
        head = path.read_bytes()[:4]
        if head[:2] != b"PK":
            raise UnsupportedUpload("the upload is not a .zip file")
        shown = Path(filename or "bundle.zip").name or "bundle.zip"
        options = ImportOptions(allow_rejects=allow_rejects, source_name=shown)
        return import_prepared(state, path, shown, options)


def import_prepared(
    state: AppState, path: Path, shown: str, options: ImportOptions
) -> UploadOutcome:
    """Import a source already on the server's disk (a bundle, or files with
    ``options.mapping``) and report counts and rejects, the server's paths
    replaced by ``shown`` (the uploaded file's name).

    Raises
    ------
    UploadRejected
        When rows fail validation and ``options.allow_rejects`` is off (nothing
        was committed; the first rejects come with it).
    """
    with state.connection() as ws:
        backend = ws.backend
        try:
            result = ws.import_bundle(path, options)
        except DataRejected as exc:
            _, batches = list_batches(backend, limit=1, offset=0)
            batch_id = str(batches[0]["batch_id"]) if batches else ""
            _, rejects = list_rejects(backend, batch_id, limit=SHOWN_REJECTS, offset=0)
            message = scrub_paths(str(exc), path, shown, exc.rejects_path)
            raise UploadRejected(
                message, n_rejected=exc.n_rejected, batch_id=batch_id, rejects=rejects
            ) from None
        except B2bcxError as exc:
            exc.args = (scrub_paths(str(exc), path, shown, None),)
            raise
        n_rej, rejects = list_rejects(backend, result.batch_id, limit=SHOWN_REJECTS, offset=0)
    state.results.invalidate()
    data = _result_dict(result.to_dict())
    data = _scrub_all(data, path, shown, result.rejects_path)
    return UploadOutcome(result.batch_id, result.status, data, rejects, n_rej)


def _result_dict(data: dict[str, Any]) -> dict[str, Any]:
    return plain_dict(data)


def scrub_paths(text: str, upload: Path, name: str, rejects_path: Path | None) -> str:
    """``text`` without the server's paths: the temporary upload's path becomes
    the uploaded file's ``name``, the rejects file's path its file name (it is
    kept in the workspace's ``import_rejects`` too)."""
    text = text.replace(str(upload), name).replace(str(upload.parent), "")
    if rejects_path is not None:
        text = text.replace(str(rejects_path), Path(rejects_path).name)
    return text


def _scrub_all(value: Any, upload: Path, name: str, rejects_path: Path | None) -> Any:
    if isinstance(value, str):
        return scrub_paths(value, upload, name, rejects_path)
    if isinstance(value, dict):
        return {k: _scrub_all(v, upload, name, rejects_path) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_all(v, upload, name, rejects_path) for v in value]
    return value


#: The largest strategy answers file accepted (a questionnaire, not a bundle).
MAX_ANSWERS_BYTES = 256 * 1024
_ANSWER_SUFFIXES = (".yaml", ".yml", ".csv")


def answers_upload(state: AppState, stream: BinaryIO, filename: str | None) -> dict[str, Any]:
    """Check an uploaded strategy answers file (YAML or CSV, as ``--answers``) and
    save it in the workspace; returns the saved assessment.

    Raises
    ------
    UploadTooLarge
        Past 256 KB.
    UnsupportedUpload
        For another file type.
    InvalidAnswers
        With the loader's message (file, key or row, and the fix) for a bad answer.
    """
    from b2bcx.strategy import load_answers, save_answers

    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "answers.yaml").name)[:80]
    if not name.lower().endswith(_ANSWER_SUFFIXES):
        raise UnsupportedUpload("upload the answers as a .yaml, .yml or .csv file")
    data = stream.read(MAX_ANSWERS_BYTES + 1)
    if len(data) > MAX_ANSWERS_BYTES:
        raise UploadTooLarge("an answers file is at most 256 KB")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidAnswers(
            f"{name} is not UTF-8 text (line {line}, byte {exc.start + 1}); "
            "save it as UTF-8 and upload it again"
        ) from None
    with tempfile.TemporaryDirectory(prefix="b2bcx-answers-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            answers = load_answers(path)
        except ConfigurationError as exc:
            raise InvalidAnswers(str(exc).replace(str(path), name)) from exc
        except (UnicodeError, ValueError) as exc:
            raise InvalidAnswers(f"{name}: {str(exc).replace(str(path), name)}") from exc
    if not answers:
        raise InvalidAnswers(f"{name}: no item is answered")
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
