"""Reports and charts: the management report (``b2bcx report``), the inline SVG
charts the dashboard shares, and summaries of the analytics for people to read.

>>> from b2bcx.report.charts import Bar, bar_chart
>>> 'data-chart="bars"' in bar_chart([Bar("A", 50.0)], title="t")
True
"""

from __future__ import annotations

from b2bcx.report.builder import (
    ReportData,
    build_report,
    gather,
    render_report,
    report_paths,
    write_report,
)
from b2bcx.report.pdf import print_pdf
from b2bcx.report.summary import ExecutiveSummary, executive_summary
from b2bcx.report.xlsx import write_workbook

__all__ = [
    "ExecutiveSummary",
    "ReportData",
    "build_report",
    "executive_summary",
    "gather",
    "print_pdf",
    "render_report",
    "report_paths",
    "write_report",
    "write_workbook",
]
