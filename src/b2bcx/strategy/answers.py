"""The assessment's item bank (``items.yaml``, shipped with b2bcx) and the firm's
answers to it, from a YAML or CSV file or the interactive prompt."""

from __future__ import annotations

import csv
import datetime as _dt
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from b2bcx.errors import ConfigurationError

SECTIONS = ("impact", "scope", "characteristics")
GROUPS = ("perception", "context")
#: Keys of an answers file that are not items.
META_KEYS = ("respondent", "date", "answers")


@dataclass(frozen=True)
class Item:
    """One question of the assessment."""

    id: str
    section: str
    text: str
    weight: float = 1.0
    direction: int = 1
    group: str | None = None
    factor: str | None = None
    dimension: str | None = None
    characteristic: str | None = None


@dataclass(frozen=True)
class ItemBank:
    """The questionnaire: items answered on a ``low``–``high`` agreement scale."""

    version: int
    low: float
    high: float
    perception_share: float
    items: tuple[Item, ...]

    def by_id(self) -> dict[str, Item]:
        """Items keyed by id."""
        return {i.id: i for i in self.items}

    def section(self, name: str) -> list[Item]:
        """The items of one section, in bank order."""
        return [i for i in self.items if i.section == name]

    def score(self, item: Item, answer: float) -> float:
        """An answer as a score on 0–1, reversed for items with ``direction: -1``."""
        value = (answer - self.low) / (self.high - self.low)
        return 1.0 - value if item.direction < 0 else value


