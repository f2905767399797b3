"""Docs that tests keep honest: the CLI reference, settings, README commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from b2bcx.cli import app
from b2bcx.cli.reference import render
from b2bcx.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date() -> None:
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == render(), (
        "docs/cli.md is stale: run `python -m b2bcx.cli.reference > docs/cli.md`"
    )


def test_cli_reference_has_every_subcommand_and_its_options() -> None:
    text = render()
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        for sub, subcmd in getattr(cmd, "commands", {}).items():
            section = text.split(f"## `b2bcx {name} {sub}`\n", 1)
            assert len(section) == 2, f"docs/cli.md has no section for `b2bcx {name} {sub}`"
            body = section[1].split("\n## ", 1)[0]
            for param in subcmd.params:
                if param.param_type_name == "option" and param.name != "help":
                    assert f"`{param.opts[0]}`" in body, (name, sub, param.opts[0])
            assert f"(#b2bcx-{name}-{sub})" in text  # linked from the group's table


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "workspace.md").read_text()
    for name in Settings.model_fields:
        assert f"`{name}`" in text, f"setting {name} is not documented in docs/workspace.md"
        assert f"`B2BCX_{name.upper()}`" in text


def test_readme_names_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    root = typer.main.get_command(app)
    for name in root.commands:  # type: ignore[attr-defined]
        if name == "version":
            continue
        assert re.search(rf"b2bcx {name}\b", readme), f"README does not show `b2bcx {name}`"


def test_docs_links_resolve() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_format_reference_is_up_to_date() -> None:
    from b2bcx.model.reference import render as render_format

    current = (ROOT / "docs" / "format.md").read_text()
    assert current == render_format(), (
        "docs/format.md is stale: run `python -m b2bcx.model.reference > docs/format.md`"
    )


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import b2bcx
    from b2bcx.demo import generate_world

    generate_world(tmp_path / "bundle", size=2000, seed=1)
    with b2bcx.open_workspace(tmp_path / "b2bcx-demo.duckdb") as ws:
        ws.import_bundle(tmp_path / "bundle")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks, "the README shows Python usage"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
