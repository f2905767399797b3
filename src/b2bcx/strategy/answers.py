"""The assessment item bank shipped with b2bcx and the firm's answers to it."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from b2bcx.errors import ConfigurationError

SECTIONS = ("impact", "scope", "characteristics", "resources")


@dataclass(frozen=True)
class Item:
    """One question of the assessment."""

    id: str
    section: str
    text: str
    weight: float = 1.0
    direction: int = 1
    factor: str | None = None
    dimension: str | None = None
    characteristic: str | None = None


@dataclass(frozen=True)
class ItemBank:
    """The questionnaire: items on a ``low``–``high`` agreement scale."""

    version: int
    low: float
    high: float
    items: tuple[Item, ...]

    def by_id(self) -> dict[str, Item]:
        """Items keyed by id."""
        return {i.id: i for i in self.items}

    def section(self, name: str) -> list[Item]:
        """The items of one section."""
        return [i for i in self.items if i.section == name]

    def score(self, item: Item, answer: float) -> float:
        """An answer on 0–100, reversed for items with ``direction: -1``."""
        value = (answer - self.low) / (self.high - self.low) * 100.0
        return 100.0 - value if item.direction < 0 else value


def item_bank() -> ItemBank:
    """The item bank shipped with the package (``b2bcx/strategy/items.yaml``)."""
    text = resources.files("b2bcx.strategy").joinpath("items.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    items = tuple(
        Item(
            id=str(r["id"]), section=str(r["section"]), text=str(r["text"]),
            weight=float(r.get("weight", 1.0)), direction=int(r.get("direction", 1)),
            factor=r.get("factor"), dimension=r.get("dimension"),
            characteristic=r.get("characteristic"),
        )
        for r in raw["items"]
    )  # fmt: skip
    return ItemBank(int(raw["version"]), float(raw["scale"]["low"]), float(raw["scale"]["high"]),
                    items)  # fmt: skip


@dataclass(frozen=True)
class Answers:
    """The firm's answers: item id → value on the bank's scale."""

    values: dict[str, float] = field(default_factory=dict)
    source: str = "answers"
    respondent: str | None = None

    def get(self, item_id: str) -> float | None:
        """The answer to ``item_id`` or None."""
        return self.values.get(item_id)


def check_answers(values: dict[str, Any], where: str, bank: ItemBank | None = None) -> Answers:
    """Validate raw answers against the item bank (ids and scale), naming what is wrong."""
    bank = bank or item_bank()
    known = bank.by_id()
    out: dict[str, float] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigurationError(
                f"{where}: unknown item {key!r}; the items are {', '.join(known)} "
                "(see `b2bcx strategy items`)"
            )
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"{where}: item {key!r} has {value!r}; answer with a number from "
                f"{bank.low:g} to {bank.high:g}"
            ) from exc
        if not bank.low <= number <= bank.high:
            raise ConfigurationError(
                f"{where}: item {key!r} is {number:g}, outside {bank.low:g}–{bank.high:g}; "
                "use the agreement scale (1 = strongly disagree, 5 = strongly agree)"
            )
        out[key] = number
    return Answers(out, source=where)


def load_answers(path: str | Path) -> Answers:
    """Answers from a YAML mapping (``item: value`` or ``answers: {item: value}``)
    or a CSV file with the columns ``item`` and ``answer``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the answers file ({exc})") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or not {"item", "answer"} <= set(reader.fieldnames):
            raise ConfigurationError(
                f"{path}: a CSV of answers needs the columns item,answer "
                f"(found {', '.join(reader.fieldnames or [])})"
            )
        values: dict[str, Any] = {}
        for row_number, row in enumerate(reader, start=2):
            item = (row.get("item") or "").strip()
            if not item:
                raise ConfigurationError(f"{path}, row {row_number}, column item: empty item id")
            values[item] = (row.get("answer") or "").strip()
        checked = check_answers(values, str(path))
        return checked
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: expected a mapping of item: answer")
    respondent = raw.get("respondent") if "answers" in raw else None
    body = raw.get("answers", raw)
    if not isinstance(body, dict):
        raise ConfigurationError(f"{path}: 'answers' must be a mapping of item: answer")
    checked = check_answers(body, str(path))
    return Answers(checked.values, source=str(path), respondent=respondent)
