"""The shared fixtures in ``tests/conftest.py`` give an importable bundle."""

from __future__ import annotations

from pathlib import Path

import b2bcx
from b2bcx import ImportOptions


def test_small_bundle_imports_into_ws(ws: b2bcx.Workspace, small_bundle: Path) -> None:
    result = ws.import_bundle(small_bundle, ImportOptions())
    assert result.status == "committed"
    assert result.n_rejected == 0
    assert ws.backend.to_arrow(ws.table("interactions")).num_rows == 2
    again = ws.import_bundle(small_bundle, ImportOptions())
    assert ws.backend.to_arrow(ws.table("interactions")).num_rows == 2
    assert again.n_rejected == 0
