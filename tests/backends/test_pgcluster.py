"""The throwaway-cluster helper: without PostgreSQL binaries it fails, saying why."""

from __future__ import annotations

from pathlib import Path

import pgcluster
import pytest


def test_missing_binaries_fail_with_an_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B2BCX_PG_BIN", str(tmp_path / "nothing"))
    monkeypatch.setattr(pgcluster.shutil, "which", lambda _: None)
    with pytest.raises(RuntimeError, match="apt-get install postgresql"):
        pgcluster.find_pg_bin(debian_root=tmp_path)


def test_binaries_are_found_in_the_named_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("initdb", "pg_ctl"):
        (tmp_path / name).touch()
    monkeypatch.setenv("B2BCX_PG_BIN", str(tmp_path))
    assert pgcluster.find_pg_bin(debian_root=tmp_path / "none") == tmp_path


def test_free_port_is_bindable() -> None:
    import socket

    port = pgcluster.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
