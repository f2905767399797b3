"""Import a bundle into a workspace: read, validate, check, merge — all or nothing.

The steps of :func:`import_bundle`:

1. read every file in bounded chunks of text (:mod:`b2bcx.bundle.reading`),
   through a mapping if one is given;
2. validate each chunk column by column (:mod:`b2bcx.bundle.checks`) and stage
   the valid rows in the database;
3. check keys and references across the whole bundle and the workspace, in
   dependency order, so a row that refers to a rejected row is rejected too;
4. if anything was rejected and rejects are not allowed, write the rejects and
   commit nothing; otherwise merge every table in one transaction
   (:mod:`b2bcx.storage.staging`).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as _dt
import difflib
import errno
import json
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from b2bcx.bundle.checks import (
    EARLIEST_DATE,
    FALSE_WORDS,
    MAX_INTEGER,
    MAX_NUMBER,
    TRUE_WORDS,
    Reject,
    check_batch,
    missing_required_columns,
)
from b2bcx.bundle.countries import COUNTRY_CODES
from b2bcx.bundle.raw import RawBatch
from b2bcx.bundle.reading import (
    SourceFile,
    csv_header,
    ends_with_line_break,
    open_source,
    read_source,
)
from b2bcx.bundle.rejectlog import log_batch, write_rejects_file
from b2bcx.bundle.results import ImportOptions, ImportResult, TableCounts
from b2bcx.errors import B2bcxError, BundleError, DataRejected, WorkspaceError
from b2bcx.model.hierarchy import walk_chains
from b2bcx.model.tables import ATTRIBUTES_COLUMN, REQUIRED_TABLES, TABLES, TableSpec
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend
from b2bcx.storage import staging as st

if TYPE_CHECKING:
    from b2bcx.bundle.mapping import Mapping

_SHOWN = 5  # problems quoted in the DataRejected message


def new_batch_id() -> str:
    """A sortable, unique id for one import."""
    return f"{_dt.datetime.now(_dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _not_a_table(name: str) -> str:
    stem = Path(name.rsplit(":", 1)[-1]).stem
    near = difflib.get_close_matches(stem, list(TABLES), n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    return f"{name} is not a bundle table and was not read{hint}"


def _is_table_file(name: str) -> bool:
    return Path(name).stem in TABLES


def _bundle_files(files: list[SourceFile], warnings: list[str]) -> list[tuple[str, SourceFile]]:
    """The files of a plain bundle as (table, file): one file per table, in dependency order."""
    by_table: dict[str, SourceFile] = {}
    for f in files:
        if f.stem in TABLES:
            if f.stem in by_table:
                raise BundleError(
                    f"{by_table[f.stem].name} and {f.name} are both the {f.stem} table; keep one"
                )
            by_table[f.stem] = f
        else:
            warnings.append(_not_a_table(f.name))
    missing = [t for t in REQUIRED_TABLES if t not in by_table]
    if missing:
        raise BundleError(
            f"the bundle has no {', '.join(missing)} file; a bundle needs "
            f"{', '.join(f'{t}.csv' for t in REQUIRED_TABLES)} (or .parquet/.jsonl)"
        )
    return [(name, by_table[name]) for name in TABLES if name in by_table]


def _bundle_batches(
    files: list[tuple[str, SourceFile]], options: ImportOptions, warnings: list[str]
) -> Iterator[RawBatch]:
    """Batches of a plain bundle's files (from :func:`_bundle_files`)."""
    for name, source in files:
        yield from read_source(
            source, name, encoding=options.encoding, delimiter=options.delimiter, warnings=warnings
        )


def plain_rules(today: _dt.date | None = None) -> st.PlainRules:
    """The validation's limits for :func:`b2bcx.storage.staging.stage_plain_csv`,
    the same :func:`~b2bcx.bundle.checks.check_batch` applies on ``today``."""
    today = today or _dt.datetime.now(_dt.UTC).date()
    return st.PlainRules(
        earliest=EARLIEST_DATE,
        latest=today + _dt.timedelta(days=366),
        max_number=MAX_NUMBER,
        max_integer=MAX_INTEGER,
        countries=frozenset(COUNTRY_CODES),
        true_words=TRUE_WORDS,
        false_words=FALSE_WORDS,
    )


