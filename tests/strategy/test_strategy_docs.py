"""docs/strategy.md: the Python example runs and every option is documented."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

import b2bcx
from b2bcx.strategy import StrategyOptions, item_bank

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "strategy.md"


def test_every_option_and_item_is_documented() -> None:
    text = DOC.read_text()
    for f in dataclasses.fields(StrategyOptions):
        assert f"`{f.name}`" in text, f"option {f.name} is not in docs/strategy.md"
    for item in item_bank().items:
        assert f"`{item.id}`" in text, f"item {item.id} is not in docs/strategy.md"


def test_the_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from b2bcx.demo import generate_world

    generate_world(tmp_path / "bundle", size=2000, seed=3)
    with b2bcx.open_workspace(tmp_path / "b2bcx-demo.duckdb") as ws:
        ws.import_bundle(tmp_path / "bundle")
    (tmp_path / "examples" / "strategy").mkdir(parents=True)
    shutil.copy(
        ROOT / "examples" / "strategy" / "answers.yaml",
        tmp_path / "examples" / "strategy" / "answers.yaml",
    )
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/strategy.md", "exec"), {})
