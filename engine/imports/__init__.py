"""Profiles from what people and recruiters already have (L4): a JSON Resume, a
LinkedIn data export, Greenhouse candidates. docs/import.md has every rule.

- `from_json_resume(doc, as_of=...)`, `from_linkedin(path_or_files, as_of=...)`,
  `from_greenhouse(doc, as_of=...)`: ``(profile, report)``, a list of them for
  Greenhouse (one per candidate); `import_one(fmt, ...)`: one person, any format;
- `import_path(path, fmt="auto", as_of=...)`: a file (or export folder or ZIP)
  to a list of ``(profile, report)``; `detect` says which format a path holds;
- `profile_yaml`, `profile_jsonl`: the profile written out with where each value
  came from.

The rules are knowledge (knowledge/imports.yaml), read from the shipped
knowledge unless a `Knowledge` is given. The same source and ``as_of`` give
the same profile and report, byte for byte.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from typing import TYPE_CHECKING, Any

from pmpath.errors import SourceError
from pmpath.imports.dates import parse_as_of
from pmpath.imports.mapping import rules_for, to_profile
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


@functools.cache
def _shipped() -> Knowledge:
    # start-up time: the shipped knowledge loads only when no knowledge is given, once
    from pmpath.model import load_model

    model, problems = load_model()
    if model is None:  # pragma: no cover - the shipped knowledge is checked in CI
        raise SourceError(f"the shipped knowledge is broken: {problems[0]}", code="I001")
    return model.knowledge


def _day(as_of: date | str | None) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, str):
        return parse_as_of(as_of)
    return as_of


def import_one(
    fmt: str,
    source_data: Any,
    *,
    source: str,
    as_of: date | str | None = None,
    knowledge: Knowledge | None = None,
) -> Imported:
    """One person's CV or export, already in hand, to ``(profile, report)``.

    ``source_data`` is, by ``fmt``: a JSON Resume (a dict, or its JSON text or
    bytes); one Greenhouse candidate (an array of several is refused, I001: they
    are several people); a LinkedIn export as ``{"Positions.csv": bytes, ...}``
    or the path of its folder or ZIP. The one dispatch on format: the command,
    batch records and the service all come through here.
    """
    rules = rules_for(knowledge if knowledge is not None else _shipped())
    if fmt == "json-resume":
        person = read_json_resume(source_data, source)
    elif fmt == "greenhouse":
        people = read_greenhouse(source_data, source)
        if len(people) != 1:
            raise SourceError(
                f"{len(people)} candidates where one person was expected; send them one at "
                "a time, or score the export with pmpath batch --input-format greenhouse",
                code="I001",
                file=source,
            )
        person = people[0]
    elif fmt == "linkedin":
        if isinstance(source_data, dict):
            files = source_data
        else:
            if not os.path.exists(source_data):
                raise SourceError("no such file or folder", code="I002", file=source)
            files = linkedin_files(os.fspath(source_data))
        person = read_linkedin(files, source)
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return to_profile(person, rules, _day(as_of))


def from_json_resume(
    doc: Any,
    *,
    as_of: date | str | None = None,
    source: str = "<resume>",
    knowledge: Knowledge | None = None,
) -> Imported:
    """A JSON Resume (a dict, or its JSON text) to ``(profile, report)``."""
    return import_one("json-resume", doc, source=source, as_of=as_of, knowledge=knowledge)


def from_greenhouse(
    doc: Any,
    *,
    as_of: date | str | None = None,
    source: str = "<greenhouse>",
    knowledge: Knowledge | None = None,
) -> list[Imported]:
    """Greenhouse Harvest candidates (one object or an array) to ``(profile, report)`` each."""
    rules = rules_for(knowledge if knowledge is not None else _shipped())
    day = _day(as_of)
    return [to_profile(c, rules, day) for c in read_greenhouse(doc, source)]


def from_linkedin(
    export: str | os.PathLike | dict[str, bytes],
    *,
    as_of: date | str | None = None,
    knowledge: Knowledge | None = None,
) -> Imported:
    """A LinkedIn export (its folder, its ZIP, or ``{"Positions.csv": bytes, ...}``)."""
    source = "<linkedin>" if isinstance(export, dict) else os.fspath(export)
    return import_one("linkedin", export, source=source, as_of=as_of, knowledge=knowledge)


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
    "import_one",
    "import_path",
    "parse_as_of",
    "profile_jsonl",
    "profile_yaml",
]
