"""Diagnosis thresholds from a YAML file (``--thresholds`` of the CLI, the
server's ``B2BCX_THRESHOLDS``), so every surface reads the same file the same way.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.errors import ConfigurationError

__all__ = ["load_thresholds"]


def load_thresholds(path: str | Path | None, **overrides: Any) -> DiagnoseOptions:
    """:class:`DiagnoseOptions` from a YAML mapping of ``threshold: value`` (names
    as in ``docs/diagnose.md``), then ``overrides`` that are not ``None``.

    Raises :class:`~b2bcx.errors.ConfigurationError` naming the file and the
    fix when it cannot be read, is not a mapping or names an unknown threshold.
    """
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                f"{path}: the thresholds file is not UTF-8 text; save it as UTF-8"
            ) from exc
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{path}: cannot read the thresholds file ({exc})") from exc
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"{path}: expected a mapping of threshold: value")
        known = {f.name for f in dataclasses.fields(DiagnoseOptions)}
        unknown = sorted(set(map(str, loaded)) - known)
        if unknown:
            raise ConfigurationError(
                f"{path}: unknown threshold(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        values.update({str(k): v for k, v in loaded.items()})
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DiagnoseOptions(**values)
