"""Strategy: the value-proposition profile, CXM impact and scope, the four CXM
archetypes and the four-step playbook (Wirtz et al. 2025, sections 3, 4 and 7).

- :func:`profile`: what customers seek and get per goal and value proposition,
  with gaps and goal conflicts;
- :func:`assess`: CXM impact (from the questionnaire), CXM scope (assessed and
  observed in the data), the archetype and its characteristics against evidence;
- :func:`plan`: the four-step plan built from the workspace's numbers.
"""

from __future__ import annotations

from b2bcx.strategy.answers import Answers, Item, ItemBank, check_answers, item_bank, load_answers
from b2bcx.strategy.assess import ARCHETYPES, Assessment, archetype_of, assess
from b2bcx.strategy.plan import Plan, plan
from b2bcx.strategy.profile import GOALS, Profile, profile
from b2bcx.strategy.scope import ObservedScope, observed_scope

__all__ = [
    "ARCHETYPES",
    "GOALS",
    "Answers",
    "Assessment",
    "Item",
    "ItemBank",
    "ObservedScope",
    "Plan",
    "Profile",
    "archetype_of",
    "assess",
    "check_answers",
    "item_bank",
    "load_answers",
    "observed_scope",
    "plan",
    "profile",
]
