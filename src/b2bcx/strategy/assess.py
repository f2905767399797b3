"""The strategy assessment: CXM impact (questionnaire) and CXM scope (the firm's
view beside what the data shows), the archetype on the impact × scope matrix of
Fig. 1 (Wirtz et al. 2025), and Fig. 1's characteristics of that archetype
checked against the evidence."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from b2bcx.convert import plain_dict
from b2bcx.measures.individual import resolve_as_of
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank, item_bank
from b2bcx.strategy.evidence import (
    OutcomeRelation,
    activity_effects,
    context_evidence,
    outcome_relations,
    results_strength,
)
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions
from b2bcx.strategy.scope import DIMENSIONS, ObservedScope, active_activities, observed_scope

#: Archetype ids (the JSON contract) and their names in the paper.
ARCHETYPES: dict[str, str] = {
    "champion": "CXM Champion",
    "cherry_picker": "CXM Cherry Picker",
    "minimalist": "CXM Minimalist",
    "fashionista": "CXM Fashionista",
}

#: Fig. 1: the characteristics of each archetype.
CHARACTERISTICS: dict[str, dict[str, str]] = {
    "champion": {
        "top-management attention": "top management priority",
        "activities": "broad roll-out of CXM activities",
        "metrics": "detailed CX dashboards",
        "results": "significant financial results",
    },
    "cherry_picker": {
        "top-management attention": "top management attention",
        "activities": "selected CXM activities",
        "metrics": "focus on a few CX metrics",
        "results": "high return on specific projects",
    },
    "minimalist": {
        "top-management attention": "top management hands-off",
        "activities": "CXM activities focus on hygiene factors",
        "metrics": "CX metrics are subsumed in the customer feedback system",
        "results": "positive returns but low absolute value",
    },
    "fashionista": {
        "top-management attention": "top management attention",
        "activities": "early adoption of many CXM activities",
        "metrics": "patchwork of CX metrics",
        "results": "results below expectations",
    },
}
#: Activity kinds that look after hygiene factors (a Minimalist's activities).
HYGIENE_KINDS = frozenset({"measurement", "touchpoint_design", "governance"})


def archetype_of(impact: float, scope: float, boundary: float = 0.5) -> str:
    """The archetype at a position of the matrix (impact and scope on 0–1): at or
    above ``boundary`` is high impact and broad scope."""
    high, broad = impact >= boundary, scope >= boundary
    if high:
        return "champion" if broad else "cherry_picker"
    return "fashionista" if broad else "minimalist"


@dataclass(frozen=True)
class ImpactScore:
    """CXM impact from the answers, with the factors behind it."""

    score: float | None
    perception: float | None
    context: float | None
    factors: tuple[dict[str, Any], ...]
    reason: str | None


def impact_score(
    answers: Answers | None,
    bank: ItemBank | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
    evidence: dict[str, tuple[float, str]] | None = None,
) -> ImpactScore:
    """CXM impact on 0–1: ``perception_share`` × the weighted mean score of the
    top-management-view items + (1 − ``perception_share``) × the weighted mean
    score of the contextual factors (each answer a ↦ (a − 1)/4, reversed where
    the paper says the factor limits impact). Each factor's ``weight`` is its
    effective share of the score. None without a perception answer or with fewer
    than ``min_context_answers`` contextual factors answered."""
    bank = bank or item_bank()
    evidence = evidence or {}
    share = bank.perception_share
    groups: dict[str, list[tuple[Any, float | None, float | None]]] = {
        "perception": [],
        "context": [],
    }
    for item in bank.section("impact"):
        answer = answers.get(item.id) if answers else None
        groups[str(item.group)].append(
            (item, answer, None if answer is None else bank.score(item, answer))
        )
    means: dict[str, float | None] = {}
    totals: dict[str, float] = {}
    for name, rows in groups.items():
        total = sum(i.weight for i, _, s in rows if s is not None)
        totals[name] = total
        means[name] = (
            sum(i.weight * s for i, _, s in rows if s is not None) / total if total > 0 else None
        )
    answered_context = sum(1 for i, _, s in groups["context"] if s is not None and i.weight > 0)
    reason = None
    if not answers:
        reason = (
            "impact is how top management sees CX (Wirtz et al. 2025, 4.1): answer the "
            "assessment (--answers FILE or --interactive)"
        )
    elif means["perception"] is None:
        ids = ", ".join(i.id for i, _, _ in groups["perception"])
        reason = f"answer the top-management view ({ids})"
    elif answered_context < options.min_context_answers:
        reason = (
            f"answer at least {options.min_context_answers} contextual factors (got "
            f"{answered_context})"
        )
    factors = []
    for name, rows in groups.items():
        part = share if name == "perception" else 1.0 - share
        for item, answer, score in rows:
            eff = (
                part * item.weight / totals[name]
                if score is not None and totals[name] > 0 and reason is None
                else 0.0
            )
            data = evidence.get(item.id)
            factors.append(
                {
                    "item": item.id,
                    "factor": item.factor,
                    "group": name,
                    "answer": answer,
                    "score": None if score is None else round(score, 3),
                    "weight": round(eff, 3),
                    "direction": "raises impact" if item.direction > 0 else "limits impact",
                    "data": None if data is None else round(data[0], 3),
                    "data_detail": None if data is None else data[1],
                }
            )
    if reason is not None:
        return ImpactScore(None, means["perception"], means["context"], tuple(factors), reason)
    p, c = means["perception"], means["context"]
    assert p is not None and c is not None  # guaranteed by the checks above
    return ImpactScore(share * p + (1 - share) * c, p, c, tuple(factors), None)


def self_scope(
    answers: Answers | None, bank: ItemBank | None = None
) -> tuple[float | None, dict[str, float]]:
    """The firm's own view of its scope on 0–1: the mean of the answered scope
    dimensions, and each dimension (mean of its items)."""
    bank = bank or item_bank()
    per: dict[str, list[float]] = {}
    for item in bank.section("scope"):
        answer = answers.get(item.id) if answers else None
        if answer is not None and item.dimension:
            per.setdefault(item.dimension, []).append(bank.score(item, answer))
    dims = {d: sum(v) / len(v) for d, v in per.items()}
    return (sum(dims.values()) / len(dims) if dims else None), dims


@dataclass(frozen=True)
class Assessment:
    """Impact, scope, archetype and the evidence behind them (scores on 0–1)."""

    impact: ImpactScore
    scope_self: float | None
    scope_data: float | None
    scope_dimensions: tuple[dict[str, Any], ...]
    archetype: str | None
    archetype_reason: str | None
    characteristics: tuple[dict[str, Any], ...]
    relations: tuple[OutcomeRelation, ...]
    results_strength: float | None
    resources: float | None
    activities: tuple[dict[str, Any], ...]
    as_of: _dt.datetime
    options: StrategyOptions = field(default=DEFAULT_OPTIONS, repr=False)
    observed: ObservedScope | None = field(default=None, repr=False)

    @property
    def scope(self) -> float | None:
        """The scope on the matrix: ``self_weight`` × the firm's view + the rest ×
        the scope observed in the data when both exist, else whichever exists."""
        s, d, w = self.scope_self, self.scope_data, self.options.self_weight
        if s is not None and d is not None:
            return w * s + (1 - w) * d
        return s if s is not None else d

    @property
    def margin(self) -> float | None:
        """Distance of the position to the nearer of the two boundaries."""
        if self.archetype is None or self.impact.score is None or self.scope is None:
            return None
        b = self.options.boundary
        return min(abs(self.impact.score - b), abs(self.scope - b))

    @property
    def clear(self) -> bool | None:
        """Whether the call is clear (``margin ≥ clear_margin``)."""
        m = self.margin
        return None if m is None else m >= self.options.clear_margin

    def to_dict(self) -> dict[str, Any]:
        """``{"impact", "scope", "archetype", "results", "resources", "activities",
        "as_of"}``: the contract of ``docs/strategy.md``."""
        r3 = _r3
        return plain_dict(
            {
                "impact": {
                    "score": r3(self.impact.score),
                    "perception": r3(self.impact.perception),
                    "context": r3(self.impact.context),
                    "misperception": self.misperception,
                    "reason": self.impact.reason,
                    "factors": list(self.impact.factors),
                },
                "scope": {
                    "self": r3(self.scope_self),
                    "data": r3(self.scope_data),
                    "score": r3(self.scope),
                    "dimensions": list(self.scope_dimensions),
                },
                "archetype": {
                    "name": self.archetype,
                    "label": ARCHETYPES.get(self.archetype or ""),
                    "impact": r3(self.impact.score),
                    "scope": r3(self.scope),
                    "margin": r3(self.margin),
                    "clear": self.clear,
                    "reason": self.archetype_reason,
                    "characteristics": list(self.characteristics),
                },
                "results": {
                    "strength": r3(self.results_strength),
                    "outcome_relations": [r.to_dict() for r in self.relations],
                },
                "resources": r3(self.resources),
                "activities": list(self.activities),
                "as_of": self.as_of.isoformat(),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()

    @property
    def misperception(self) -> bool | None:
        """Whether the top-management view and the context disagree by at least
        ``misperception`` (Table 4: "How can potential misperceptions be identified?")."""
        p, c = self.impact.perception, self.impact.context
        if p is None or c is None:
            return None
        return abs(p - c) >= self.options.misperception


def _r3(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def assess(
    backend: Backend,
    answers: Answers | None = None,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
    bank: ItemBank | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
) -> Assessment:
    """Assess CXM impact and scope and call the archetype.

    Without answers, impact is unknown (it is top management's view) and the
    archetype is not called; scope, results and activities are still measured
    from the data.

    Examples
    --------
    >>> import b2bcx
    >>> with b2bcx.open_workspace(":memory:") as ws:
    ...     assess(ws.backend).to_dict()["archetype"]["name"] is None
    True
    """
    bank = bank or item_bank()
    stamp = resolve_as_of(backend, as_of)
    impact = impact_score(answers, bank, options, context_evidence(backend, stamp, options))
    scope_self, per_dim = self_scope(answers, bank)
    observed = observed_scope(backend, as_of=stamp, options=options)
    relations = tuple(outcome_relations(backend, stamp))
    effects = activity_effects(backend, stamp, options)
    res = answers.get("resources") if answers else None
    resources = (
        None
        if res is None or "resources" not in bank.by_id()
        else bank.score(bank.by_id()["resources"], res)
    )
    archetype, reason = None, None
    scope = _combined(scope_self, observed.score, options)
    if impact.score is None:
        reason = f"no impact score: {impact.reason}"
    elif scope is None:
        reason = "no scope: no scope answers and no data to observe it"
    else:
        archetype = archetype_of(impact.score, scope, options.boundary)
    result = Assessment(
        impact=impact,
        scope_self=scope_self,
        scope_data=observed.score,
        scope_dimensions=tuple(_compare_scope(observed, per_dim, options)),
        archetype=archetype,
        archetype_reason=reason,
        characteristics=(),
        relations=relations,
        results_strength=results_strength(list(relations), options.min_events),
        resources=resources,
        activities=tuple(plain_dict(r) for r in effects.to_dict("records")),
        as_of=stamp,
        options=options,
        observed=observed,
    )
    if archetype is None:
        return result
    chars = characteristics(result, answers, bank, backend)
    return Assessment(**{**result.__dict__, "characteristics": tuple(chars)})


def _combined(s: float | None, d: float | None, options: StrategyOptions) -> float | None:
    if s is not None and d is not None:
        return options.self_weight * s + (1 - options.self_weight) * d
    return s if s is not None else d


def _compare_scope(
    observed: ObservedScope, own: dict[str, float], options: StrategyOptions
) -> list[dict[str, Any]]:
    """Each dimension observed beside the firm's own view, flagged when they differ
    by at least ``disagree``."""
    out = []
    dims = observed.by_name()
    for name in [*DIMENSIONS, *[d for d in own if d not in DIMENSIONS]]:
        d = dims.get(name)
        data = None if d is None else d.share
        mine = own.get(name)
        out.append(
            {
                "dimension": name,
                "self": _r3(mine),
                "data": _r3(data),
                "breadth": None if d is None else _r3(d.breadth),
                "depth": None if d is None else _r3(d.depth),
                "disagree": bool(
                    mine is not None and data is not None and abs(mine - data) >= options.disagree
                ),
                "detail": "not observable from the data" if d is None else d.detail,
            }
        )
    return out


def characteristics(
    a: Assessment, answers: Answers | None, bank: ItemBank, backend: Backend
) -> list[dict[str, Any]]:
    """Fig. 1's four characteristics of the called archetype, each with what was
    expected, what the evidence shows and whether they are consistent (None when
    there is no evidence)."""
    assert a.archetype is not None
    kind = a.archetype
    o = a.options
    expected = CHARACTERISTICS[kind]
    items = bank.by_id()

    def answer(item_id: str) -> float | None:
        v = answers.get(item_id) if answers else None
        return None if v is None or item_id not in items else bank.score(items[item_id], v)

    acts = active_activities(backend, a.as_of)
    kinds = set(acts.kind.dropna()) if not acts.empty else set()
    out = []
    # top-management attention: the answer, else a running governance activity
    attention = answer("tm_attention")
    governance = "governance" in kinds
    if attention is not None:
        level = 0.75 if kind == "champion" else o.boundary
        ok = attention < o.boundary if kind == "minimalist" else attention >= level
        seen = f"tm_attention {attention:.2f}"
    else:
        ok = (not governance) if kind == "minimalist" else governance
        seen = "no tm_attention answer"
    seen += "; a governance activity runs" if governance else "; no governance activity runs"
    out.append(
        _char(
            "top-management attention",
            expected,
            seen,
            ok,
            "answer to tm_attention, else the activities table",
        )
    )
    # activities: breadth of the running activities
    dim = a.observed.by_name().get("activities") if a.observed else None
    breadth = None if dim is None else dim.breadth
    if breadth is None:
        out.append(
            _char(
                "activities",
                expected,
                "no CXM activities running",
                kind == "minimalist",
                "activities table",
            )
        )
    else:
        broad = breadth >= o.boundary
        tech = int((acts.kind == "technology").sum())
        proven = [
            r
            for r in a.activities
            if r.get("experience_change") is not None
            and r.get("se") is not None
            and r["experience_change"] - 1.96 * r["se"] > 0
        ]
        ok = {
            "champion": broad,
            "cherry_picker": not broad and bool(proven),
            "minimalist": not broad and kinds <= HYGIENE_KINDS,
            "fashionista": broad or tech >= 2,
        }[kind]
        seen = (
            f"{len(acts)} running, reach {breadth:.2f} (breadth), kinds: "
            f"{', '.join(sorted(kinds))}; {tech} technology; {len(proven)} with a proven "
            "experience gain"
        )
        out.append(
            _char(
                "activities",
                expected,
                seen,
                ok,
                "activities table and experience change at their touchpoints",
            )
        )
    # metrics: how many in use and how consistently
    coverage = a.observed.metric_coverage if a.observed else {}
    used = len(coverage)
    consistency = sum(coverage.values()) / used if used else 0.0
    ok = {
        "champion": used >= 3 and consistency >= o.boundary,
        "cherry_picker": 1 <= used <= 2,
        "minimalist": used <= 2,
        "fashionista": used >= 3 and consistency < o.boundary,
    }[kind]
    seen = (
        (
            f"{used} metrics in use ({', '.join(f'{m} {v:.0%}' for m, v in coverage.items())} "
            f"of rated experiences), consistency {consistency:.2f}"
        )
        if used
        else "no metrics"
    )
    out.append(_char("metrics", expected, seen, ok, "rating columns in use"))
    # results: how strongly CX relates to outcomes, and the firm's own view
    strength = a.results_strength
    own = answer("results_expectations")
    if strength is None and own is None:
        ok_r: bool | None = None
        seen = "no outcomes to relate CX to and no results_expectations answer"
    else:
        strong = strength is not None and strength >= o.strong_results
        ok_r = {
            "champion": strong,
            "cherry_picker": strong
            or bool(
                [r for r in a.activities if (r.get("experience_change") or 0) >= o.keep_change]
            ),
            "minimalist": strength is not None and 0 < strength < o.strong_results,
            "fashionista": (own is not None and own < o.boundary)
            or (strength is not None and strength < o.strong_results),
        }[kind]
        seen = (
            "no outcomes"
            if strength is None
            else f"CX–outcome strength {strength:.2f}: " + "; ".join(r.detail for r in a.relations)
        )
        if own is not None:
            seen += f"; results_expectations {own:.2f}"
    out.append(_char("results", expected, seen, ok_r, "outcomes table and answers"))
    return out


def _char(
    name: str, expected: dict[str, str], observed: str, consistent: bool | None, evidence: str
) -> dict[str, Any]:
    return {
        "characteristic": name,
        "expected": expected[name],
        "observed": observed,
        "consistent": None if consistent is None else bool(consistent),
        "evidence": evidence,
    }
