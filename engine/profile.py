"""Profiles (spec section 3): reading, validating and normalising them.

`load_profile(path)` reads a YAML or JSON file (or ``-`` for stdin) into a
`Profile`; `check_profile(data)` validates a mapping and returns the
normalised profile the engine reasons on (every section present, defaults
filled in, years kept to 4 decimal places). Every failure is a `ProfileError`
with a stable code, the field path, and the line when there is a file.

Validation runs a compiled ``fastjsonschema`` check first (microseconds); only
a rejected profile goes through ``jsonschema`` to explain what is wrong.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import schemas
from .documents import DEFAULT_MAX_BYTES, Document, DocumentError, decode, parse_json, parse_yaml
from .errors import ProfileError
from .facts import SECTIONS

_DOC_ERROR_CODES = {
    "missing": "P001",
    "syntax": "P003",
    "too-large": "P011",
    "binary": "P012",
    "encoding": "P012",
    "duplicate-key": "P013",
}
_VALIDATOR_CODES = {
    "additionalProperties": "P005",
    "type": "P006",
    "minimum": "P007",
    "maximum": "P007",
    "minLength": "P007",
    "maxLength": "P007",
    "enum": "P008",
    "const": "P008",
    "required": "P009",
}


def _defaults() -> dict[str, dict[str, Any]]:
    props = schemas.load("profile")["properties"]
    return {
        name: {k: v["default"] for k, v in props[name]["properties"].items() if "default" in v}
        for name in SECTIONS
    }


DEFAULTS = _defaults()


@dataclass
class Profile:
    """A profile as read from a file or given as a mapping, not yet normalised."""

    data: Any
    file: str | None = None
    document: Document | None = None

    def line_of(self, path: tuple) -> int | None:
        return self.document.line_of(path) if self.document is not None else None

    @property
    def label(self) -> str | None:
        """What identifies the profile: its id, else its name."""
        if isinstance(self.data, Mapping):
            for key in ("id", "name"):
                value = self.data.get(key)
                if isinstance(value, str) and value:
                    return value
        return None


def load_profile(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Profile:
    """Read a profile file (YAML or JSON by extension; ``-`` reads stdin).

    Raises `ProfileError` when the file is missing, too large, binary, not
    UTF-8, empty or not parseable. Does not validate the fields: see
    `check_profile`.
    """
    display = "<stdin>" if str(path) == "-" else os.fspath(path)
    try:
        if str(path) == "-":
            text = decode(sys.stdin.buffer.read(max_bytes + 1), max_bytes)
        else:
            with open(path, "rb") as fh:
                text = decode(fh.read(max_bytes + 1), max_bytes)
    except DocumentError as exc:
        raise _doc_error(exc, display) from None
    except FileNotFoundError:
        raise ProfileError(
            "file not found", code="P001", file=display, hint="check the path"
        ) from None
    except IsADirectoryError:
        raise ProfileError(
            "is a directory, not a profile file", code="P001", file=display
        ) from None
    except OSError as exc:
        raise ProfileError(exc.strerror or str(exc), code="P001", file=display) from None
    ext = os.path.splitext(display)[1].lower()
    fmt = "json" if ext == ".json" else "yaml" if ext in (".yaml", ".yml") else None
    return parse_profile(text, display, fmt)


def parse_profile(text: str, file: str = "<string>", fmt: str | None = None) -> Profile:
    """Parse profile text; ``fmt`` is "json", "yaml" or None to tell from the content."""
    if not text.strip():
        raise ProfileError(
            "the profile is empty", code="P002", file=file, hint="run `pmpath init` for a template"
        )
    try:
        if fmt == "json":
            doc = parse_json(text, file)
        elif fmt == "yaml":
            doc = parse_yaml(text, file)
        elif text.lstrip().startswith(("{", "[")):
            try:
                doc = parse_json(text, file)
            except DocumentError as json_error:
                try:
                    doc = parse_yaml(text, file)
                except DocumentError:
                    raise json_error from None
        else:
            doc = parse_yaml(text, file)
    except DocumentError as exc:
        raise _doc_error(exc, file) from None
    if doc.data is None:
        raise ProfileError(
            "the profile is empty", code="P002", file=file, hint="run `pmpath init` for a template"
        )
    return Profile(doc.data, file, doc)


def _doc_error(exc: DocumentError, file: str) -> ProfileError:
    return ProfileError(
        exc.message,
        code=_DOC_ERROR_CODES.get(exc.kind, "P003"),
        file=file,
        line=exc.line,
        column=exc.column,
    )


def check_profile(profile: Profile | Mapping) -> dict:
    """Validate a profile and return its normalised form (raises `ProfileError`)."""
    if not isinstance(profile, Profile):
        profile = Profile(profile)
    data = profile.data
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise ProfileError(
            f"a profile must be a mapping of sections (experience:, scope:, ...), not {kind}",
            code="P004",
            file=profile.file,
            line=profile.line_of(()),
        )
    if not isinstance(data, dict):
        data = dict(data)
    if not schemas.is_valid("profile", data):
        raise _explain(data, profile)
    experience = data["experience"]
    total = experience["total_years"]
    for key in ("product_years", "people_management_years"):
        value = experience.get(key, 0)
        if value > total:
            path = ("experience", key)
            raise ProfileError(
                f"{_num(value)} is more than experience.total_years ({_num(total)})",
                code="P010",
                path=".".join(path),
                file=profile.file,
                line=profile.line_of(path),
                hint="years in one kind of role cannot exceed your professional years",
            )
    return normalise(data)


def normalise(data: dict) -> dict:
    """Every section present with defaults filled in; years to 4 decimal places.

    Rounding keeps numbers out of exponent notation, which durable_rules' JSON
    parser rejects (a year to 4 places is under an hour).
    """
    out: dict = {"id": data.get("id"), "name": data.get("name")}
    for name in SECTIONS:
        section = dict(DEFAULTS[name])
        given = data.get(name)
        if given:
            for key, value in given.items():
                section[key] = round(value, 4) if type(value) is float else value
        out[name] = section
    return out


def _explain(data: dict, profile: Profile) -> ProfileError:
    errors = list(schemas.explainer("profile").iter_errors(data))
    from jsonschema.exceptions import best_match

    def relevance(error):  # an unknown key explains a "required" error at the same place
        return (
            error.validator == "additionalProperties",
            -len(error.absolute_path),
            error.validator != "required",
        )

    error = best_match(errors, key=relevance)
    if error is None:  # the two validators disagree: report it rather than crash
        return ProfileError("profile rejected by the schema", code="P006", file=profile.file)
    path = schemas.path_of(error)
    dotted = ".".join(str(p) for p in path)
    message = schemas.describe(error)
    hint = ""
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        bad = str(path[-1])
        close = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
        where = ".".join(str(p) for p in path[:-1]) or "the top level"
        hint = (
            f"did you mean '{close[0]}'?" if close else f"allowed in {where}: {', '.join(allowed)}"
        )
        message = f"unknown key '{bad}'"
    elif error.validator == "required":
        message = "is required"
    return ProfileError(
        message,
        code=_VALIDATOR_CODES.get(error.validator, "P006"),
        path=dotted,
        file=profile.file,
        line=profile.line_of(path),
        hint=hint,
    )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
