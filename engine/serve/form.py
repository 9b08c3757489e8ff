"""The self-assessment form as data: its fields from the profile schema, a filled
form read back into a profile, and a profile written out as YAML to keep.

A field left empty, or marked "I don't know", is not given: unknown, never
zero. Each field's name in the form is its dotted profile path
(``experience.total_years``); its "I don't know" box is ``<path>.unknown``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pmpath.errors import AnswerError
from pmpath.profile.answers import NOT_KNOWN, parse_answer
from pmpath.source import schemas
from pmpath.source.documents import dump_yaml
from pmpath.words import number

#: the suffix of a field's "I don't know" box
UNKNOWN = ".unknown"


@dataclass(frozen=True)
class Field:
    """One question of the form."""

    path: str  # experience.total_years, or name
    label: str
    description: str
    kind: str  # "text", "number", "integer", "boolean", "choice"
    required: bool
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def anchor(self) -> str:
        """The HTML id of its input (questions link to ``#f-experience-total_years``)."""
        return "f-" + self.path.replace(".", "-")


@dataclass(frozen=True)
class Section:
    name: str  # experience; "" for the top-level fields
    title: str
    description: str
    fields: tuple[Field, ...]


def _label(name: str) -> str:
    words = name.replace("_", " ")
    words = words.replace("pms", "PMs").replace("pm ", "PM ").replace("pmf", "PMF")
    return words[:1].upper() + words[1:]


def _field(path: str, prop: dict, required: bool) -> Field:
    kind = prop.get("type")
    if "enum" in prop:
        widget, choices = "choice", tuple(str(c) for c in prop["enum"])
    elif kind == "boolean":
        widget, choices = "boolean", ()
    elif kind in ("integer", "number"):
        widget, choices = kind, ()
    else:
        widget, choices = "text", ()
    return Field(
        path,
        _label(path.rsplit(".", 1)[-1]),
        prop.get("description", ""),
        widget,
        required,
        choices,
        prop.get("minimum"),
        prop.get("maximum"),
    )


@functools.cache
def sections() -> tuple[Section, ...]:
    """The form, section by section, in the schema's order (``schema_version`` left out);
    worked out once: the profile schema is fixed."""
    schema = schemas.load("profile")
    top: list[Field] = []
    out: list[Section] = []
    required_sections = set(schema.get("required", ()))
    for key, prop in schema["properties"].items():
        if key == "schema_version":
            continue
        if prop.get("type") == "object":
            required = set(prop.get("required", ())) if key in required_sections else set()
            fields = tuple(
                _field(f"{key}.{name}", sub, name in required)
                for name, sub in prop.get("properties", {}).items()
            )
            out.append(Section(key, _label(key), prop.get("description", ""), fields))
        else:
            top.append(_field(key, prop, False))
    if top:
        out.insert(0, Section("", "About you", "Optional: how the answer names you.", tuple(top)))
    return tuple(out)


@functools.cache
def _fields() -> dict[str, Field]:
    return {f.path: f for s in sections() for f in s.fields}


def fields() -> dict[str, Field]:
    """Every field of the form by its path (a copy: the form itself is shared)."""
    return dict(_fields())


def read_form(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """A filled form (name, value pairs) as a profile, and an error message per field.

    A field that is empty or has its "I don't know" box ticked is left out; a
    value that does not fit its field is an error for that field (the rest is
    still read).
    """
    given: dict[str, str] = {}
    unknown: set[str] = set()
    known = _fields()
    for name, value in pairs:
        if name.endswith(UNKNOWN) and name[: -len(UNKNOWN)] in known:
            unknown.add(name[: -len(UNKNOWN)])
        elif name in known:
            given[name] = value
    profile: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for path, f in known.items():
        text = given.get(path, "")
        if path in unknown or not text.strip():
            if f.required:
                errors[path] = "needed: pmpath cannot place anyone without it (0 is a fine answer)"
            continue
        if f.kind == "text":
            value: Any = text.strip()
        else:
            try:
                value = parse_answer(path, text)
            except AnswerError as exc:
                errors[path] = str(exc)
                continue
            if value is NOT_KNOWN:
                continue
        section, _, name = path.rpartition(".")
        (profile.setdefault(section, {}) if section else profile)[name] = value
    return profile, errors


def form_values(profile: Mapping[str, Any]) -> dict[str, str]:
    """A profile's values as the form shows them (booleans as yes/no); others left out."""
    out: dict[str, str] = {}
    for path in _fields():
        section, _, name = path.rpartition(".")
        holder = profile.get(section) if section else profile
        if not isinstance(holder, Mapping) or name not in holder:
            continue
        value = holder[name]
        if isinstance(value, bool):
            out[path] = "yes" if value else "no"
        elif isinstance(value, int | float):
            out[path] = number(value)
        elif isinstance(value, str):
            out[path] = value
    return out


_YAML_HEAD = """\
# pmpath profile, schema version 1, as filled in on the pmpath self-assessment page.
# A field that is not here was not given: pmpath reads it as unknown, not zero.
# Keep this file and run:  pmpath recommend THIS_FILE   (or load it on the page again)
"""


def profile_yaml(profile: Mapping[str, Any]) -> str:
    """The profile as a YAML file to keep (``pmpath recommend`` reads it)."""
    body = dump_yaml(dict(profile), sort_keys=False, allow_unicode=True, width=88)
    return (
        _YAML_HEAD
        + ("schema_version: 1\n" if "schema_version" not in profile else "")
        + (body if profile else "")
    )


__all__ = [
    "UNKNOWN",
    "Field",
    "Section",
    "fields",
    "form_values",
    "profile_yaml",
    "read_form",
    "sections",
]
