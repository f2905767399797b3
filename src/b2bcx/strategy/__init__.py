"""Strategy: the value-proposition profile, CXM impact and scope, the four CXM
archetypes and the four-step playbook (Wirtz et al. 2025, sections 3, 4 and 7).

- :func:`profile`: what customers seek and get per goal and value proposition,
  with gaps and goal conflicts (Table 1);
- :func:`assess`: CXM impact (the key stakeholders' perception, with their
  agreement), CXM scope (the firm's view beside its activities in the data),
  the archetype with its interval and Fig. 1's characteristics checked against
  the evidence; :func:`assess_segments` per market segment;
- :func:`plan`: the four-step playbook built from the workspace's numbers;
- :func:`save_answers` / :func:`saved_assessments`: assessments kept in the
  workspace, the latest used by default, two or more showing drift.

Scores are on 0–1; thresholds and weights are in :class:`StrategyOptions` and
the item bank (``items.yaml``).
"""

from __future__ import annotations

from b2bcx.strategy.answers import (
    Answers,
    Item,
    ItemBank,
    Respondent,
    check_answers,
    item_bank,
    load_answers,
)
from b2bcx.strategy.assess import (
    ARCHETYPES,
    CHARACTERISTICS,
    Assessment,
    ImpactScore,
    archetype_of,
    assess,
    assess_segments,
    impact_score,
    self_scope,
)
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions
from b2bcx.strategy.plan import Plan, plan
from b2bcx.strategy.profile import GOALS, VALUE_PROPOSITIONS, Profile, goal_conflicts, profile
from b2bcx.strategy.saved import SavedAssessment, latest_saved, save_answers, saved_assessments
from b2bcx.strategy.scope import ObservedScope, ScopeDimension, observed_scope

__all__ = [
    "ARCHETYPES",
    "CHARACTERISTICS",
    "DEFAULT_OPTIONS",
    "GOALS",
    "VALUE_PROPOSITIONS",
    "Answers",
    "Assessment",
    "ImpactScore",
    "Item",
    "ItemBank",
    "ObservedScope",
    "Plan",
    "Profile",
    "Respondent",
    "SavedAssessment",
    "ScopeDimension",
    "StrategyOptions",
    "archetype_of",
    "assess",
    "assess_segments",
    "check_answers",
    "goal_conflicts",
    "impact_score",
    "item_bank",
    "latest_saved",
    "load_answers",
    "observed_scope",
    "plan",
    "profile",
    "save_answers",
    "saved_assessments",
    "self_scope",
]
