"""Parquet parts: the CSV columns, typed (docs/scale.md lists them), one file per part.

The values are the CSV's before a spreadsheet's needs touch them: no leading
``'`` before a would-be formula, no line breaks folded (a Parquet reader is not
a spreadsheet). Absent values are nulls.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: each column's type; a column not named here is text
TYPES: dict[str, pa.DataType] = {
    "ok": pa.bool_(),
    "kwan_level": pa.int32(),
    "line": pa.int64(),
    "fit_score": pa.int32(),
    "fit_score_if_confirmed": pa.int32(),
}


def schema(columns: tuple) -> pa.Schema:
    return pa.schema([pa.field(c.name, TYPES.get(c.name, pa.string())) for c in columns])


def write_table(sink: Any, rows: list[list], columns: tuple) -> None:
    """Write ``rows`` (each the column values of one record) as one Parquet file."""
    table_schema = schema(columns)
    arrays = []
    for i, field in enumerate(table_schema):
        values = [row[i] for row in rows]
        if field.type == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    pq.write_table(pa.Table.from_arrays(arrays, schema=table_schema), sink)


__all__ = ["TYPES", "schema", "write_table"]
