"""The import wizard: an export in another layout (CSV files, or a ``.zip`` of
them) through a mapping into the workspace, step by step. Shared by the
dashboard and the API.

1. :func:`stage_source` keeps the uploaded files under an upload id (in the
   folder beside the workspace, :func:`wizard_root`) and reads their headers
   and first rows;
2. a mapping is chosen (:func:`use_named_mapping`: shipped with b2bcx or saved
   before), uploaded (:func:`use_uploaded_mapping`) or matched by hand
   (:func:`use_matched_columns`); it is kept with the upload;
3. :func:`preview` maps the first rows and runs the whole validation in a
   throw-away in-memory workspace: the errors found, row by row, before
   anything is committed;
4. :func:`import_staged` imports into the workspace (all or nothing unless
   rejects are allowed, as for a bundle) and :func:`rejects_csv` gives every
   rejected row with its reason as a CSV file.

A mapping matched by hand can be saved under a name (:func:`save_mapping`): a
YAML file in the mapping language (``docs/mappings.md``) in the ``mappings``
folder beside the workspace, offered first the next time files with the same
names come.

Messages speak of the page's controls, never of CLI flags
(:func:`page_words`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from b2bcx.bundle.mapping import load_mapping
from b2bcx.bundle.mapping_spec import (
    DATE_LAYOUTS,
    MANUAL_TARGETS,
    MappingSpec,
    dump_spec,
    load_spec,
    manual_spec,
    suggest_columns,
)
from b2bcx.bundle.reading import open_source, read_source
from b2bcx.bundle.results import ImportOptions
from b2bcx.errors import B2bcxError, BundleError, DataRejected, MappingError, NotFound
from b2bcx.server.state import AppState
from b2bcx.server.uploads import (
    UnsupportedUpload,
    UploadOutcome,
    UploadTooLarge,
    import_prepared,
)
from b2bcx.storage.records import list_rejects

#: Rows of each table the preview shows.
PREVIEW_ROWS = 20
#: Errors the preview lists (all are in the rejects file after an import).
PREVIEW_ERRORS = 200
#: Uploads older than this are removed when a new one comes.
KEEP_HOURS = 24
#: The largest mapping file accepted.
MAX_MAPPING_BYTES = 256 * 1024

_ID = re.compile(r"^[0-9a-f]{16}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$")
_SOURCE_SUFFIXES = (".csv", ".tsv", ".txt")
_MAPPING_FILE = "mapping.yaml"
_META_FILE = "wizard.json"


class WizardError(B2bcxError):
    """A step of the import wizard cannot be taken (the message says what to do)."""


# -- where things are kept -------------------------------------------------------


def _workspace_folder(state: AppState) -> Path:
    url = state.workspace.url
    if url != ":memory:" and state.workspace.backend.kind == "duckdb":
        return Path(url).resolve().parent
    return Path(tempfile.gettempdir()) / "b2bcx-server"


def wizard_root(state: AppState) -> Path:
    """The folder uploads wait in between the wizard's steps."""
    return _workspace_folder(state) / "b2bcx-imports"


def mappings_dir(state: AppState) -> Path:
    """The folder saved mappings live in (``mappings`` beside the workspace)."""
    return _workspace_folder(state) / "mappings"


def shipped_mappings_dir() -> Path | None:
    """The mappings shipped with b2bcx (``examples/mappings``), if installed from
    a checkout."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        folder = parent / "examples" / "mappings"
        if folder.is_dir():
            return folder
    return None


# -- step 1: the upload ------------------------------------------------------------


@dataclass(frozen=True)
class SourceColumns:
    """One uploaded source file: its name, header and first rows (as text)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str | None], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"name": self.name, "columns": list(self.columns), "rows": list(self.rows)}


