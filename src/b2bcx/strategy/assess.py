"""The strategy assessment: CXM impact (questionnaire) and CXM scope (the firm's
view beside what the data shows), the archetype on the impact × scope matrix of
Fig. 1 (Wirtz et al. 2025), and Fig. 1's characteristics of that archetype
checked against the evidence."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.convert import plain_dict
from b2bcx.errors import ConfigurationError
from b2bcx.measures.agreement import rwg, rwg_j, uniform_null_variance
from b2bcx.measures.individual import resolve_as_of
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank, Respondent, item_bank
from b2bcx.strategy.evidence import (
    OutcomeRelation,
    activity_effects,
    context_evidence,
    outcome_relations,
    results_strength,
)
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions
from b2bcx.strategy.scope import (
    DIMENSIONS,
    ObservedScope,
    active_activities,
    observed_scope,
    segment_accounts,
)

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
    """CXM impact from the answers, with the factors behind it.

    ``score`` is impact as the paper defines it: the key stakeholders' perception
    (with the shipped item bank, ``perception_share`` = 1). ``context`` is the
    antecedents' mean score, shown beside it. ``respondents``, ``agreement``
    (rwg(j) over the respondents' perception answers), ``items`` (rwg per
    perception item) and ``by_respondent`` describe the panel that answered.
    """

    score: float | None
    perception: float | None
    context: float | None
    factors: tuple[dict[str, Any], ...]
    reason: str | None
    respondents: int = 0
    agreement: float | None = None
    agreed: bool | None = None
    items: tuple[dict[str, Any], ...] = ()
    by_respondent: tuple[dict[str, Any], ...] = ()


def _group_mean(bank: ItemBank, group: str, values: dict[str, float]) -> float | None:
    rows = [
        (i.weight, bank.score(i, values[i.id]))
        for i in bank.section("impact")
        if i.group == group and i.id in values
    ]
    total = sum(w for w, _ in rows)
    return sum(w * s for w, s in rows) / total if total > 0 else None


def panel_agreement(
    panel: tuple[Respondent, ...], item_ids: list[str], bank: ItemBank
) -> tuple[float | None, list[dict[str, Any]]]:
    """rwg(j) over the respondents who answered every item of ``item_ids``, and
    rwg per item — :mod:`b2bcx.measures.agreement` with the uniform null of the
    bank's scale, as the product applies to customers. None with fewer than two
    respondents."""
    sigma2 = uniform_null_variance(round(bank.high - bank.low) + 1)
    per = []
    for item in item_ids:
        x = [r.values[item] for r in panel if item in r.values]
        value = float(rwg(x, ["firm"] * len(x), null_var=sigma2).rwg[0]) if len(x) >= 2 else None
        per.append(
            {
                "item": item,
                "n": len(x),
                "mean": None if not x else round(float(np.mean(x)), 3),
                "sd": None if len(x) < 2 else round(float(np.std(x, ddof=1)), 3),
                "rwg": None if value is None else round(value, 3),
            }
        )
    complete = [
        [r.values[i] for i in item_ids] for r in panel if all(i in r.values for i in item_ids)
    ]
    if len(complete) < 2 or not item_ids:
        return None, per
    result = rwg_j(np.asarray(complete, float), ["firm"] * len(complete), null_var=sigma2)
    return float(result.rwg[0]), per


def impact_score(
    answers: Answers | None,
    bank: ItemBank | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
    evidence: dict[str, tuple[float, str]] | None = None,
) -> ImpactScore:
    """CXM impact on 0–1: "the extent to which CXM is perceived by key
    stakeholders to serve as a firm's strategic source of SCA" (Wirtz et al.
    2025, 4.1) — the weighted mean score of the perception items over the key
    stakeholders' mean answers (each answer a ↦ (a − 1)/4).

    The antecedents of 4.1 (rivalry, switching barriers, deal size, ecosystem
    position, …) are scored and listed in ``factors`` with weight 0, as
    context beside impact; their mean is ``context``. An item bank with
    ``perception_share`` below 1 folds them in (``perception_share`` ×
    perception + the rest × context) and then needs ``min_context_answers``.
    None without a perception answer."""
    bank = bank or item_bank()
    evidence = evidence or {}
    share = bank.perception_share
    values = answers.values if answers else {}
    perception = _group_mean(bank, "perception", values)
    context = _group_mean(bank, "context", values)
    groups = {
        g: [i for i in bank.section("impact") if i.group == g] for g in ("perception", "context")
    }
    totals = {g: sum(i.weight for i in items if i.id in values) for g, items in groups.items()}
    answered_context = sum(1 for i in groups["context"] if i.id in values and i.weight > 0)
    reason = None
    if not answers:
        reason = (
            "impact is how the firm's key stakeholders see CX (Wirtz et al. 2025, 4.1): "
            "answer the assessment (--answers FILE or --interactive)"
        )
    elif perception is None:
        ids = ", ".join(i.id for i in groups["perception"])
        reason = f"answer the key stakeholders' view ({ids})"
    elif share < 1.0 and answered_context < options.min_context_answers:
        reason = (
            f"answer at least {options.min_context_answers} contextual factors (got "
            f"{answered_context})"
        )
    factors = []
    for name, items in groups.items():
        part = share if name == "perception" else 1.0 - share
        for item in items:
            answer = values.get(item.id)
            score = None if answer is None else bank.score(item, answer)
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
                    "answer": None if answer is None else round(answer, 3),
                    "score": None if score is None else round(score, 3),
                    "weight": round(eff, 3),
                    "direction": "raises impact" if item.direction > 0 else "limits impact",
                    "role": "impact" if name == "perception" else "antecedent (context)",
                    "basis": _basis_text(item.basis) if name == "context" else "definition (4.1)",
                    "data": None if data is None else round(data[0], 3),
                    "data_detail": None if data is None else data[1],
                }
            )
    panel = answers.panel if answers else ()
    item_ids = [i.id for i in groups["perception"] if any(i.id in r.values for r in panel)]
    agreement, per_item = panel_agreement(panel, item_ids, bank)
    by_respondent = tuple(
        {
            "respondent": r.name,
            "role": r.role,
            "segment": r.segment,
            "perception": None
            if (p := _group_mean(bank, "perception", r.values)) is None
            else round(p, 3),
        }
        for r in panel
    )
    common: dict[str, Any] = {
        "respondents": len(panel),
        "agreement": None if agreement is None else round(agreement, 3),
        "agreed": None if agreement is None else agreement >= options.agreement_rwg,
        "items": tuple(per_item),
        "by_respondent": by_respondent,
    }
    if reason is not None:
        return ImpactScore(None, perception, context, tuple(factors), reason, **common)
    assert perception is not None  # guaranteed by the checks above
    score = (
        perception
        if share >= 1.0 or context is None
        else share * perception + (1 - share) * context
    )
    return ImpactScore(score, perception, context, tuple(factors), None, **common)


def _basis_text(basis: str | None) -> str:
    if basis == "research_question":
        return "open research question (Table 4): direction assumed by b2bcx, not established"
    return "antecedent named in 4.1"


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
    #: the position's bootstrap interval: ``{"impact": (low, high), "scope": (low,
    #: high), "confidence", "replicates"}``, None without a position or bootstrap
    interval: dict[str, Any] | None = None
    #: the archetypes the interval touches when it crosses a boundary (the called
    #: one first), else empty
    borderline: tuple[str, ...] = ()
    #: the market segment (``accounts.segment``) assessed; None: the whole firm
    segment: str | None = None
    #: what the step-2 items say (corporate strategy, market change), 0–1
    strategy: dict[str, float | None] = field(default_factory=dict)

    @property
    def position(self) -> str | None:
        """The call in words: the archetype's label, or "borderline between X and Y"."""
        if self.archetype is None:
            return None
        if self.borderline:
            return "borderline between " + " and ".join(ARCHETYPES[a] for a in self.borderline)
        return ARCHETYPES[self.archetype]

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
                    "respondents": self.impact.respondents,
                    "agreement": self.impact.agreement,
                    "agreed": self.impact.agreed,
                    "items": list(self.impact.items),
                    "by_respondent": list(self.impact.by_respondent),
                    "interval": self._interval("impact"),
                },
                "scope": {
                    "self": r3(self.scope_self),
                    "data": r3(self.scope_data),
                    "score": r3(self.scope),
                    "dimensions": list(self.scope_dimensions),
                    "interval": self._interval("scope"),
                    "relevant_touchpoints": [
                        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                        for r in (self.observed.relevance if self.observed else ())
                    ],
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
                    "borderline": list(self.borderline),
                    "position": self.position,
                    "confidence": None if self.interval is None else self.interval["confidence"],
                },
                "segment": self.segment,
                "strategy": {k: r3(v) for k, v in self.strategy.items()},
                "results": {
                    "strength": r3(self.results_strength),
                    "outcome_relations": [r.to_dict() for r in self.relations],
                },
                "resources": r3(self.resources),
                "activities": list(self.activities),
                "as_of": self.as_of.isoformat(),
            }
        )

    def _interval(self, axis: str) -> list[float] | None:
        if self.interval is None or self.interval.get(axis) is None:
            return None
        low, high = self.interval[axis]
        return [round(float(low), 3), round(float(high), 3)]

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()

    @property
    def misperception(self) -> bool | None:
        """Whether the key stakeholders' view and the antecedents disagree by at least
        ``misperception`` (Table 4, an open research question: "How can potential
        misperceptions be identified?")."""
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
    segment: str | None = None,
    drivers: pd.DataFrame | None = None,
) -> Assessment:
    """Assess CXM impact and scope and call the archetype.

    Without answers, impact is unknown (it is the key stakeholders' view) and
    the archetype is not called; scope, results and activities are still
    measured from the data.

    ``segment``: assess one market segment (``accounts.segment``): the data of
    its accounts, and the respondents who answered for it (else those who
    answered for the whole firm). ``drivers``: a touchpoint key-driver table
    that adds driver importance to the touchpoints' relevance.

    Examples
    --------
    >>> import b2bcx
    >>> with b2bcx.open_workspace(":memory:") as ws:
    ...     assess(ws.backend).to_dict()["archetype"]["name"] is None
    True
    """
    bank = bank or item_bank()
    stamp = resolve_as_of(backend, as_of)
    accounts = segment_accounts(backend, segment)
    if segment is not None and not accounts:
        known = segments_of(backend)
        raise ConfigurationError(
            f"no accounts in segment {segment!r}; segments: {', '.join(known) or 'none'}"
        )
    if answers is not None and segment is not None:
        answers = answers.for_segment(segment)
    impact = impact_score(
        answers, bank, options, context_evidence(backend, stamp, options, account_ids=accounts)
    )
    scope_self, per_dim = self_scope(answers, bank)
    observed = observed_scope(
        backend, as_of=stamp, options=options, account_ids=accounts, drivers=drivers
    )
    relations = tuple(outcome_relations(backend, stamp, account_ids=accounts))
    effects = activity_effects(backend, stamp, options, account_ids=accounts)
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
    interval = None
    borderline: tuple[str, ...] = ()
    if archetype is not None:
        interval = position_interval(answers, bank, observed, options)
        borderline = _borderline(archetype, interval, options)
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
        interval=interval,
        borderline=borderline,
        segment=segment,
        strategy=_strategy_inputs(answers, bank),
    )
    if archetype is None:
        return result
    chars = characteristics(result, answers, bank, backend)
    return Assessment(**{**result.__dict__, "characteristics": tuple(chars)})


