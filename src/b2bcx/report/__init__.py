"""Reports and charts: the management report (``b2bcx report``), the inline SVG
charts the dashboard shares, and summaries of the analytics for people to read.

>>> from b2bcx.report.charts import Bar, bar_chart
>>> 'data-chart="bars"' in bar_chart([Bar("A", 50.0)], title="t")
True
"""

from __future__ import annotations

from b2bcx.report.builder import ReportData, build_report, gather, render_report, write_report
from b2bcx.report.pdf import print_pdf

__all__ = ["ReportData", "build_report", "gather", "print_pdf", "render_report", "write_report"]
