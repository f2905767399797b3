"""``b2bcx text``: score texts, analyse a workspace's comments, adapt heads, topics."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from b2bcx.cli.app import (
    DEFAULT_TOP,
    AllOpt,
    TopOpt,
    WorkspaceOpt,
    app,
    console,
    open_ws,
    print_json,
    quiet_model_loading,
    top_rows,
)
from b2bcx.cli.errors import handle_errors
from b2bcx.errors import ConfigurationError

text_app = typer.Typer(
    help="Text analytics: goals, value propositions, emotions, sentiment, effort, "
    "touchpoint mentions and topics in what customers write.",
    no_args_is_help=True,
)
app.add_typer(text_app, name="text")


class ScoreFormat(StrEnum):
    """Output of ``text score``."""

    jsonl = "jsonl"
    json = "json"
    table = "table"


class EncoderChoice(StrEnum):
    """Which encoder embeds the texts."""

    minilm = "minilm"
    hashing = "hashing"


EncoderOpt = Annotated[
    EncoderChoice,
    typer.Option(help="minilm: the packaged all-MiniLM-L6-v2 model; hashing: a fast "
                 "bag-of-words stand-in (tests, no model)."),
]  # fmt: skip


class PrecisionChoice(StrEnum):
    """How the MiniLM encoder multiplies."""

    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"


PrecisionOpt = Annotated[
    PrecisionChoice | None,
    typer.Option(help="MiniLM arithmetic: fp32; bf16 (within a documented tolerance of "
                 "fp32, faster on CPUs with AVX-512 BF16 or AMX); auto: bf16 where the CPU "
                 "has it natively (default: $B2BCX_TEXT_PRECISION or auto)."),
]  # fmt: skip


def _encoder(choice: EncoderChoice, precision: PrecisionChoice | None = None) -> Any:
    from b2bcx.text import HashingEncoder, MiniLM

    if choice is EncoderChoice.hashing:
        return HashingEncoder()
    return MiniLM(precision=None if precision is None else precision.value)


def _read_column(path: Path, column: str) -> list[str]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read ({exc})") from exc
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise ConfigurationError(
                f"{path}: no column {column!r}; the columns are "
                f"{', '.join(reader.fieldnames or [])} (pass one with --column)"
            )
        return [row.get(column) or "" for row in reader]


@text_app.command("score")
@handle_errors
def score(
    input: Annotated[Path, typer.Option("--input", "-i", help="A CSV file with a header.")],
    column: Annotated[str, typer.Option(help="The column holding the text.")] = "comment",
    output: Annotated[ScoreFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ScoreFormat.jsonl
    ),
    encoder: EncoderOpt = EncoderChoice.minilm,
    precision: PrecisionOpt = None,
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", "-w", help="Match touchpoints of this workspace's catalogue."),
    ] = None,
) -> None:
    """Score the texts of one CSV column: one JSON object per row (``row`` is the
    spreadsheet row: the header is row 1)."""
    from b2bcx.text import Catalogue, TextModel

    texts = _read_column(input, column)
    model = TextModel(_encoder(encoder, precision))
    catalogue = None
    if workspace is not None:
        with open_ws(workspace, read_only=True) as ws:
            catalogue = Catalogue.from_backend(ws.backend, model.encoder)
    rows = []
    for start in range(0, len(texts), 256):
        part = texts[start : start + 256]
        for k, obj in enumerate(model.score(part, catalogue=catalogue)):
            rows.append({"row": start + k + 2, **obj})
    if output is ScoreFormat.jsonl:
        for obj in rows:
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    if output is ScoreFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"{input.name}: {len(rows)} texts ({model.name})")
    for col in ("row", "sentiment", "emotions", "goals", "effort", "text"):
        table.add_column(col, overflow="fold")
    for obj, text in zip(rows, texts, strict=True):
        table.add_row(
            str(obj["row"]),
            f"{obj['sentiment']:+.2f}",
            ", ".join(obj["emotion_labels"]),
            ", ".join(obj["goal_labels"]) or "–",
            f"{obj['effort']:.2f}",
            text[:80],
        )
    console.print(table)


@text_app.command("analyze")
@handle_errors
def analyze_cmd(
    workspace: WorkspaceOpt = None,
    encoder: EncoderOpt = EncoderChoice.minilm,
    precision: PrecisionOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score at most this many.")] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress on stderr.")
    ] = True,
) -> None:
    """Score every comment of the workspace not scored yet (incremental)."""
    from b2bcx.cli.progress import RichProgress

    quiet_model_loading()
    from b2bcx.text import analyze

    with open_ws(workspace) as ws, RichProgress(enabled=progress) as bar:
        result = analyze(
            ws.backend, encoder=_encoder(encoder, precision), progress=bar, limit=limit
        )
    rate = result.scored / result.seconds if result.seconds else 0.0
    console.print(f"Scored {result.scored:,} comments with {result.model} in "
                  f"{result.seconds:.1f} s ({rate:,.0f}/s).")  # fmt: skip


@text_app.command("train")
@handle_errors
def train(
    labels: Annotated[
        Path, typer.Option(help="CSV with text,label,value (value 1 = is, 0 = is not).")
    ],
    workspace: WorkspaceOpt = None,
) -> None:
    """Add your own labelled examples; the goal heads (trained on coded B2B
    sentences) and the effort and cognitive heads adapt (re-run ``b2bcx text
    analyze`` to rescore)."""
    from b2bcx.storage import textstore
    from b2bcx.text.heads import SEED_LABELS

    rows: list[tuple[str, str, int]] = []
    with labels.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
            raise ConfigurationError(f"{labels}: needs the columns text,label[,value]")
        for n, row in enumerate(reader, start=2):
            label = (row.get("label") or "").strip()
            if label not in SEED_LABELS:
                raise ConfigurationError(
                    f"{labels}, row {n}, column label: {label!r} is not a head label; "
                    f"use one of {', '.join(SEED_LABELS)}"
                )
            raw = (row.get("value") or "1").strip()
            if raw not in ("0", "1"):
                raise ConfigurationError(f"{labels}, row {n}, column value: {raw!r}; use 1 or 0")
            text = (row.get("text") or "").strip()
            if not text:
                raise ConfigurationError(f"{labels}, row {n}, column text: empty")
            rows.append((text, label, int(raw)))
    with open_ws(workspace) as ws:
        added = textstore.add_labels(ws.backend, rows)
        total = len(textstore.read_labels(ws.backend))
    console.print(f"Added {added} labelled examples ({total} in the workspace). The heads use "
                  "them from the next `b2bcx text analyze`, which rescores every comment "
                  "(the model name carries a digest of the examples).")  # fmt: skip


@text_app.command("topics")
@handle_errors
def topics_cmd(
    workspace: WorkspaceOpt = None,
    by: Annotated[str | None, typer.Option(help="account, touchpoint or stage.")] = None,
    k: Annotated[
        int | None, typer.Option(min=2, help="Number of topics (default: chosen).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same topics).")] = 0,
    output: Annotated[ScoreFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ScoreFormat.table
    ),
    top: TopOpt = DEFAULT_TOP,
    show_all: AllOpt = False,
) -> None:
    """Themes in the analysed comments, with example comments.

    The table lists the topics with the most comments first, the top 20 (--all
    for every one); --format json gives every topic with all its examples."""
    import pandas as pd

    from b2bcx.text import topics

    with open_ws(workspace) as ws:
        frame = topics(ws.backend, by=by, k=k, seed=seed)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if output is not ScoreFormat.table:
        print_json(records)
        return
    from rich.table import Table

    shown, note = top_rows(pd.DataFrame({"i": range(len(records))}), top, show_all)
    table = Table(title=f"Topics, most comments first: {note}")
    cols = ["topic_id", "label", "comments", "sentiment", "example"]
    if by:
        cols.insert(
            2, {"account": "account_id", "touchpoint": "touchpoint_id", "stage": "stage"}[by]
        )
    numbers = {"comments", "sentiment"}
    headers = {"topic_id": "topic", "account_id": "account", "touchpoint_id": "touchpoint"}
    for col in cols:
        table.add_column(
            headers.get(col, col), overflow="fold", justify="right" if col in numbers else "left"
        )
    for r in records[: len(shown)]:
        example = " ".join(str((r["examples"] or [""])[0]).split())
        if len(example) > 160:  # the table shows the gist; --format json has the whole text
            example = example[:157].rstrip() + "…"
        values = {
            **r,
            "sentiment": "–" if r["sentiment"] is None else f"{r['sentiment']:+.2f}",
            "comments": f"{int(r['comments']):,}" if r.get("comments") is not None else "–",
            "example": example,
        }
        table.add_row(*[str(values.get(c, "")) for c in cols])
    console.print(table)
    if len(shown) < len(records):
        console.print(f"{len(records) - len(shown):,} more topics: --all shows every one.")
