"""Fast start: ``b2bcx --help``, ``b2bcx --version`` and ``b2bcx version`` load no
data stack (pandas, Ibis, DuckDB, pyarrow, torch), and ``import b2bcx`` is lazy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app

HEAVY = ("pandas", "ibis", "duckdb", "pyarrow", "torch", "numpy", "scipy", "sklearn")

#: Runs in a fresh interpreter: the CLI with ``argv``, then the heavy modules loaded.
PROBE = """
import json, sys
argv = sys.argv[1:]
import b2bcx.cli
sys.argv = ["b2bcx", *argv]
try:
    b2bcx.cli.main()
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _heavy_after(*argv: str) -> tuple[list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.mark.parametrize(
    "argv", [("--help",), ("--version",), ("version",), ("strategy", "--help")]
)
def test_help_and_version_load_no_data_stack(argv: tuple[str, ...]) -> None:
    loaded, printed = _heavy_after(*argv)
    assert loaded == [], f"b2bcx {' '.join(argv)} imported {loaded}"
    assert printed  # the command did print its help or version


def test_the_probe_sees_a_heavy_import() -> None:
    # the probe itself can fail: a command that opens a workspace loads the stack
    loaded, _ = _heavy_after("info", "-w", ":memory:", "--format", "json")
    assert "pandas" in loaded and "duckdb" in loaded


def test_import_b2bcx_is_lazy_and_names_resolve_on_use() -> None:
    code = (
        f"import sys, b2bcx; before = [m for m in {HEAVY!r} if m in sys.modules]; "
        "loaded = 'b2bcx.workspace' in sys.modules; ow = b2bcx.open_workspace; "
        "print(before, loaded, ow.__module__, 'b2bcx.workspace' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["[]", "False", "b2bcx.workspace", "True"]


def test_every_public_name_resolves_to_its_library_object() -> None:
    from b2bcx.analyses import Analyses
    from b2bcx.diagnose.options import DiagnoseOptions
    from b2bcx.diagnose.thresholds import load_thresholds
    from b2bcx.measures.collective import measure_units
    from b2bcx.strategy import plan
    from b2bcx.workspace import open_workspace

    assert b2bcx.open_workspace is open_workspace
    assert b2bcx.Analyses is Analyses
    assert b2bcx.DiagnoseOptions is DiagnoseOptions
    assert b2bcx.load_thresholds is load_thresholds
    assert b2bcx.measure_units is measure_units
    assert b2bcx.plan is plan
    assert set(b2bcx.__all__) <= set(dir(b2bcx))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = b2bcx.nope  # type: ignore[attr-defined]


def test_version_option_prints_the_version_and_exits() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == b2bcx.__version__


def test_the_cli_default_workspace_is_the_library_default() -> None:
    from b2bcx.cli.app import DEFAULT_WORKSPACE
    from b2bcx.config import DEFAULT_WORKSPACE as LIBRARY_DEFAULT

    assert DEFAULT_WORKSPACE == LIBRARY_DEFAULT
