"""The report's tables as an Excel workbook (openpyxl): one sheet per table,
names beside ids, numbers as numbers (rounded for people), a header row that
stays in view.

>>> SHEETS
('Accounts at risk', 'Priorities', 'Partner scorecards', 'Findings', 'Units')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from b2bcx.report.summary import evidence_sentence, named, plain

if TYPE_CHECKING:
    from b2bcx.analyses import Analyses
    from b2bcx.report.builder import ReportData
    from b2bcx.storage import Backend

#: The sheets of :func:`write_workbook`, in order.
SHEETS = ("Accounts at risk", "Priorities", "Partner scorecards", "Findings", "Units")

Row = dict[str, Any]


def cell(value: Any) -> Any:
    """A value Excel can hold: numbers rounded to 3 places, missing as empty,
    booleans as yes/no, lists joined, the rest as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if value != value else round(value, 3)
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return str(value)


def add_table_sheet(book: Any, title: str, rows: Sequence[Mapping[str, Any]], empty: str) -> None:
    """One table as a sheet of the openpyxl workbook ``book``: the first row's
    keys are the header (bold, frozen), column widths fit the first 200 rows;
    an empty table keeps its sheet with the line ``empty``."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title[:31])  # Excel's limit on sheet names
    if not rows:
        sheet.append([empty])
        return
    header = list(rows[0])
    sheet.append(header)
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in rows:
        sheet.append([cell(row.get(k)) for k in header])
    sheet.freeze_panes = "A2"
    for i, key in enumerate(header, start=1):
        longest = max([len(key)] + [len(str(r.get(key) or "")) for r in rows[:200]])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))


def risk_rows(diagnosis: Mapping[str, Any], names: Mapping[str, str]) -> list[Row]:
    """Accounts at risk, riskiest first (the diagnosis' order)."""
    return [
        {
            "Account": names.get(r["account_id"], r["account_id"]),
            "Account ID": r["account_id"],
            "Risk (%)": None if r.get("risk") is None else 100 * float(r["risk"]),
            "Risk kind": r.get("risk_label"),
            "Recent score": r.get("cx_recent"),
            "Trend (points a year)": r.get("slope_per_year"),
            "Annual value": r.get("annual_value"),
            "Why": plain(named("; ".join(r.get("reasons") or []), names))
            or r.get("unknown_reason"),
        }
        for r in diagnosis.get("at_risk") or []
    ]


def priority_rows(diagnosis: Mapping[str, Any], names: Mapping[str, str]) -> list[Row]:
    """The ranked root causes: the same list as the dashboard and the CLI."""
    return [
        {
            "Rank": p.get("rank"),
            "Touchpoint": p.get("touchpoint") or names.get(p["touchpoint_id"], p["touchpoint_id"]),
            "Touchpoint ID": p.get("touchpoint_id"),
            "Stage": p.get("stage"),
            "Controller": p.get("controller"),
            "Goal": p.get("goal"),
            "Poor rate (%)": None if p.get("poor_rate") is None else 100 * p["poor_rate"],
            "Rated by detractors": p.get("rated"),
            "Accounts": p.get("accounts"),
            "Value at risk": p.get("value_at_risk"),
            "Action": plain(named(p.get("action") or "", names)),
        }
        for p in diagnosis.get("priorities") or []
    ]


def scorecard_rows(scorecards: Sequence[Mapping[str, Any]]) -> list[Row]:
    """One row per partner, the lowest performance (the most hurt) first."""
    rows = [
        {
            "Partner": s.get("name") or s.get("partner_id"),
            "Partner ID": s.get("partner_id"),
            "Kind": s.get("kind"),
            "Performance (0-100)": s.get("performance"),
            "Touchpoints": ", ".join(
                str(t.get("name") or t.get("touchpoint_id")) for t in s.get("touchpoints") or []
            ),
            "Findings": len(s.get("findings") or []),
        }
        for s in scorecards
    ]
    return sorted(
        rows, key=lambda r: (r["Performance (0-100)"] is None, r["Performance (0-100)"] or 0)
    )


def finding_rows(diagnosis: Mapping[str, Any], names: Mapping[str, str]) -> list[Row]:
    """Every finding, with its evidence worded."""
    return [
        {
            "Challenge": f.get("challenge"),
            "Account": names.get(f.get("account_id") or "", f.get("account_id")),
            "Severity": f.get("severity"),
            "Finding": plain(named(f.get("summary") or "", names)),
            "Evidence": evidence_sentence(f.get("evidence") or {}, names),
            "Actions": plain(named(" ".join(f.get("actions") or []), names)),
        }
        for f in diagnosis.get("findings") or []
    ]


def unit_rows(units: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[Row]:
    """Collective score and agreement per account, lowest score first."""
    rows = [
        {
            "Account": names.get(u["account_id"], u["account_id"]),
            "Account ID": u["account_id"],
            "People": u.get("n_stakeholders"),
            "Interactions": u.get("n_interactions"),
            "Score (0-100)": u.get("cx"),
            "NPS": u.get("nps"),
            "Agreement (rwg)": u.get("rwg"),
            "Verdict": u.get("verdict"),
        }
        for u in units
    ]
    return sorted(rows, key=lambda r: (r["Score (0-100)"] is None, r["Score (0-100)"] or 0))


def workbook_tables(
    data: ReportData, scorecards: Sequence[Mapping[str, Any]]
) -> dict[str, list[Row]]:
    """Sheet name → rows, from the report's results (see :data:`SHEETS`)."""
    from b2bcx.report.builder import _records

    diagnosis = data.get("diagnosis") or {}
    measured = data.get("accounts")
    units = _records(measured.units) if measured is not None else []
    return {
        "Accounts at risk": risk_rows(diagnosis, data.names),
        "Priorities": priority_rows(diagnosis, data.names),
        "Partner scorecards": scorecard_rows(scorecards),
        "Findings": finding_rows(diagnosis, data.names),
        "Units": unit_rows(units, data.names),
    }


def write_workbook(
    analyses: Analyses | Backend, path: str | Path, *, data: ReportData | None = None
) -> Path:
    """Write the report's tables to the Excel workbook ``path``: one sheet per
    table of :data:`SHEETS` (an empty table keeps its sheet, with a note).

    Parameters
    ----------
    analyses:
        The standard analyses (``ws.analyses(options)``), or a backend.
    path:
        The ``.xlsx`` file to write.
    data:
        The report's results when already gathered (else :func:`gather` runs).

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook

    from b2bcx.errors import NotFound
    from b2bcx.report.builder import analyses_of, gather

    out = Path(path)
    if out.parent and not out.parent.exists():
        raise NotFound(f"the folder {str(out.parent)!r} does not exist")
    a = analyses_of(analyses)
    data = data if data is not None else gather(a)
    scorecards: list[Mapping[str, Any]] = list(data.get("scorecards") or [])
    book = Workbook()
    for sheet in list(book.worksheets):  # the default empty sheet
        book.remove(sheet)
    for title, rows in workbook_tables(data, scorecards).items():
        add_table_sheet(
            book, title, rows, "No rows: the workspace's data does not support this table yet."
        )
    book.save(out)
    return out
