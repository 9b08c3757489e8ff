"""The profile as durable_rules reads it: one flat fact, written straight to JSON."""

from __future__ import annotations

import json


def fact_key(section: str, field: str) -> str:
    """The key of ``section.field`` in the flat profile fact."""
    return f"{section}__{field}"


class FactEncoder:
    """Writes the flat profile fact straight to JSON text, with ``"sid":"%s"`` first.

    Only the fields some compiled rule reads (``fields``), written without
    building a dict first: the per-profile hot path. Values are the
    validated, normalised profile's booleans, numbers (no exponent form: years
    are kept to 4 decimal places) and enum strings.
    """

    def __init__(self, fields: tuple[tuple[str, str], ...]):
        self._plan = tuple((section, field, f'"{section}__{field}":') for section, field in fields)

    def encode(self, profile: dict, derived: dict) -> str:
        parts = ['{"sid":"%s","t":"profile"']
        append = parts.append
        for section, field, key in self._plan:
            value = (derived if section == "derived" else profile[section]).get(field)
            if value is None:
                continue
            kind = type(value)
            if kind is bool:
                append(key + ("true" if value else "false"))
            elif kind is int or kind is float:
                append(key + repr(value))
            else:
                append(key + json.dumps(value).replace("%", "%%"))
        return ",".join(parts) + "}"