#: Whether a plain bundle's CSV files are first read by the engine itself
#: (:func:`_stage_plain`); tests turn it off to compare with the Arrow path.
ENGINE_CSV = True

#: Whether a first import (every table of a plain bundle still empty in the
#: workspace) loads its plain CSV files straight into their tables, inside the
#: import's transaction (:func:`_import` with ``direct``); tests turn it off to
#: compare with the staging path.
DIRECT_LOAD = True


class _NotDirect(Exception):
    """The direct load of a first import met something it leaves to the staging path
    (a value the SQL checks are unsure of, a reject, a workspace table with rows)."""


def _plain_header(
    source: SourceFile, spec: TableSpec, options: ImportOptions
) -> tuple[list[str], str] | None:
    """The header (names, delimiter) of a file the engine's reader may take, or ``None``.

    Only the plain case qualifies: a UTF-8 CSV ending in a line break whose
    header has every required column and nothing else, of a table without list
    columns. Anything else (another encoding, extra columns, a file the engine
    cannot parse) is left to the validation, so rejects, errors and warnings
    are exactly what it says.
    """
    if not st.plain_csv_supported(spec):
        return None
    path = source.path
    if path.suffix.lower() != ".csv":
        return None
    try:
        if options.encoding and codecs.lookup(options.encoding).name != "utf-8":
            return None
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        if not size or 0 in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None
        if not ends_with_line_break(path):
            return None
        names, delimiter = csv_header(source, "utf-8", options.delimiter)
    except (OSError, B2bcxError, LookupError):
        return None
    if not set(names) <= set(spec.column_names) or missing_required_columns(spec, names):
        return None
    return names, delimiter


def _stage_plain(
    backend: Backend, source: SourceFile, spec: TableSpec, options: ImportOptions
) -> tuple[int, list[str]] | None:
    """Stage one CSV file of a plain bundle with the engine's reader, all checks in
    one SQL pass: (rows, header) when every row is certainly valid, else ``None``
    and nothing staged — the file then goes through the Arrow reader and
    :func:`~b2bcx.bundle.checks.check_batch`, which name each problem.

    Only the plain case takes this path (:func:`_plain_header`), on DuckDB.
    """
    if not ENGINE_CSV or backend.kind != "duckdb":
        return None
    header = _plain_header(source, spec, options)
    if header is None:
        return None
    names, delimiter = header
    n = st.stage_plain_csv(
        backend,
        spec,
        str(source.path),
        file=source.name,
        names=names,
        delimiter=delimiter,
        rules=plain_rules(),
    )
    return None if n is None else (n, names)


def _load_plain(
    backend: Backend,
    source: SourceFile,
    spec: TableSpec,
    options: ImportOptions,
    batch_id: str,
    progress: Progress,
) -> int | None:
    """A first import: one plain CSV file (:func:`_plain_header`) straight into its
    empty workspace table, checked in the same SQL statement; the rows inserted, or
    ``None`` when the file is not plain (it is then staged and validated). Raises
    :class:`_NotDirect` when a row fails a check or the engine cannot read it (the
    transaction must be rolled back)."""
    header = _plain_header(source, spec, options)
    if header is None:
        return None
    names, delimiter = header
    progress.start(f"Reading {source.name}")
    n = st.load_plain_csv(
        backend,
        spec,
        str(source.path),
        names=names,
        delimiter=delimiter,
        rules=plain_rules(),
        batch_id=batch_id,
    )
    if n is None:
        raise _NotDirect
    return n


