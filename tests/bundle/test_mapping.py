"""The mapping language: every operation on small in-memory batches, errors, chunking."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b2bcx.bundle.mapping import Mapping, load_mapping
from b2bcx.bundle.mapping_spec import ColumnRecipe
from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import MappingError

Row = dict[str, str | None]


def _batch(rows: list[Row], start: int = 2, table: str = "src") -> RawBatch:
    names = list(rows[0])
    data = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    numbers = pa.array(range(start, start + len(rows)), pa.int64())
    return RawBatch(table=table, file=f"{table}.csv", rows=numbers, data=data)


def _mapping(tmp_path: Path, tables: str) -> Mapping:
    path = tmp_path / "m.yaml"
    path.write_text("sources: [src.csv]\ntables:\n" + tables)
    return load_mapping(path)


def _run(mapping: Mapping, *batches: RawBatch) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for b in mapping.apply(batches):
        out.setdefault(b.table, []).extend(b.data.to_pylist())
    return out


def _column(tmp_path: Path, recipe: str, rows: list[Row]) -> list[str | None]:
    """Apply one recipe as ``accounts.name`` and return the column."""
    m = _mapping(
        tmp_path,
        f"  accounts:\n    from: src\n    columns:\n"
        f"      account_id: {{value: a}}\n      name: {recipe}\n",
    )
    return [r["name"] for r in _run(m, _batch(rows))["accounts"]]


def test_rename_copies_a_column(tmp_path: Path) -> None:
    assert _column(tmp_path, "{column: co}", [{"co": "Acme"}, {"co": ""}, {"co": None}]) == [
        "Acme",
        None,
        None,
    ]


def test_constant(tmp_path: Path) -> None:
    assert _column(tmp_path, "{value: 7}", [{"x": "1"}, {"x": None}]) == ["7", "7"]
    assert _column(tmp_path, "{value: true}", [{"x": "1"}]) == ["true"]


def test_value_map_with_default_and_case(tmp_path: Path) -> None:
    rows: list[Row] = [{"s": "Small"}, {"s": "LARGE "}, {"s": "odd"}, {"s": None}]
    exact = "{column: s, map: {Small: SMB, large: KA}}"
    assert _column(tmp_path, exact, rows) == ["SMB", None, None, None]
    folded = "{column: s, map: {small: SMB, large: KA}, case_insensitive: true, default: other}"
    assert _column(tmp_path, folded, rows) == ["SMB", "KA", "other", "other"]


def test_default_alone_is_a_constant_for_empty_rows(tmp_path: Path) -> None:
    assert _column(tmp_path, "{default: n/a}", [{"x": "1"}]) == ["n/a"]


def test_slug_id_with_prefix_and_several_columns(tmp_path: Path) -> None:
    rows: list[Row] = [{"a": "Acme Mills, AB", "b": "Gothenburg"}, {"a": None, "b": None}]
    got = _column(tmp_path, '{id: [a, b], prefix: "org-"}', rows)
    assert got == ["org-acme-mills-ab-gothenburg", None]


def test_hash_id_is_stable_and_short(tmp_path: Path) -> None:
    got = _column(tmp_path, '{id: {from: [a], hash: true, prefix: "p-"}}', [{"a": "x@y.se"}])
    assert got == ["p-" + hashlib.sha1(b"x@y.se").hexdigest()[:12]]


def test_id_fallback_and_values_without_a_slug(tmp_path: Path) -> None:
    rows: list[Row] = [
        {"a": "Acme", "k": "r1"},
        {"a": "-", "k": "r2"},
        {"a": "株式会社", "k": "r3"},
    ]
    got = _column(tmp_path, '{id: {from: [a], prefix: "o-", fallback: [k]}}', rows)
    assert got[:2] == ["o-acme", "o-r2"]  # "-" is no organization
    assert got[2] == "o-" + hashlib.sha1("株式会社".encode()).hexdigest()[:12]


def test_template_skips_lines_whose_parts_are_empty(tmp_path: Path) -> None:
    rows: list[Row] = [
        {"p": "fast", "c": "pricey"},
        {"p": "fast", "c": ""},
        {"p": None, "c": None},
    ]
    got = _column(tmp_path, '{template: "Pros: {p}\\nCons: {c}"}', rows)
    assert got == ["Pros: fast\nCons: pricey", "Pros: fast", None]


def test_rescale_is_linear(tmp_path: Path) -> None:
    rows: list[Row] = [{"r": "1"}, {"r": "4"}, {"r": "7"}, {"r": "5"}, {"r": None}, {"r": "x"}]
    got = _column(tmp_path, "{column: r, rescale: {from: [1, 7], to: [1, 5]}}", rows)
    # 1 + (x − 1)·4/6; a non-number is passed on as it is, for validation to reject
    assert got == ["1", "3", "5", "3.666667", None, "x"]


def test_date_format_to_iso(tmp_path: Path) -> None:
    rows: list[Row] = [{"d": "31/01/2024"}, {"d": "bad"}, {"d": None}]
    assert _column(tmp_path, '{column: d, date_format: "%d/%m/%Y"}', rows) == [
        "2024-01-31",
        "bad",
        None,
    ]


def test_where_filters_and_attributes_are_kept(tmp_path: Path) -> None:
    m = _mapping(
        tmp_path,
        "  accounts:\n    from: src\n    where: {present: co, column: kind, in: [client]}\n"
        "    columns:\n      account_id: {id: [co]}\n    attributes: [kind, note]\n",
    )
    rows: list[Row] = [
        {"co": "A", "kind": "client", "note": "n1"},
        {"co": "", "kind": "client", "note": "n2"},
        {"co": "C", "kind": "lead", "note": None},
    ]
    (batch,) = list(m.apply([_batch(rows)]))
    assert batch.data.to_pylist() == [{"account_id": "a", "kind": "client", "note": "n1"}]
    assert batch.rows.to_pylist() == [2] and batch.file == "src.csv"


SPLIT = """  accounts:
    from: src
    where: {present: co}
    unique: true
    columns:
      account_id: {id: [co]}
      industry: {column: ind}
  stakeholders:
    from: src
    columns:
      stakeholder_id: {id: [who]}
      account_id: {id: [co]}
