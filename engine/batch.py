"""Scoring many profiles at once: the library behind ``pmpath batch``.

    run = BatchRun(engine, ["candidates.jsonl"], "scores.jsonl", workers=2)
    summary = run.run()          # every record written, in input order
    summary.exit_code            # 0 when every record scored, 1 when any failed

The parts, in the order a record meets them:

- **inputs** (`resolve_inputs`): JSONL files (one profile a line), CSV files
  (dotted headers such as ``experience.total_years``), directories and globs of
  YAML/JSON profile files (sorted), and ``-`` for stdin (JSONL unless told).
- **records** (`RecordReader`): the inputs streamed as small tuples, a line or
  a row or a file name at a time; nothing is loaded whole.
- **scoring** (`Scorer`, in worker processes or in-process): parse, validate,
  infer and serialise one record into one output line. A record that cannot be
  scored becomes an error record (code, field path, message, line); the run
  goes on. Its **id** is the profile's ``id``, else its ``name``, else
  ``file:line`` (or the file, for a profile file).
- **order and parallelism** (`pmpath.parallel.OrderedPool`): results come back
  in input order with a bounded window; a worker that dies is reported and its
  records retried, then written as errors (E002), never dropped.
- **output** (`BatchOutput`): one whole line per record, written with one
  system call per block of whole lines, so an interrupted run leaves whole
  lines only (at worst one torn last line, which ``resume`` cuts off).
  ``resume`` reads the ids already written and skips those records (counting
  repeats, so a duplicated id is neither lost nor written twice).
- **summary** (`BatchSummary`): records, errors, counts by level and by
  specialization, profiles per second, worker deaths, the exit code.

Error codes beyond the profile ones (``P0xx``): ``P014`` a CSV row that does not
fit its header, ``E002`` a record whose worker process died twice, ``E000`` an
unexpected failure on one record (a bug; the run goes on). ``B0xx`` are
problems with the run itself (`BatchError`): ``B001`` an input that does not
exist or matches nothing, ``B002`` an input whose format cannot be told,
``B003`` a CSV header that cannot be used, ``B004`` an output that cannot be
written or resumed, ``B005`` options that do not go together (``--sort fit``
without ``--role``, or with ``--resume``).

Role fit (``role=``, ``specialization=``): each scored record also carries its
fit for the opening (``"fit"`` in JSONL, fit columns in CSV); ``sort="fit"``
ranks the output, best fit first (the run scores into a scratch file beside
OUT, keeping only a small index per record in memory, then writes OUT in rank
order). ``audit_log=`` logs every record, as written, to an `AuditLog`.

Test hook: in a worker process, ``PMPATH_TEST_CRASH_ID=<record id>`` makes the
worker exit abruptly (``os._exit``) when it reaches that record, and with
``PMPATH_TEST_CRASH_ONCE=<file>`` only if that file does not exist yet (it is
created first). The tests use it to prove that nothing is lost when a worker dies.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import io
import itertools
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from . import schemas
from .audit import input_hash
from .documents import DEFAULT_MAX_BYTES, DocumentError, decode
from .errors import PmpathError, ProfileError
from .fit import assess, check_role
from .parallel import STALL_TIMEOUT, OrderedPool, WorkerDeath, default_workers
from .profile import Profile, load_profile, parse_profile

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditLog
    from .engine import Engine, Model
    from .fit import Fit
    from .recommendation import Recommendation

OUTPUT_FORMATS = ("jsonl", "csv")
#: who infers: durable_rules (the engine's backend), or the plain-Python reference evaluator
EVALUATORS = ("durable", "reference")
INPUT_FORMATS = ("auto", "jsonl", "csv", "profile")
PROFILE_EXTENSIONS = (".yaml", ".yml", ".json")
_FORMAT_BY_EXTENSION = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    **{ext: "profile" for ext in PROFILE_EXTENSIONS},
}
MAX_LINE_BYTES = DEFAULT_MAX_BYTES  # one JSONL profile line (a profile is a few hundred bytes)
FLUSH_BYTES = 256 * 1024  # output is written in blocks of whole lines of about this size
#: below this much input (about a thousand profiles), starting worker processes costs
#: more than it saves, so ``workers=None`` scores in-process
SMALL_INPUT_BYTES = 512 * 1024


class BatchError(PmpathError):
    """The batch run itself cannot go on (not one bad record: those become error records)."""

    code = "B001"


# -- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One INPUT argument, resolved: what it is and how to read it."""

    kind: str  # "jsonl", "csv" or "profiles"
    display: str  # how records name it ("<stdin>" for -)
    path: str | None = None  # None: stdin
    files: tuple[str, ...] = ()  # kind "profiles": the files, sorted

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
#   ("error", source, line, code, message)       a record the reader already knows is bad


