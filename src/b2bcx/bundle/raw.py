"""The unit that flows from readers (and mappings) into validation.

A :class:`RawBatch` is a chunk of source rows for one bundle table with every
value as text, exactly as read, plus where each row came from. Readers make
them from bundle files; a mapping turns batches of another layout into batches
of bundle tables; validation turns them into typed rows and rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class RawBatch:
    """Rows of one bundle table, as text, with their origin.

    Attributes
    ----------
    table:
        The bundle table these rows are for (``accounts``, ``interactions``, ...).
    file:
        The source file as the user knows it (e.g. ``interactions.csv`` or
        ``export.zip:interactions.csv``).
    rows:
        int64 source row numbers, one per row. For CSV the spreadsheet row
        (the header is row 1, the first record row 2); for JSON Lines the line
        number; for Parquet the 1-based record number.
    data:
        One string column per source column (bundle names after a mapping;
        unknown extra columns are kept). Missing values are null or "".
    """

    table: str
    file: str
    rows: pa.Array
    data: pa.Table

    @property
    def num_rows(self) -> int:
        """Number of rows in the batch."""
        return int(self.data.num_rows)
