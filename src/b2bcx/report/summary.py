"""The report's words for people: names instead of ids, evidence as sentences
with formatted numbers, no command-line instructions, and the one-page
executive summary (headline, three risks, three actions, trend).

Nothing here computes a new statistic: it words the results the analyses gave.

>>> plain("answer the assessment (--answers FILE or --interactive)")
'answer the CXM assessment questionnaire'
>>> evidence_sentence({"gap": 31.098, "ci95": [28.6, 33.57], "ratings": 82})
'Gap 31.1 (95% interval 28.6 to 33.6); ratings 82.'
>>> named("ACC-00001 and ACC-000012", {"ACC-00001": "Loire Dairy"})
'Loire Dairy and ACC-000012'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from b2bcx.storage import Backend

#: Tables whose ids the report replaces by names, and their id column.
NAMED_TABLES = {"accounts": "account_id", "partners": "partner_id", "touchpoints": "touchpoint_id"}

#: Command-line hints in library texts, and what the report says instead.
_CLI_PHRASES: tuple[tuple[str, str], ...] = (
    (
        r"answer the assessment \(--answers FILE or --interactive\)",
        "answer the CXM assessment questionnaire",
    ),
    (
        r"answer the impact items \(--answers FILE\)",
        "answer the impact items of the CXM assessment",
    ),
    (r"\s*\(b2bcx text analyze\)", " (the comments have not been analysed yet)"),
    (r"run `?b2bcx text analyze`?", "analyse the customers' comments"),
    (r"\(see `?b2bcx [^`)]*`?(?: or the dashboard)?\)", "(see the dashboard)"),
    (r"\s*\([^()]*--[a-z][^()]*\)", ""),  # any other parenthesis naming a flag
    (r"`?b2bcx [a-z][a-z -]*`?", "the analysis"),
)


def plain(text: Any) -> str:
    """``text`` without command-line instructions (a reader of the report runs no
    command): known hints are reworded as what to provide, other flags dropped."""
    out = str(text)
    for pattern, replacement in _CLI_PHRASES:
        out = re.sub(pattern, replacement, out)
    return out


def load_names(backend: Backend) -> dict[str, str]:
    """Id → name of the workspace's accounts, partners and touchpoints (those
    with a name); an id without one keeps its id."""
    names: dict[str, str] = {}
    for table, key in NAMED_TABLES.items():
        try:
            t = backend.table(table)
        except Exception:  # a workspace without the table (older schema): no names
            continue
        if "name" not in t.columns:
            continue
        frame = t.select(t[key], t["name"]).execute()
        for ident, name in zip(frame[key], frame["name"], strict=True):
            if isinstance(name, str) and name.strip() and isinstance(ident, str):
                names[ident] = name.strip()
    return names


def named(text: Any, names: Mapping[str, str]) -> str:
    """``text`` with every whole id of ``names`` replaced by its name."""
    out = str(text)
    if not names:
        return out
    ids = sorted((i for i in names if i in out), key=len, reverse=True)
    if not ids:
        return out
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(i) for i in ids) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(0)], out)


def number(value: Any, digits: int | None = None) -> str:
    """A number for people: thousands separated, at most one decimal unless
    ``digits`` says otherwise, p-values in scientific form when tiny."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return "–"
    if digits is None:
        digits = 0 if abs(value) >= 100 else (1 if abs(value) >= 1 else 2)
    return f"{value:,.{digits}f}"


_KEY_WORDS = {"cx": "CX", "nps": "NPS", "ci95": "95% interval", "omega2": "ω²", "eta2": "η²"}


def percent(share: float | None) -> str:
    """A 0–1 share as a whole percentage that never claims certainty: ``>99%``,
    ``<1%`` at the ends, ``–`` when unknown.

    >>> percent(0.9952), percent(0.5), percent(0.001), percent(None)
    ('>99%', '50%', '<1%', '–')
    """
    if share is None or share != share:
        return "–"
    if 0.99 < share < 1:
        return ">99%"
    if 0 < share < 0.01:
        return "<1%"
    return f"{share * 100:.0f}%"


def _label(key: str, *, capital: bool = False) -> str:
    words = " ".join(_KEY_WORDS.get(w, w) for w in key.replace("_", " ").split())
    words = words.replace("p adjusted", "p (adjusted)")
    return words[:1].upper() + words[1:] if capital and words else words


