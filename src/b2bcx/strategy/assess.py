"""The strategy assessment: CXM impact and scope, the archetype on the matrix of
Fig. 1 (Wirtz et al. 2025), and the archetype's characteristics checked against
the evidence."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from b2bcx.measures.individual import resolve_as_of
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank, item_bank
from b2bcx.strategy.evidence import (
    OutcomeRelation,
    activity_effects,
    outcome_relations,
    results_strength,
)
from b2bcx.strategy.scope import ObservedScope, active_activities, observed_scope

#: Archetype ids (the JSON contract) and their names in the paper.
ARCHETYPES: dict[str, str] = {
    "champion": "CXM Champion",
    "cherry_picker": "CXM Cherry Picker",
    "minimalist": "CXM Minimalist",
    "fashionista": "CXM Fashionista",
}
#: Impact and scope at or above this (0–100) are "high" and "broad".
BOUNDARY = 50.0
#: A call closer than this to a boundary is not clear.
CLEAR_MARGIN = 10.0
#: Assessed and observed scope disagree when they differ by at least this.
DISAGREE = 25.0
#: Fewest impact answers besides the top-management item for an impact score.
MIN_CONTEXT_ANSWERS = 3

#: Fig. 1: what each archetype looks like.
CHARACTERISTICS: dict[str, dict[str, str]] = {
    "champion": {"top-management attention": "top management priority",
                 "activities": "broad roll-out of CXM activities",
                 "metrics": "detailed CX dashboards", "results": "significant financial results"},
    "cherry_picker": {"top-management attention": "top management attention",
                      "activities": "selected CXM activities",
                      "metrics": "focus on a few CX metrics",
                      "results": "high return on specific projects"},
    "minimalist": {"top-management attention": "top management hands-off",
                   "activities": "activities focus on hygiene factors",
                   "metrics": "CX metrics subsumed in the customer feedback system",
                   "results": "positive returns but low absolute value"},
    "fashionista": {"top-management attention": "top management attention",
                    "activities": "early adoption of many CXM activities",
                    "metrics": "patchwork of CX metrics", "results": "results below expectations"},
}  # fmt: skip


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def archetype_of(impact: float, scope: float) -> str:
    """The archetype for a position on the matrix (0–100 each)."""
    high, broad = impact >= BOUNDARY, scope >= BOUNDARY
    if high:
        return "champion" if broad else "cherry_picker"
    return "fashionista" if broad else "minimalist"


@dataclass
class Assessment:
    """Impact, scope, archetype and the evidence behind them."""

    impact: float | None
    impact_factors: list[dict[str, Any]]
    impact_reason: str | None
    scope_assessed: float | None
    scope_observed: float | None
    scope_dimensions: list[dict[str, Any]]
    archetype: str | None
    archetype_reason: str | None
    margin: float | None
    characteristics: list[dict[str, Any]]
    relations: list[OutcomeRelation]
    results_strength: float | None
    resources: float | None
    as_of: _dt.datetime
    activities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scope(self) -> float | None:
        """The scope used for the archetype: the mean of assessed and observed when
        both exist (the firm's view checked against its data), else whichever exists."""
        known = [s for s in (self.scope_assessed, self.scope_observed) if s is not None]
        return round(sum(known) / len(known), 1) if known else None

    def to_json(self) -> dict[str, Any]:
        """The contract of issue 6 (``impact``, ``scope``, ``archetype``) and the evidence."""
        return {
            "impact": self.impact,
            "impact_reason": self.impact_reason,
            "impact_factors": self.impact_factors,
            "scope": {"assessed": self.scope_assessed, "observed": self.scope_observed,
                      "used": self.scope, "dimensions": self.scope_dimensions},
            "archetype": self.archetype,
            "archetype_name": ARCHETYPES.get(self.archetype or ""),
            "archetype_reason": self.archetype_reason,
            "position": {"impact": self.impact, "scope": self.scope, "margin": self.margin,
                         "clear": None if self.margin is None else self.margin >= CLEAR_MARGIN},
            "characteristics": self.characteristics,
            "results": {"strength": self.results_strength,
                        "outcome_relations": [r.to_json() for r in self.relations]},
            "resources": self.resources,
            "activities": self.activities,
            "as_of": self.as_of.isoformat(),
        }  # fmt: skip


def impact_score(
    answers: Answers | None, bank: ItemBank
) -> tuple[float | None, list[dict[str, Any]], str | None]:
    """Weighted mean of the answered impact items on 0–100, reversed where the paper
    says a factor lowers impact; None without the top-management item and at
    least ``MIN_CONTEXT_ANSWERS`` contextual factors."""
    factors = []
    total = weight = 0.0
    for item in bank.section("impact"):
        answer = answers.get(item.id) if answers else None
        score = None if answer is None else bank.score(item, answer)
        factors.append(
            {
                "item": item.id,
                "factor": item.factor,
                "answer": answer,
                "score": score,
                "weight": item.weight,
                "direction": "raises impact" if item.direction > 0 else "lowers impact",
            }
        )
        if score is not None:
            total += item.weight * score
            weight += item.weight
    if answers is None or not answers.values:
        return None, factors, "impact is a judgement of top management: answer the assessment " \
                              "(--answers FILE or --interactive)"  # fmt: skip
    context = sum(1 for f in factors if f["answer"] is not None and f["item"] != "tm_sca")
    if answers.get("tm_sca") is None or context < MIN_CONTEXT_ANSWERS:
        return None, factors, (f"answer tm_sca and at least {MIN_CONTEXT_ANSWERS} contextual "
                               f"factors (got {'tm_sca and ' if answers.get('tm_sca') else ''}"
                               f"{context})")  # fmt: skip
    return round(total / weight, 1), factors, None


def assessed_scope(
    answers: Answers | None, bank: ItemBank
) -> tuple[float | None, dict[str, float]]:
    """Mean of the answered scope items on 0–100, and each by its dimension."""
    per: dict[str, float] = {}
    for item in bank.section("scope"):
        answer = answers.get(item.id) if answers else None
        if answer is not None and item.dimension:
            per[item.dimension] = bank.score(item, answer)
    return (round(sum(per.values()) / len(per), 1) if per else None), per


def assess(
    backend: Backend,
    answers: Answers | None = None,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
) -> Assessment:
    """Assess CXM impact and scope and call the archetype."""
    bank = item_bank()
    stamp = resolve_as_of(backend, as_of)
    impact, factors, impact_reason = impact_score(answers, bank)
    scope_self, per_dim = assessed_scope(answers, bank)
    observed = observed_scope(backend, as_of=stamp)
    dims = _compare_scope(observed, per_dim)
    relations = outcome_relations(backend, stamp)
    strength = results_strength(relations)
    effects = activity_effects(backend, stamp)
    resources = None
    if answers and answers.get("resources") is not None:
        resources = bank.score(bank.by_id()["resources"], answers.get("resources") or 0)
    result = Assessment(
        impact=impact, impact_factors=factors, impact_reason=impact_reason,
        scope_assessed=scope_self, scope_observed=observed.score, scope_dimensions=dims,
        archetype=None, archetype_reason=None, margin=None, characteristics=[],
        relations=relations, results_strength=strength, resources=resources, as_of=stamp,
        activities=[{str(k): (None if _missing(v) else v) for k, v in r.items()}
                    for r in effects.to_dict("records")],
    )  # fmt: skip
    scope = result.scope
    if impact is None:
        result.archetype_reason = f"no impact score: {impact_reason}"
    elif scope is None:
        result.archetype_reason = "no scope: neither answers nor data to observe it"
    else:
        result.archetype = archetype_of(impact, scope)
        result.margin = round(min(abs(impact - BOUNDARY), abs(scope - BOUNDARY)), 1)
    result.characteristics = _characteristics(result, answers, bank, observed, backend, stamp)
    return result


def _compare_scope(observed: ObservedScope, assessed: dict[str, float]) -> list[dict[str, Any]]:
    """Each dimension observed beside the firm's own view, flagged when they disagree."""
    out = []
    seen = set()
    for d in observed.dimensions:
        own = assessed.get(d.dimension)
        obs = None if d.share is None else round(100 * d.share, 1)
        disagree = own is not None and obs is not None and abs(own - obs) >= DISAGREE
        out.append({"dimension": d.dimension, "observed": obs, "assessed": own,
                    "disagree": disagree, "detail": d.detail})  # fmt: skip
        seen.add(d.dimension)
    for dim, own in assessed.items():
        if dim not in seen:
            out.append({"dimension": dim, "observed": None, "assessed": own, "disagree": False,
                        "detail": "not observable from the data"})  # fmt: skip
    return out


def _characteristics(
    a: Assessment,
    answers: Answers | None,
    bank: ItemBank,
    observed: ObservedScope,
    backend: Backend,
    as_of: _dt.datetime,
) -> list[dict[str, Any]]:
    """Fig. 1's characteristics of the called archetype, each against the evidence."""
    if a.archetype is None:
        return []
    expected = CHARACTERISTICS[a.archetype]
    items = bank.by_id()

    def answer(item_id: str) -> float | None:
        v = answers.get(item_id) if answers else None
        return None if v is None else bank.score(items[item_id], v)

    out = []
    attention = answer("tm_attention")
    want_high = a.archetype != "minimalist"
    out.append({
        "characteristic": "top-management attention", "expected": expected[
            "top-management attention"],
        "observed": None if attention is None else f"{attention:.0f}/100 (tm_attention)",
        "consistent": None if attention is None else (attention >= BOUNDARY) == want_high,
        "evidence": "answer to tm_attention",
    })  # fmt: skip
    acts = active_activities(backend, as_of)
    dims = observed.by_name()
    act_dim = dims.get("activities")
    n_acts = len(acts)
    broad_acts = act_dim is not None and act_dim.share is not None and act_dim.share >= 0.5
    want = {"champion": broad_acts, "fashionista": n_acts >= 5,
            "cherry_picker": 1 <= n_acts <= 5 and not broad_acts,
            "minimalist": n_acts <= 2}[a.archetype]  # fmt: skip
    out.append({"characteristic": "activities", "expected": expected["activities"],
                "observed": act_dim.detail if act_dim else "no activities recorded",
                "consistent": bool(want), "evidence": "activities table"})  # fmt: skip
    metric_dim = dims.get("metrics")
    used = 0 if metric_dim is None or metric_dim.share is None else round(metric_dim.share * 5)
    want_metrics = {"champion": used >= 4, "cherry_picker": 1 <= used <= 2,
                    "minimalist": used <= 2, "fashionista": used >= 3}[a.archetype]  # fmt: skip
    out.append(
        {
            "characteristic": "metrics",
            "expected": expected["metrics"],
            "observed": metric_dim.detail if metric_dim else "no metrics",
            "consistent": bool(want_metrics),
            "evidence": "rating columns in use",
        }
    )
    strength = a.results_strength
    self_results = answer("results_expectations")
    if strength is None:
        consistent = None
        seen = "no outcomes to relate CX to"
    else:
        strong = strength >= 0.4
        consistent = {"champion": strong, "cherry_picker": strength >= 0.2,
                      "minimalist": 0.0 < strength < 0.6, "fashionista": strength < 0.3}[
            a.archetype]  # fmt: skip
        seen = f"CX–outcome strength {strength:.2f} (0–1)"
    if self_results is not None:
        seen += f"; results as expected: {self_results:.0f}/100 (results_expectations)"
    out.append(
        {
            "characteristic": "results",
            "expected": expected["results"],
            "observed": seen,
            "consistent": consistent,
            "evidence": "outcomes table and answers",
        }
    )
    return out