class RecordReader:
    """Streams the records of ``inputs`` in order; ``bytes_read`` tracks progress."""

    def __init__(self, inputs: list[Input], stdin: IO[bytes] | None = None):
        self.inputs = inputs
        self.stdin = stdin
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple]:
        for inp in self.inputs:
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

    def _read(self, inp: Input, stream: IO[bytes]) -> Iterator[tuple]:
        if inp.kind == "csv":
            yield from self._csv(inp.display, stream)
        else:
            yield from self._jsonl(inp.display, stream)

    def _jsonl(self, source: str, stream: IO[bytes]) -> Iterator[tuple]:
        line = 0
        readline = stream.readline
        while True:
            raw = readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            line += 1
            self.bytes_read += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of the overlong line
                    more = readline(1 << 16)
                    self.bytes_read += len(more)
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

    def _csv(self, source: str, stream: IO[bytes]) -> Iterator[tuple]:
        def lines() -> Iterator[str]:
            first = True
            for raw in stream:
                self.bytes_read += len(raw)
                if first and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                first = False
                # bad bytes survive as surrogates: the row becomes an error record
                yield raw.decode("utf-8", "surrogateescape")

        rows = lines()
        first = next(rows, None)
        if first is None:
            return
        reader = csv.reader(itertools.chain((first,), rows), delimiter=csv_delimiter(first))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise BatchError(
                f"{source}:1: the CSV header is unreadable: {exc}", code="B003"
            ) from None
        if header is None:
            return
        header_t = _csv_header(header, source)
        start = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield ("error", source, start + 1, "P014", f"CSV syntax error: {exc}")
                start = reader.line_num
                continue
            line, start = start + 1, reader.line_num
            if any(cell.strip() for cell in row):  # blank rows are not records
                yield ("csv", source, line, header_t, row)


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
            raise ProfileError(
                f"must be a number, got {text!r}",
                code="P006",
                path=column,
                hint="write e.g. 4 or 2.5",
            )
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
        raise ProfileError(
            f"must be true or false, got {text!r}",
            code="P006",
            path=column,
            hint="write true or false",
        )
    return text


# -- scoring one record -------------------------------------------------------------


@dataclass
class Outcome:
    """One record scored: what output formats are made from."""

    id: str
    source: str
    line: int | None
    recommendation: Recommendation | None = None
    error: dict | None = None  # {"code", "path", "message", "line"?}
    fit: Fit | None = None  # with --role: how the candidate fits the opening


class Result(NamedTuple):
    """What scoring one record gives the parent (it travels between processes).

    ``ok`` is True (scored), False (an error record) or None (its id is in
    ``skip_ids``: already written; ``payload`` is then the record itself).
    """

    id: str
    ok: bool | None
    payload: Any  # the output line (bytes), or the record when ok is None
    level: str | None = None
    specialization: str | None = None
    code: str | None = None  # the error code of an error record
    fit_score: int | None = None  # with --role
    audit: tuple[str, bytes] | None = None  # (input sha256, JSONL record) when auditing


@dataclass(frozen=True)
class Column:
    """A column of ``--format csv``: a name and how to get its value from an `Outcome`.

    ``value`` must be a module-level function (the column list travels to workers).
    """

    name: str
    value: Callable[[Outcome], Any]


def _col_id(o: Outcome) -> Any:
    return o.id


def _col_ok(o: Outcome) -> Any:
    return o.error is None


def _col_level(o: Outcome) -> Any:
    return o.recommendation.level if o.recommendation else None


def _col_kwan(o: Outcome) -> Any:
    return o.recommendation.kwan_level if o.recommendation else None


def _col_specialization(o: Outcome) -> Any:
    return o.recommendation.specialization if o.recommendation else None


def _col_shape(o: Outcome) -> Any:
    return o.recommendation.shape if o.recommendation else None


def _col_next_level(o: Outcome) -> Any:
    return o.recommendation.next_level if o.recommendation else None


def _step(i: int, o: Outcome) -> Any:
    if o.recommendation is None:
        return None
    steps = o.recommendation.steps
    return steps[i] if i < len(steps) else None


def _col_step_1(o: Outcome) -> Any:
    return _step(0, o)


def _col_step_2(o: Outcome) -> Any:
    return _step(1, o)


def _col_step_3(o: Outcome) -> Any:
    return _step(2, o)


def _col_error(o: Outcome) -> Any:
    return o.error["code"] if o.error else None


def _col_error_path(o: Outcome) -> Any:
    return o.error.get("path") if o.error else None


def _col_error_message(o: Outcome) -> Any:
    return o.error.get("message") if o.error else None


def _col_source(o: Outcome) -> Any:
    return o.source


def _col_line(o: Outcome) -> Any:
    return o.line


def _col_certainty(o: Outcome) -> Any:
    return o.recommendation.certainty if o.recommendation else None


def _col_possible_level(o: Outcome) -> Any:
    return o.recommendation.possible if o.recommendation else None


def _col_questions(o: Outcome) -> Any:
    if o.recommendation is None:
        return None
    return " ".join(q["field"] for q in o.recommendation.questions)


