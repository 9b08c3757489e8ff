"""Batch output: `BatchOutput` writes whole lines in blocks (and finds where to
resume), `BatchSummary` counts what was written and sets the exit code.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from pmpath.batch.columns import CSV_COLUMNS, Column, csv_header, restore_cell
from pmpath.batch.records import OUTPUT_FORMATS
from pmpath.errors import BatchError
from pmpath.pool import WorkerDeath

if TYPE_CHECKING:  # pragma: no cover
    pass


FLUSH_BYTES = 256 * 1024  # output is written in blocks of whole lines of about this size


# -- output -------------------------------------------------------------------------

_KNOWLEDGE_VERSION = re.compile(rb'"knowledge_version":"([0-9a-f]{64})"')
#: what an ok JSONL record holds after its head: output v1, or its summary (--detail)
_DETAIL = re.compile(rb',"line":(?:null|[0-9]+),"(recommendation|summary)":')
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
        #: on resume: ``full`` or ``summary``, what the first scored JSONL record holds
        self.detail: str | None = None
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
                        held = _DETAIL.search(raw)
                        if held is not None:
                            full = held.group(1) == b"recommendation"
                            self.detail = "full" if full else "summary"
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
        pending, size = self._pending, self._pending_bytes
        self._pending = []
        self._pending_bytes = 0
        try:
            if self._fd is not None:
                _write_all(self._fd, pending, size)
                self._whole += size
            else:
                self._stream.write(b"".join(pending))
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


def _write_all(fd: int, lines: list[bytes], size: int) -> None:
    """Write ``lines`` (``size`` bytes in all) to ``fd``: gathered in one call when the
    system takes them so (no copy into one block first), the rest as one block."""
    written = os.writev(fd, lines) if _WRITEV and len(lines) <= _IOV_MAX else 0
    if written == size:
        return
    view = memoryview(b"".join(lines))[written:]
    while view:
        view = view[os.write(fd, view) :]


def _iov_max() -> int:
    """The most buffers one writev takes (POSIX promises 16; Linux takes 1024)."""
    try:
        found = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 16
    return found if found >= 16 else 16


_WRITEV = hasattr(os, "writev")  # not on Windows
_IOV_MAX = _iov_max()