def _value(key: str, value: Any, names: Mapping[str, str]) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        text = named(value, names)
        if re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+", text):
            return text[:10]
        return text.replace("_", " ") if re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)+", text) else text
    if isinstance(value, float) and ("share" in key or key in ("rise",)) and abs(value) <= 1:
        return f"{value * 100:.0f}%"
    if isinstance(value, float) and (key == "p" or key.startswith("p_")):
        return f"{value:.2g}" if value >= 0.001 else "< 0.001"
    if isinstance(value, Mapping):
        parts = [f"{_label(str(k))} {_value(str(k), v, names)}" for k, v in value.items()]
        return "(" + ", ".join(parts) + ")"
    if isinstance(value, Sequence):
        items = [_value(key, v, names) for v in value]
        if key.startswith("ci") and len(items) == 2:
            return f"{items[0]} to {items[1]}"
        return ", ".join(items)
    return number(value)


def evidence_sentence(
    evidence: Mapping[str, Any], names: Mapping[str, str] | None = None, *, capital: bool = True
) -> str:
    """A finding's evidence as one sentence of labelled, formatted values (no
    raw Python: nested values are worded, ids named, numbers rounded).

    An interval key ``ci95`` follows the value before it as "(95% interval a to b)".
    ``capital``: start with a capital letter (not a Greek symbol such as ω²).
    """
    names = names or {}
    parts: list[str] = []
    for key, value in evidence.items():
        if key.endswith("_id") and isinstance(value, str) and value in names:
            continue  # the name is in the summary already
        text = _value(key, value, names)
        if key.startswith("ci") and parts and isinstance(value, Sequence):
            parts[-1] += f" ({_label(key)} {text})"
            continue
        parts.append(f"{_label(key)} {text}")
    if not parts:
        return ""
    sentence = "; ".join(parts)
    if capital and sentence[:1].isascii():  # "ω²" stays ω², never Ω²
        sentence = sentence[:1].upper() + sentence[1:]
    return sentence + "."


#: Evidence keys that say how sure a finding is (tests, p-values, effect sizes)
#: rather than what was seen: the report prints them after the plain evidence, in
#: smaller type, and explains them in the appendix ("Reading the evidence").
STATISTIC_KEYS = frozenset({
    "p", "p_adjusted", "p_bonferroni", "p_rise_adjusted", "omega2", "eta2", "test",
    "ar1_phi", "sup_wald", "did_se",
})  # fmt: skip