#: the flat table of ``--format csv``; more columns (role fit) are appended, never reordered
CSV_COLUMNS: tuple[Column, ...] = (
    Column("id", _col_id),
    Column("ok", _col_ok),
    Column("level", _col_level),
    Column("kwan_level", _col_kwan),
    Column("specialization", _col_specialization),
    Column("shape", _col_shape),
    Column("next_level", _col_next_level),
    Column("step_1", _col_step_1),
    Column("step_2", _col_step_2),
    Column("step_3", _col_step_3),
    Column("error", _col_error),
    Column("error_path", _col_error_path),
    Column("error_message", _col_error_message),
    Column("source", _col_source),
    Column("line", _col_line),
    # spec section 6: the level's certainty, the highest rung not ruled out, and the
    # fields whose answers would place the person (paths separated by spaces)
    Column("certainty", _col_certainty),
    Column("possible_level", _col_possible_level),
    Column("questions", _col_questions),
)


def _col_fit_score(o: Outcome) -> Any:
    return o.fit.score if o.fit else None


def _col_fit_relation(o: Outcome) -> Any:
    return o.fit.relation if o.fit else None


def _col_fit_specialization(o: Outcome) -> Any:
    match = o.fit.specialization_match if o.fit else None
    return match.status if match else None


def _col_fit_missing(o: Outcome) -> Any:
    return " ".join(r.id for r in o.fit.unmet) if o.fit else None


def _col_fit_if_confirmed(o: Outcome) -> Any:
    return o.fit.score_if_confirmed if o.fit else None


def _col_fit_unknown(o: Outcome) -> Any:
    return " ".join(r.id for r in o.fit.unknown) if o.fit else None


#: appended to the table with ``--role``: the score, where the candidate stands
#: against the role (below, at, above), the specialization match (with
#: ``--specialization``), and the ids of the unmet requirements
FIT_COLUMNS: tuple[Column, ...] = (
    Column("fit_score", _col_fit_score),
    Column("fit_relation", _col_fit_relation),
    Column("fit_specialization", _col_fit_specialization),
    Column("fit_missing", _col_fit_missing),
    # spec section 6: the score if every unknown requirement held, and which those are
    # (fit_missing lists every requirement not met, unknown ones included)
    Column("fit_score_if_confirmed", _col_fit_if_confirmed),
    Column("fit_unknown", _col_fit_unknown),
)


#: a cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV
#: injection"); a leading ' is included so that neutralising stays reversible
_FORMULA_START = frozenset("=+-@\t\r'")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:  # scores and counts: never negative, never a formula
        return str(value)
    # one physical line per record: a resumed run finds records by lines
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return neutralise_cell(text)


def neutralise_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a cell that would start a formula (``=``,
    ``+``, ``-``, ``@``, tab, carriage return) gets a leading ``'``, which spreadsheets
    show as text. A cell that starts with ``'`` gets one too, so `restore_cell` is exact."""
    return "'" + text if text and text[0] in _FORMULA_START else text


def restore_cell(text: str) -> str:
    """The text `neutralise_cell` was given."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START and text[1:2] else text


def csv_header(columns: tuple[Column, ...] = CSV_COLUMNS) -> bytes:
    return _csv_line([c.name for c in columns]).encode("utf-8")


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _line_json(line: int | None) -> str:
    return "null" if line is None else str(line)


def jsonl_ok(o: Outcome) -> bytes:
    """``{"id":…,"ok":true,"source":…,"line":…,"recommendation":{…}}`` and a newline;
    with a fit, ``"fit":{…}`` (fit output v1) after the recommendation."""
    rec = o.recommendation
    text = (
        '{"id":'
        + encode_basestring(o.id)
        + ',"ok":true,"source":'
        + encode_basestring(o.source)
        + ',"line":'
        + _line_json(o.line)
        + ',"recommendation":'
        + rec.to_json(indent=None)
        + (',"fit":' + o.fit.to_json(indent=None) if o.fit is not None else "")
        + "}\n"
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (from \ud800 escapes): escape everything
        record = {"id": o.id, "ok": True, "source": o.source, "line": o.line}
        record["recommendation"] = rec.to_dict()
        if o.fit is not None:
            record["fit"] = o.fit.to_dict()
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def jsonl_error(o: Outcome) -> bytes:
    """``{"id":…,"ok":false,"source":…,"line":…,"error":{code, path, message, line?}}``."""
    record = {"id": o.id, "ok": False, "source": o.source, "line": o.line, "error": o.error}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def _raw_input(record: tuple, data: Any) -> Any:
    """What an error record's input hash is taken over: the profile, else the raw record."""
    if isinstance(data, Mapping) and record[0] != "csv":
        return data
    kind = record[0]
    if kind == "jsonl":
        return record[3].rstrip(b"\r\n")  # the line as given, without its line ending
    if kind == "text":
        return record[3]
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


