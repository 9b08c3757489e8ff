"""Reading a profile: a file, text or stdin, YAML or JSON, bounded in size and
nesting, to a `Profile` with the line of every field (for error messages).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pmpath.errors import DocumentError, ProfileError
from pmpath.source.documents import DEFAULT_MAX_BYTES, Document, decode, parse_json, parse_yaml

#: a profile has a few dozen values; an alias bomb blows past this within milliseconds
PROFILE_MAX_NODES = 5_000

_DOC_ERROR_CODES = {
    "missing": "P001",
    "syntax": "P003",
    "too-large": "P011",
    "binary": "P012",
    "encoding": "P012",
    "duplicate-key": "P013",
    "number": "P006",
}


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
            "file not found",
            code="P001",
            file=display,
            hint="check the path; `pmpath init FILE` writes a profile template",
        ) from None
    except PermissionError:
        raise ProfileError(
            "permission denied", code="P001", file=display, hint="check the file's permissions"
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
            doc = parse_yaml(text, file, PROFILE_MAX_NODES)
        elif text.lstrip().startswith(("{", "[")):
            try:
                doc = parse_json(text, file)
            except DocumentError as json_error:
                try:
                    doc = parse_yaml(text, file, PROFILE_MAX_NODES)
                except DocumentError:
                    raise json_error from None
        else:
            doc = parse_yaml(text, file, PROFILE_MAX_NODES)
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
        hint=exc.hint,
    )