def segments_of(backend: Backend) -> list[str]:
    """The market segments of the accounts (``accounts.segment``), sorted."""
    acc = backend.table("accounts").select("segment").to_pandas()
    return sorted({str(s) for s in acc.segment.dropna()})


def assess_segments(
    backend: Backend,
    answers: Answers | None = None,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
    bank: ItemBank | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
) -> tuple[Assessment, ...]:
    """One assessment per market segment (Wirtz et al. 2025: firms "may require
    distinct strategic postures for their market segments"), in segment order."""
    return tuple(
        assess(backend, answers, as_of=as_of, bank=bank, options=options, segment=s)
        for s in segments_of(backend)
    )


def _strategy_inputs(answers: Answers | None, bank: ItemBank) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for item in bank.section("strategy"):
        v = answers.get(item.id) if answers else None
        out[item.id] = None if v is None else bank.score(item, v)
    return out


def _matrix(rows: list[dict[str, float]], keys: list[str]) -> np.ndarray:
    return np.array([[r.get(k, np.nan) for k in keys] for r in rows], dtype=float).reshape(
        len(rows), len(keys)
    )


def _boot_mean(
    rng: np.random.Generator, m: np.ndarray, weights: np.ndarray, reps: int
) -> np.ndarray | None:
    """Bootstrap over rows (respondents) and columns (items) of the weighted mean
    of the column means; NaN cells are unanswered. None without a column."""
    r, j = m.shape
    if r == 0 or j == 0:
        return None
    out = np.full(reps, np.nan)
    for b in range(reps):
        cols = rng.integers(j, size=j)
        sub = m[rng.integers(r, size=r)][:, cols]
        answered = ~np.isnan(sub)
        n = answered.sum(axis=0)
        ok = n > 0
        if not ok.any():
            continue
        means = np.where(answered, sub, 0.0).sum(axis=0)[ok] / n[ok]
        w = weights[cols][ok]
        if w.sum() > 0:
            out[b] = float((w * means).sum() / w.sum())
    return out


