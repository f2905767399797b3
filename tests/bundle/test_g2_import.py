"""The G2 review export through examples/mappings/g2-reviews.yaml (shared data)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import b2bcx
from b2bcx.bundle.mapping import load_mapping
from b2bcx.bundle.raw import RawBatch

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "g2-reviews"
SOURCE = DATA / "g2_reviews_wide.csv"
MAPPING = ROOT / "examples" / "mappings" / "g2-reviews.yaml"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not SOURCE.exists(), reason=f"the G2 export is not at {SOURCE} (../shared/data)"
    ),
]


def _source_batches(chunk: int) -> list[RawBatch]:
    """The export as text columns, in chunks of ``chunk`` rows."""
    with SOURCE.open("rb") as fh:
        names = fh.readline().decode().strip().split(",")
    table = pacsv.read_csv(
        SOURCE, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    )
    return [
        RawBatch(
            table="g2_reviews_wide",
            file=SOURCE.name,
            rows=pa.array(range(2 + start, 2 + start + min(chunk, table.num_rows - start))),
            data=table.slice(start, chunk),
        )
        for start in range(0, table.num_rows, chunk)
    ]


def _mapped(chunk: int) -> dict[str, list[dict[str, str | None]]]:
    out: dict[str, list[dict[str, str | None]]] = {}
    for batch in load_mapping(MAPPING).apply(_source_batches(chunk)):
        out.setdefault(batch.table, []).extend(batch.data.to_pylist())
    return out


@pytest.mark.parametrize("chunk", [100, 10_000])
def test_mapping_gives_the_documented_counts(chunk: int) -> None:
    out = _mapped(chunk)
    it, people, accounts = out["interactions"], out["stakeholders"], out["accounts"]
    assert len(it) == 762 and len({i["interaction_id"] for i in it}) == 762
    assert len(people) == 762  # no reviewer appears twice (SOURCE.md)
    assert len({a["account_id"] for a in accounts}) == len(accounts)  # de-duplicated
    per_account = Counter(p["account_id"] for p in people)
    assert sum(n >= 2 for n in per_account.values()) == 46
    assert max(per_account.values()) == 5  # Vonage
    assert {p["account_id"] for p in people} <= {a["account_id"] for a in accounts}
    assert sum(i["nps"] is not None for i in it) == 749
    assert sum(i["solicited"] == "false" for i in it) == 142  # the organic reviews
    assert all(i["source"] == "review" for i in it)
    ease = {i["convenience"] for i in it if i["convenience"] is not None}
    assert ease <= {"1", "1.666667", "2.333333", "3", "3.666667", "4.333333", "5"}  # 1-7 → 1-5


def test_end_to_end_import_into_a_workspace() -> None:
    ws = b2bcx.open_workspace(":memory:")
    result = ws.import_bundle(SOURCE, b2bcx.ImportOptions(mapping=MAPPING))
    assert result.n_rejected == 0
    assert result.tables["interactions"].inserted == 762
    people = ws.table("stakeholders").execute()
    assert int((people.groupby("account_id").size() >= 2).sum()) == 46
    it = ws.table("interactions").execute()
    assert len(it) == 762 and int(it.nps.notna().sum()) == 749
    assert it.convenience.dropna().between(1, 5).all()
    assert it.efficiency.dropna().between(1, 5).all()
