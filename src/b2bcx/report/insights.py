"""Summaries that compose the analytics' results for people to read: text
insights (goals, emotions, sentiment with example comments) and partner
scorecards. Shared by the API, the dashboard and the management report.
"""

from __future__ import annotations

from b2bcx.diagnose.scorecards import scorecards_from as partner_scorecards
from b2bcx.text.insights import text_insights

__all__ = ["partner_scorecards", "text_insights"]
