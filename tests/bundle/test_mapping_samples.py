"""The shipped mappings with the generated sample exports (examples/samples):
through the CLI, with the row counts and rejects worked out from the CSVs
themselves, and the ``when`` recipe the HubSpot mapping needs."""

from __future__ import annotations

import csv
import filecmp
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.bundle.mapping_spec import load_spec
from b2bcx.cli import app
from b2bcx.errors import MappingError

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "samples"
MAPPINGS = ROOT / "examples" / "mappings"
runner = CliRunner()


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts/make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _expected_salesforce() -> dict[str, tuple[int, int]]:
    """(read, rejected) per table, worked out from the export's own references."""
    folder = SAMPLES / "salesforce"
    accounts = {r["Id"] for r in _rows(folder / "Account.csv")}
    contacts = _rows(folder / "Contact.csv")
    good = {c["Id"] for c in contacts if c["AccountId"] in accounts}
    cases = [c for c in _rows(folder / "Case.csv") if c["ContactId"]]
    opps = _rows(folder / "Opportunity.csv")
    return {
        "accounts": (len(accounts), 0),
        "stakeholders": (len(contacts), len(contacts) - len(good)),
        "touchpoints": (1, 0),
        "journeys": (len(opps), sum(o["AccountId"] not in accounts for o in opps)),
        "interactions": (len(cases), sum(c["ContactId"] not in good for c in cases)),
    }


def _expected_hubspot() -> dict[str, tuple[int, int]]:
    folder = SAMPLES / "hubspot"
    companies = {r["Record ID"] for r in _rows(folder / "companies.csv")}
    contacts = _rows(folder / "contacts.csv")
    good = {c["Record ID"] for c in contacts if c["Associated Company IDs"] in companies}
    answers = _rows(folder / "feedback_submissions.csv")
    return {
        "accounts": (len(companies), 0),
        "stakeholders": (len(contacts), len(contacts) - len(good)),
        "interactions": (
            len(answers),
            sum(a["Associated Contact IDs"] not in good for a in answers),
        ),
    }


EXPECTED = {"salesforce": _expected_salesforce, "hubspot": _expected_hubspot}


def test_committed_samples_are_what_the_script_writes(tmp_path: Path) -> None:
    folders = _script().make_samples(tmp_path)
    for name, folder in folders.items():
        files = sorted(p.name for p in folder.glob("*.csv"))
        assert files == sorted(p.name for p in (SAMPLES / name).glob("*.csv"))
        _, mismatch, errors = filecmp.cmpfiles(folder, SAMPLES / name, files, shallow=False)
        assert (mismatch, errors) == ([], []), f"run python scripts/make_samples.py ({name})"


@pytest.mark.parametrize("name", ["salesforce", "hubspot"])
def test_script_counts_agree_with_the_files(name: str) -> None:
    said = _script().EXPECTED[name]
    worked_out = EXPECTED[name]()
    assert {t: (c["read"], c["rejected"]) for t, c in said.items()} == worked_out
    assert any(rej for _, rej in worked_out.values())  # every sample shows rejects


@pytest.mark.parametrize("name", ["salesforce", "hubspot"])
def test_sample_imports_through_the_cli(name: str, tmp_path: Path) -> None:
    expected = EXPECTED[name]()
    workspace = tmp_path / "ws.duckdb"
    args = ["import", str(SAMPLES / name), "--mapping", str(MAPPINGS / f"{name}.yaml")]
    args += ["--workspace", str(workspace), "--no-progress", "--format", "json"]
    refused = runner.invoke(app, [*args, "--rejects", str(tmp_path / "r1.csv")])
    assert refused.exit_code != 0  # all or nothing: the rejects stop the import
    result = runner.invoke(app, [*args, "--allow-rejects", "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    got = {t: (c["read"], c["rejected"]) for t, c in out["tables"].items()}
    assert got == expected
    assert out["n_rejected"] == sum(r for _, r in expected.values())
    rejects = _rows(tmp_path / "r.csv")
    assert len(rejects) == out["n_rejected"] and all(r["reason"] for r in rejects)
    with b2bcx.open_workspace(workspace) as ws:
        n = ws.backend.table("interactions").count().execute()
        assert n == expected["interactions"][0] - expected["interactions"][1]


def test_salesforce_cases_are_support_case_interactions(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.duckdb"
    with b2bcx.open_workspace(workspace) as ws:
        ws.import_bundle(
            SAMPLES / "salesforce",
            b2bcx.ImportOptions(
                mapping=MAPPINGS / "salesforce.yaml",
                allow_rejects=True,
                rejects_path=tmp_path / "r.csv",
            ),
        )
        it = ws.backend.table("interactions").execute()
        tp = ws.backend.table("touchpoints").execute()
        journeys = ws.backend.table("journeys").execute()
    assert set(it["touchpoint_id"]) == {"sf-support-case"} and set(it["source"]) == {"ticket"}
    assert tp["name"].tolist() == ["support case"] and tp["stage"].tolist() == ["operations"]
    opps = {
        f"sf-{r['Id'].lower()}": float(r["Amount"])
        for r in _rows(SAMPLES / "salesforce/Opportunity.csv")
    }
    assert dict(zip(journeys["journey_id"], journeys["contract_value"], strict=True)) == opps


def test_hubspot_rating_goes_to_the_survey_types_column(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.duckdb"
    with b2bcx.open_workspace(workspace) as ws:
        ws.import_bundle(
            SAMPLES / "hubspot",
            b2bcx.ImportOptions(
                mapping=MAPPINGS / "hubspot.yaml",
                allow_rejects=True,
                rejects_path=tmp_path / "r.csv",
            ),
        )
        it = ws.backend.table("interactions").execute()
    answers = {
        f"hs-feedback-{a['Record ID']}": a
        for a in _rows(SAMPLES / "hubspot/feedback_submissions.csv")
    }
    for row in it.itertuples():
        source = answers[row.interaction_id]
        for kind, value in (("NPS", row.nps), ("CSAT", row.csat), ("CES", row.ces)):
            if source["Survey type"] == kind:
                assert float(value) == float(source["Rating"])
            else:
                assert value != value or value is None  # NaN or None: not this survey's
    imported = [answers[i]["Survey type"] for i in it["interaction_id"]]
    assert int(it["nps"].notna().sum()) == imported.count("NPS") > 0
    assert int(it["csat"].notna().sum()) == imported.count("CSAT") > 0
    assert int(it["ces"].notna().sum()) == imported.count("CES") > 0


def test_when_needs_columns_the_source_has(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "sources: [s.csv]\ntables:\n  interactions:\n    from: s\n    columns:\n"
        "      nps: {column: r, when: {column: kind, in: [NPS]}}\n",
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert spec.tables["interactions"].sources() == {"r", "kind"}
    path.write_text(
        "sources: [s.csv]\ntables:\n  interactions:\n    from: s\n    columns:\n"
        "      nps: {column: r, when: {colum: kind}}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="did you mean 'column'"):
        load_spec(path)
