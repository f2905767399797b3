"""Independent worlds and null worlds for evaluating the diagnosis (issue 16, item 1).

Written from ``benchmarks/worlds/README.md``, not from the demo generator.
"""

from __future__ import annotations

from benchmarks.worlds.generate import generate_world
from benchmarks.worlds.spec import CHALLENGES, EFFECT_LEVELS, WorldSpec

__all__ = ["CHALLENGES", "EFFECT_LEVELS", "WorldSpec", "generate_world"]
