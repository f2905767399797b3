"""Step 2 of the playbook: the to-be archetype and the argument for it, and
the trajectory between archetypes (Wirtz et al. 2025, sections 4.3 and 7.2)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from b2bcx.strategy.assess import ARCHETYPES, Assessment
from b2bcx.strategy.options import StrategyOptions

MOVES: dict[tuple[str, str], str] = {
    ("fashionista", "cherry_picker"): "narrow the scope: stop the activities without return, "
    "define a small set of effective metrics, appoint a CX manager",
    ("fashionista", "minimalist"): "cut back to the hygiene factors and the feedback system",
    ("cherry_picker", "champion"): "roll out what worked to more touchpoints, journeys and "
    "stakeholders; detailed dashboards; tie incentives to CX",
    ("minimalist", "cherry_picker"): "prove that CX pays on a few critical touchpoints, with "
    "top-management attention",
    ("champion", "cherry_picker"): "focus the roll-out on the touchpoints with the highest return",
    ("cherry_picker", "minimalist"): "keep the hygiene factors; release the rest of the budget",
    ("minimalist", "fashionista"): "broaden the scope (not advised: the least effective posture)",
    ("cherry_picker", "fashionista"): "broaden without impact (not advised)",
    ("champion", "fashionista"): "keep the scope while impact falls (not advised)",
    ("fashionista", "champion"): "raise impact: top management makes CX a source of advantage",
    ("minimalist", "champion"): "raise impact and broaden scope",
    ("champion", "minimalist"): "narrow the scope and step back from CX as a lever",
}
#: Where a move goes through a third archetype (one axis at a time).
VIA: dict[tuple[str, str], str] = {
    ("minimalist", "champion"): "cherry_picker",
    ("fashionista", "champion"): "cherry_picker",
    ("champion", "minimalist"): "cherry_picker",
}


@dataclass(frozen=True, kw_only=True)
class TrajectoryStep:
    """One archetype on the path from the as-is to the to-be, and the move to it."""

    archetype: str
    label: str
    move: str

    def to_dict(self) -> dict[str, Any]:
        """``{"archetype", "label", "move"}``."""
        return {"archetype": self.archetype, "label": self.label, "move": self.move}

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def archetype_label(archetype: str | None) -> str:
    return ARCHETYPES.get(archetype or "", "unknown")


def format_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def concentration(drivers: pd.DataFrame) -> float | None:
    """Share of explained NPS carried by the top fifth of the touchpoints."""
    if drivers.empty or len(drivers) < 5:
        return None
    shares = drivers.share.sort_values(ascending=False).to_numpy(float)
    top = max(1, round(len(shares) / 5))
    return float(shares[:top].sum() / shares.sum()) if shares.sum() > 0 else None


def recommend_to_be(
    assessment: Assessment, target: str | None, drivers: pd.DataFrame, options: StrategyOptions
) -> tuple[str | None, list[str]]:
    """The to-be archetype and the argument for it (impact, resources, results,
    the concentration of what drives NPS)."""
    lines: list[str] = []
    imp, scope = assessment.impact.score, assessment.scope
    if assessment.archetype is not None and imp is not None and scope is not None:
        lines.append(
            f"As-is: {archetype_label(assessment.archetype)} — impact {imp:.2f} (key stakeholders' "
            f"view "
            f"{format_score(assessment.impact.perception)}, context (beside it) "
            f"{format_score(assessment.impact.context)}), scope "
            f"{scope:.2f} "
            f"(self {format_score(assessment.scope_self)}, data "
            f"{format_score(assessment.scope_data)}); "
            f"{'a clear call' if assessment.clear else 'a close call'}, {assessment.margin:.2f} "
            f"from the nearest "
            "boundary."
        )
        if assessment.borderline:
            iv = assessment.interval or {}
            lines.append(
                f"The position is {assessment.position}: its "
                f"{iv.get('confidence', 0.95):.0%} interval (impact "
                f"{iv['impact'][0]:.2f}–{iv['impact'][1]:.2f}, scope {iv['scope'][0]:.2f}–"
                f"{iv['scope'][1]:.2f}) crosses a boundary; decide with that in mind."
            )
    if assessment.impact.respondents > 1:
        agreement = assessment.impact.agreement
        lines.append(
            f"{assessment.impact.respondents} key stakeholders answered; their agreement on "
            "impact is "
            + ("not computable" if agreement is None else f"rwg(j) {agreement:.2f}")
            + (
                ": they disagree — settle the view first (W 163: key stakeholders must agree "
                "on the desired type and level of CXM)."
                if assessment.impact.agreed is False
                else "."
            )
        )
    context = [
        f for f in assessment.impact.factors if f["group"] == "context" and f["score"] is not None
    ]
    if context:
        lines.append(
            "Context (antecedents, not part of impact): "
            + "; ".join(
                f"{f['factor']} {f['score']:.2f}"
                + (" [open research question, Table 4]" if "research" in str(f["basis"]) else "")
                for f in context
            )
            + "."
        )
    elif assessment.scope_data is not None:
        lines.append(
            f"As-is: not called ({assessment.archetype_reason}); the data show scope "
            f"{assessment.scope_data:.2f}."
        )
    if assessment.misperception:
        lines.append(
            f"The key stakeholders' view of CX ({assessment.impact.perception:.2f}) and the "
            f"antecedents ({assessment.impact.context:.2f}) disagree: a possible "
            "misperception of CXM impact to settle before choosing (Table 4, an open "
            "research question)."
        )
    disagree = [d for d in assessment.scope_dimensions if d["disagree"]]
    if disagree:
        lines.append(
            "The firm sees its scope differently from its data on "
            + ", ".join(
                f"{d['dimension']} (self {d['self']:.2f}, data {d['data']:.2f})" for d in disagree
            )
            + "."
        )
    strength = assessment.results_strength
    strong = strength is not None and strength >= options.strong_results
    if strength is not None:
        lines.append(
            f"Results: CX relates to outcomes with strength {strength:.2f} — "
            + "; ".join(r.detail for r in assessment.relations)
            + "."
        )
    conc = concentration(drivers)
    focused = conc is not None and conc >= 0.5
    if conc is not None:
        lines.append(
            f"The top fifth of the touchpoints carries {conc:.0%} of explained NPS: "
            + (
                "returns concentrate on a few touchpoints."
                if focused
                else "returns are spread across the journey."
            )
        )
    if assessment.resources is not None:
        lines.append(f"Resources for CXM: {assessment.resources:.2f} (answer to resources).")
    if target is not None:
        lines.append(
            f"To-be set by management: {archetype_label(target)}."
            + (
                " The paper calls it the least effective posture; the plan follows it "
                "but argues against it."
                if target == "fashionista"
                else ""
            )
        )
        return target, lines
    if imp is None:
        lines.append(
            "No to-be without an impact assessment: answer the impact items (--answers "
            "FILE); the activities below are judged on their returns alone."
        )
        return None, lines
    high = imp >= options.boundary
    rich = assessment.resources is None or assessment.resources >= options.boundary
    corporate = assessment.strategy.get("corporate_strategy")
    cost_leader = corporate is not None and corporate < options.boundary
    if corporate is None:
        lines.append(
            "Corporate strategy not answered (corporate_strategy): step 2 aligns the to-be "
            "with it — does the firm compete on differentiation or on cost leadership?"
        )
    else:
        lines.append(
            "Corporate strategy: "
            + ("cost leadership" if cost_leader else "differentiation")
            + f" ({corporate:.2f} on corporate_strategy)."
        )
    change = assessment.strategy.get("market_change")
    if change is not None and change >= options.boundary:
        lines.append(
            f"Markets change quickly ({change:.2f} on market_change): review the to-be at "
            "least twice a year (step 4)."
        )
    if assessment.resources is not None:
        lines.append(
            "Open research question (Table 4), assumed by b2bcx: firms with resource "
            "constraints lean towards a Minimalist or Cherry Picker strategy."
        )
    if high and cost_leader:
        to_be = "cherry_picker"
        why = (
            "CX matters for advantage, but a cost leader invests in CX only where it "
            "pays: a few critical touchpoints"
        )
    elif high and rich and not focused:
        to_be = "champion"
        why = (
            "CX is a source of advantage here"
            + (", results confirm it" if strong else "")
            + (
                ", and the resources allow a broad roll-out"
                if assessment.resources is not None
                else " (resources not answered: check them before a broad roll-out)"
            )
        )
    elif high:
        to_be = "cherry_picker"
        why = "CX matters for advantage, but " + (
            "resources are limited" if not rich else "the returns sit on a few touchpoints"
        )
    elif strong and not cost_leader:
        to_be = "cherry_picker"
        why = (
            f"impact is seen as low ({imp:.2f}), but CX relates to outcomes with strength "
            f"{strength:.2f}: prove it on a few critical touchpoints first"
        )
    else:
        to_be = "minimalist"
        why = (
            "CX is not where this firm wins: keep the hygiene factors right and invest in "
            "its real levers"
        )
    lines.append(f"To-be: {archetype_label(to_be)}, because {why}.")
    if assessment.archetype == "fashionista":
        lines.append(
            "The Fashionista is the least effective posture (4.3.4): cut the flurry of "
            "activities back to those with a measurable return."
        )
    return to_be, lines


def trace_trajectory(
    as_is: str | None, to_be: str | None, assessment: Assessment
) -> list[TrajectoryStep]:
    """The path from the as-is to the to-be archetype, one axis at a time."""
    if to_be is None:
        return []
    if as_is is None:
        return [
            TrajectoryStep(
                archetype=to_be,
                label=archetype_label(to_be),
                move="as-is unknown: assess impact first",
            )
        ]
    if as_is == to_be:
        return [
            TrajectoryStep(archetype=as_is, label=archetype_label(as_is), move="hold the position")
        ]
    path = [as_is]
    if (as_is, to_be) in VIA:
        path.append(VIA[(as_is, to_be)])
    path.append(to_be)
    out = [TrajectoryStep(archetype=as_is, label=archetype_label(as_is), move="as-is")]
    for prev, nxt in itertools.pairwise(path):
        out.append(
            TrajectoryStep(archetype=nxt, label=archetype_label(nxt), move=MOVES[(prev, nxt)])
        )
    return out


__all__ = [
    "MOVES",
    "VIA",
    "TrajectoryStep",
    "archetype_label",
    "recommend_to_be",
    "trace_trajectory",
]
