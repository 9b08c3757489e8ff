"""Batch inputs: paths, directories, globs and stdin resolved to `Input`s, and
`RecordReader`, which streams them as small raw records (a line, a CSV row or
a profile file at a time); CSV headers checked once per file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from pmpath.errors import BatchError, DocumentError
from pmpath.source.documents import DEFAULT_MAX_BYTES, decode, parse_json

#: CVs and exports `pmpath import` reads: each input is turned into profiles on the way
IMPORT_FORMATS = ("json-resume", "linkedin", "greenhouse")
INPUT_FORMATS = ("auto", "jsonl", "csv", "profile", *IMPORT_FORMATS)
PROFILE_EXTENSIONS = (".yaml", ".yml", ".json")
_FORMAT_BY_EXTENSION = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    **{ext: "profile" for ext in PROFILE_EXTENSIONS},
}
MAX_LINE_BYTES = DEFAULT_MAX_BYTES  # one JSONL profile line (a profile is a few hundred bytes)


# -- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One INPUT argument, resolved: what it is and how to read it."""

    kind: str  # "jsonl", "csv", "profiles" or "import"
    display: str  # how records name it ("<stdin>" for -)
    path: str | None = None  # None: stdin
    files: tuple[str, ...] = ()  # kind "profiles": the files, sorted
    source_format: str = ""  # kind "import": json-resume, linkedin or greenhouse

    def size(self) -> int | None:
        """Bytes to read (for a progress bar), or None when unknown (stdin)."""
        paths = self.files if self.kind == "profiles" else (self.path,)
        if None in paths:
            return None
        total = 0
        for p in paths:
            with contextlib.suppress(OSError):
                total += os.stat(p).st_size
        return total


