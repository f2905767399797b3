"""Mappings: every operation, clear errors, chunked de-duplication, the real G2 export."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import b2bcx
from b2bcx import ImportOptions
from b2bcx.bundle.mapping import load_mapping
from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import MappingError

ROOT = Path(__file__).resolve().parents[2]
G2 = ROOT.parent / "shared" / "data" / "g2-reviews" / "g2_reviews_wide.csv"

MAPPING = """
sources: [crm.csv]
tables:
  accounts:
    from: crm
    where: {present: company}
    unique: true
    columns:
      account_id: {id: [company], prefix: "org-"}
      name: {column: company}
      segment: {column: size, map: {"small": SMB, "LARGE": key account}, case_insensitive: true,
                default: mid-market}
      country: {value: SE}
  stakeholders:
    from: crm
    unique: true
    columns:
      stakeholder_id: {id: [email], hash: true, prefix: "p-"}
      account_id: {id: [company], prefix: "org-", fallback: [email]}
  interactions:
    from: crm
    columns:
      interaction_id: {id: [ticket]}
      stakeholder_id: {id: [email], hash: true, prefix: "p-"}
      occurred_at: {column: opened, date_format: "%d/%m/%Y"}
      ces: {column: effort, rescale: {from: [1, 5], to: [1, 7]}}
      comment: {template: "Subject: {subject}\\nBody: {body}"}
    attributes: [channel]
"""


def _batch(rows: list[dict[str, str | None]], start: int = 2) -> RawBatch:
    names = list(rows[0])
    data = pa.table({n: pa.array([r[n] for r in rows], pa.string()) for n in names})
    return RawBatch(
        table="crm", file="crm.csv", rows=pa.array(range(start, start + len(rows))), data=data
    )


ROWS = [
    {"company": "Acme Mills AB", "size": "Small", "email": "a@acme.se", "ticket": "T 1",
     "opened": "31/01/2024", "effort": "3", "subject": "Late part", "body": None, "channel": "web"},
    {"company": "Acme Mills AB", "size": "large", "email": "b@acme.se", "ticket": "T 2",
     "opened": "01/02/2024", "effort": "5", "subject": None, "body": None, "channel": None},
    {"company": None, "size": None, "email": "c@x.se", "ticket": "T 3",
     "opened": "02/02/2024", "effort": None, "subject": "Hi", "body": "Thanks", "channel": None},
]  # fmt: skip


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "crm.yaml"
    path.write_text(MAPPING)
    return path


def _apply(mapping_file: Path, *batches: RawBatch) -> dict[str, list[dict[str, str | None]]]:
    out: dict[str, list[dict[str, str | None]]] = {}
    for b in load_mapping(mapping_file).apply(batches):
        out.setdefault(b.table, []).extend(b.data.to_pylist())
    return out


def test_every_operation(mapping_file: Path) -> None:
    out = _apply(mapping_file, _batch(ROWS))
    assert out["accounts"] == [
        {
            "account_id": "org-acme-mills-ab",
            "name": "Acme Mills AB",
            "segment": "SMB",
            "country": "SE",
        }
    ]  # filtered (no company), de-duplicated (first wins), mapped case-insensitively
    sh = out["stakeholders"]
    assert len(sh) == 3 and all(s["stakeholder_id"].startswith("p-") for s in sh)  # type: ignore[union-attr]
    assert len(sh[0]["stakeholder_id"]) == 14  # type: ignore[arg-type]  # prefix + 12-char hash
    assert sh[2]["account_id"] == "org-c-x-se"  # fallback id from the e-mail
    it = out["interactions"]
    assert [i["interaction_id"] for i in it] == ["t-1", "t-2", "t-3"]
    assert [i["occurred_at"] for i in it] == ["2024-01-31", "2024-02-01", "2024-02-02"]
    assert [i["ces"] for i in it] == ["4", "7", None]  # 1 + (x − 1)·6/4
    assert [i["comment"] for i in it] == ["Subject: Late part", None, "Subject: Hi\nBody: Thanks"]
    assert it[0]["channel"] == "web"  # kept for the attributes


def test_unique_holds_across_chunks(mapping_file: Path) -> None:
    out = _apply(mapping_file, _batch(ROWS[:1]), _batch(ROWS[1:], start=3))
    assert len(out["accounts"]) == 1
    assert len(out["interactions"]) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [a.csv]\ntables:\n  acounts:\n    from: a\n    columns: {}\n", "'accounts'"),
        (
            "sources: [a.csv]\ntables:\n  accounts:\n    from: a\n    columns:\n"
            "      acount_id: {column: x}\n",
            "'account_id'",
        ),
        (
            "sources: [a.csv]\ntables:\n  accounts:\n    from: b\n    columns:\n"
            "      account_id: {column: x}\n",
            "not one of the sources",
        ),
        (
            "sources: [a.csv]\ntables:\n  accounts:\n    from: a\n    columns:\n"
            "      account_id: {column: x, value: 1}\n",
            "exactly one of",
        ),
        ("sources: [a.csv]\ntables: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_mappings_say_where_and_how_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message) as info:
        load_mapping(path)
    assert "bad.yaml" in str(info.value)


def test_missing_source_column_is_named(mapping_file: Path) -> None:
    rows = [{k: v for k, v in ROWS[0].items() if k != "email"} | {"e_mail": "x"}]
    with pytest.raises(MappingError, match=r"\['email'\].*'e_mail'"):
        _apply(mapping_file, _batch(rows))


def test_mapped_import_end_to_end(mapping_file: Path, tmp_path: Path) -> None:
    src = tmp_path / "crm.csv"
    header = list(ROWS[0])
    lines = [",".join(header)] + [",".join(r[h] or "" for h in header) for r in ROWS]
    src.write_text("\n".join(lines) + "\n")
    ws = b2bcx.open_workspace(":memory:", settings=b2bcx.Settings(rejects_dir=tmp_path))
    result = ws.import_bundle(src, ImportOptions(mapping=mapping_file, allow_rejects=True))
    # the third row has no company: the mapping filters its account out, so its
    # person and ticket are rejected (and kept) rather than silently orphaned
    assert result.tables["interactions"].inserted == 2
    assert result.tables["stakeholders"].rejected == 1
    assert result.tables["interactions"].rejected == 1
    assert ws.table("interactions").attributes.notnull().sum().execute() == 1


@pytest.mark.shared_data
@pytest.mark.skipif(not G2.exists(), reason="the G2 export lives in ../shared/data (team machines)")
def test_the_real_g2_export_loads_through_its_mapping() -> None:
    ws = b2bcx.open_workspace(":memory:")
    result = ws.import_bundle(
        G2, ImportOptions(mapping=ROOT / "examples" / "mappings" / "g2-reviews.yaml")
    )
    assert result.n_rejected == 0
    assert result.tables["interactions"].inserted == 762
    per_account = ws.table("stakeholders").account_id.value_counts().execute()
    assert int((per_account.iloc[:, 1] >= 2).sum()) == 46
    it = ws.table("interactions").execute()
    assert it.nps.notna().sum() == 749 and it.solicited.sum() == 762 - 142  # 142 organic
    assert it.convenience.between(1, 5).all() or it.convenience.isna().any()
