"""Profiles from what people and recruiters already have (L4): a JSON Resume, a
LinkedIn data export, Greenhouse candidates. docs/import.md has every rule.

- `from_json_resume(doc, as_of=...)`, `from_linkedin(path_or_files, as_of=...)`,
  `from_greenhouse(doc, as_of=...)`: ``(profile, report)``, a list of them for
  Greenhouse (one per candidate);
- `import_path(path, fmt="auto", as_of=...)`: a file (or export folder or ZIP)
  to a list of ``(profile, report)``; `detect` says which format a path holds;
- `profile_yaml`, `profile_jsonl`: the profile written out with where each value
  came from.

The rules are knowledge (knowledge/imports.yaml), read from the shipped
knowledge unless a `Knowledge` is given. The same source and ``as_of`` give
the same profile and report, byte for byte.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING, Any

from pmpath.errors import SourceError
from pmpath.imports.dates import parse_as_of
from pmpath.imports.mapping import to_profile
from pmpath.imports.output import profile_jsonl, profile_yaml
from pmpath.imports.readers import (
    json_of,
    linkedin_files,
    read_file,
    read_greenhouse,
    read_json_resume,
    read_linkedin,
)

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model.knowledge import Knowledge

FORMATS = ("json-resume", "linkedin", "greenhouse")
Imported = tuple[dict, dict]


def _rules(knowledge: Knowledge | None) -> dict:
    if knowledge is not None:
        return knowledge.imports
    # start-up time: the shipped knowledge loads only when no knowledge is given
    from pmpath.model import load_model

    model, problems = load_model()
    if model is None:  # pragma: no cover - the shipped knowledge is checked in CI
        raise SourceError(f"the shipped knowledge is broken: {problems[0]}", code="I001")
    return model.knowledge.imports


def _day(as_of: date | str | None) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, str):
        return parse_as_of(as_of)
    return as_of


def from_json_resume(
    doc: Any,
    *,
    as_of: date | str | None = None,
    source: str = "<resume>",
    knowledge: Knowledge | None = None,
) -> Imported:
    """A JSON Resume (a dict, or its JSON text) to ``(profile, report)``."""
    return to_profile(read_json_resume(doc, source), _rules(knowledge), _day(as_of))


def from_greenhouse(
    doc: Any,
    *,
    as_of: date | str | None = None,
    source: str = "<greenhouse>",
    knowledge: Knowledge | None = None,
) -> list[Imported]:
    """Greenhouse Harvest candidates (one object or an array) to ``(profile, report)`` each."""
    rules, day = _rules(knowledge), _day(as_of)
    return [to_profile(c, rules, day) for c in read_greenhouse(doc, source)]


def from_linkedin(
    export: str | os.PathLike | dict[str, bytes],
    *,
    as_of: date | str | None = None,
    knowledge: Knowledge | None = None,
) -> Imported:
    """A LinkedIn export (its folder, its ZIP, or ``{"Positions.csv": bytes, ...}``)."""
    if isinstance(export, dict):
        files, source = export, "<linkedin>"
    else:
        source = os.fspath(export)
        if not os.path.exists(source):
            raise SourceError("no such file or folder", code="I002", file=source)
        files = linkedin_files(source)
    return to_profile(read_linkedin(files, source), _rules(knowledge), _day(as_of))


def detect(path: str, data: bytes | None = None) -> str:
    """The format a path holds: a folder or ZIP is LinkedIn; JSON is told by its keys."""
    if os.path.isdir(path) or path.lower().endswith(".zip"):
        return "linkedin"
    doc = json_of(data if data is not None else read_file(path), path)
    first = doc[0] if isinstance(doc, list) and doc else doc
    if isinstance(first, dict):
        if {"employments", "first_name", "last_name", "educations"} & set(first):
            return "greenhouse"
        if {"basics", "work", "education"} & set(first):
            return "json-resume"
    raise SourceError(
        "cannot tell what this is: not a JSON Resume (basics, work), not Greenhouse "
        "candidates (first_name, employments), not a LinkedIn export (a folder or ZIP); "
        "say which with --from",
        code="I001",
        file=path,
    )


def import_path(
    path: str,
    fmt: str = "auto",
    *,
    as_of: date | str | None = None,
    knowledge: Knowledge | None = None,
) -> list[Imported]:
    """Every profile a source path holds (one, or one per Greenhouse candidate)."""
    if fmt == "linkedin" or (fmt == "auto" and detect(path) == "linkedin"):
        return [from_linkedin(path, as_of=as_of, knowledge=knowledge)]
    if not os.path.exists(path):
        raise SourceError("no such file", code="I002", file=path)
    data = read_file(path)
    if fmt == "auto":
        fmt = detect(path, data)
    if fmt == "greenhouse":
        return from_greenhouse(data, as_of=as_of, source=path, knowledge=knowledge)
    if fmt == "json-resume":
        return [from_json_resume(data, as_of=as_of, source=path, knowledge=knowledge)]
    raise ValueError(f"format must be one of {', '.join(FORMATS)} or auto, not {fmt!r}")


__all__ = [
    "FORMATS",
    "Imported",
    "SourceError",
    "detect",
    "from_greenhouse",
    "from_json_resume",
    "from_linkedin",
    "import_path",
    "parse_as_of",
    "profile_jsonl",
    "profile_yaml",
]