class Scorer:
    """Scores records into output lines: the job each worker (or the parent) runs.

    `run` never raises for a bad record: it returns a `Result`. With ``role``,
    each scored record also carries its role fit (``pmpath.fit.assess``: no
    second inference); with ``audit``, the sha256 of its input and its JSONL
    record, for the parent to log.
    """

    def __init__(
        self,
        model: Model,
        backend: str = "lean",
        *,
        output: str = "jsonl",
        columns: tuple[Column, ...] = CSV_COLUMNS,
        skip_ids: frozenset[str] = frozenset(),
        engine: Engine | None = None,
        evaluator: str = "durable",
        role: str | None = None,
        specialization: str | None = None,
        audit: bool = False,
    ):
        if output not in OUTPUT_FORMATS:
            raise ValueError(f"output must be one of {', '.join(OUTPUT_FORMATS)}")
        if evaluator not in EVALUATORS:
            raise ValueError(f"evaluator must be one of {', '.join(EVALUATORS)}")
        self.model = model
        self.backend = backend
        self.evaluator = evaluator
        self.output = output
        self.columns = columns
        self.skip_ids = skip_ids
        self.role = role
        self.specialization = specialization
        self.audit = audit
        self._engine = engine
        self._parent = os.getpid()
        self._crash_id: str | None = None
        self._crash_once: str | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engine"] = None  # never pickled: each worker registers its own ruleset
        state.pop("_recommend", None)
        return state

    def setup(self) -> None:
        if self._engine is None:
            from .engine import Engine

            self._engine = Engine(self.model, self.backend)
        self._recommend = (
            self._engine.recommend
            if self.evaluator == "durable"
            else self._engine.recommend_reference
        )
        if os.getpid() != self._parent:  # the test hook works in worker processes only
            self._crash_id = os.environ.get("PMPATH_TEST_CRASH_ID") or None
            self._crash_once = os.environ.get("PMPATH_TEST_CRASH_ONCE") or None

    # -- reading a record (no engine needed) ----------------------------------------
    @staticmethod
    def profile_of(record: tuple) -> Profile:
        """The profile a record holds; raises `ProfileError` located at the record."""
        kind, source, line = record[0], record[1], record[2]
        if kind == "jsonl":
            try:
                text = record[3].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProfileError(
                    f"not valid UTF-8 (byte {exc.start + 1} of the line); save the file as UTF-8",
                    code="P012",
                    file=source,
                    line=line,
                ) from None
            return parse_profile(text, source, "json")
        if kind == "csv":
            return Profile(csv_profile(record[3], record[4]), source)
        if kind == "file":
            return load_profile(record[3])
        if kind == "text":
            try:
                text = decode(record[3])
            except DocumentError as exc:
                raise ProfileError(exc.message, code="P012", file=source, line=exc.line) from None
            return parse_profile(text, source)
        raise ProfileError(record[4], code=record[3], file=source, line=line)

    def identify(self, record: tuple) -> str:
        """A record's id without scoring it (parent side, for a record that killed workers)."""
        try:
            return _record_id(self.profile_of(record).data, record[1], record[2])
        except Exception:
            return _record_id(None, record[1], record[2])

    # -- scoring --------------------------------------------------------------------
    def run(self, record: tuple) -> Result:
        source, line = record[1], record[2]
        data = None
        rid = None
        try:
            profile = self.profile_of(record)
            data = profile.data
            rid = _record_id(data, source, line)
            if rid in self.skip_ids:
                return Result(rid, None, record)
            if self._crash_id is not None and rid == self._crash_id:
                self._crash()
            rec = self._recommend(profile)
            fit = assess(rec, self.role, self.specialization) if self.role else None
            outcome = Outcome(rid, source, line, rec, fit=fit)
            payload = jsonl_ok(outcome) if self.output == "jsonl" else self._row(outcome)
            audit = None
            if self.audit:
                line_json = payload if self.output == "jsonl" else jsonl_ok(outcome)
                audit = (input_hash(data), line_json)
            return Result(
                rid,
                True,
                payload,
                rec.level,
                rec.specialization,
                None,
                fit.score if fit is not None else None,
                audit,
            )
        except ProfileError as exc:
            error = exc.to_dict()  # a profile file keeps the line within that file
            if line is not None:
                error["line"] = line
        except PmpathError as exc:
            error = {"code": exc.code, "path": "", "message": exc.message}
        except Exception as exc:  # a bug: this record fails, the run goes on
            error = {
                "code": "E000",
                "path": "",
                "message": f"internal error (a bug in pmpath): {type(exc).__name__}: {exc}",
            }
        if rid is None:
            if data is None and record[0] == "csv":  # a bad cell: the id column may be fine
                cells = zip(record[3], record[4], strict=False)  # P014: lengths differ
                data = {k: v.strip() for k, v in cells if k in ("id", "name")}
            rid = _record_id(data, source, line)
        if rid in self.skip_ids:
            return Result(rid, None, record)
        return self._error_result(rid, record, error, data)

    def lost(self, record: tuple, reason: str) -> Result:
        """The error record for a record that killed a worker every time it was tried."""
        line = record[2]
        rid = self.identify(record)
        if rid in self.skip_ids:
            return Result(rid, None, record)
        error = {
            "code": "E002",
            "path": "",
            "message": (
                f"a worker process died while scoring this record ({reason}), each time it "
                "was tried; it was not scored"
            ),
        }
        if line is not None:
            error["line"] = line
        return self._error_result(rid, record, error, None)

    def _error_result(self, rid: str, record: tuple, error: dict, data: Any) -> Result:
        source, line = record[1], record[2]
        payload = self._error_payload(rid, source, line, error)
        audit = None
        if self.audit:
            outcome = Outcome(rid, source, line, None, error)
            line_json = payload if self.output == "jsonl" else jsonl_error(outcome)
            audit = (input_hash(_raw_input(record, data)), line_json)
        return Result(rid, False, payload, None, None, error["code"], None, audit)

    def _error_payload(self, rid: str, source: str, line: int | None, error: dict) -> bytes:
        outcome = Outcome(rid, source, line, None, error)
        return jsonl_error(outcome) if self.output == "jsonl" else self._row(outcome)

    def _row(self, outcome: Outcome) -> bytes:
        text = _csv_line([_cell_text(c.value(outcome)) for c in self.columns])
        return text.encode("utf-8", "backslashreplace")

    def _crash(self) -> None:
        if self._crash_once:
            if os.path.exists(self._crash_once):
                return
            with open(self._crash_once, "w") as fh:
                fh.write("crashed\n")
        os._exit(86)


