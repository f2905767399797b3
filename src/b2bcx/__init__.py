"""b2bcx: B2B customer experience management from your own data.

The library is the product; the CLI, REST API, web dashboard and reports are
thin adapters over it. Start with :func:`open_workspace`, then
:meth:`Workspace.analyses` for the standard analyses; the functions for
parameterised runs (:func:`measure_units`, :func:`key_drivers`,
:func:`profile`, :func:`assess`, :func:`plan`, ...) are here too.

The names are imported on first use (``import b2bcx`` itself loads neither
pandas nor a database engine), so the command line starts fast.
The diagnosis function is :func:`b2bcx.diagnose.diagnose`: ``b2bcx.diagnose``
is its subpackage and keeps that name.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

#: Each public name and the module it is imported from on first use.
_LAZY: dict[str, str] = {
    "Analyses": "b2bcx.analyses",
    "AnalysisOptions": "b2bcx.analyses",
    "B2bcxError": "b2bcx.errors",
    "BundleError": "b2bcx.errors",
    "ConfigurationError": "b2bcx.errors",
    "DataRejected": "b2bcx.errors",
    "DiagnoseOptions": "b2bcx.diagnose.options",
    "EncodingError": "b2bcx.errors",
    "ExportResult": "b2bcx.bundle.results",
    "ImportOptions": "b2bcx.bundle.results",
    "ImportResult": "b2bcx.bundle.results",
    "MappingError": "b2bcx.errors",
    "NotFound": "b2bcx.errors",
    "SchemaVersionError": "b2bcx.errors",
    "Settings": "b2bcx.config",
    "StrategyOptions": "b2bcx.strategy",
    "TableCounts": "b2bcx.bundle.results",
    "Workspace": "b2bcx.workspace",
    "WorkspaceError": "b2bcx.errors",
    "WorkspaceInfo": "b2bcx.info",
    "assess": "b2bcx.strategy",
    "key_drivers": "b2bcx.measures.keydrivers",
    "load_answers": "b2bcx.strategy",
    "load_settings": "b2bcx.config",
    "load_thresholds": "b2bcx.diagnose.thresholds",
    "measure_units": "b2bcx.measures.collective",
    "open_workspace": "b2bcx.workspace",
    "plan": "b2bcx.strategy",
    "profile": "b2bcx.strategy",
}

if _typing.TYPE_CHECKING:
    from b2bcx.analyses import Analyses, AnalysisOptions
    from b2bcx.bundle.results import ExportResult, ImportOptions, ImportResult, TableCounts
    from b2bcx.config import Settings, load_settings
    from b2bcx.diagnose.options import DiagnoseOptions
    from b2bcx.diagnose.thresholds import load_thresholds
    from b2bcx.errors import (
        B2bcxError,
        BundleError,
        ConfigurationError,
        DataRejected,
        EncodingError,
        MappingError,
        NotFound,
        SchemaVersionError,
        WorkspaceError,
    )
    from b2bcx.info import WorkspaceInfo
    from b2bcx.measures.collective import measure_units
    from b2bcx.measures.keydrivers import key_drivers
    from b2bcx.strategy import StrategyOptions, assess, load_answers, plan, profile
    from b2bcx.workspace import Workspace, open_workspace


def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'b2bcx' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Analyses",
    "AnalysisOptions",
    "B2bcxError",
    "BundleError",
    "ConfigurationError",
    "DataRejected",
    "DiagnoseOptions",
    "EncodingError",
    "ExportResult",
    "ImportOptions",
    "ImportResult",
    "MappingError",
    "NotFound",
    "SchemaVersionError",
    "Settings",
    "StrategyOptions",
    "TableCounts",
    "Workspace",
    "WorkspaceError",
    "WorkspaceInfo",
    "__version__",
    "assess",
    "key_drivers",
    "load_answers",
    "load_settings",
    "load_thresholds",
    "measure_units",
    "open_workspace",
    "plan",
    "profile",
]
