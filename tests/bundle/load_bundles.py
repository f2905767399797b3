"""Small bundles for the import tests, written as text so every byte is known."""

from __future__ import annotations

from pathlib import Path

ACCOUNTS = """account_id,name,country,annual_value,relationship_intended,relationship_expected
A1,Acme Mills,SE,120000,relational,relational
A2,Bolt Mining,DE,5000,transactional,relational
"""
STAKEHOLDERS = """stakeholder_id,account_id,function,level,center,decision_maker
S1,A1,production,manager,usage,false
S2,A1,maintenance,operational,usage,no
S3,A2,procurement,executive,buying,yes
"""
PARTNERS = """partner_id,name,kind
P1,NordService,service_provider
"""
TOUCHPOINTS = """touchpoint_id,name,stage,channel,controller,partner_id,valid_from
T1,Service visit,operations,human,partner,P1,
T2,Quote,negotiation,digital,supplier,,
"""
INTERACTIONS = (
    "interaction_id,stakeholder_id,occurred_at,touchpoint_id,source,solicited,cx,nps,comment\n"
    'I1,S1,2024-03-05T14:30:00Z,T1,survey,true,7.5,9,"Technician was great, ""fast"""\n'
    "I2,S2,2024-03-06 10:00:00+02:00,T1,ticket,false,3,,slow response\n"
    "I3,S3,2024-04-01,T2,email,,,,\n"
)

BASE = {
    "accounts": ACCOUNTS,
    "stakeholders": STAKEHOLDERS,
    "partners": PARTNERS,
    "touchpoints": TOUCHPOINTS,
    "interactions": INTERACTIONS,
}


def write_bundle(folder: Path, encoding: str = "utf-8", **tables: str | bytes) -> Path:
    """Write ``BASE`` with ``tables`` overriding/adding files; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**BASE, **tables}.items():
        filename = name if "." in name else f"{name}.csv"
        data = text if isinstance(text, bytes) else text.encode(encoding)
        (folder / filename).write_bytes(data)
    return folder


def add_rows(table: str, *lines: str) -> str:
    """``BASE[table]`` with extra CSV lines appended."""
    return BASE[table] + "".join(line + "\n" for line in lines)