# -- output -------------------------------------------------------------------------

_KNOWLEDGE_VERSION = re.compile(rb'"knowledge_version":"([0-9a-f]{64})"')
_HEAD = '{"id":'
_decoder = json.JSONDecoder()


class BatchOutput:
    """Where records go: a file (created, overwritten, or resumed) or a binary stream.

    With ``resume``, the records already in the file are read first: ``done``
    counts their ids, ``previous`` and ``previous_errors`` count them, and a torn
    last line (an interrupted write) is cut off.
    """

    def __init__(
        self,
        target: str | os.PathLike | IO[bytes],
        fmt: str = "jsonl",
        *,
        resume: bool = False,
        columns: tuple[Column, ...] = CSV_COLUMNS,
    ):
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(OUTPUT_FORMATS)}")
        self.fmt = fmt
        self.columns = columns
        self.done: Counter[str] = Counter()
        self.previous = 0
        self.previous_errors = 0
        self.truncated = 0  # bytes of a torn last line cut off on resume
        self.first_id: str | None = None  # on resume: the first record's id
        self.knowledge_version: str | None = None  # on resume: of the first scored JSONL record
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._fd: int | None = None
        self._stream: IO[bytes] | None = None
        if isinstance(target, str | os.PathLike) and os.fspath(target) != "-":
            self.path = os.fspath(target)
            self.display = self.path
            if os.path.isdir(self.path):
                raise BatchError(f"{self.path}: is a directory, not an output file", code="B004")
            exists = os.path.exists(self.path)
            if resume and exists:
                self._scan()
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resume else os.O_TRUNC)
            try:
                self._fd = os.open(self.path, flags, 0o666)
            except OSError as exc:
                raise BatchError(f"{self.path}: {exc.strerror or exc}", code="B004") from None
            self._whole = os.fstat(self._fd).st_size  # bytes of whole lines in the file
            empty = self._whole == 0
        else:
            if resume:
                raise BatchError(
                    "--resume continues an output file: give it with -o FILE", code="B004"
                )
            self.path = None
            self.display = "<stdout>"
            self._stream = target if not isinstance(target, str | os.PathLike) else None
            if self._stream is None:
                self._stream = sys.stdout.buffer
            empty = True
        if fmt == "csv" and empty:
            self.write(csv_header(columns))

    # -- resume -----------------------------------------------------------------
    def _scan(self) -> None:
        good = 0  # bytes of whole, valid lines
        number = 0
        with open(self.path, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # torn by an interrupted write: cut off below
                number += 1
                if number == 1 and self.fmt == "csv":
                    if raw != csv_header(self.columns):
                        raise self._not_ours(number, "its header is not this run's CSV header")
                elif raw.strip():
                    rid, ok = self._head(raw, number)
                    if self.first_id is None:
                        self.first_id = rid
                    if ok and self.knowledge_version is None:
                        found = _KNOWLEDGE_VERSION.search(raw)
                        if found is not None:
                            self.knowledge_version = found.group(1).decode()
                    self.done[rid] += 1
                    self.previous += 1
                    self.previous_errors += not ok
                good += len(raw)
            size = fh.seek(0, os.SEEK_END)
        if size > good:
            self.truncated = size - good
            with open(self.path, "r+b") as fh:
                fh.truncate(good)

    def _head(self, raw: bytes, number: int) -> tuple[str, bool]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self._not_ours(number, "not UTF-8") from None
        if self.fmt == "csv":
            try:
                row = next(csv.reader([text]))
            except (csv.Error, StopIteration):
                raise self._not_ours(number, "not a CSV row") from None
            if len(row) < 2 or row[1] not in ("true", "false"):
                raise self._not_ours(number, "not a batch CSV row")
            return restore_cell(row[0]), row[1] == "true"
        if not text.startswith(_HEAD):
            raise self._not_ours(number, "not a batch JSONL record")
        try:
            rid, end = _decoder.raw_decode(text, len(_HEAD))
        except json.JSONDecodeError:
            raise self._not_ours(number, "its id is not readable") from None
        if not isinstance(rid, str):
            raise self._not_ours(number, "its id is not a string")
        if text.startswith(',"ok":true', end):
            return rid, True
        if text.startswith(',"ok":false', end):
            return rid, False
        raise self._not_ours(number, "no ok field after the id")

    def _not_ours(self, number: int, why: str) -> BatchError:
        return BatchError(
            f"{self.path}:{number}: cannot resume into this file: {why}. "
            f"Resume only into the {self.fmt} output of an earlier pmpath batch run "
            "(same --format), or drop --resume to overwrite it.",
            code="B004",
        )

    # -- writing ----------------------------------------------------------------
    def pending_bytes(self) -> int:
        """Bytes queued but not yet written (the CSV header of a new file, say)."""
        return self._pending_bytes

    def write(self, payload: bytes) -> None:
        """Queue one whole line; blocks of whole lines go out together."""
        self._pending.append(payload)
        self._pending_bytes += len(payload)
        if self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            if self._fd is not None:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                self._whole += len(data)
            else:
                self._stream.write(data)
                self._stream.flush()
        except BrokenPipeError:
            raise  # a closed pipe: the reader has what it wanted (the CLI ends quietly)
        except OSError as exc:
            if self._fd is not None:  # cut a part-written block back to whole lines
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._whole)
            raise BatchError(
                f"{self.display}: cannot write the output: {exc.strerror or exc}; every "
                "line written is whole"
                + (", and --resume finishes the job once this is fixed" if self.path else ""),
                code="B004",
            ) from None

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


