"""The demo world: a seeded generator of a realistic B2B supplier's CX data.

See ``docs/demo.md`` for the world, the planted phenomena and ``truth.json``.
"""

from b2bcx.demo.generate import DemoSummary, generate_world

__all__ = ["DemoSummary", "generate_world"]
