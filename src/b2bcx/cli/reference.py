"""The CLI reference (``docs/cli.md``), generated from the commands themselves."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer.main

from b2bcx.cli import app
from b2bcx.cli.errors import EXIT_DATA_REJECTED, EXIT_OK, EXIT_USAGE, EXIT_USER_ERROR

_HEADER = """# CLI reference

Generated from the commands by `python -m b2bcx.cli.reference > docs/cli.md`;
a test keeps it in step with the code. Every command that works on a workspace
takes `--workspace/-w PATH` (or the `B2BCX_WORKSPACE` environment variable;
default `b2bcx.duckdb` in the current folder). Commands that only read (`info`,
`export`, the measures, `diagnose`, `strategy profile|assess|plan|history`
without `--save`, `report`, `token list`) open an existing DuckDB file
read-only, so several of them can run at once and a file on a read-only disk
can be read. `b2bcx --version` prints the version and exits.

## Exit codes

| code | meaning |
| --- | --- |
| {ok} | success |
| {user} | user error: a bad option value, a missing file, unreadable data; one clear message |
| {usage} | usage error: unknown command or option |
| {rejected} | data rejected: rows failed validation; nothing was committed (see the rejects file) |
"""


def _default(value: Any) -> str:
    if value is None or value in ((), []) or callable(value):
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"`{value}`"


def _option_row(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    envvar = f" (env `{param.envvar}`)" if param.envvar else ""
    return f"| {names} | {_default(param.default)} | {param.help or ''}{envvar} |"


def _command(path: str, cmd: Any) -> list[str]:
    """The section of one command, then those of its subcommands (for a group)."""
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
    subcommands: dict[str, Any] = getattr(cmd, "commands", {})
    tail = ["COMMAND", "[ARGS]..."] if subcommands else [a.name.upper() for a in args]
    usage = " ".join([path, "[OPTIONS]", *tail])
    help_text = (cmd.help or "").strip().replace("``", "`")
    parts = [f"## `{path}`\n", help_text + "\n", f"```\n{usage}\n```\n"]
    parts.extend(f"- `{a.name.upper()}`: {a.help or ''}" for a in args)
    if args:
        parts.append("")
    if subcommands:
        parts.append("| command | what it does |")
        parts.append("| --- | --- |")
        for name, sub in subcommands.items():
            first = (sub.help or "").strip().split("\n\n")[0].replace("\n", " ").replace("``", "`")
            parts.append(f"| [`{name}`](#{_anchor(f'{path} {name}')}) | {first} |")
        parts.append("")
    if opts:
        parts.append("| option | default | meaning |")
        parts.append("| --- | --- | --- |")
        parts.extend(_option_row(p) for p in opts)
        parts.append("")
    for name, sub in subcommands.items():
        parts.extend(_command(f"{path} {name}", sub))
    return parts


def _anchor(title: str) -> str:
    """The Markdown heading anchor of a command section (``b2bcx text score`` →
    ``b2bcx-text-score``)."""
    return title.lower().replace(" ", "-")


def render() -> str:
    """The whole CLI reference as Markdown: every command and every subcommand."""
    root: Any = typer.main.get_command(app)
    parts = [
        _HEADER.format(
            ok=EXIT_OK, user=EXIT_USER_ERROR, usage=EXIT_USAGE, rejected=EXIT_DATA_REJECTED
        )
    ]
    for name, cmd in root.commands.items():
        parts.extend(_command(f"b2bcx {name}", cmd))
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