# -- the run ------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a batch run did; ``lines()`` is the text ``pmpath batch`` prints on stderr."""

    output: str = "<stdout>"
    workers: int = 1
    records: int = 0  # written by this run
    errors: int = 0  # of which error records
    skipped: int = 0  # records of the input already in the output (resume)
    previous: int = 0  # records the output held before this run (resume)
    previous_errors: int = 0  # ... of which error records
    truncated: int = 0  # bytes of a torn last line cut off on resume
    levels: Counter = field(default_factory=Counter)
    specializations: Counter = field(default_factory=Counter)
    error_codes: Counter = field(default_factory=Counter)
    deaths: list[WorkerDeath] = field(default_factory=list)
    elapsed: float = 0.0
    level_order: tuple[str, ...] = ()
    specialization_order: tuple[str, ...] = ()
    interrupted: bool = False

    @property
    def scored(self) -> int:
        return self.records - self.errors

    @property
    def rate(self) -> float:
        """Records per second in this run."""
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0 when every record in the output scored, 1 when any failed."""
        return 1 if self.errors or self.previous_errors else 0

    def to_dict(self) -> dict:
        return {
            "output": self.output,
            "workers": self.workers,
            "records": self.records,
            "scored": self.scored,
            "errors": self.errors,
            "error_codes": dict(sorted(self.error_codes.items())),
            "skipped": self.skipped,
            "previous": self.previous,
            "previous_errors": self.previous_errors,
            "levels": _ordered(self.levels, self.level_order),
            "specializations": _ordered(self.specializations, self.specialization_order),
            "worker_deaths": [str(d) for d in self.deaths],
            "seconds": round(self.elapsed, 3),
            "profiles_per_second": round(self.rate, 1),
            "exit_code": self.exit_code,
        }

    def lines(self) -> list[str]:
        n = self.records
        workers = f"{self.workers} worker{'s' * (self.workers != 1)}"
        out = [
            f"{'interrupted: ' if self.interrupted else ''}{n:,} record{'s' * (n != 1)} "
            f"in {self.elapsed:.2f} s, {self.rate:,.0f} profiles/s ({workers}) -> {self.output}",
            f"scored {self.scored:,}, errors {self.errors:,}"
            + (
                " (" + ", ".join(f"{c} {k:,}" for c, k in sorted(self.error_codes.items())) + ")"
                if self.error_codes
                else ""
            ),
        ]
        levels = _ordered(self.levels, self.level_order)
        if levels:
            out.append("levels: " + ", ".join(f"{k} {v:,}" for k, v in levels.items()))
        specs = _ordered(self.specializations, self.specialization_order)
        if specs:
            out.append("specializations: " + ", ".join(f"{k} {v:,}" for k, v in specs.items()))
        if self.previous or self.truncated:
            line = (
                f"resumed: {self.skipped:,} record{'s' * (self.skipped != 1)} skipped, "
                f"already among the {self.previous:,} in the output"
            )
            if self.previous_errors:
                line += f" ({self.previous_errors:,} of those are errors)"
            if self.truncated:
                line += f"; cut off a torn last line ({self.truncated:,} bytes)"
            out.append(line)
        for death in self.deaths:
            out.append(f"warning: {death}")
        return out


def _ordered(counts: Counter, order: tuple[str, ...]) -> dict[str, int]:
    out = {k: counts[k] for k in order if counts.get(k)}
    out.update({k: v for k, v in sorted(counts.items()) if k not in out and v})
    return out


def inputs_bytes(inputs: list[Input]) -> int | None:
    """The inputs' total size (None when one is stdin)."""
    sizes = [inp.size() for inp in inputs]
    return None if None in sizes else sum(sizes)


