"""Excel downloads of the pages' tables (``?format=xlsx``): the rows a page
shows under its filters and the visitor's account scope, one sheet per table,
with the report workbook's columns where the report has the same table
(:mod:`b2bcx.report.xlsx`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import Response

from b2bcx.report.xlsx import add_table_sheet, finding_rows, priority_rows

#: The media type of an .xlsx workbook.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Row = dict[str, Any]


def workbook_bytes(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    """An .xlsx workbook of ``sheets`` (title → rows, each row column → value;
    the first row's keys are the header, bold and frozen). An empty table keeps
    its sheet, with a line saying so."""
    from openpyxl import Workbook

    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    for title, rows in sheets.items():
        add_table_sheet(book, title, rows, "No rows under these filters.")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(name: str, sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> Response:
    """``sheets`` as a download named ``b2bcx-<name>.xlsx``."""
    return Response(
        workbook_bytes(sheets),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="b2bcx-{name}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


def account_sheet(rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """The portfolio's account list (the page's columns and order)."""
    return [
        {
            "Account": r.get("name") or r["account_id"],
            "Account ID": r["account_id"],
            "Segment": r.get("segment"),
            "Country": r.get("country"),
            "Account manager": r.get("account_manager"),
            "Score (0-100)": r.get("cx"),
            "NPS": r.get("nps"),
            "Agreement (rwg)": r.get("rwg"),
            "Verdict": r.get("verdict"),
            "Risk (%)": None if r.get("risk") is None else 100 * float(r["risk"]),
            "Why at risk": "; ".join(r.get("risk_reasons") or []) or None,
            "Annual value": r.get("annual_value"),
            "Findings": r.get("findings"),
        }
        for r in rows
    ]


def cause_sheet(groups: Iterable[Mapping[str, Any]]) -> list[Row]:
    """The ranked root causes (the report's Priorities columns) with who owns
    the touchpoint, in rank order."""
    out: list[Row] = []
    for g in groups:
        for p, row in zip(g["rows"], priority_rows({"priorities": g["rows"]}, {}), strict=True):
            out.append({**row, "Owner": g["owner"], "Rank": p.get("rank")})
    return sorted(out, key=lambda r: r.get("Rank") or 0)


def finding_sheet(findings: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[Row]:
    """Findings with their evidence worded (the report's Findings columns)."""
    return finding_rows({"findings": list(findings)}, names)


def plain_sheet(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str]) -> list[Row]:
    """``rows`` with ``columns`` (key → header) only, in that order."""
    return [{header: r.get(key) for key, header in columns.items()} for r in rows]
