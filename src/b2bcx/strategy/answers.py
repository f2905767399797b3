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

SECTIONS = ("impact", "scope", "characteristics", "strategy")
GROUPS = ("perception", "context")
#: Keys of an answers file that are not items.
META_KEYS = ("respondent", "date", "answers", "respondents", "role", "segment")
#: Where an item's direction comes from: the paper's text, or one of its open
#: research questions (Table 4), which the paper asks and does not answer.
BASES = ("paper", "research_question")


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
    #: ``paper`` or ``research_question`` (Table 4): where the direction comes from
    basis: str | None = None


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
                basis=_basis(r, where),
            )
        )
    scale = raw.get("scale") or {"low": 1, "high": 5}
    low, high = float(scale["low"]), float(scale["high"])
    share = float(raw.get("perception_share", 0.5))
    if not low < high or not 0.0 <= share <= 1.0:
        raise _bank_error(where, "scale needs low < high and perception_share within 0–1")
    return ItemBank(int(raw.get("version", 1)), low, high, share, tuple(items))


def _basis(r: dict[str, Any], where: str) -> str | None:
    basis = r.get("basis")
    if basis is not None and basis not in BASES:
        raise _bank_error(where, f"item {r['id']!r}: basis must be one of {', '.join(BASES)}")
    return None if basis is None else str(basis)


@dataclass(frozen=True)
class Respondent:
    """One key stakeholder's answers (Wirtz et al. 2025, 4.1: impact is "perceived
    by key stakeholders").

    Attributes
    ----------
    name : str
        Who answered (a name or a role, as the file gives it).
    values : dict
        Item id → answer on the bank's scale.
    role : str or None
        Their role (e.g. ``CEO``, ``head of sales``), if given.
    segment : str or None
        The market segment (``accounts.segment``) the answers are about; None:
        the whole firm.
    """

    name: str
    values: dict[str, float]
    role: str | None = None
    segment: str | None = None

    def get(self, item_id: str) -> float | None:
        """The answer to ``item_id`` or None."""
        return self.values.get(item_id)


def mean_values(respondents: tuple[Respondent, ...] | list[Respondent]) -> dict[str, float]:
    """Item id → the mean answer over the respondents who answered it."""
    sums: dict[str, list[float]] = {}
    for r in respondents:
        for k, v in r.values.items():
            sums.setdefault(k, []).append(v)
    return {k: sum(v) / len(v) for k, v in sums.items()}


@dataclass(frozen=True)
class Answers:
    """The firm's answers: item id → value on the bank's scale.

    With several key stakeholders answering (``respondents``), ``values`` holds
    each item's mean over those who answered it, so every analysis that reads
    one value per item keeps working; the assessment also reads the respondents
    one by one (their agreement, the bootstrap interval). A single-respondent
    file has no ``respondents``: :attr:`panel` then gives one respondent.
    """

    values: dict[str, float] = field(default_factory=dict)
    source: str = "answers"
    respondent: str | None = None
    #: when the firm answered (the answers file's ``date:``), if known
    answered_on: _dt.date | None = None
    #: the key stakeholders who answered, each with their own answers (empty: one
    #: respondent whose answers are ``values``)
    respondents: tuple[Respondent, ...] = ()

    @classmethod
    def of(
        cls,
        respondents: list[Respondent] | tuple[Respondent, ...],
        *,
        source: str = "answers",
        answered_on: _dt.date | None = None,
    ) -> Answers:
        """Answers of several key stakeholders (``values``: the mean per item)."""
        panel = tuple(respondents)
        names = ", ".join(r.name for r in panel)
        return cls(
            mean_values(panel),
            source=source,
            respondent=names or None,
            answered_on=answered_on,
            respondents=panel,
        )

    @property
    def panel(self) -> tuple[Respondent, ...]:
        """The respondents: ``respondents``, or one made of ``values``."""
        if self.respondents:
            return self.respondents
        if not self.values:
            return ()
        return (Respondent(self.respondent or "respondent", dict(self.values)),)

    def for_segment(self, segment: str | None) -> Answers:
        """The answers about ``segment``: respondents answering for it, else those
        answering for the whole firm (no ``segment``); all of them for None."""
        if segment is None or not self.respondents:
            return self
        own = [r for r in self.respondents if r.segment == segment]
        chosen = own or [r for r in self.respondents if r.segment is None]
        if not chosen:
            return Answers(source=self.source, answered_on=self.answered_on)
        return Answers.of(chosen, source=self.source, answered_on=self.answered_on)

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
    if "respondents" in raw:
        return _load_panel(raw["respondents"], path, bank, answered_on)
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


def _load_panel(raw: Any, path: Path, bank: ItemBank, answered_on: _dt.date | None) -> Answers:
    """``respondents:`` — a list of ``{respondent, role, segment, answers}``."""
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(
            f"{path}: 'respondents' must be a list of {{respondent: NAME, answers: {{item: "
            "answer}}}}, one per key stakeholder"
        )
    panel = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("answers"), dict):
            raise ConfigurationError(
                f"{path}, respondent {n}: give respondent: NAME and answers: {{item: answer}}"
            )
        name = str(entry.get("respondent") or f"respondent {n}")
        values: dict[str, float] = {}
        for key, value in entry["answers"].items():
            number = check_value(str(key), value, f"{path}, respondent {name}, key {key}", bank)
            if number is not None:
                values[str(key)] = number
        role, segment = entry.get("role"), entry.get("segment")
        panel.append(
            Respondent(
                name,
                values,
                role=None if role is None else str(role),
                segment=None if segment is None else str(segment),
            )
        )
    return Answers.of(panel, source=str(path), answered_on=answered_on)


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
    per: dict[str, dict[str, float]] = {}
    seen: set[tuple[str, str]] = set()
    for row_number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in row.items()}
        item = (row.get("item") or "").strip()
        who = (row.get("respondent") or "").strip()
        if not item:
            raise ConfigurationError(f"{path}, row {row_number}, column item: empty item id")
        if (who, item) in seen:
            raise ConfigurationError(
                f"{path}, row {row_number}: item {item!r} is answered twice"
                + (f" by {who}" if who else "")
            )
        seen.add((who, item))
        number = check_value(item, row.get("answer"), f"{path}, row {row_number}", bank)
        if number is not None:
            per.setdefault(who, {})[item] = number
    if "respondent" in fields and any(per):
        panel = [
            Respondent(who or f"respondent {n}", v) for n, (who, v) in enumerate(per.items(), 1)
        ]
        return Answers.of(panel, source=str(path))
    return Answers(per.get("", {}), source=str(path))
