"""Reading a directory of YAML data files (knowledge or rules) with their schemas.

Shared by the knowledge and rules loaders: every file is read, parsed with
line numbers and checked against its JSON Schema; every finding becomes a
located `Problem`. Also computes the content hash behind ``knowledge_version``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pmpath.errors import DocumentError, Problem
from pmpath.source import schemas
from pmpath.source.documents import Document, decode, parse_yaml

MAX_DATA_FILE_BYTES = 4 << 20


@dataclass
class DataFile:
    name: str  # file stem, e.g. "levels"
    base: str  # file name, e.g. "levels.yaml"
    display: str  # how problems name the file
    raw: bytes
    doc: Document | None  # None when it could not be parsed


def locate(directory: str | os.PathLike | None, package: str) -> Traversable:
    """A user-given directory, or the copy shipped inside the package."""
    if directory is None:
        return resources.files(package)
    return Path(directory)


def display_name(root: Traversable, name: str) -> str:
    return os.path.join(str(root), name)


def read_dir(root: Traversable, label: str) -> tuple[list[DataFile], list[Problem]]:
    """Every ``*.yaml`` file under ``root``, parsed; unreadable files become problems."""
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(str(root), 1, "K007", f"{label} directory not found"))
        return [], problems
    files = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")) or not entry.is_file():
            continue
        name = entry.name.rsplit(".", 1)[0]
        display = display_name(root, entry.name)
        raw = entry.read_bytes()
        try:
            text = decode(raw, MAX_DATA_FILE_BYTES)
            doc = parse_yaml(text, display)
        except DocumentError as exc:
            problems.append(Problem(display, exc.line or 1, "K006", exc.message))
            files.append(DataFile(name, entry.name, display, raw, None))
            continue
        files.append(DataFile(name, entry.name, display, raw, doc))
    return files, problems


def schema_problems(file: DataFile, schema_name: str, code: str) -> list[Problem]:
    """Every schema violation in ``file``, each at the YAML line of the offending node."""
    if file.doc is None:
        return []
    data = file.doc.data
    if data is None:
        return [Problem(file.display, 1, code, "file is empty")]
    if schemas.is_valid(schema_name, data):
        return []
    # start-up time: jsonschema loads only to word a rejection the fast check found
    from jsonschema.exceptions import best_match

    out = []
    for error in schemas.iter_errors(schema_name, data):
        if error.validator in ("oneOf", "anyOf") and error.context:
            # "not a valid value here" says little; the alternative that got
            # furthest (jsonschema's best match) names the real problem.
            error = best_match([error])
        path = schemas.path_of(error)
        where = ".".join(str(p) for p in path) or "(top level)"
        out.append(
            Problem(
                file.display,
                file.doc.line_of(path),
                code,
                f"{where}: {schemas.describe(error)}",
                path=where,
            )
        )
    return out


def content_hash(groups: list[tuple[str, list[DataFile]]]) -> str:
    """sha256 over every file's name and bytes (line endings normalised), in a fixed order."""
    digest = hashlib.sha256()
    for label, files in groups:
        for file in sorted(files, key=lambda f: f.base):
            digest.update(f"{label}/{file.base}\0".encode())
            digest.update(file.raw.replace(b"\r\n", b"\n"))
            digest.update(b"\0")
    return digest.hexdigest()