def _mapped_batches(
    files: list[SourceFile], mapping: Mapping, options: ImportOptions, warnings: list[str]
) -> Iterator[RawBatch]:
    """Batches of a source in another layout, through the mapping."""
    wanted = set(mapping.sources)
    chosen = [f for f in files if Path(f.path).name in wanted or f.stem in wanted]
    if not chosen:
        raise BundleError(
            f"none of the files the mapping reads ({', '.join(sorted(wanted))}) are in the source"
        )
    raw = chain.from_iterable(
        read_source(
            f, f.stem, encoding=options.encoding, delimiter=options.delimiter, warnings=warnings
        )
        for f in chosen
    )
    return iter(mapping.apply(raw))


def _check_header(batch: RawBatch, spec: TableSpec) -> None:
    missing = missing_required_columns(spec, batch.data.column_names)
    if missing:
        extra = [c for c in batch.data.column_names if c not in spec.column_names]
        hints = []
        for m in missing:
            near = difflib.get_close_matches(m, extra, n=1, cutoff=0.6)
            hints.append(f"{m!r}" + (f" (is {near[0]!r} meant?)" if near else ""))
        raise BundleError(
            f"{batch.file} lacks the required column(s) {', '.join(hints)} of the "
            f"{spec.name} table; add them to the header row"
        )


def _entity_keys(rejects: list[Reject], spec: TableSpec) -> set[str]:
    if len(spec.key) != 1:
        return set()
    out = set()
    for r in rejects:
        value = json.loads(r.original).get(spec.key[0])
        if value:
            out.add(str(value))
    return out