def position_interval(
    answers: Answers | None,
    bank: ItemBank,
    observed: ObservedScope,
    options: StrategyOptions,
) -> dict[str, Any] | None:
    """The position's percentile bootstrap interval at ``options.confidence``.

    Impact: respondents and perception items are resampled with replacement and
    the weighted mean of the item means recomputed. Scope: the respondents and
    scope dimensions of the self-assessment, and the counted dimensions of the
    observed scope, are resampled and combined with ``self_weight``. None with
    ``n_boot`` = 0 or no answers.
    """
    if options.n_boot == 0 or not answers:
        return None
    rng = np.random.default_rng(options.seed)
    reps = options.n_boot
    panel = answers.panel
    perception = [i for i in bank.section("impact") if i.group == "perception"]
    scores = [
        {i.id: bank.score(i, r.values[i.id]) for i in perception if i.id in r.values} for r in panel
    ]
    m = _matrix(scores, [i.id for i in perception])
    keep = ~np.isnan(m).all(axis=0)
    imp = _boot_mean(rng, m[:, keep], np.array([i.weight for i in perception])[keep], reps)
    share = bank.perception_share
    ctx = _group_mean(bank, "context", answers.values)
    if imp is not None and share < 1.0 and ctx is not None:
        imp = share * imp + (1 - share) * ctx
    dims = [d for d in dict.fromkeys(i.dimension for i in bank.section("scope")) if d]
    self_rows = [self_scope(Answers(dict(r.values)), bank)[1] for r in panel]
    sm = _matrix(self_rows, dims)
    sm = sm[:, ~np.isnan(sm).all(axis=0)]
    own = _boot_mean(rng, sm, np.ones(sm.shape[1]), reps)
    counted = np.array(observed.counted(), float)
    data = (
        counted[rng.integers(len(counted), size=(reps, len(counted)))].mean(axis=1)
        if len(counted)
        else None
    )
    w = options.self_weight
    if own is not None and data is not None:
        scope = w * own + (1 - w) * data
    else:
        scope = own if own is not None else data
    tail = (1 - options.confidence) / 2 * 100

    def bounds(x: np.ndarray | None) -> tuple[float, float] | None:
        if x is None or np.isnan(x).all():
            return None
        lo, hi = np.nanpercentile(x, [tail, 100 - tail])
        return float(lo), float(hi)

    return {
        "impact": bounds(imp),
        "scope": bounds(scope),
        "confidence": options.confidence,
        "replicates": reps,
    }


def _borderline(
    archetype: str, interval: dict[str, Any] | None, options: StrategyOptions
) -> tuple[str, ...]:
    """The archetypes at the corners of the interval box, when more than one."""
    if interval is None or interval["impact"] is None or interval["scope"] is None:
        return ()
    corners = {
        archetype_of(i, s, options.boundary) for i in interval["impact"] for s in interval["scope"]
    }
    if len(corners) < 2:
        return ()
    return (archetype, *[a for a in ARCHETYPES if a in corners and a != archetype])


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
                "counts": True if d is None else d.counts,
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
