"""Tabular results that speak the data ecosystem's language.

:class:`TabularMixin` gives a result with a ``to_frame()`` method the usual
interchange doors: ``to_pandas()`` (an alias), ``to_arrow()`` (a
``pyarrow.Table``), the Arrow PyCapsule stream protocol ``__arrow_c_stream__``
(so polars, DuckDB or pyarrow read the result without a copy through pandas:
``polars.DataFrame(result)``, ``duckdb.sql("select * from result")``) and
``_repr_html_`` for notebooks. pyarrow is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


class TabularMixin:
    """Mixin for results with ``to_frame() -> pandas.DataFrame``."""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - implemented by the result
        """The result as a tidy DataFrame."""
        raise NotImplementedError

    def to_pandas(self) -> pd.DataFrame:
        """The result as a pandas DataFrame (alias of ``to_frame``)."""
        return self.to_frame()

    def to_arrow(self) -> pa.Table:
        """The result as a ``pyarrow.Table`` (object columns become strings or nulls)."""
        import pyarrow as pa

        return pa.Table.from_pandas(self.to_frame(), preserve_index=False)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream interface (delegates to ``pyarrow.Table``)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def _repr_html_(self) -> str:
        """An HTML table for Jupyter."""
        html: str = self.to_frame()._repr_html_()  # type: ignore[operator]
        return html


__all__ = ["TabularMixin"]