def resolve_inputs(args: list[str] | tuple[str, ...], input_format: str = "auto") -> list[Input]:
    """Check and classify every INPUT before anything is read or written.

    ``input_format`` (``jsonl``, ``csv``, ``profile``) says what stdin and files
    with other extensions hold; by default the extension decides. Raises
    `BatchError` for an input that does not exist, a directory or glob that
    holds no profile files, or a format that cannot be told.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input_format must be one of {', '.join(INPUT_FORMATS)}")
    if not args:
        raise BatchError("no INPUT given: name JSONL or CSV files, profile directories, or -")
    if input_format in IMPORT_FORMATS:
        return [_import_input(arg, input_format) for arg in args for arg in _expand(arg)]
    out: list[Input] = []
    for arg in args:
        if arg == "-":
            kind = "jsonl" if input_format == "auto" else input_format
            out.append(Input(kind if kind != "profile" else "profiles", "<stdin>", None, (None,)))
        elif os.path.isdir(arg):
            files = sorted(
                os.path.join(arg, entry.name)
                for entry in os.scandir(arg)
                if entry.name.lower().endswith(PROFILE_EXTENSIONS) and entry.is_file()
            )
            if not files:
                raise BatchError(
                    f"{arg}: no profile files (*.yaml, *.yml, *.json) in this directory",
                    code="B001",
                )
            out.append(Input("profiles", arg, arg, tuple(files)))
        elif os.path.exists(arg):
            out.append(_file_input(arg, input_format))
        elif glob.has_magic(arg):
            matches = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            if not matches:
                raise BatchError(f"{arg}: no files match this pattern", code="B001")
            group: list[str] = []  # consecutive profile files travel as one input
            for path in matches:
                inp = _file_input(path, input_format)
                if inp.kind == "profiles":
                    group.append(path)
                    continue
                if group:
                    out.append(Input("profiles", arg, arg, tuple(group)))
                    group = []
                out.append(inp)
            if group:
                out.append(Input("profiles", arg, arg, tuple(group)))
        else:
            raise BatchError(f"{arg}: no such file or directory", code="B001")
    for inp in out:
        if inp.kind == "csv" and inp.path is not None:
            _check_csv_header(inp)
    return out


def _expand(arg: str) -> list[str]:
    """An import source argument as paths: a glob's matches, a folder's JSON files (not
    for LinkedIn, whose export is itself a folder), else the argument itself."""
    if arg != "-" and not os.path.exists(arg) and glob.has_magic(arg):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            raise BatchError(f"{arg}: no files match this pattern", code="B001")
        return matches
    return [arg]


def _import_input(path: str, source_format: str) -> Input:
    if path == "-":
        raise BatchError(
            f"--input-format {source_format} reads files, not standard input: name the files",
            code="B001",
        )
    if not os.path.exists(path):
        raise BatchError(f"{path}: no such file or directory", code="B001")
    return Input("import", path, path, (), source_format)


def _file_input(path: str, input_format: str) -> Input:
    kind = _FORMAT_BY_EXTENSION.get(os.path.splitext(path)[1].lower())
    if input_format != "auto":
        kind = input_format
    if kind is None:
        raise BatchError(
            f"{path}: cannot tell the format from the extension; name it .jsonl, .csv, "
            ".yaml or .json, or say --input-format jsonl|csv|profile",
            code="B002",
        )
    if kind == "profile":
        return Input("profiles", path, path, (path,))
    return Input(kind, path, path)


# -- records ------------------------------------------------------------------------
#
# A record is a small tuple, cheap to send to a worker:
#   ("jsonl", source, line, raw bytes)          one JSONL line
#   ("csv", source, line, header, cells)         one CSV row
#   ("file", source, None, path)                 one YAML/JSON profile file
#   ("text", source, None, raw bytes)            one YAML/JSON profile read from stdin
#   ("import", source, where, format, payload)   one person of a CV or export (pmpath.imports)
#   ("error", source, line, code, message)       a record the reader already knows is bad


class RecordReader:
    """Streams the records of ``inputs`` in order; ``bytes_read`` tracks progress."""

    def __init__(self, inputs: list[Input], stdin: IO[bytes] | None = None):
        self.inputs = inputs
        self.stdin = stdin
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple]:
        for inp in self.inputs:
            if inp.kind == "import":
                yield from self._import(inp)
                continue
            if inp.kind == "profiles":
                for path in inp.files:
                    if path is None:  # one profile on stdin: read here, workers have no stdin
                        stream = self.stdin if self.stdin is not None else sys.stdin.buffer
                        raw = stream.read(DEFAULT_MAX_BYTES + 1)
                        self.bytes_read += len(raw)
                        yield ("text", "<stdin>", None, raw)
                        continue
                    with contextlib.suppress(OSError):
                        self.bytes_read += os.stat(path).st_size
                    yield ("file", path, None, path)
                continue
            if inp.path is None:
                stream = self.stdin if self.stdin is not None else sys.stdin.buffer
                yield from self._read(inp, stream)
                continue
            try:
                fh = open(inp.path, "rb")  # noqa: SIM115 - closed below, after streaming
            except OSError as exc:
                raise BatchError(f"{inp.path}: {exc.strerror or exc}", code="B001") from None
            with fh:
                yield from self._read(inp, fh)

    def _import(self, inp: Input) -> Iterator[tuple]:
        """One record per person: a LinkedIn export folder or ZIP, a JSON Resume file,
        each line of a JSONL of resumes, each candidate of a Greenhouse export; a folder
        of JSON files is each of its files."""
        fmt, path = inp.source_format, inp.path
        if fmt != "linkedin" and os.path.isdir(path):
            names = sorted(e.name for e in os.scandir(path) if e.name.lower().endswith(".json"))
            if not names:
                yield ("error", path, None, "I002", "no JSON files (*.json) in this directory")
            for name in names:
                yield from self._import(Input("import", path, os.path.join(path, name), (), fmt))
            return
        with contextlib.suppress(OSError):
            self.bytes_read += os.path.getsize(path) if os.path.isfile(path) else 0
        if fmt == "linkedin":
            yield ("import", path, None, fmt, path)
            return
        if path.lower().endswith((".jsonl", ".ndjson")):
            try:
                fh = open(path, "rb")  # noqa: SIM115 - closed below, after streaming
            except OSError as exc:
                yield ("error", path, None, "I002", f"cannot read it: {exc.strerror or exc}")
                return
            with fh:
                for line, raw in enumerate(fh, start=1):
                    if raw.strip():
                        yield ("import", path, line, fmt, raw)
            return
        try:
            with open(path, "rb") as fh:
                raw = fh.read(DEFAULT_MAX_BYTES * 64 + 1)
        except OSError as exc:
            yield ("error", path, None, "I002", f"cannot read it: {exc.strerror or exc}")
            return
        if fmt == "greenhouse":  # an array: one record per candidate, in order
            try:
                doc = parse_json(decode(raw), path, with_lines=False).data
            except DocumentError as exc:
                yield ("error", path, exc.line, "I002", exc.message)
                return
            if isinstance(doc, list):
                for i, candidate in enumerate(doc):
                    yield ("import", path, None, fmt, (i, candidate))
                return
            yield ("import", path, None, fmt, (None, doc))
            return
        yield ("import", path, None, fmt, raw)

    def _read(self, inp: Input, stream: IO[bytes]) -> Iterator[tuple]:
        if inp.kind == "csv":
            yield from self._csv(inp.display, stream)
        else:
            yield from self._jsonl(inp.display, stream)

    def _jsonl(self, source: str, stream: IO[bytes]) -> Iterator[tuple]:
        yield from jsonl_records(source, stream, self._count)

    def _count(self, n: int) -> None:
        self.bytes_read += n

    def _csv(self, source: str, stream: IO[bytes]) -> Iterator[tuple]:
        lines = text_lines(stream, self._count)
        first = next(lines, None)
        if first is None:
            return
        delimiter = csv_delimiter(first)
        reader = csv.reader([first], delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise BatchError(
                f"{source}:1: the CSV header is unreadable: {exc}", code="B003"
            ) from None
        if header is None:
            return
        yield from csv_records(source, lines, _csv_header(header, source), delimiter, 1)


# -- one stretch of a file: what a batch reads whole, and a Dask worker by byte range -------


def jsonl_records(
    source: str,
    stream: IO[bytes],
    count: Any = None,
    *,
    first_line: int = 1,
    stop: int | None = None,
) -> Iterator[tuple]:
    """The JSONL records of ``stream`` from where it stands: one per non-blank line, an
    error record for an overlong one. ``first_line`` numbers the first line read;
    ``stop`` (a byte offset) ends the stretch before the first line starting at or after it."""
    line = first_line - 1
    readline = stream.readline
    while True:
        if stop is not None and stream.tell() >= stop:
            return
        raw = readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line += 1
        if count is not None:
            count(len(raw))
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of the overlong line
                more = readline(1 << 16)
                if count is not None:
                    count(len(more))
                if not more or more.endswith(b"\n"):
                    break
            yield (
                "error",
                source,
                line,
                "P011",
                f"the line is longer than {MAX_LINE_BYTES:,} bytes; "
                "a profile is a few hundred bytes",
            )
            continue
        if line == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if raw.strip():  # blank lines are not records
            yield ("jsonl", source, line, raw)


def text_lines(
    stream: IO[bytes], count: Any = None, *, first: bool = True, stop: int | None = None
) -> Iterator[str]:
    """The lines of a CSV stream as text (a BOM dropped from the file's first; bad bytes
    kept as surrogates, so a bad row becomes an error record), up to ``stop``."""
    while True:
        if stop is not None and stream.tell() >= stop:
            return
        raw = stream.readline()
        if not raw:
            return
        if count is not None:
            count(len(raw))
        if first and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        first = False
        yield raw.decode("utf-8", "surrogateescape")


def csv_records(
    source: str,
    lines: Iterator[str],
    header: tuple[str, ...],
    delimiter: str,
    line_before: int,
) -> Iterator[tuple]:
    """The CSV records of ``lines`` (rows after the header), numbered from ``line_before + 1``."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = line_before  # reader.line_num counts the lines of this stretch
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ("error", source, start + 1, "P014", f"CSV syntax error: {exc}")
            start = line_before + reader.line_num
            continue
        line, start = start + 1, line_before + reader.line_num
        if any(cell.strip() for cell in row):  # blank rows are not records
            yield ("csv", source, line, header, row)