"""

ROWS: list[Row] = [
    {"co": "A", "ind": "first", "who": "p1"},
    {"co": "B", "ind": "b", "who": "p2"},
    {"co": "A", "ind": "second", "who": "p3"},
    {"co": "A", "ind": "third", "who": "p4"},
]


def test_split_and_dedupe_across_chunks_first_wins(tmp_path: Path) -> None:
    m = _mapping(tmp_path, SPLIT)
    batches = list(m.apply([_batch(ROWS[:2]), _batch(ROWS[2:], start=4)]))
    accounts = [b for b in batches if b.table == "accounts"]
    assert [b.data.to_pylist() for b in accounts] == [
        [{"account_id": "a", "industry": "first"}, {"account_id": "b", "industry": "b"}]
    ]  # the second chunk brings no new organization, so no accounts batch
    assert sum(b.num_rows for b in batches if b.table == "stakeholders") == 4
    assert [b.rows.to_pylist() for b in batches if b.table == "stakeholders"] == [[2, 3], [4, 5]]


def test_prefer_last_keeps_the_latest_row_across_chunks(tmp_path: Path) -> None:
    m = _mapping(tmp_path, SPLIT.replace("unique: true", "unique: true\n    prefer: last"))
    batches = list(m.apply([_batch(ROWS[:2]), _batch(ROWS[2:], start=4)]))
    accounts = [b for b in batches if b.table == "accounts"]
    assert batches[-1].table == "accounts"  # held back until the input ends
    rows = [r for b in accounts for r in b.data.to_pylist()]
    assert sorted(rows, key=lambda r: str(r["account_id"])) == [
        {"account_id": "a", "industry": "third"},
        {"account_id": "b", "industry": "b"},
    ]
    assert sorted(n for b in accounts for n in b.rows.to_pylist()) == [3, 5]


@settings(deadline=None, max_examples=30)
@given(st.lists(st.sampled_from(["A", "B", "C", ""]), min_size=1, max_size=30), st.integers(1, 7))
def test_chunking_does_not_change_the_result(orgs: list[str], size: int) -> None:
    text = "sources: [src.csv]\ntables:\n" + SPLIT
    rows: list[Row] = [{"co": o, "ind": str(i), "who": f"p{i}"} for i, o in enumerate(orgs)]
    chunks = [_batch(rows[i : i + size], start=2 + i) for i in range(0, len(rows), size)]
    results = []
    for batches in ([_batch(rows)], chunks):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.yaml"
            path.write_text(text)
            out = _run(load_mapping(path), *batches)
        results.append(out)
    assert results[0] == results[1]
    assert len(results[0].get("accounts", [])) == len({o for o in orgs if o})


def test_sources_and_other_files_are_ignored(tmp_path: Path) -> None:
    m = _mapping(tmp_path, SPLIT)
    assert m.sources == ("src.csv",)
    assert list(m.apply([_batch(ROWS, table="other")])) == []


BASE = "sources: [a.csv]\ntables:\n  accounts:\n    from: a\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE.replace("accounts", "acounts") + "    columns: {}\n", "did you mean 'accounts'"),
        (BASE + "    columns:\n      acount_id: {column: x}\n", "did you mean 'account_id'"),
        (BASE.replace("from: a", "from: b") + "    columns:\n      account_id: {value: 1}\n",
         "not one of the sources"),
        (BASE + "    columns:\n      account_id: {column: x, value: 1}\n", "exactly one of"),
        (BASE + "    columns:\n      account_id: {colum: x}\n", "did you mean 'column'"),
        (BASE + "    colums:\n      account_id: {column: x}\n", "did you mean 'columns'"),
        (BASE + "    prefer: latest\n    columns:\n      account_id: {column: x}\n",
         "tables.accounts.prefer"),
        (BASE + "    columns:\n      name: {column: x, rescale: {from: [1, 1], to: [1, 5]}}\n",
         "two different ends"),
        (BASE + "    columns:\n      name: {template: '{x!r}'}\n", "plain column names"),
        (BASE + "    unique: true\n    columns:\n      name: {column: x}\n", "key column"),
        ("sources: [a.csv]\ntables: [1, 2\n", "not valid YAML"),
        ("- just a list\n", "YAML object"),
    ],
)  # fmt: skip
def test_bad_mappings_say_where_and_how_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message) as info:
        load_mapping(path)
    assert str(info.value).startswith("bad.yaml")


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nope.yaml")


def test_a_source_column_the_file_lacks_is_named(tmp_path: Path) -> None:
    m = _mapping(tmp_path, SPLIT)
    rows: list[Row] = [{"company": "A", "ind": "x", "who": "p"}]
    with pytest.raises(MappingError, match=r"\['co'\] that src.csv does not have"):
        list(m.apply([_batch(rows)]))


DOCS = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"


def test_the_docs_examples_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    form = re.findall(r"```yaml\n(.*?)```", text, re.S)[0]
    (tmp_path / "crm.yaml").write_text(form)
    assert load_mapping(tmp_path / "crm.yaml").sources == ("crm.csv",)
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, str(DOCS), "exec"), {})
        expected = [line[2:] for line in block.splitlines() if line.startswith("# accounts")]
        assert capsys.readouterr().out.splitlines() == expected


def test_every_key_of_the_language_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    keys = set(ColumnRecipe.model_fields) | {"from", "where", "unique", "prefer", "attributes"}
    keys = {k.rstrip("_") for k in keys} | {"present", "in", "sources", "tables", "columns"}
    documented = {k for k in keys if re.search(rf"`\{{?{k}[`:]", text)}
    assert sorted(keys - documented) == []