def run_job(
    job: Any,
    records: Iterable,
    workers: int,
    *,
    chunk_size: int = 64,
    stall_timeout: float = STALL_TIMEOUT,
    on_event: Callable[[WorkerDeath], None] | None = None,
) -> Iterator:
    """``job.run`` of each record, in input order: in ``workers`` processes (an
    `OrderedPool`) when more than one, else here, after ``job.setup()``."""
    if workers > 1:
        pool = OrderedPool(
            job, workers, chunk_size=chunk_size, stall_timeout=stall_timeout, on_event=on_event
        )
        return pool.imap(records)
    job.setup()
    return map(job.run, records)


def auto_workers(total_bytes: int | None) -> int:
    """The machine's cores, but one (in-process) for an input too small to pay them off."""
    if total_bytes is not None and total_bytes < SMALL_INPUT_BYTES:
        return 1
    return default_workers()


def _refuse_overwriting_an_input(
    inputs: list[Input], output: Any, what: str = "the output"
) -> None:
    if not isinstance(output, str | os.PathLike) or os.fspath(output) == "-":
        return
    if not os.path.exists(output):
        return
    listed = os.fspath(output).lower().endswith(PROFILE_EXTENSIONS)  # could be a profile file
    for inp in inputs:
        paths = (inp.path, *inp.files) if inp.kind == "profiles" and listed else (inp.path,)
        for path in paths:
            if path is not None and os.path.isfile(path) and os.path.samefile(path, output):
                raise BatchError(
                    f"{os.fspath(output)} is both an INPUT and {what}; write {what} elsewhere",
                    code="B004",
                )


