"""Write small synthetic CRM exports into ``examples/samples/``: the files the
shipped mappings (``examples/mappings/``) are made for and tested with.

    python scripts/make_samples.py            # writes examples/samples/
    python scripts/make_samples.py --out DIR  # somewhere else

Every value is invented (seeded, so the files are the same on every run); the
layouts are those of the real exports:

- ``salesforce/``: a Salesforce *Data Export* (Setup → Data Export): one CSV per
  object named after it (``Account.csv``, ``Contact.csv``, ``Case.csv``,
  ``Opportunity.csv``), the header row holds the fields' API names, ids are
  18-character record ids (prefix ``001`` account, ``003`` contact, ``500``
  case, ``006`` opportunity, ``005`` user), date-times are UTC as
  ``2024-03-05T10:15:00.000Z`` and dates ``2024-03-05``;
- ``hubspot/``: HubSpot exports (*Export* on the companies, contacts and
  feedback submissions index pages, with the associated records' ids): the
  header row holds the properties' labels (``Record ID``, ``Company name``,
  ``Associated Company IDs``, ``Survey type``, ``Rating``, ``Response`` …) and
  date-times read ``2024-03-05 10:15``.

Each export carries the mistakes real ones do, so an import shows rejects
(the counts are in ``EXPECTED`` and in ``examples/samples/README.md``):

- Salesforce: one contact belongs to an account that is not in the export (a
  deleted account), so the contact and its cases are rejected;
- HubSpot: one contact has no associated company (so it and its answers are
  rejected) and one answer belongs to a contact not in the export.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "samples"
SEED = 19

#: What importing each sample with its mapping gives (``allow_rejects``):
#: rows read and rejected per bundle table.
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    "salesforce": {
        "accounts": {"read": 12, "rejected": 0},
        "stakeholders": {"read": 36, "rejected": 1},
        "touchpoints": {"read": 1, "rejected": 0},
        "journeys": {"read": 18, "rejected": 0},
        "interactions": {"read": 60, "rejected": 2},
    },
    "hubspot": {
        "accounts": {"read": 10, "rejected": 0},
        "stakeholders": {"read": 30, "rejected": 1},
        "interactions": {"read": 80, "rejected": 3},
    },
}

_COMPANIES = [
    ("Nordwerk Maschinenbau", "Machinery", "Germany"),
    ("Lyon Agro Transformation", "Food & Beverage", "France"),
    ("Baltic Freight Systems", "Transportation", "Sweden"),
    ("Castell Pharma Ibérica", "Pharmaceuticals", "Spain"),
    ("Adriatic Steelworks", "Manufacturing", "Italy"),
    ("Polder Packaging", "Packaging", "Netherlands"),
    ("Vistula Energy", "Energy", "Poland"),
    ("Alpine Precision Tools", "Machinery", "Austria"),
    ("Fjord Aquaculture", "Food & Beverage", "Norway"),
    ("Thames Medical Devices", "Healthcare", "United Kingdom"),
    ("Danube Chemicals", "Chemicals", "Hungary"),
    ("Helvetia Lab Systems", "Biotechnology", "Switzerland"),
]
_FIRST = [
    "Anna",
    "Lukas",
    "Marie",
    "Jonas",
    "Sofia",
    "Mateo",
    "Emma",
    "Noah",
    "Lea",
    "Elias",
    "Clara",
    "Hugo",
    "Ines",
    "Oskar",
    "Nora",
    "Paul",
    "Ida",
    "Luca",
]
_LAST = [
    "Schmidt",
    "Dubois",
    "Lindqvist",
    "García",
    "Rossi",
    "de Vries",
    "Nowak",
    "Huber",
    "Hansen",
    "Taylor",
    "Kovács",
    "Meier",
    "Berg",
    "Moreau",
]
_ROLES = [
    ("Head of Procurement", "Procurement"),
    ("Purchasing Manager", "Purchasing"),
    ("Maintenance Manager", "Maintenance"),
    ("Plant Manager", "Operations"),
    ("Production Engineer", "Engineering"),
    ("IT Manager", "IT"),
    ("Quality Lead", "Quality"),
    ("CFO", "Finance"),
    ("Managing Director", "Management"),
    ("Logistics Coordinator", "Logistics"),
]
_SUBJECTS = [
    ("Spare part delivered late", "The bearing kit came four days late; line 2 stood still."),
    ("Invoice does not match order", "Invoice lists 12 filters, we ordered 10. Please correct."),
    ("Machine error E42 after update", "Since the firmware update the press stops with E42."),
    ("Request for on-site training", "New operators need training on the cleaning cycle."),
    ("Portal login not working", "Password reset e-mail never arrives."),
    ("Technician visit went well", "Thanks, the technician fixed the hydraulic leak in one visit."),
]
_OPPS = [
    "Service contract renewal",
    "Line 3 retrofit",
    "Spare parts framework",
    "Remote monitoring pilot",
    "New filling line",
]
_STAGES = [
    "Prospecting",
    "Qualification",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]
_NPS_TEXT = {
    "detractor": ["Deliveries are often late, nobody tells us.", "Support takes days to answer."],
    "passive": ["Good machines, the paperwork is slow.", "Fine, the portal could be easier."],
    "promoter": ["The service team is excellent and fast.", "Reliable partner, great technicians."],
}


def _sf_id(rng: random.Random, prefix: str) -> str:
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "5g00000" + "".join(rng.choice(chars) for _ in range(8))


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(["" if v is None else v for v in row] for row in rows)


def _when(rng: random.Random, start: dt.datetime, days: int) -> dt.datetime:
    return start + dt.timedelta(days=rng.randrange(days), minutes=rng.randrange(8 * 60) + 7 * 60)


def salesforce(out: Path, rng: random.Random) -> None:
    """Account, Contact, Case and Opportunity as a Salesforce Data Export writes them."""
    start = dt.datetime(2024, 1, 8)
    iso = "%Y-%m-%dT%H:%M:%S.000Z"
    owners = [_sf_id(rng, "005") for _ in range(3)]
    accounts = []
    for name, industry, country in _COMPANIES:
        accounts.append(
            [
                _sf_id(rng, "001"),
                name,
                "Customer",
                industry,
                country,
                rng.choice([12, 45, 80, 150]) * 1_000_000,
                rng.choice([120, 480, 2300]),
                rng.choice(owners),
                _when(rng, start, 30).strftime(iso),
                "false",
            ]
        )
    _write(
        out / "Account.csv",
        [
            "Id",
            "Name",
            "Type",
            "Industry",
            "BillingCountry",
            "AnnualRevenue",
            "NumberOfEmployees",
            "OwnerId",
            "CreatedDate",
            "IsDeleted",
        ],
        accounts,
    )
    contacts = []
    for k in range(36):
        acc = accounts[k % len(accounts)][0]
        if k == 35:  # the account was deleted and is not in the export
            acc = _sf_id(rng, "001")
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        title, dept = _ROLES[k % len(_ROLES)]
        email = f"{first}.{last}".lower().replace(" ", "") + f"{k}@example.com"
        contacts.append(
            [
                _sf_id(rng, "003"),
                acc,
                first,
                last,
                title,
                dept,
                email,
                _when(rng, start, 60).strftime(iso),
            ]
        )
    _write(
        out / "Contact.csv",
        ["Id", "AccountId", "FirstName", "LastName", "Title", "Department", "Email", "CreatedDate"],
        contacts,
    )
    cases = []
    for k in range(60):
        contact = contacts[35] if k in (17, 41) else contacts[k % 35]
        subject, body = rng.choice(_SUBJECTS)
        opened = _when(rng, start + dt.timedelta(days=60), 300)
        closed = opened + dt.timedelta(hours=rng.randrange(2, 200))
        status = "Closed" if k % 7 else "New"
        cases.append(
            [
                _sf_id(rng, "500"),
                f"{1000 + k:08d}",
                contact[1],
                contact[0],
                status,
                rng.choice(["Low", "Medium", "High"]),
                rng.choice(["Phone", "Email", "Web"]),
                subject,
                body,
                opened.strftime(iso),
                closed.strftime(iso) if status == "Closed" else None,
                "true" if status == "Closed" else "false",
            ]
        )
    _write(
        out / "Case.csv",
        [
            "Id",
            "CaseNumber",
            "AccountId",
            "ContactId",
            "Status",
            "Priority",
            "Origin",
            "Subject",
            "Description",
            "CreatedDate",
            "ClosedDate",
            "IsClosed",
        ],
        cases,
    )
    opps = []
    for k in range(18):
        created = _when(rng, start, 200)
        stage = _STAGES[k % len(_STAGES)]
        opps.append(
            [
                _sf_id(rng, "006"),
                accounts[k % len(accounts)][0],
                rng.choice(_OPPS),
                stage,
                rng.randrange(20, 400) * 1000,
                (created + dt.timedelta(days=rng.randrange(30, 180))).strftime("%Y-%m-%d"),
                created.strftime(iso),
                rng.choice(owners),
            ]
        )
    _write(
        out / "Opportunity.csv",
        ["Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "CreatedDate", "OwnerId"],
        opps,
    )


def hubspot(out: Path, rng: random.Random) -> None:
    """Companies, contacts and feedback submissions as HubSpot exports them."""
    start = dt.datetime(2024, 2, 1)
    when = "%Y-%m-%d %H:%M"
    owners = ["Julia Becker", "Tom Andersson", "Sara Conti"]
    companies = []
    for k, (name, industry, country) in enumerate(_COMPANIES[:10]):
        domain = name.lower().split()[0] + ".example"
        companies.append(
            [
                str(5_100_000 + k * 37),
                name,
                domain,
                industry,
                country,
                rng.choice([120, 480, 2300]),
                rng.choice([12, 45, 80]) * 1_000_000,
                rng.choice(owners),
                _when(rng, start, 30).strftime(when),
                "Customer",
            ]
        )
    _write(
        out / "companies.csv",
        [
            "Record ID",
            "Company name",
            "Company Domain Name",
            "Industry",
            "Country/Region",
            "Number of Employees",
            "Annual Revenue",
            "Company owner",
            "Create Date",
            "Lifecycle Stage",
        ],
        companies,
    )
    contacts = []
    for k in range(30):
        company = companies[k % len(companies)]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        title, _ = _ROLES[(k * 3) % len(_ROLES)]
        email = f"{first[0]}.{last}".lower().replace(" ", "") + f"{k}@{company[2]}"
        cid, cname = (company[0], company[1]) if k != 29 else (None, None)  # no company
        contacts.append(
            [
                str(7_200_000 + k * 11),
                first,
                last,
                email,
                title,
                cname,
                cid,
                _when(rng, start, 60).strftime(when),
                "Customer",
            ]
        )
    _write(
        out / "contacts.csv",
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Job Title",
            "Associated Company",
            "Associated Company IDs",
            "Create Date",
            "Lifecycle Stage",
        ],
        contacts,
    )
    answers = []
    kinds = [
        ("Customer loyalty survey", "NPS"),
        ("Support satisfaction", "CSAT"),
        ("Ease of ordering", "CES"),
    ]
    for k in range(80):
        contact = contacts[k % 30]
        if k == 37:  # a contact removed from HubSpot since
            contact_id, contact_name = "7299999", "Former Contact"
        else:
            contact_id, contact_name = contact[0], f"{contact[1]} {contact[2]}"
        survey, kind = kinds[k % 3]
        if kind == "NPS":
            rating = rng.choice([2, 5, 6, 7, 8, 8, 9, 9, 10])
            group = "detractor" if rating <= 6 else "passive" if rating <= 8 else "promoter"
            text = rng.choice(_NPS_TEXT[group]) if rng.random() < 0.7 else None
        elif kind == "CSAT":
            rating, group, text = rng.choice([1, 3, 4, 5, 5]), None, None
        else:
            rating, group, text = rng.choice([2, 4, 5, 6, 7]), None, None
        answers.append(
            [
                str(9_300_000 + k * 13),
                survey,
                kind,
                rating,
                text,
                group.capitalize() if group else None,
                _when(rng, start + dt.timedelta(days=60), 280).strftime(when),
                rng.choice(["Email", "Web"]),
                contact_name,
                contact_id,
            ]
        )
    _write(
        out / "feedback_submissions.csv",
        [
            "Record ID",
            "Survey name",
            "Survey type",
            "Rating",
            "Response",
            "Response group",
            "Submitted date",
            "Survey channel",
            "Associated Contact",
            "Associated Contact IDs",
        ],
        answers,
    )


def make_samples(out: Path = OUT, seed: int = SEED) -> dict[str, Path]:
    """Write the sample exports under ``out``; returns each sample's folder."""
    rng = random.Random(seed)
    folders = {"salesforce": out / "salesforce", "hubspot": out / "hubspot"}
    salesforce(folders["salesforce"], rng)
    hubspot(folders["hubspot"], rng)
    return folders


def main() -> None:
    """Command line: ``--out DIR`` (default ``examples/samples``), ``--seed N``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, folder in make_samples(args.out, args.seed).items():
        print(f"{name}: {folder}")


if __name__ == "__main__":
    main()
