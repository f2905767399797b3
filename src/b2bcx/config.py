"""Settings, read from ``B2BCX_*`` environment variables and passed in explicitly.

Nothing reads settings at import time: build them with :func:`load_settings`
and pass them to what needs them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The embedded default workspace, in the current folder.
DEFAULT_WORKSPACE = "b2bcx.duckdb"


class Settings(BaseSettings):
    """b2bcx settings.

    Attributes
    ----------
    workspace:
        The workspace URL or DuckDB path (``B2BCX_WORKSPACE``); default
        ``b2bcx.duckdb`` in the current folder.
    rejects_dir:
        Where rejects files are written (``B2BCX_REJECTS_DIR``); default: a
        ``rejects`` folder beside the workspace file (or the current folder).
    duckdb_memory_limit:
        The most memory the embedded DuckDB engine may use before it spills to
        disk (``B2BCX_DUCKDB_MEMORY_LIMIT``), e.g. ``3GB``.
    """

    model_config = SettingsConfigDict(env_prefix="B2BCX_", extra="ignore")

    workspace: str = Field(default=DEFAULT_WORKSPACE)
    rejects_dir: Path | None = None
    duckdb_memory_limit: str = "3GB"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit ``overrides`` (``None`` ignored)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