def _raw_input(record: tuple, data: Any) -> Any:
    """What an error record's input hash is taken over: the profile, else the raw record."""
    if isinstance(data, Mapping) and record[0] != "csv":
        return data
    kind = record[0]
    if kind == "jsonl":
        return record[3].rstrip(b"\r\n")  # the line as given, without its line ending
    if kind == "text":
        return record[3]
    if kind == "import":  # a Greenhouse candidate, a resume's bytes, an export's path
        payload = record[4]
        return payload[1] if isinstance(payload, tuple) else payload
    if kind == "csv":
        return ",".join(record[4]) if len(record) > 4 else ""
    if kind == "file":
        try:
            with open(record[3], "rb") as fh:
                return fh.read(DEFAULT_MAX_BYTES)
        except OSError:
            return str(record[3])
    return str(record[3:])


def _record_id(data: Any, source: str, line: int | None) -> str:
    """The profile's id, else its name, else where it came from."""
    if isinstance(data, Mapping):
        for key in ("id", "name"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return source if line is None else f"{source}:{line}"


def _csv_header(header: list[str], source: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in header)
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise BatchError(f"{source}:1: column {name!r} appears twice", code="B003")
        seen.add(name)
    if not any(names):
        raise BatchError(f"{source}:1: the CSV header has no column names", code="B003")
    return names


def csv_delimiter(header_line: str) -> str:
    """``;`` for a file whose header is separated by semicolons (Excel's CSV where the
    decimal mark is a comma, as in much of Europe), else ``,``."""
    try:
        by_comma = next(csv.reader([header_line]))
        by_semicolon = next(csv.reader([header_line], delimiter=";"))
    except (csv.Error, StopIteration):
        return ","
    return ";" if len(by_comma) == 1 and len(by_semicolon) > 1 else ","


def _check_csv_header(inp: Input) -> None:
    """Fail before writing anything when a CSV file's header cannot be used."""
    try:
        with open(inp.path, "rb") as fh:
            first = fh.readline(MAX_LINE_BYTES)
    except OSError as exc:
        raise BatchError(f"{inp.path}: {exc.strerror or exc}", code="B001") from None
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    if not first.strip():
        return  # an empty file: no records
    text = first.decode("utf-8", "replace")
    try:
        row = next(csv.reader([text], delimiter=csv_delimiter(text)))
    except (csv.Error, StopIteration):
        return  # a header spanning lines: checked while reading
    _csv_header(row, inp.display)
