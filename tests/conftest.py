"""Shared fixtures: a small in-memory workspace and a small valid bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import b2bcx

SMALL_BUNDLE = {
    "accounts": (
        "account_id,name,country,annual_value,relationship_intended,relationship_expected\n"
        "A1,Acme Mills,SE,120000,relational,relational\n"
        "A2,Bolt Mining,DE,5000,transactional,relational\n"
    ),
    "stakeholders": (
        "stakeholder_id,account_id,function,level,center,decision_maker\n"
        "S1,A1,production,manager,usage,false\n"
        "S2,A2,procurement,executive,buying,yes\n"
    ),
    "interactions": (
        "interaction_id,stakeholder_id,occurred_at,source,cx,nps,comment\n"
        "I1,S1,2024-03-05T14:30:00Z,survey,7.5,9,fast\n"
        "I2,S2,2024-03-06,ticket,3,,slow response\n"
    ),
}


@pytest.fixture
def ws() -> Iterator[b2bcx.Workspace]:
    """A fresh, empty in-memory workspace."""
    workspace = b2bcx.open_workspace(":memory:")
    yield workspace
    workspace.close()


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    """A folder holding a small valid bundle (the three required tables)."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    for table, text in SMALL_BUNDLE.items():
        (folder / f"{table}.csv").write_text(text, encoding="utf-8")
    return folder