def import_bundle(
    backend: Backend,
    path: Path,
    options: ImportOptions,
    *,
    rejects_dir: Path,
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """Validate and import a bundle; see :meth:`b2bcx.Workspace.import_bundle`."""
    started = time.perf_counter()
    started_at = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    batch_id = new_batch_id()
    warnings: list[str] = []
    mapping = None
    if options.mapping:
        from b2bcx.bundle.mapping import load_mapping

        mapping = load_mapping(options.mapping)
    try:
        if (
            mapping is None
            and ENGINE_CSV
            and DIRECT_LOAD
            and backend.kind == "duckdb"
            and not st.in_transaction(backend)
        ):
            # a first import of a plain bundle: straight into the tables, in one
            # transaction; on anything it is unsure of (a reject, an error) it rolls
            # back and the staging path below imports the bundle, naming each problem
            try:
                return _import(
                    backend, path, options, None, rejects_dir=rejects_dir, progress=progress,
                    started=started, started_at=started_at, batch_id=batch_id, warnings=[],
                    direct=True,
                )  # fmt: skip
            except (_NotDirect, B2bcxError):
                pass
        return _import(
            backend, path, options, mapping, rejects_dir=rejects_dir, progress=progress,
            started=started, started_at=started_at, batch_id=batch_id, warnings=warnings,
        )  # fmt: skip
    except B2bcxError:
        raise
    except Exception as exc:
        if _disk_full(exc):
            raise WorkspaceError(
                f"the disk is full ({_first_line(exc)}) while importing {path.name}; nothing "
                "was imported and the workspace is unchanged — free some space on the "
                f"workspace's disk and in the temporary folder ({tempfile.gettempdir()}), "
                "then import again"
            ) from exc
        raise


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (from the OS, Arrow or a database engine) means no space is left."""
    seen: BaseException | None = exc
    for _ in range(10):  # the cause chain, bounded
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        text = f"{type(seen).__name__} {seen}".lower()
        if "no space left" in text or "diskfull" in text or "disk full" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _import(
    backend: Backend,
    path: Path,
    options: ImportOptions,
    mapping: Mapping | None,
    *,
    rejects_dir: Path,
    progress: Progress,
    started: float,
    started_at: _dt.datetime,
    batch_id: str,
    warnings: list[str],
    direct: bool = False,
) -> ImportResult:
    """The import; with ``direct`` (a plain bundle, no mapping, DuckDB) the files
    of tables still empty in the workspace are loaded straight into them, every
    step runs in one transaction, and :class:`_NotDirect` is raised (all rolled
    back) when a table already has rows or anything would be rejected."""
    effective = options.effective_date or _dt.date.today()
    rejects: list[Reject] = []
    read: dict[str, int] = defaultdict(int)
    present: dict[str, set[str]] = defaultdict(set)
    staged: set[str] = set()
    loaded: set[str] = set()  # tables loaded straight into the workspace (direct)
    seen_files: set[str] = set()
    skipped: list[str] = []
    if mapping is not None:
        sources = set(mapping.sources)
        wanted = lambda name: name in sources or Path(name).stem in sources  # noqa: E731
    else:
        wanted = _is_table_file
    st.drop_stages(backend)
    try:
        with backend.transaction() if direct else contextlib.nullcontext():
            with open_source(path, wanted=wanted, skipped=skipped) as files:
                if mapping is None:
                    warnings.extend(_not_a_table(name) for name in skipped)
                if mapping is not None:
                    batches = _mapped_batches(files, mapping, options, warnings)
                else:
                    left = []
                    table_files = _bundle_files(files, warnings)
                    if direct and not all(st.table_is_empty(backend, t) for t, _ in table_files):
                        raise _NotDirect
                    for table, file in table_files:
                        if direct:
                            n_loaded = _load_plain(
                                backend, file, TABLES[table], options, batch_id, progress
                            )
                            if n_loaded is None:
                                left.append((table, file))
                                continue
                            seen_files.add(file.name)
                            loaded.add(table)
                            read[table] += n_loaded
                            progress.advance(f"Reading {file.name}", n_loaded)
                            continue
                        plain = _stage_plain(backend, file, TABLES[table], options)
                        if plain is None:
                            left.append((table, file))
                            continue
                        n_plain, header = plain
                        progress.start(f"Reading {file.name}")
                        seen_files.add(file.name)
                        staged.add(table)
                        read[table] += n_plain
                        present[table] |= set(header)
                        progress.advance(f"Reading {file.name}", n_plain)
                    batches = _bundle_batches(left, options, warnings)
                for batch in batches:
                    spec = TABLES[batch.table]
                    task = f"Reading {batch.file}"
                    if batch.file not in seen_files:
                        seen_files.add(batch.file)
                        _check_header(batch, spec)
                        progress.start(task)
                    if spec.name not in staged:
                        st.create_stage(backend, spec)
                        staged.add(spec.name)
                    checked = check_batch(batch, spec, options.date_formats)
                    st.stage_rows(backend, spec, checked.valid)
                    rejects.extend(checked.rejects)
                    read[spec.name] += batch.num_rows
                    names = set(batch.data.column_names)
                    present[spec.name] |= names & set(spec.column_names)
                    if names - set(spec.column_names):
                        present[spec.name].add(ATTRIBUTES_COLUMN)
                    progress.advance(task, batch.num_rows)
            if direct and rejects:
                raise _NotDirect
            progress.start("Checking keys and references", total=len(staged) + len(loaded))
            rejected_by_table: dict[str, list[Reject]] = defaultdict(list)
            for r in rejects:
                rejected_by_table[r.table].append(r)
            for spec in TABLES.values():
                if spec.name not in staged:
                    continue
                new = _whole_bundle_rejects(backend, spec, staged, rejected_by_table)
                rejected_by_table[spec.name].extend(new)
                rejects.extend(new)
                progress.advance("Checking keys and references")
            if direct and rejects:
                raise _NotDirect
            for spec in TABLES.values():
                if spec.name in loaded:
                    if st.loaded_problem(backend, spec, staged) or _loaded_loops(backend, spec):
                        raise _NotDirect
                    progress.advance("Checking keys and references")
            rejected_rows = {(r.table, r.file, r.row) for r in rejects}
            per_table_rejected: dict[str, int] = defaultdict(int)
            for table, _, _ in rejected_rows:
                per_table_rejected[table] += 1
            n_rejected = len(rejected_rows)
            source = options.source_name or str(path)
            opts = {
                k: v
                for k, v in dataclasses.asdict(options).items()
                if v not in (None, (), False) and k != "source_name"
            }
            rejects_path = None
            where_note = ""
            if rejects:
                target = options.rejects_path or rejects_dir / f"{batch_id}.rejects.csv"
                rejects_path, where_note = _write_rejects(rejects, target, batch_id)
                if where_note:
                    warnings.append(where_note)

            def log(status: str) -> None:
                log_batch(
                    backend,
                    batch_id=batch_id,
                    started_at=started_at,
                    source=source,
                    status=status,
                    n_rows=sum(read.values()),
                    rejects=rejects,
                    n_rejected=n_rejected,
                    options=opts,
                )

            if rejects and not options.allow_rejects:
                log("rejected")
                shown = "\n".join(
                    f"  - {r.reason}"
                    for r in sorted(rejects, key=lambda r: (r.file, r.row))[:_SHOWN]
                )
                more = f"\n  … and {len(rejects) - _SHOWN} more" if len(rejects) > _SHOWN else ""
                raise DataRejected(
                    f"{n_rejected} row(s) rejected, so nothing was imported:\n{shown}{more}\n"
                    f"{where_note + chr(10) if where_note else ''}"
                    f"Every rejected row is in {rejects_path or 'the workspace (import_rejects)'} "
                    "with its reason. Fix them and "
                    "import again, or use --allow-rejects to import the valid rows.",
                    n_rejected=n_rejected,
                    rejects_path=rejects_path,
                )
            counts: dict[str, TableCounts] = {}
            progress.start("Merging", total=len(staged) + len(loaded))
            with backend.transaction():
                for spec in TABLES.values():
                    if spec.name in loaded:  # inserted already: every row is new
                        n = read[spec.name]
                        counts[spec.name] = TableCounts(
                            read=n, inserted=n, updated=0, unchanged=0, rejected=0
                        )
                        progress.advance("Merging")
                        continue
                    if spec.name not in staged:
                        continue
                    merged = st.merge_stage(
                        backend,
                        spec,
                        batch_id=batch_id,
                        present=present[spec.name],
                        effective=effective,
                        staged=staged,
                    )
                    counts[spec.name] = TableCounts(
                        read=read[spec.name],
                        inserted=merged.inserted,
                        updated=merged.updated,
                        unchanged=merged.unchanged,
                        rejected=per_table_rejected[spec.name],
                    )
                    progress.advance("Merging")
                log("committed")
    finally:
        st.drop_stages(backend)
    return ImportResult(
        batch_id=batch_id,
        source=source,
        status="committed",
        tables=counts,
        n_rejected=n_rejected,
        rejects_path=rejects_path,
        warnings=tuple(warnings),
        seconds=time.perf_counter() - started,
    )


def _write_rejects(rejects: list[Reject], target: Path, batch_id: str) -> tuple[Path | None, str]:
    """Write the rejects CSV to ``target``, or (if that place is not writable) to the
    temporary folder; returns where, and a note when it is not ``target``. The rows
    are kept in the workspace's ``import_rejects`` either way."""
    try:
        return write_rejects_file(rejects, target), ""
    except (OSError, pa.ArrowException) as exc:
        problem = _first_line(exc)
    fallback = Path(tempfile.gettempdir()) / "b2bcx-rejects" / target.name
    try:
        written = write_rejects_file(rejects, fallback)
    except (OSError, pa.ArrowException) as exc:
        return None, (
            f"could not write the rejects file to {target} ({problem}) nor to {fallback} "
            f"({_first_line(exc)}); the rejected rows are kept in the workspace "
            f"(import_rejects, batch {batch_id})"
        )
    return written, (
        f"could not write the rejects file to {target} ({problem}); wrote it to {written} instead"
    )


def _whole_bundle_rejects(
    backend: Backend,
    spec: TableSpec,
    staged: set[str],
    rejected_by_table: dict[str, list[Reject]],
) -> list[Reject]:
    """Duplicate keys, references to the own table that loop (a parent chain) and
    dangling references of one staged table, as rejects."""
    out: list[Reject] = []
    duplicates = st.duplicate_rows(backend, spec)
    for p in duplicates:
        why = f"duplicate key {p.value!r}: {p.detail} (the first is kept); remove one of them"
        out.append(_staged_reject(backend, spec, p, why))
    st.remove_staged(backend, spec, ((p.file, p.row) for p in duplicates))
    loops = _loop_rows(backend, spec)
    for p in loops:
        why = (
            f"{p.detail}: a hierarchy needs a top; clear {p.column} on one of these rows "
            "(or point it at an account outside the loop)"
        )
        out.append(_staged_reject(backend, spec, p, why))
    st.remove_staged(backend, spec, ((p.file, p.row) for p in loops))
    own = f"{spec.name}.{spec.key[0]}"
    refers_to_itself = any(c.references == own for c in spec.columns)
    while True:  # a row whose parent was just rejected is rejected in the next pass
        dangling = st.dangling_rows(backend, spec, staged)
        rejected_ids: dict[str, set[str]] = {}  # per referenced table, parsed once
        for p in dangling:
            target_table = p.detail.split(".")[0]
            if target_table not in rejected_ids:
                earlier = rejected_by_table.get(target_table, [])
                if target_table == spec.name:  # a parent rejected in this table
                    earlier = [*earlier, *out]
                rejected_ids[target_table] = _entity_keys(earlier, TABLES[target_table])
            if p.value in rejected_ids[target_table]:
                why = (
                    f"refers to {target_table} {p.value!r}, which was rejected (see its row in "
                    "the rejects); fix that row first"
                )
            else:
                why = (
                    f"refers to {target_table} {p.value!r}, which is neither in the bundle nor "
                    f"in the workspace; add it to {target_table} or correct the id"
                )
            out.append(_staged_reject(backend, spec, p, why))
        st.remove_staged(backend, spec, ((p.file, p.row) for p in dangling))
        if not dangling or not refers_to_itself:
            return out


def _loaded_loops(backend: Backend, spec: TableSpec) -> bool:
    """Whether a table loaded straight into the workspace (its own rows only) has a
    reference to itself that loops."""
    if len(spec.key) != 1:
        return False
    own = f"{spec.name}.{spec.key[0]}"
    return any(
        walk_chains(st.loaded_references(backend, spec, col.name)).loops
        for col in spec.columns
        if col.references == own
    )


def _loop_rows(backend: Backend, spec: TableSpec) -> list[st.StagedProblem]:
    """Staged rows whose reference to their own table (a parent) closes a loop,
    with the bundle's rows taking the place of the workspace's."""
    out: list[st.StagedProblem] = []
    if len(spec.key) != 1:
        return out
    own = f"{spec.name}.{spec.key[0]}"
    for col in spec.columns:
        if col.references != own:
            continue
        staged, kept = st.self_references(backend, spec, col.name)
        on_loop = walk_chains(dict(kept) | {k: v for _, _, k, v in staged}).loops
        for file, row, key, value in staged:
            if key in on_loop:
                loop = on_loop[key]
                shown = " → ".join([*loop[loop.index(key) :], *loop[: loop.index(key)], key])
                out.append(st.StagedProblem(file, row, col.name, value, f"the {col.name} chain "
                                            f"loops ({shown})"))  # fmt: skip
    return out


def _staged_reject(backend: Backend, spec: TableSpec, p: st.StagedProblem, why: str) -> Reject:
    row = st.staged_row(backend, spec, p.file, p.row)
    return Reject(
        table=spec.name,
        file=p.file,
        row=p.row,
        column=p.column,
        value=p.value,
        reason=f"{p.file} row {p.row}, column {p.column}: {why}",
        original=json.dumps(row, default=str, ensure_ascii=False),
    )