def _bank_error(where: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: {message}")


def item_bank(path: str | Path | None = None) -> ItemBank:
    """The item bank: the one shipped with the package (``b2bcx/strategy/items.yaml``)
    or your own copy of it at ``path`` (e.g. with other weights)."""
    if path is None:
        where = "b2bcx/strategy/items.yaml"
        text = resources.files("b2bcx.strategy").joinpath("items.yaml").read_text("utf-8")
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise _bank_error(where, f"cannot read the item bank ({exc})") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _bank_error(where, f"not valid YAML ({exc})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise _bank_error(where, "expected a mapping with version, scale and a list of items")
    items = []
    seen: set[str] = set()
    for n, r in enumerate(raw["items"], start=1):
        if not isinstance(r, dict) or not {"id", "section", "text"} <= set(r):
            raise _bank_error(where, f"item {n} needs id, section and text")
        if r["section"] not in SECTIONS:
            raise _bank_error(
                where, f"item {r['id']!r}: section must be one of {', '.join(SECTIONS)}"
            )
        if r["section"] == "impact" and r.get("group") not in GROUPS:
            raise _bank_error(
                where, f"item {r['id']!r}: an impact item needs group {' or '.join(GROUPS)}"
            )
        if r["section"] == "scope" and not r.get("dimension"):
            raise _bank_error(where, f"item {r['id']!r}: a scope item needs a dimension")
        if str(r["id"]) in seen:
            raise _bank_error(where, f"item id {r['id']!r} appears twice")
        seen.add(str(r["id"]))
        weight = float(r.get("weight", 1.0))
        if weight < 0:
            raise _bank_error(where, f"item {r['id']!r}: weight must be ≥ 0")
        items.append(
            Item(
                id=str(r["id"]),
                section=str(r["section"]),
                text=str(r["text"]),
                weight=weight,
                direction=-1 if int(r.get("direction", 1)) < 0 else 1,
                group=r.get("group"),
                factor=r.get("factor"),
                dimension=r.get("dimension"),
                characteristic=r.get("characteristic"),
            )
        )
    scale = raw.get("scale") or {"low": 1, "high": 5}
    low, high = float(scale["low"]), float(scale["high"])
    share = float(raw.get("perception_share", 0.5))
    if not low < high or not 0.0 <= share <= 1.0:
        raise _bank_error(where, "scale needs low < high and perception_share within 0–1")
    return ItemBank(int(raw.get("version", 1)), low, high, share, tuple(items))


@dataclass(frozen=True)
class Answers:
    """The firm's answers: item id → value on the bank's scale."""

    values: dict[str, float] = field(default_factory=dict)
    source: str = "answers"
    respondent: str | None = None
    #: when the firm answered (the answers file's ``date:``), if known
    answered_on: _dt.date | None = None

    def get(self, item_id: str) -> float | None:
        """The answer to ``item_id`` or None."""
        return self.values.get(item_id)

    def __bool__(self) -> bool:
        return bool(self.values)


def check_value(key: str, value: Any, where: str, bank: ItemBank) -> float | None:
    """One raw answer checked against the bank: the number, or None when empty."""
    known = bank.by_id()
    if key not in known:
        close = [k for k in known if k.startswith(key[:3])]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigurationError(
            f"{where}: unknown item {key!r}{hint}; `b2bcx strategy items` lists the items"
        )
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"{where}: item {key!r} has {value!r}; answer with a number from {bank.low:g} "
            f"(strongly disagree) to {bank.high:g} (strongly agree), or leave it empty"
        ) from exc
    if not bank.low <= number <= bank.high:
        raise ConfigurationError(
            f"{where}: item {key!r} is {number:g}, outside {bank.low:g}–{bank.high:g}; use "
            f"the agreement scale ({bank.low:g} = strongly disagree, {bank.high:g} = "
            "strongly agree)"
        )
    return number


def check_answers(values: dict[str, Any], where: str, bank: ItemBank | None = None) -> Answers:
    """Validate raw ``item: answer`` pairs against the item bank (ids and scale)."""
    bank = bank or item_bank()
    out: dict[str, float] = {}
    for key, value in values.items():
        number = check_value(str(key), value, where, bank)
        if number is not None:
            out[str(key)] = number
    return Answers(out, source=where)


def load_answers(path: str | Path, bank: ItemBank | None = None) -> Answers:
    """Answers from a YAML file (``item: answer`` pairs, optionally under
    ``answers:`` beside ``respondent:``) or a CSV file with the columns ``item``
    and ``answer``; errors name the file, the row or key, and the fix."""
    bank = bank or item_bank()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the answers file ({exc})") from exc
    if path.suffix.lower() == ".csv":
        return _load_csv(path, text, bank)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ConfigurationError(f"{path}: answers must be a .yaml, .yml or .csv file")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(
            f"{path}: expected a mapping of item: answer (see examples/strategy/answers.yaml)"
        )
    respondent = raw.get("respondent")
    answered_on = _answer_date(raw.get("date"), path)
    body = raw.get("answers", {k: v for k, v in raw.items() if k not in META_KEYS})
    if not isinstance(body, dict):
        raise ConfigurationError(f"{path}: 'answers' must be a mapping of item: answer")
    values: dict[str, float] = {}
    for key, value in body.items():
        number = check_value(str(key), value, f"{path}, key {key}", bank)
        if number is not None:
            values[str(key)] = number
    return Answers(
        values,
        source=str(path),
        respondent=None if respondent is None else str(respondent),
        answered_on=answered_on,
    )


def _answer_date(value: Any, path: Path) -> _dt.date | None:
    """The answers file's ``date:`` (ISO 8601), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ConfigurationError(
            f"{path}, key date: {value!r} is not a date; write it as 2026-11-23"
        ) from exc


def _load_csv(path: Path, text: str, bank: ItemBank) -> Answers:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in reader.fieldnames or []]
    if not {"item", "answer"} <= set(fields):
        raise ConfigurationError(
            f"{path}: a CSV of answers needs the header item,answer "
            f"(found {','.join(fields) or 'no header'})"
        )
    values: dict[str, float] = {}
    for row_number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in row.items()}
        item = (row.get("item") or "").strip()
        if not item:
            raise ConfigurationError(f"{path}, row {row_number}, column item: empty item id")
        if item in values:
            raise ConfigurationError(f"{path}, row {row_number}: item {item!r} is answered twice")
        number = check_value(item, row.get("answer"), f"{path}, row {row_number}", bank)
        if number is not None:
            values[item] = number
    return Answers(values, source=str(path))
