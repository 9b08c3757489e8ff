"""A CSV row to a profile: ``section.field`` headers, each cell read by the
field's type (numbers, booleans, enums); an empty cell is not given.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from pmpath.errors import ProfileError
from pmpath.source import schemas

if TYPE_CHECKING:  # pragma: no cover
    pass


# -- CSV cells to a profile ---------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "yes", "y", "t", "1"})
_FALSE = frozenset({"false", "no", "n", "f", "0"})


def _cell_types() -> dict[str, str]:
    """Column name -> what its cells hold (number, integer, boolean, string), from the schema."""
    props = schemas.load("profile")["properties"]
    out = {}
    for name, prop in props.items():
        if prop.get("type") == "object":
            for field_name, sub in prop["properties"].items():
                out[f"{name}.{field_name}"] = sub.get("type", "string")
        else:
            out[name] = prop.get("type", "integer" if "const" in prop else "string")
    return out


CELL_TYPES = _cell_types()


def csv_profile(header: tuple[str, ...], cells: list[str]) -> dict:
    """A CSV row as profile data: dotted columns nest, empty cells are absent.

    Cells are read by the type the profile schema gives their column; a cell
    that does not fit raises `ProfileError` naming the column (as its path).
    Unknown columns are kept, so the schema check names them with a hint.
    """
    if len(cells) != len(header):
        raise ProfileError(
            f"the row has {len(cells)} cells but the header has {len(header)} columns",
            code="P014",
            hint="quote cells that contain commas",
        )
    data: dict[str, Any] = {}
    for column, cell in zip(header, cells, strict=True):
        text = cell.strip()
        if not text:
            continue
        if not column:
            raise ProfileError(
                f"the value {text!r} is in a column with no header", code="P005", path=""
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ProfileError(
                "the cell is not valid UTF-8; save the file as UTF-8", code="P012", path=column
            ) from None
        value = _cell_value(CELL_TYPES.get(column, "string"), text, column)
        section, dot, name = column.partition(".")
        if not dot:
            if isinstance(data.get(column), dict):
                raise ProfileError(
                    f"column {column!r} clashes with the {column}.* columns",
                    code="P006",
                    path=column,
                )
            data[column] = value
            continue
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise ProfileError(
                f"column {column!r} clashes with the column {section!r}", code="P006", path=column
            )
        target[name] = value
    return data


def _cell_value(kind: str, text: str, column: str) -> Any:
    if kind in ("number", "integer"):
        if not _NUMBER.fullmatch(text):
            return text  # not a number: the profile check words it, as for any file
        value: Any = int(text) if _INTEGER.fullmatch(text) else float(text)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ProfileError(f"{text!r} is not a finite number", code="P006", path=column)
            if kind == "integer" and value.is_integer():
                value = int(value)
        return value  # ranges and whole numbers: the schema check explains those
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return text  # not a yes or a no: the profile check words it
    return text