def evidence_parts(
    evidence: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """A finding's evidence split in two sentences: what was seen (counts,
    scores, gaps, dates) and how sure it is (the test, p-values, effect sizes:
    :data:`STATISTIC_KEYS`); either may be empty.

    >>> evidence_parts({"gap": 35.9, "p_adjusted": 0.0041, "people": 14, "omega2": 0.78})
    ('Gap 35.9; people 14.', 'p (adjusted) 0.0041; ω² 0.78.')
    """
    seen = {k: v for k, v in evidence.items() if k not in STATISTIC_KEYS}
    sure = {k: v for k, v in evidence.items() if k in STATISTIC_KEYS}
    return evidence_sentence(seen, names), evidence_sentence(sure, names, capital=False)


@dataclass(frozen=True)
class Risk:
    """An account at risk, for the executive summary."""

    account_id: str
    name: str
    risk: float | None
    reason: str


@dataclass(frozen=True)
class Trend:
    """The portfolio score of the last ``months`` months against the ones before."""

    months: int
    current: float
    previous: float
    change: float
    sentence: str


@dataclass(frozen=True)
class PriorityGroup:
    """The diagnosis' ranked priorities at one touchpoint and controller (the
    dashboard's grouping): one action per place, the goals served poorly there."""

    #: the best (lowest) rank of the group's priorities
    rank: int
    touchpoint_id: str
    #: the touchpoint's name
    touchpoint: str
    stage: str
    controller: str
    #: the goals served poorly there, in rank order
    goals: tuple[str, ...]
    #: the most accounts behind one of the group's priorities
    accounts: int
    #: the top priority's action, in words (names, no commands)
    action: str
    #: the group's priorities, ranked (the diagnosis' rows)
    rows: tuple[Mapping[str, Any], ...]

    @property
    def sentence(self) -> str:
        """The action, and the other goals served poorly at the same place."""
        others = self.goals[1:]
        if not others:
            return self.action
        return f"{self.action} Also served poorly there: {', '.join(others)}."


def group_priorities(
    priorities: Sequence[Mapping[str, Any]], names: Mapping[str, str] | None = None
) -> tuple[PriorityGroup, ...]:
    """The ranked priorities grouped by touchpoint and controller, in the order
    of each group's best rank (the list the dashboard shows: one row per place,
    not five rows of the same touchpoint): :func:`b2bcx.diagnose.priority_groups.
    group_priorities` with the report's words (names for ids, plain numbers).

    >>> rows = [{"rank": 1, "touchpoint_id": "T1", "controller": "partner", "goal": "a",
    ...          "accounts": 3, "action": "Fix T1."},
    ...         {"rank": 2, "touchpoint_id": "T2", "controller": "supplier", "goal": "b",
    ...          "accounts": 5, "action": "Fix T2."},
    ...         {"rank": 3, "touchpoint_id": "T1", "controller": "partner", "goal": "c",
    ...          "accounts": 4, "action": "Fix T1 for c."}]
    >>> [(g.touchpoint, g.goals, g.accounts) for g in group_priorities(rows, {"T1": "Visit"})]
    [('Visit', ('a', 'c'), 4), ('T2', ('b',), 5)]
    >>> group_priorities(rows)[0].sentence
    'Fix T1. Also served poorly there: c.'
    """
    # the one grouping of the dashboard, the report and the plan
    from b2bcx.diagnose.priority_groups import group_priorities as grouped
    from b2bcx.diagnose.priority_groups import priority_field

    names = names or {}
    return tuple(
        PriorityGroup(
            rank=g.rank,
            touchpoint_id=g.touchpoint_id,
            # the diagnosis' name of the touchpoint, else the workspace's
            touchpoint=str(
                priority_field(g.rows[0], "touchpoint")
                or names.get(g.touchpoint_id, g.touchpoint_id)
            ),
            stage=g.stage,
            controller=g.controller,
            goals=g.goals,
            accounts=g.accounts,
            action=plain(named(g.action, names)),
            rows=g.rows,
        )
        for g in grouped(priorities)
    )


def order_at_risk(
    at_risk: Sequence[Mapping[str, Any]],
    findings: Sequence[Mapping[str, Any]] = (),
    people: Mapping[str, int] | None = None,
) -> list[Mapping[str, Any]]:
    """The accounts in the dashboard's order: most at risk first, unknown risk
    last; among equals the most findings, then the most people heard, then the
    id (on a review export where every risk is unknown, the organizations with
    most reviewers come first, not single anonymous reviews).

    >>> rows = [{"account_id": "a", "risk": None}, {"account_id": "b", "risk": None},
    ...         {"account_id": "c", "risk": 0.2}]
    >>> [r["account_id"] for r in order_at_risk(rows, [], {"b": 3, "a": 1})]
    ['c', 'b', 'a']
    """
    people = people or {}
    counts: dict[str, int] = {}
    for f in findings:
        if f.get("account_id") is not None:
            counts[str(f["account_id"])] = counts.get(str(f["account_id"]), 0) + 1

    def key(r: Mapping[str, Any]) -> tuple[float, int, int, str]:
        risk = r.get("risk")
        ident = str(r.get("account_id"))
        known = isinstance(risk, int | float) and risk == risk
        return (
            -float(risk) if known and risk is not None else 1.0,
            -counts.get(ident, 0),
            -int(people.get(ident) or 0),
            ident,
        )

    return sorted(at_risk, key=key)


@dataclass(frozen=True)
class ExecutiveSummary:
    """The first page: a headline, the biggest risks, the first actions, the trend."""

    headline: str
    risks: tuple[Risk, ...]
    actions: tuple[str, ...]
    trend: Trend | None
    metric_label: str
    #: the partner whose touchpoints score lowest, as a sentence (``None``: no partner scored)
    partner: str | None = None
    #: where no account has a known risk: the accounts heard from most (the
    #: dashboard's order), each with why its risk is unknown (``risk`` None)
    watch: tuple[Risk, ...] = ()


def period_trend(rows: Sequence[Mapping[str, Any]], *, months: int = 3) -> Trend | None:
    """Mean monthly score (weighted by the rated interactions) of the last
    ``months`` months against the ``months`` before; ``None`` without both."""
    scored = [
        (float(r["score"]), float(r.get("n_rated") or 1))
        for r in rows
        if r.get("score") is not None and r["score"] == r["score"]
    ]
    if len(scored) < 2 * months:
        return None

    def mean(part: Sequence[tuple[float, float]]) -> float:
        total = sum(w for _, w in part)
        return sum(s * w for s, w in part) / total

    current, previous = mean(scored[-months:]), mean(scored[-2 * months : -months])
    change = current - previous
    word = "up" if change >= 0.5 else "down" if change <= -0.5 else "flat"
    sentence = (
        f"{current:.1f} over the last {months} months, {word} "
        f"{abs(change):.1f} points from {previous:.1f} in the {months} months before"
        if word != "flat"
        else f"{current:.1f} over the last {months} months, about the same as the "
        f"{months} months before ({previous:.1f})"
    )
    return Trend(months, current, previous, change, sentence)


def executive_summary(
    diagnosis: Mapping[str, Any] | None,
    trend_rows: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
    *,
    metric_label: str = "collective CX",
    portfolio_score: float | None = None,
    n_accounts: int = 0,
    scorecards: Sequence[Mapping[str, Any]] | None = None,
    people: Mapping[str, int] | None = None,
) -> ExecutiveSummary:
    """The executive summary from the diagnosis (accounts at risk, ranked
    priorities: the dashboard's list) and the monthly trend."""
    at_risk = list((diagnosis or {}).get("at_risk") or [])
    known = [r for r in at_risk if r.get("risk") is not None]
    risks = tuple(
        Risk(
            account_id=str(r["account_id"]),
            name=names.get(str(r["account_id"]), str(r["account_id"])),
            risk=r.get("risk"),
            reason=plain(named("; ".join((r.get("reasons") or [])[:2]), names)),
        )
        for r in known[:3]
    )
    priorities = list((diagnosis or {}).get("priorities") or [])
    # one action per place: the first three touchpoints of the grouped ranked list
    actions = tuple(g.sentence for g in group_priorities(priorities, names) if g.action)[:3]
    trend = period_trend(trend_rows)
    label = metric_label[:1].upper() + metric_label[1:]
    head = [f"{label} is {portfolio_score:.1f} of 100" if portfolio_score is not None else label]
    if trend is not None and abs(trend.change) >= 0.5:
        way = "up" if trend.change > 0 else "down"
        head.append(
            f"the last {trend.months} months {way} {abs(trend.change):.1f} points on the "
            f"{trend.months} before"
        )
    if risks:
        from b2bcx.diagnose.risk import HIGH_RISK  # the dashboard's threshold too

        high = sum(1 for r in known if (r.get("risk") or 0) >= HIGH_RISK)
        head.append(
            f"{high} of {n_accounts or len(at_risk)} accounts at high risk, led by {risks[0].name}"
        )
    if priorities:
        first = priorities[0]
        where = first.get("touchpoint") or first.get("touchpoint_id") or ""
        head.append(f"fix first: {named(where, names)}")
    headline = "; ".join(head) + "."
    watch: tuple[Risk, ...] = ()
    if not risks and at_risk:  # name the accounts heard from most, and why risk is unknown
        findings = list((diagnosis or {}).get("findings") or [])
        count = {str(k): int(v) for k, v in (people or {}).items()}
        heard = [
            r
            for r in order_at_risk(at_risk, findings, count)
            if count.get(str(r["account_id"]), 0) >= 2
        ]
        watch = tuple(
            Risk(
                account_id=str(r["account_id"]),
                name=names.get(str(r["account_id"]), str(r["account_id"])),
                risk=None,
                reason=_watch_reason(r, count.get(str(r["account_id"]), 0), metric_label),
            )
            for r in heard[:3]
        )
    return ExecutiveSummary(
        headline, risks, actions, trend, metric_label, worst_partner(scorecards or []), watch
    )


def _watch_reason(row: Mapping[str, Any], people: int, metric_label: str) -> str:
    """ "5 people heard, collective NPS 96; risk unknown: <why>"."""
    score = row.get("cx_recent")
    recent = (
        f", {metric_label} {float(score):.0f}"
        if isinstance(score, int | float) and score == score
        else ""
    )
    why = row.get("unknown_reason") or "too few recent ratings"
    return plain(f"{people} people heard{recent}; risk unknown: {why}")


def worst_partner(scorecards: Sequence[Mapping[str, Any]]) -> str | None:
    """The partner whose touchpoints score lowest, as a sentence; ``None`` when
    no partner has a score.

    >>> worst_partner([{"name": "A", "performance": 61.6, "findings": []},
    ...                {"name": "B", "performance": 33.1, "findings": [{}]},
    ...                {"name": "C", "performance": None, "findings": []}])
    'B: its touchpoints score 33 of 100, the lowest of 2 partners scored (1 finding).'
    """
    scored = [s for s in scorecards if s.get("performance") is not None]
    if not scored:
        return None
    worst = min(scored, key=lambda s: float(s["performance"]))
    n = len(worst.get("findings") or [])
    found = f" ({n} finding{'' if n == 1 else 's'})" if n else ""
    return (
        f"{worst.get('name') or worst.get('partner_id')}: its touchpoints score "
        f"{float(worst['performance']):.0f} of 100, the lowest of {len(scored)} partners scored"
        f"{found}."
    )