class BatchRun:
    """One ``pmpath batch`` run: inputs checked and output opened on construction.

    ``run()`` scores every record (in ``workers`` processes when > 1, in this
    process when 1; None picks: the machine's cores, or 1 for a small input) and
    writes them in input order; ``summary`` is live while it runs, so an
    interrupted run can still report what it wrote.
    """

    def __init__(
        self,
        engine: Engine,
        inputs: list[str] | tuple[str, ...],
        output: str | os.PathLike | IO[bytes] = "-",
        *,
        fmt: str = "jsonl",
        workers: int | None = 1,
        resume: bool = False,
        input_format: str = "auto",
        chunk_size: int = 64,
        columns: tuple[Column, ...] = CSV_COLUMNS,
        stdin: IO[bytes] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_event: Callable[[WorkerDeath], None] | None = None,
        evaluator: str = "durable",
        role: str | None = None,
        specialization: str | None = None,
        sort: str | None = None,
        audit_log: AuditLog | None = None,
        stall_timeout: float = STALL_TIMEOUT,
    ):
        self.engine = engine
        self.stall_timeout = stall_timeout
        self.evaluator = evaluator
        if specialization is not None and role is None:
            raise BatchError("--specialization goes with --role (the opening's rung)", code="B005")
        if role is not None:
            check_role(engine.knowledge, role, specialization)  # RoleError: F001/F002
            columns = (*columns, *FIT_COLUMNS)
        if sort not in (None, "input", "fit"):
            raise BatchError(f"cannot sort by {sort!r}; choose input or fit", code="B005")
        self.sort = sort if sort == "fit" else None
        if self.sort and role is None:
            raise BatchError("--sort fit ranks by role fit: give --role too", code="B005")
        if self.sort and resume:
            raise BatchError(
                "--sort fit orders the whole pool at the end, so it cannot --resume; "
                "resume without --sort, then sort the finished run",
                code="B005",
            )
        self.role, self.specialization = role, specialization
        self.audit_log = audit_log
        self._request = {"role": role, "specialization": specialization} if role else {}
        self.inputs = resolve_inputs(inputs, input_format)
        self.workers = max(1, workers) if workers is not None else self._auto_workers()
        self.chunk_size = chunk_size
        self.on_progress = on_progress
        self.on_event = on_event
        _refuse_overwriting_an_input(self.inputs, output)
        if audit_log is not None:
            _refuse_overwriting_an_input(self.inputs, audit_log.path, "the audit log")
        self._final: tuple | None = None
        if self.sort:  # score into a scratch file; write OUT in rank order at the end
            self._final = (output, fmt, columns)
            self._index: list[tuple] = []
            self._offset = 0
            scratch_dir = (
                os.path.dirname(os.path.abspath(output))
                if isinstance(output, str | os.PathLike) and os.fspath(output) != "-"
                else None
            )
            fd, self._scratch = tempfile.mkstemp(prefix=".pmpath-batch-", dir=scratch_dir)
            os.close(fd)
            output, columns = self._scratch, columns
        self.out = BatchOutput(output, fmt, resume=resume, columns=columns)
        if resume and self.out.previous:
            self._check_resumable(engine)
        if self.sort:
            self._offset = self.out.pending_bytes()
        self.reader = RecordReader(self.inputs, stdin)
        knowledge = engine.knowledge
        self.summary = BatchSummary(
            output=self.out.display,
            workers=self.workers,
            previous=self.out.previous,
            previous_errors=self.out.previous_errors,
            truncated=self.out.truncated,
            level_order=tuple(level.id for level in knowledge.levels),
            specialization_order=tuple(knowledge.specializations),
        )
        self.scorer = Scorer(
            engine.model,
            engine.backend,
            output=fmt,
            columns=columns,
            skip_ids=frozenset(self.out.done),
            evaluator=evaluator,
            role=role,
            specialization=specialization,
            audit=audit_log is not None,
        )

    def _check_resumable(self, engine: Engine) -> None:
        """Refuse to continue an output that another input or other knowledge wrote:
        the records would mix, silently."""
        out = self.out
        if out.knowledge_version is not None and out.knowledge_version != engine.knowledge_version:
            raise BatchError(
                f"{out.display}: cannot resume: it was written with other knowledge "
                f"(knowledge_version {out.knowledge_version[:12]}, this run has "
                f"{engine.knowledge_version[:12]}); resume with the same --knowledge and "
                "--rules, or drop --resume to score everything again",
                code="B004",
            )
        if any(inp.path is None for inp in self.inputs):
            return  # stdin cannot be read twice: by id only
        first = next(iter(RecordReader(self.inputs)), None)
        first_id = None if first is None else Scorer(engine.model).identify(first)
        if first_id != out.first_id:
            raise BatchError(
                f"{out.display}: cannot resume: its first record is {out.first_id!r} but this "
                f"input's first is {first_id!r}, so it came from other input; give the same "
                "INPUT as the run that wrote it, or drop --resume to start again",
                code="B004",
            )

    def _auto_workers(self) -> int:
        return auto_workers(self.total_bytes())

    def total_bytes(self) -> int | None:
        """What the progress bar counts up to (None when reading stdin)."""
        return inputs_bytes(self.inputs)

    def run(self) -> BatchSummary:
        summary = self.summary
        out = self.out
        done = out.done
        local: Scorer | None = None  # scores a repeated id beyond what was written
        start = time.perf_counter()
        if self.workers == 1:
            self.scorer._engine = self.engine  # in this process: the engine already built
        results = run_job(
            self.scorer,
            self.reader,
            self.workers,
            chunk_size=self.chunk_size,
            stall_timeout=self.stall_timeout,
            on_event=self._death,
        )
        try:
            for result in results:
                if result.ok is not None and summary.skipped < out.previous:
                    raise BatchError(  # before anything is written: nothing to undo
                        f"{out.display}: cannot resume: record {result.id!r} of this input is "
                        f"not in it, but the first {out.previous:,} records of the input "
                        "should be; it was written from other input (or this input was "
                        "reordered). Give the same INPUT, or drop --resume to start again",
                        code="B004",
                    )
                if result.ok is None:  # already written, by id
                    if done[result.id] > 0:
                        done[result.id] -= 1
                        summary.skipped += 1
                        self._progress()
                        continue
                    if local is None:
                        local = Scorer(
                            self.engine.model,
                            self.engine.backend,
                            output=out.fmt,
                            columns=out.columns,
                            engine=self.engine,
                            evaluator=self.evaluator,
                            role=self.role,
                            specialization=self.specialization,
                            audit=self.audit_log is not None,
                        )
                        local.setup()
                    result = local.run(result.payload)
                if self.audit_log is not None and result.audit is not None:
                    sha, record = result.audit  # logged before it is written: never missing
                    self.audit_log.record_json(
                        "batch",
                        sha,
                        record,
                        self.engine.knowledge_version,
                        request=self._request,
                    )
                if self.sort:
                    key = (0, -result.fit_score) if result.ok else (1, 0)
                    self._index.append((key, summary.records, self._offset, len(result.payload)))
                    self._offset += len(result.payload)
                out.write(result.payload)
                summary.records += 1
                if result.ok:
                    summary.levels[result.level] += 1
                    summary.specializations[result.specialization] += 1
                else:
                    summary.errors += 1
                    summary.error_codes[result.code] += 1
                self._progress()
        except BaseException:
            summary.interrupted = True
            raise
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # stops the worker processes
            out.close()
            if self.sort:
                try:
                    if not summary.interrupted:
                        self._write_ranked()
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(self._scratch)
            summary.elapsed = time.perf_counter() - start
        return summary

    def _write_ranked(self) -> None:
        """OUT in rank order: best fit first, ties and error records in input order."""
        output, fmt, columns = self._final
        ranked = BatchOutput(output, fmt, columns=columns)
        self.summary.output = ranked.display
        self._index.sort()
        try:
            with open(self._scratch, "rb") as scratch:
                fd = scratch.fileno()
                for _key, _seq, offset, length in self._index:
                    ranked.write(os.pread(fd, length, offset))
        finally:
            ranked.close()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.reader.bytes_read)

    def _death(self, death: WorkerDeath) -> None:
        self.summary.deaths.append(death)
        if self.on_event is not None:
            self.on_event(death)