@dataclass(frozen=True)
class StagedSource:
    """An upload waiting for its mapping and import."""

    upload_id: str
    files: tuple[SourceColumns, ...]
    shown: str
    folder: Path
    mapping_name: str | None = None
    manual: dict[str, str] = field(default_factory=dict)
    date_format: str = ""

    @property
    def source(self) -> Path:
        """What the importer reads: the folder of files, or the uploaded ``.zip``."""
        zips = list((self.folder / "source").glob("*.zip"))
        return zips[0] if zips else self.folder / "source"

    @property
    def mapping_path(self) -> Path | None:
        """The mapping chosen for the upload, once there is one."""
        path = self.folder / _MAPPING_FILE
        return path if path.exists() else None

    def suggestions(self) -> dict[str, str]:
        """The source column each hand-matchable column most likely is (one file)."""
        return suggest_columns(self.files[0].columns) if len(self.files) == 1 else {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no server paths)."""
        return {
            "upload_id": self.upload_id,
            "files": [f.to_dict() for f in self.files],
            "mapping": self.mapping_name,
            "suggested_columns": self.suggestions(),
        }


def _safe(name: str | None, default: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(name or default).name).strip(" .")[:100]
    return stem or default


def _sweep(root: Path) -> None:
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_HOURS * 3600
    for folder in root.iterdir():
        if _ID.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def stage_source(state: AppState, uploads: list[tuple[BinaryIO, str | None]]) -> StagedSource:
    """Keep uploaded CSV files (or one ``.zip`` of them) for the wizard's next steps.

    Parameters
    ----------
    state : AppState
        The server's state (settings: ``max_upload_mb`` for all files together).
    uploads : list of (stream, filename)
        The files as uploaded.

    Returns
    -------
    StagedSource
        The upload id, and each file's header and first rows.

    Raises
    ------
    UnsupportedUpload
        For no file, another file type, or two files with one name.
    UploadTooLarge
        Past ``max_upload_mb``.
    BundleError
        When a file cannot be read as CSV (the reader's message).
    """
    uploads = [(s, n) for s, n in uploads if n]
    if not uploads:
        raise UnsupportedUpload("choose one or more .csv files (or one .zip of them) to upload")
    names = [_safe(n, "export.csv") for _, n in uploads]
    zips = [n for n in names if n.lower().endswith(".zip")]
    if zips and len(names) > 1:
        raise UnsupportedUpload("upload either .csv files or one .zip of them, not both")
    for n in names:
        if not n.lower().endswith((*_SOURCE_SUFFIXES, ".zip")):
            raise UnsupportedUpload(
                f"{n} is not a .csv file; save the export as CSV (or a .zip of CSV files)"
            )
    if len(set(names)) != len(names):
        raise UnsupportedUpload("two of the files have the same name; upload each file once")
    root = wizard_root(state)
    _sweep(root)
    upload_id = secrets.token_hex(8)
    folder = root / upload_id
    (folder / "source").mkdir(parents=True)
    limit = state.settings.max_upload_mb * 1024 * 1024
    size = 0
    try:
        for (stream, _), name in zip(uploads, names, strict=True):
            with (folder / "source" / name).open("wb") as out:
                while chunk := stream.read(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(
                            f"the upload exceeds {state.settings.max_upload_mb} MB"
                        )
                    out.write(chunk)
        if zips and (folder / "source" / zips[0]).read_bytes()[:2] != b"PK":
            raise UnsupportedUpload(f"{zips[0]} is not a .zip file")
        shown = zips[0] if zips else ", ".join(names)
        _write_meta(folder, {"shown": shown})
        return load_staged(state, upload_id)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def _read_meta(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / _META_FILE).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _heads(source: Path, shown: str) -> tuple[SourceColumns, ...]:
    out: list[SourceColumns] = []
    warnings: list[str] = []
    wanted = lambda name: name.lower().endswith(_SOURCE_SUFFIXES)  # noqa: E731
    try:
        with open_source(source, wanted=wanted) as files:
            for f in files:
                first = next(iter(read_source(f, f.stem, warnings=warnings)), None)
                if first is None:
                    out.append(SourceColumns(Path(f.name).name, (), ()))
                    continue
                rows = tuple(first.data.slice(0, PREVIEW_ROWS).to_pylist())
                out.append(SourceColumns(Path(f.path).name, tuple(first.data.column_names), rows))
    except B2bcxError as exc:
        exc.args = (page_words(str(exc).replace(str(source), shown)),)
        raise
    if not out:
        raise UnsupportedUpload(f"{shown} holds no .csv file")
    return tuple(out)


def load_staged(state: AppState, upload_id: str) -> StagedSource:
    """An upload kept by :func:`stage_source`.

    Raises
    ------
    NotFound
        When there is no such upload (or it was removed after a day).
    """
    folder = wizard_root(state) / upload_id
    if not _ID.match(upload_id) or not (folder / _META_FILE).exists():
        raise NotFound("this upload is no longer kept; upload the files again")
    meta = _read_meta(folder)
    shown = str(meta.get("shown", "export"))
    staged = StagedSource(upload_id, (), shown, folder)
    return StagedSource(
        upload_id,
        _heads(staged.source, shown),
        shown,
        folder,
        mapping_name=meta.get("mapping"),
        manual=dict(meta.get("manual") or {}),
        date_format=str(meta.get("date_format") or ""),
    )


def discard_staged(state: AppState, upload_id: str) -> None:
    """Remove an upload (after its import)."""
    if _ID.match(upload_id):
        shutil.rmtree(wizard_root(state) / upload_id, ignore_errors=True)


# -- step 2: the mapping -------------------------------------------------------------


@dataclass(frozen=True)
class MappingChoice:
    """A mapping the wizard offers: shipped with b2bcx or saved in the workspace."""

    name: str
    origin: Literal["shipped", "saved"]
    sources: tuple[str, ...]
    path: Path
    fits: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no server path)."""
        return {
            "name": self.name,
            "origin": self.origin,
            "sources": list(self.sources),
            "fits": self.fits,
        }


def _fits(spec: MappingSpec, files: tuple[SourceColumns, ...]) -> bool:
    """Whether the files are the ones the mapping reads, with the columns it reads."""
    by_stem = {Path(f.name).stem.lower(): set(f.columns) for f in files}
    for table in spec.tables.values():
        cols = by_stem.get(table.from_.lower())
        if cols is None or not table.sources() <= cols:
            return False
    return True


def list_mappings(state: AppState, staged: StagedSource | None = None) -> list[MappingChoice]:
    """The saved mappings, then the shipped ones (a name saved twice: the saved
    one); with ``staged``, those that fit its files first.

    A file that is not a valid mapping is left out.
    """
    found: dict[str, MappingChoice] = {}
    folders: list[tuple[Literal["shipped", "saved"], Path | None]] = [
        ("saved", mappings_dir(state)),
        ("shipped", shipped_mappings_dir()),
    ]
    for origin, folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            if path.stem in found:
                continue
            try:
                spec = load_spec(path)
            except MappingError:
                continue
            fits = staged is not None and _fits(spec, staged.files)
            found[path.stem] = MappingChoice(path.stem, origin, tuple(spec.sources), path, fits)
    return sorted(found.values(), key=lambda m: (not m.fits, m.origin != "saved", m.name))


def _keep_mapping(
    state: AppState, staged: StagedSource, spec: MappingSpec, meta: dict[str, Any]
) -> StagedSource:
    # the mapping reads the files as they were uploaded: a name may differ in case
    names = {Path(f.name).stem.lower(): Path(f.name) for f in staged.files}
    present = [t for t in spec.tables.values() if t.from_.lower() in names]
    if not present:
        wanted = sorted({f"{t.from_}.csv" for t in spec.tables.values()})
        have = ", ".join(f.name for f in staged.files)
        raise WizardError(
            f"the mapping reads {', '.join(wanted)}, none of which the upload holds (it "
            f"holds {have}); choose another mapping or match the columns by hand"
        )
    for t in present:
        src = next(f for f in staged.files if Path(f.name).stem.lower() == t.from_.lower())
        lacking = sorted(t.sources() - set(src.columns))
        if lacking:
            raise WizardError(
                f"{src.name} has no column {lacking[0]!r}, which the mapping reads; "
                "choose another mapping or match the columns by hand"
            )
    fixed = spec.model_copy(
        update={
            "sources": [
                names[t.lower()].name if t.lower() in names else s
                for s, t in ((s, Path(s).stem) for s in spec.sources)
            ],
            "tables": {
                k: t.model_copy(update={"from_": names[t.from_.lower()].stem})
                if t.from_.lower() in names
                else t
                for k, t in spec.tables.items()
            },
        }
    )
    (staged.folder / _MAPPING_FILE).write_text(dump_spec(fixed), encoding="utf-8")
    old = _read_meta(staged.folder)
    _write_meta(staged.folder, {"shown": old.get("shown"), **meta})
    return load_staged(state, staged.upload_id)


def _new_mapping_name(name: str) -> str:
    """``name`` stripped, once checked as the name of a mapping to save: letters,
    digits, space, ``-``, ``_``, ``.`` (at most 60) and not a shipped mapping's."""
    name = name.strip()
    if not _NAME.match(name):
        raise WizardError(
            "name the mapping with letters, digits, spaces, '-', '_' or '.' (at most 60)"
        )
    shipped = shipped_mappings_dir()
    if shipped is not None and (shipped / f"{name}.yaml").exists():
        raise WizardError(f"{name!r} is the name of a mapping shipped with b2bcx; choose another")
    return name


def _read_mapping(stream: BinaryIO, name: str) -> tuple[bytes, MappingSpec]:
    """An uploaded mapping file's bytes (at most :data:`MAX_MAPPING_BYTES`) and
    its checked spec; a message names the file as ``name``, never the server's
    temporary path."""
    data = stream.read(MAX_MAPPING_BYTES + 1)
    if len(data) > MAX_MAPPING_BYTES:
        raise UploadTooLarge("a mapping file is at most 256 KB")
    with tempfile.TemporaryDirectory(prefix="b2bcx-mapping-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            spec = load_spec(path)
        except MappingError as exc:
            raise MappingError(str(exc).replace(str(path), name)) from None
    return data, spec


def use_named_mapping(state: AppState, upload_id: str, name: str) -> StagedSource:
    """Map the upload with a shipped or saved mapping.

    Raises
    ------
    NotFound
        For an unknown name.
    WizardError
        When the upload lacks a file or column the mapping reads.
    """
    staged = load_staged(state, upload_id)
    choice = next((m for m in list_mappings(state) if m.name == name), None)
    if choice is None:
        raise NotFound(f"there is no mapping {name!r}; choose one from the list")
    return _keep_mapping(state, staged, load_spec(choice.path), {"mapping": name})


def use_uploaded_mapping(
    state: AppState, upload_id: str, stream: BinaryIO, filename: str | None
) -> StagedSource:
    """Map the upload with an uploaded mapping file (YAML, ``docs/mappings.md``).

    Raises
    ------
    UnsupportedUpload, UploadTooLarge
        For another file type, or past 256 KB.
    MappingError
        When the file is not a valid mapping (the message names the place and fix).
    """
    staged = load_staged(state, upload_id)
    name = _safe(filename, "mapping.yaml")
    if not name.lower().endswith((".yaml", ".yml")):
        raise UnsupportedUpload("upload the mapping as a .yaml file (see the mapping guide)")
    spec = _read_mapping(stream, name)[1]
    return _keep_mapping(state, staged, spec, {"mapping": Path(name).stem})


def use_matched_columns(
    state: AppState, upload_id: str, choices: dict[str, str], *, date_format: str = ""
) -> StagedSource:
    """Map the upload (one file) with columns matched by hand.

    Parameters
    ----------
    choices : dict
        ``"table.column"`` → the source column (see
        :data:`b2bcx.bundle.mapping_spec.MANUAL_TARGETS`); empty: not in the file.
    date_format : str
        One of :data:`b2bcx.bundle.mapping_spec.DATE_LAYOUTS`.

    Raises
    ------
    WizardError
        For several files, a column the file lacks or an unknown date layout.
    MappingError
        When a needed column is not chosen (the message names the control).
    """
    staged = load_staged(state, upload_id)
    if len(staged.files) != 1:
        raise WizardError(
            "columns can be matched by hand for one file at a time; choose a mapping "
            "for several files, or upload the files one by one"
        )
    if date_format not in DATE_LAYOUTS:
        raise WizardError("choose how the dates are written from the list")
    file = staged.files[0]
    chosen = {k: v for k, v in choices.items() if v}
    for col in chosen.values():
        if col not in file.columns:
            raise WizardError(f"{file.name} has no column {col!r}; choose one of its columns")
    spec = manual_spec(file.name, chosen, date_format=date_format)
    meta = {"mapping": None, "manual": chosen, "date_format": date_format}
    return _keep_mapping(state, staged, spec, meta)


def save_mapping(state: AppState, upload_id: str, name: str) -> MappingChoice:
    """Save the upload's mapping under ``name`` (a YAML file in :func:`mappings_dir`).

    Raises
    ------
    WizardError
        For an invalid name, a name a shipped mapping has, or an upload without
        a mapping yet.
    """
    staged = load_staged(state, upload_id)
    name = _new_mapping_name(name)
    if staged.mapping_path is None:
        raise WizardError("choose or match a mapping first")
    folder = mappings_dir(state)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    text = staged.mapping_path.read_text(encoding="utf-8")
    header = f"# saved from the dashboard's import page ({staged.shown})\n"
    path.write_text(header + text, encoding="utf-8")
    spec = load_spec(path)
    meta = _read_meta(staged.folder)
    _write_meta(staged.folder, {**meta, "mapping": name})
    return MappingChoice(name, "saved", tuple(spec.sources), path, True)


def save_mapping_file(
    state: AppState, name: str, stream: BinaryIO, filename: str | None
) -> MappingChoice:
    """Check an uploaded mapping file and save it under ``name`` (the API's way).

    Raises
    ------
    WizardError, UnsupportedUpload, UploadTooLarge, MappingError
        As :func:`save_mapping` and :func:`use_uploaded_mapping`.
    """
    name = _new_mapping_name(name)
    if not _safe(filename, "mapping.yaml").lower().endswith((".yaml", ".yml")):
        raise UnsupportedUpload("upload the mapping as a .yaml file")
    data, spec = _read_mapping(stream, f"{name}.yaml")
    folder = mappings_dir(state)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.yaml"
    target.write_bytes(data)
    return MappingChoice(name, "saved", tuple(spec.sources), target, False)


# -- step 3: the preview -------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRow:
    """One problem the preview (or an import) found: where, what, and the fix."""

    table: str
    file: str
    row: int | None
    column: str
    value: str
    problem: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "table": self.table,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class PreviewTable:
    """The first mapped rows of one bundle table, with their source rows."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    read: int
    rejected: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "table": self.table,
            "columns": list(self.columns),
            "rows": list(self.rows),
            "read": self.read,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class Preview:
    """What importing the upload would do, found without committing anything."""

    upload_id: str
    mapping: str | None
    tables: tuple[PreviewTable, ...]
    errors: tuple[ErrorRow, ...]
    n_errors: int
    message: str | None = None

    @property
    def n_rejected(self) -> int:
        """Rows that would be rejected (a row may have several errors)."""
        return sum(t.rejected for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "upload_id": self.upload_id,
            "mapping": self.mapping,
            "tables": [t.to_dict() for t in self.tables],
            "errors": [e.to_dict() for e in self.errors],
            "n_errors": self.n_errors,
            "n_rejected": self.n_rejected,
            "message": self.message,
        }


def _labels(staged: StagedSource) -> dict[str, str]:
    """``table.column`` → the words of the match-by-hand page (its source column)."""
    if not staged.manual:
        return {}
    label = {f"{t.table}.{t.column}": t.label for t in MANUAL_TARGETS}
    return {k: f"{label[k]} (your column {v!r})" for k, v in staged.manual.items() if k in label}


def split_reason(reason: str) -> tuple[str, str]:
    """A reject's reason as (problem, fix): the fix is the part after the last
    ``"; "`` when it says what to do."""
    text = page_words(reason)
    text = re.sub(r"^[^:]*\brow \d+, column [^:]+: ", "", text)
    head, sep, tail = text.rpartition("; ")
    if sep and re.match(
        r"^(add|fix|fill|use|correct|choose|tick|give|save|write|check|keep|remove|name|see)", tail
    ):
        return head, tail
    return text, ""


_MISSING = re.compile(
    r"refers to (\w+) '([^']*)', which is neither in the bundle nor in the workspace"
)
_CASCADE = re.compile(r"refers to (\w+) '([^']*)', which was rejected")


def _known_in_workspace(state: AppState, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rejects without those that refer to a record the workspace holds (the
    throw-away workspace of the preview is empty), and without those rejected
    only because such a row was."""
    from b2bcx.model.tables import TABLES
    from b2bcx.server.records import get_record

    found: dict[tuple[str, str], bool] = {}
    cleared: set[tuple[str, str]] = set()
    keep: list[dict[str, str]] = []
    with state.db() as backend:
        for r in rows:
            m = _MISSING.search(r.get("reason") or "")
            if m is None:
                keep.append(r)
                continue
            ref = (m.group(1), m.group(2))
            if ref not in found:
                try:
                    found[ref] = get_record(backend, ref[0], ref[1]) is not None
                except Exception:  # a table without a single-column id: keep the error
                    found[ref] = False
            if not found[ref]:
                keep.append(r)
                continue
            table = r.get("table") or ""
            try:
                original = json.loads(r.get("original") or "{}")
                key = str(original.get(TABLES[table].key[0]) or "")
            except (ValueError, KeyError, AttributeError):
                key = ""
            cleared.add((table, key))
    changed = True
    while changed:  # rows rejected only because a cleared row was
        changed = False
        rest = []
        for r in keep:
            m = _CASCADE.search(r.get("reason") or "")
            if m is not None and (m.group(1), m.group(2)) in cleared:
                table = r.get("table") or ""
                try:
                    original = json.loads(r.get("original") or "{}")
                    cleared.add((table, str(original.get(TABLES[table].key[0]) or "")))
                except (ValueError, KeyError, AttributeError):
                    pass
                changed = True
                continue
            rest.append(r)
        keep = rest
    return keep


def _error_rows(state: AppState, path: Path, staged: StagedSource) -> list[ErrorRow]:
    labels = _labels(staged)
    out: list[ErrorRow] = []
    if not path.exists():
        return out
    with path.open(encoding="utf-8", newline="") as f:
        rejected = _known_in_workspace(state, list(csv.DictReader(f)))
        for r in rejected:
            problem, fix = split_reason(r.get("reason") or "")
            column = r.get("column") or ""
            key = f"{r.get('table')}.{column}"
            out.append(
                ErrorRow(
                    table=r.get("table") or "",
                    file=r.get("file") or "",
                    row=int(r["row"]) if (r.get("row") or "").isdigit() else None,
                    column=labels.get(key, column),
                    value=r.get("value") or "",
                    problem=problem,
                    fix=fix,
                )
            )
    return out


def _mapped_heads(staged: StagedSource, mapping_path: Path) -> dict[str, list[dict[str, Any]]]:
    heads: dict[str, list[dict[str, Any]]] = {}
    mapping = load_mapping(mapping_path)
    wanted = set(mapping.sources)
    with open_source(
        staged.source, wanted=lambda n: n in wanted or Path(n).stem in wanted
    ) as files:
        for f in files:
            for raw in read_source(f, f.stem):
                for out in mapping.apply([raw]):
                    rows = heads.setdefault(out.table, [])
                    if len(rows) >= PREVIEW_ROWS:
                        continue
                    data = out.data.slice(0, PREVIEW_ROWS - len(rows)).to_pylist()
                    numbers = out.rows.to_pylist()
                    rows.extend(
                        {"_file": out.file, "_row": n, **d}
                        for n, d in zip(numbers, data, strict=False)
                    )
                break  # the first chunk of each file is enough for 20 rows
    return heads


def preview(state: AppState, upload_id: str) -> Preview:
    """Map the upload and validate all of it in a throw-away workspace.

    References are checked within the upload and, for what it lacks, against
    the workspace (a new month's cases of people imported before are fine).

    Raises
    ------
    WizardError
        When the upload has no mapping yet.
    """
    from b2bcx.workspace import open_workspace

    staged = load_staged(state, upload_id)
    mapping_path = staged.mapping_path
    if mapping_path is None:
        raise WizardError("choose a mapping or match the columns first")
    heads = _mapped_heads(staged, mapping_path)
    counts: dict[str, dict[str, int]] = {}
    message = None
    with tempfile.TemporaryDirectory(prefix="b2bcx-preview-") as tmp:
        rejects = Path(tmp) / "rejects.csv"
        options = ImportOptions(
            mapping=mapping_path, allow_rejects=True, rejects_path=rejects, source_name=staged.shown
        )
        with open_workspace(":memory:") as ws:
            try:
                result = ws.import_bundle(staged.source, options)
                counts = {
                    t: {"read": c.read, "rejected": c.rejected} for t, c in result.tables.items()
                }
            except DataRejected:  # pragma: no cover - allow_rejects is on
                pass
            except B2bcxError as exc:
                message = page_words(str(exc).replace(str(staged.source), staged.shown))
        errors = _error_rows(state, rejects, staged)
    bad = {(e.file, e.row) for e in errors}
    per_table: dict[str, int] = {}
    for table, _, _ in {(e.table, e.file, e.row) for e in errors}:
        per_table[table] = per_table.get(table, 0) + 1
    tables = []
    for name, rows in heads.items():
        c = {**counts.get(name, {"read": len(rows)}), "rejected": per_table.get(name, 0)}
        marked = [{**r, "_error": (r["_file"], r["_row"]) in bad} for r in rows]
        columns = tuple(k for k in (rows[0] if rows else {}) if not k.startswith("_"))
        tables.append(PreviewTable(name, columns, tuple(marked), c["read"], c["rejected"]))
    return Preview(
        upload_id,
        staged.mapping_name or ("matched by hand" if staged.manual else None),
        tuple(tables),
        tuple(errors[:PREVIEW_ERRORS]),
        len(errors),
        message,
    )


# -- step 4: the import ----------------------------------------------------------------


def import_staged(state: AppState, upload_id: str, *, allow_rejects: bool = False) -> UploadOutcome:
    """Import the upload through its mapping (all or nothing unless ``allow_rejects``).

    Raises
    ------
    WizardError
        When the upload has no mapping yet.
    UploadRejected
        When rows fail validation and ``allow_rejects`` is off (nothing imported).
    """
    staged = load_staged(state, upload_id)
    if staged.mapping_path is None:
        raise WizardError("choose a mapping or match the columns first")
    options = ImportOptions(
        allow_rejects=allow_rejects,
        mapping=staged.mapping_path,
        source_name=staged.shown,
    )
    try:
        outcome = import_prepared(state, staged.source, staged.shown, options)
    except B2bcxError as exc:
        exc.args = (page_words(str(exc)),)
        raise
    return outcome


def finish_import(state: AppState, upload_id: str, *, allow_rejects: bool = False) -> UploadOutcome:
    """Step 4 as both front ends take it: :func:`import_staged`, then the upload
    is forgotten (:func:`discard_staged`); a refused import keeps it for a retry.

    Raises
    ------
    WizardError, UploadRejected
        As :func:`import_staged`.
    """
    outcome = import_staged(state, upload_id, allow_rejects=allow_rejects)
    discard_staged(state, upload_id)
    return outcome


#: The media type of the rejects file.
REJECTS_MEDIA_TYPE = "text/csv; charset=utf-8"


def rejects_headers(batch_id: str) -> dict[str, str]:
    """The headers of the rejects file's download: saved as
    ``<batch id>.rejects.csv``, the id cut to letters, digits, ``-`` and ``_``
    (at most 60)."""
    safe = "".join(ch for ch in batch_id if ch.isalnum() or ch in "-_")[:60]
    return {"Content-Disposition": f'attachment; filename="{safe}.rejects.csv"'}


#: The columns of the rejects file, in order.
REJECT_COLUMNS = ("table", "file", "row", "column", "value", "reason", "fix", "original")


def rejects_csv(state: AppState, batch_id: str) -> str:
    """Every rejected row of one import as CSV text: where, the value, the
    reason and the fix (in the page's words), and the row as read (JSON).

    Raises
    ------
    NotFound
        For an unknown batch.
    """
    from b2bcx.storage.records import batch_exists

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(REJECT_COLUMNS)
    with state.db() as backend:
        if not batch_exists(backend, batch_id):
            raise NotFound(f"no import batch {batch_id!r}")
        offset = 0
        while True:
            total, rows = list_rejects(backend, batch_id, limit=5000, offset=offset)
            for r in rows:
                problem, fix = split_reason(str(r.get("reason") or ""))
                original = r.get("original")
                w.writerow(
                    [
                        r.get("table_name"),
                        r.get("file"),
                        r.get("row"),
                        r.get("column_name") or "",
                        r.get("value") or "",
                        problem,
                        fix,
                        json.dumps(original, ensure_ascii=False, default=str) if original else "",
                    ]
                )
            offset += len(rows)
            if not rows or offset >= total:
                break
    return out.getvalue()


# -- words --------------------------------------------------------------------------------

_PAGE_WORDS: tuple[tuple[str, str], ...] = (
    (
        r"use --allow-rejects to import the valid rows",
        'tick "Commit the valid rows even if some are rejected" to import the valid rows',
    ),
    (r"--allow-rejects", '"Commit the valid rows even if some are rejected"'),
    (
        r"check the order of day, month and year in --date-format '([^']*)'",
        'check the order of day, month and year in "Dates are written as"',
    ),
    (r", or name its format with --date-format", ', or choose it in "Dates are written as"'),
    (r"--date-format", '"Dates are written as"'),
    (r"name (?:its|the) encoding with --encoding(?: \S+)?", "save it as UTF-8"),
    (r"(?:, or )?use --encoding(?: to choose another)?\.?", ""),
    (r"--encoding \S+", "another encoding"),
    (r"--mapping", "the mapping step"),
    (r"--rejects", "the rejects file"),
)


def page_words(text: str) -> str:
    """``text`` with the CLI's flags replaced by the import page's controls."""
    for pattern, words in _PAGE_WORDS:
        text = re.sub(pattern, words, text)
    return text


__all__ = [
    "DATE_LAYOUTS",
    "MANUAL_TARGETS",
    "BundleError",
    "ErrorRow",
    "MappingChoice",
    "Preview",
    "PreviewTable",
    "SourceColumns",
    "StagedSource",
    "WizardError",
    "discard_staged",
    "import_staged",
    "list_mappings",
    "load_staged",
    "mappings_dir",
    "page_words",
    "preview",
    "rejects_csv",
    "save_mapping",
    "save_mapping_file",
    "shipped_mappings_dir",
    "split_reason",
    "stage_source",
    "use_matched_columns",
    "use_named_mapping",
    "use_uploaded_mapping",
    "wizard_root",
]
