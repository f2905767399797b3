"""Mappings matched by hand (the import wizard's third way): suggestions by
column name, the mapping they make, its YAML round trip, and messages in the
words of the import page."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

import b2bcx
from b2bcx.bundle.mapping import Mapping
from b2bcx.bundle.mapping_spec import (
    DATE_LAYOUTS,
    MANUAL_TARGETS,
    dump_spec,
    load_spec,
    manual_spec,
    suggest_columns,
)
from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import DataRejected, MappingError
from b2bcx.server.import_wizard import page_words, split_reason


def test_exact_names_win_over_near_ones_and_each_column_is_used_once() -> None:
    cols = ["Company", "Company ID", "Email", "NPS", "Comment", "Date"]
    got = suggest_columns(cols)
    assert got["accounts.account_id"] == "Company ID"  # exact synonym, not "Company"
    assert got["accounts.name"] == "Company"
    assert got["stakeholders.email"] == "Email"
    assert got["interactions.nps"] == "NPS"
    assert got["interactions.occurred_at"] == "Date"
    assert len(set(got.values())) == len(got)


def test_a_long_question_is_found_by_the_word_it_contains() -> None:
    got = suggest_columns(["How likely is it that you would recommend us?", "Customer"])
    assert got == {
        "accounts.name": "Customer",
        "interactions.nps": "How likely is it that you would recommend us?",
    }


def test_unrelated_columns_get_no_suggestion() -> None:
    assert suggest_columns(["foo", "bar", "qux", "zzz"]) == {}


def test_every_target_is_a_bundle_column() -> None:
    from b2bcx.model.tables import TABLES

    for t in MANUAL_TARGETS:
        assert t.column in TABLES[t.table].column_names, t


@pytest.mark.parametrize(
    ("choices", "needed"),
    [
        ({"interactions.occurred_at": "d"}, "Account id or the Account name"),
        ({"accounts.name": "c"}, "Date"),
        ({"accounts.name": "c", "interactions.occurred_at": "d"}, "Person id, the E-mail"),
    ],
)
def test_a_missing_choice_is_named(choices: dict[str, str], needed: str) -> None:
    with pytest.raises(MappingError, match=needed):
        manual_spec("s.csv", choices)


def test_unknown_target_is_refused() -> None:
    with pytest.raises(MappingError, match="cannot be matched by hand; did you mean"):
        manual_spec("s.csv", {"accounts.nam": "c", "interactions.occurred_at": "d"})


def _apply(
    spec_path: Path, rows: dict[str, list[str | None]]
) -> dict[str, list[dict[str, object]]]:
    mapping = Mapping(load_spec(spec_path), spec_path)
    n = len(next(iter(rows.values())))
    batch = RawBatch(
        table="s",
        file="s.csv",
        rows=pa.array(range(2, 2 + n), pa.int64()),
        data=pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()}),
    )
    out: dict[str, list[dict[str, object]]] = {}
    for b in mapping.apply([batch]):
        out.setdefault(b.table, []).extend(b.data.to_pylist())
    return out


def test_the_mapping_made_by_hand_round_trips_and_maps(tmp_path: Path) -> None:
    choices = {
        "accounts.name": "Firm",
        "stakeholders.email": "Mail",
        "stakeholders.function": "Dept",
        "interactions.occurred_at": "When",
        "interactions.nps": "Score",
    }
    spec = manual_spec("s.csv", choices, date_format="%d/%m/%Y")
    path = tmp_path / "s.yaml"
    path.write_text(dump_spec(spec), encoding="utf-8")
    assert load_spec(path) == spec
    out = _apply(
        path,
        {
            "Firm": ["Acme AB", "Acme AB", "Bolt"],
            "Mail": ["a@acme.se", "b@acme.se", "c@bolt.de"],
            "Dept": ["Procurement", "nonsense", None],
            "When": ["31/01/2024", "01/02/2024", "02/02/2024"],
            "Score": ["9", "4", "7"],
        },
    )
    # ids: account from its name, person from the e-mail (slugs, as `id` makes them)
    assert [a["account_id"] for a in out["accounts"]] == ["acc-acme-ab", "acc-bolt"]
    assert [a["name"] for a in out["accounts"]] == ["Acme AB", "Bolt"]
    people = out["stakeholders"]
    assert [p["stakeholder_id"] for p in people] == ["p-a-acme-se", "p-b-acme-se", "p-c-bolt-de"]
    assert [p["function"] for p in people] == ["procurement", None, None]  # allowed values only
    it = out["interactions"]
    assert [i["occurred_at"] for i in it] == ["2024-01-31", "2024-02-01", "2024-02-02"]
    assert [i["nps"] for i in it] == ["9", "4", "7"]
    ids = [i["interaction_id"] for i in it]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"i-[0-9a-f]{12}", str(x)) for x in ids)
    again = _apply(path, {"Firm": ["Acme AB"], "Mail": ["a@acme.se"], "Dept": ["Procurement"],
                          "When": ["31/01/2024"], "Score": ["9"]})  # fmt: skip
    assert again["interactions"][0]["interaction_id"] == ids[0]  # stable across imports


def test_every_date_layout_parses_its_example() -> None:
    import datetime as dt

    for layout, example in DATE_LAYOUTS.items():
        if layout:
            assert dt.datetime.strptime(example, layout).date() == dt.date(2024, 1, 31)


def test_import_messages_name_the_page_controls(tmp_path: Path) -> None:
    """The importer's real messages, translated: no CLI flag is left."""
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id\nA1\n", encoding="utf-8")
    (folder / "stakeholders.csv").write_text("stakeholder_id,account_id\nS1,A1\n", encoding="utf-8")
    (folder / "interactions.csv").write_text(
        "interaction_id,stakeholder_id,occurred_at\nI1,S1,31/01/2024\n", encoding="utf-8"
    )
    with b2bcx.open_workspace(":memory:") as ws, pytest.raises(DataRejected) as caught:
        ws.import_bundle(folder, b2bcx.ImportOptions(rejects_path=tmp_path / "r.csv"))
    message = str(caught.value)
    assert "--allow-rejects" in message  # the CLI's words ...
    worded = page_words(message)
    assert "--" not in worded and "Commit the valid rows even if some are rejected" in worded
    reason = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()[1]
    assert "--date-format" in reason
    problem, fix = split_reason(reason)
    assert "--" not in problem + fix and "Dates are written as" in problem + fix


def test_split_reason_keeps_the_fix_apart() -> None:
    problem, fix = split_reason(
        "Contact.csv row 37, column account_id: refers to accounts 'x', which is neither in "
        "the bundle nor in the workspace; add it to accounts or correct the id"
    )
    assert (
        problem.startswith("refers to accounts 'x'")
        and fix == "add it to accounts or correct the id"
    )
    assert split_reason("just a problem") == ("just a problem", "")
