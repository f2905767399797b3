"""Shared pieces of the fault and fuzz suites: a small bundle and workspace fingerprints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import b2bcx
from b2bcx.model.tables import TABLES

BASE: dict[str, str] = {
    "accounts": (
        "account_id,name,country,annual_value,employees,parent_account_id\n"
        "A1,Acme Mills,SE,120000,40,\n"
        "A2,Bolt Mining,DE,5000,,A1\n"
        "A3,Cato Öl,NO,,7,\n"
    ),
    "partners": "partner_id,name,kind\nP1,NordService,service_provider\n",
    "touchpoints": (
        "touchpoint_id,name,stage,channel,controller,partner_id,valid_from\n"
        "T1,Service visit,operations,human,partner,P1,\n"
        "T2,Quote,negotiation,digital,supplier,,2024-01-01\n"
    ),
    "stakeholders": (
        "stakeholder_id,account_id,function,level,center,decision_maker,active_from\n"
        "S1,A1,production,manager,usage,false,2023-05-01\n"
        "S2,A1,maintenance,operational,usage,no,\n"
        "S3,A2,procurement,executive,buying,yes,\n"
        "S4,A3,production,manager,usage,,\n"
    ),
    "interactions": (
        "interaction_id,stakeholder_id,occurred_at,touchpoint_id,source,solicited,cx,nps,comment\n"
        'I1,S1,2024-03-05T14:30:00Z,T1,survey,true,7.5,9,"Technician was great, ""fast"""\n'
        "I2,S2,2024-03-06 10:00:00+02:00,T1,ticket,false,3,,slow response\n"
        "I3,S3,2024-04-01,T2,email,,,,\n"
        'I4,S4,2024-05-01T08:00:00Z,T2,survey,true,9,10,"multi\nline"\n'
        "I5,S1,2024-06-01,,call,,5.5,6,=formula\n"
    ),
}

#: The data tables of a workspace (what an import may change).
DATA_TABLES = tuple(TABLES)


def write_bundle(folder: Path, tables: dict[str, bytes] | None = None) -> Path:
    """Write ``BASE`` (UTF-8 CSV) with ``tables`` (file name → bytes) added or replacing."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"{name}.csv": text.encode("utf-8") for name, text in BASE.items()}
    for name, data in (tables or {}).items():
        stem = name.rsplit(".", 1)[0]
        for suffix in (".csv", ".parquet", ".jsonl"):
            files.pop(stem + suffix, None)
        files[name] = data
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _key(spec_name: str, row: dict[str, Any]) -> str:
    return json.dumps([row.get(k) for k in TABLES[spec_name].key], default=str)


def rows_by_key(ws: b2bcx.Workspace) -> dict[str, dict[str, str]]:
    """Every data table as key → the row as JSON (without the batch column)."""
    out: dict[str, dict[str, str]] = {}
    for name in DATA_TABLES:
        t = ws.table(name)
        t = t.drop("_batch_id") if "_batch_id" in t.columns else t
        out[name] = {
            _key(name, r): json.dumps(r, default=str, sort_keys=True)
            for r in ws.backend.to_arrow(t).to_pylist()
        }
    return out


def fingerprint(ws: b2bcx.Workspace) -> dict[str, tuple[int, str]]:
    """Per data table: the row count and a hash of the sorted rows (the review's method)."""
    out = {}
    for name, rows in rows_by_key(ws).items():
        digest = hashlib.sha256("\n".join(sorted(rows.values())).encode()).hexdigest()
        out[name] = (len(rows), digest)
    return out
