"""Messy files: encodings, BOM, delimiters, empty files, huge fields, formulas, dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from load_bundles import BASE, write_bundle

import b2bcx
from b2bcx import ImportOptions
from b2bcx.errors import BundleError, EncodingError

ACCENTED = "account_id,name\nA1,Société Générale Bâtiment\nA2,Müller Maschinenbau\n"


def _name(ws: b2bcx.Workspace, account_id: str) -> str:
    t = ws.table("accounts")
    return str(t.filter(t.account_id == account_id).name.execute().iloc[0])


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    data = "\ufeff".encode() + BASE["accounts"].encode()
    ws.import_bundle(write_bundle(tmp_path / "b", accounts=data))
    assert ws.table("accounts").count().execute() == 2  # 'account_id' found despite the BOM


def test_cp1252_file_with_an_ambiguous_reading_is_refused_with_the_fix(tmp_path: Path) -> None:
    # cp1252, cp1250 and cp1257 are equally likely for these bytes and read 'â'
    # differently: guessing could store a wrong name, so the import names the fix
    ws = b2bcx.open_workspace(":memory:")
    folder = write_bundle(tmp_path / "b", accounts=ACCENTED.encode("cp1252"))
    with pytest.raises(EncodingError, match=r"ambiguous.*Bâtiment.*--encoding") as info:
        ws.import_bundle(folder)
    assert "Bātiment" in str(info.value)  # the other reading, side by side
    assert ws.table("accounts").count().execute() == 0
    ws.import_bundle(folder, ImportOptions(encoding="cp1252"))
    assert _name(ws, "A1") == "Société Générale Bâtiment"


def test_unambiguous_code_page_is_detected_and_warned_about(tmp_path: Path) -> None:
    polish = "account_id,name\nA1,Zakład Łódź Żółć\nA2,Przedsiębiorstwo Śląsk\n"
    ws = b2bcx.open_workspace(":memory:")
    result = ws.import_bundle(write_bundle(tmp_path / "b", accounts=polish.encode("cp1250")))
    assert _name(ws, "A1") == "Zakład Łódź Żółć"
    assert any("accounts.csv is not UTF-8; read it as cp1250" in w for w in result.warnings)


def test_forced_encoding(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    folder = write_bundle(tmp_path / "b", accounts=ACCENTED.encode("latin-1"))
    ws.import_bundle(folder, ImportOptions(encoding="latin-1"))
    assert _name(ws, "A2") == "Müller Maschinenbau"
    with pytest.raises(EncodingError, match="not a known text encoding"):
        ws.import_bundle(folder, ImportOptions(encoding="klingon"))


def test_other_delimiters_are_detected(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    semi = BASE["stakeholders"].replace(",", ";")
    tab = BASE["accounts"].replace(",", "\t")
    ws.import_bundle(write_bundle(tmp_path / "b", stakeholders=semi, accounts=tab))
    assert ws.table("stakeholders").count().execute() == 3
    assert _name(ws, "A2") == "Bolt Mining"


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(BundleError, match=r"partners.csv is empty.*header row"):
        ws.import_bundle(write_bundle(tmp_path / "b", partners=""))
    assert ws.table("accounts").count().execute() == 0


@pytest.mark.slow
def test_huge_field_is_read_whole(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    big = "x" * (20 << 20)  # 20 MB: larger than one read block
    interactions = BASE["interactions"] + f'I9,S1,2024-01-01,T1,email,,,,"{big}"\n'
    ws.import_bundle(write_bundle(tmp_path / "b", interactions=interactions))
    t = ws.table("interactions")
    assert t.filter(t.interaction_id == "I9").comment.length().execute().iloc[0] == len(big)


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", '@HYPERLINK("x")']


def test_formula_text_is_kept_verbatim_through_import_and_export(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(":memory:")
    lines = "".join(
        f'F{i},S1,2024-01-01,T1,email,,,,"{f.replace(chr(34), chr(34) * 2)}"\n'
        for i, f in enumerate(FORMULAS)
    )
    ws.import_bundle(write_bundle(tmp_path / "b", interactions=BASE["interactions"] + lines))
    t = ws.table("interactions")
    stored = t.filter(t.interaction_id.startswith("F")).order_by("interaction_id")
    assert stored.comment.execute().tolist() == FORMULAS
    ws.export_bundle(tmp_path / "out")
    again = b2bcx.open_workspace(":memory:")
    again.import_bundle(tmp_path / "out")
    t2 = again.table("interactions")
    assert (
        t2.filter(t2.interaction_id.startswith("F")).order_by("interaction_id").comment.execute()
    ).tolist() == FORMULAS


def test_mixed_date_formats_with_date_format_option(tmp_path: Path) -> None:
    interactions = BASE["interactions"] + "I9,S1,31/01/2024,T1,call,,,,\n"
    accounts = "account_id,name\nA1,A\nA2,B\n"
    stakeholders = BASE["stakeholders"].replace("decision_maker", "decision_maker,active_from")
    stakeholders = stakeholders.replace("false\n", "false,2023-05-01\n", 1)
    stakeholders = stakeholders.replace(",no\n", ",no,02/03/2023\n")
    stakeholders = stakeholders.replace(",yes\n", ",yes,\n")
    folder = write_bundle(
        tmp_path / "b", interactions=interactions, accounts=accounts, stakeholders=stakeholders
    )
    ws = b2bcx.open_workspace(":memory:")
    with pytest.raises(b2bcx.DataRejected, match="--date-format"):
        ws.import_bundle(folder, ImportOptions(rejects_path=tmp_path / "r.csv"))
    ws.import_bundle(folder, ImportOptions(date_formats=("%d/%m/%Y",)))
    t = ws.table("interactions")
    when = t.filter(t.interaction_id == "I9").occurred_at.execute().iloc[0]
    assert str(when) == "2024-01-31 00:00:00"
    s = ws.table("stakeholders").order_by("stakeholder_id").active_from.execute().tolist()
    assert [str(d)[:10] for d in s[:2]] == ["2023-05-01", "2023-03-02"]
