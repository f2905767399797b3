"""b2bcx: B2B customer experience management from your own data.

The library is the product; the CLI, REST API, web dashboard and reports are
thin adapters over it. Start with :func:`open_workspace`.
"""

from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.bundle.results import ExportResult, ImportOptions, ImportResult, TableCounts
from b2bcx.config import Settings, load_settings
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
from b2bcx.workspace import Workspace, open_workspace

__version__ = "0.1.0"

__all__ = [
    "Analyses",
    "AnalysisOptions",
    "B2bcxError",
    "BundleError",
    "ConfigurationError",
    "DataRejected",
    "EncodingError",
    "ExportResult",
    "ImportOptions",
    "ImportResult",
    "MappingError",
    "NotFound",
    "SchemaVersionError",
    "Settings",
    "TableCounts",
    "Workspace",
    "WorkspaceError",
    "WorkspaceInfo",
    "__version__",
    "load_settings",
    "open_workspace",
]
