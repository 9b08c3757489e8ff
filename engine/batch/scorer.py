"""`Scorer`: one raw record in, one output line out (parse, check, infer, fit,
serialise), in a worker process or in-process; `run_job` is the pool's job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from pmpath.audit import input_hash
from pmpath.batch.columns import CSV_COLUMNS, Column, _cell_text, _csv_line
from pmpath.batch.inputs import _raw_input, _record_id
from pmpath.batch.records import (
    EVALUATORS,
    OUTPUT_FORMATS,
    Outcome,
    Result,
    jsonl_error,
    jsonl_ok,
    jsonl_summary,
)
from pmpath.engine import Engine
from pmpath.errors import DocumentError, PmpathError, ProfileError
from pmpath.imports import import_one
from pmpath.pool import STALL_TIMEOUT, OrderedPool, WorkerDeath
from pmpath.profile.cells import csv_profile
from pmpath.profile.reader import Profile, load_profile, parse_profile
from pmpath.results.score import assess
from pmpath.results.summary import check_detail
from pmpath.source.documents import decode

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.engine import Engine
    from pmpath.model import Model


class Scorer:
    """Scores records into output lines: the job each worker (or the parent) runs.

    `run` never raises for a bad record: it returns a `Result`. With ``role``,
    each scored record also carries its role fit (``pmpath.results.score.assess``: no
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
        as_of: date | None = None,
        parent: int | None = None,
        detail: str = "full",
    ):
        if output not in (*OUTPUT_FORMATS, "row"):  # row: the column values (Parquet)
            raise ValueError(f"output must be one of {', '.join(OUTPUT_FORMATS)} or row")
        if evaluator not in EVALUATORS:
            raise ValueError(f"evaluator must be one of {', '.join(EVALUATORS)}")
        check_detail(detail)
        self.detail = detail
        #: how an ok JSONL record is written: output v1, or its summary
        self._jsonl_ok = jsonl_summary if detail == "summary" else jsonl_ok
        self.model = model
        self.backend = backend
        self.evaluator = evaluator
        self.output = output
        self.columns = columns
        self.skip_ids = skip_ids
        self.role = role
        self.specialization = specialization
        self.audit = audit
        #: the day open-ended positions of imported CVs and exports end
        self.as_of = as_of or date.today()
        self._engine = engine
        #: the process that made the job (default: this one); the crash test hooks fire
        #: only in the processes it is sent to
        self._parent = parent if parent is not None else os.getpid()
        self._crash_id: str | None = None
        self._crash_once: str | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engine"] = None  # never pickled: each worker registers its own ruleset
        state.pop("_recommend", None)
        return state

    def setup(self) -> None:
        if self._engine is None:
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
        if kind == "data":  # already parsed (a JSON request's items): checked when scored
            return Profile(record[3], source)
        if kind == "text":
            try:
                text = decode(record[3])
            except DocumentError as exc:
                raise ProfileError(exc.message, code="P012", file=source, line=exc.line) from None
            return parse_profile(text, source)
        raise ProfileError(record[4], code=record[3], file=source, line=line)

    def read(self, record: tuple) -> tuple[Profile, dict | None]:
        """The profile a record holds, and for a CV or export its import report."""
        if record[0] != "import":
            return self.profile_of(record), None
        source, line, fmt, payload = record[1], record[2], record[3], record[4]
        where = source if line is None else f"{source}:{line}"
        if fmt == "greenhouse":  # one candidate of an export: where it stands in the array
            index, payload = payload
            where = source if index is None else f"{source}[{index}]"
        data, report = import_one(
            fmt, payload, source=where, as_of=self.as_of, knowledge=self.model.knowledge
        )
        return Profile(data, source), report

    def identify(self, record: tuple) -> str:
        """A record's id without scoring it (parent side, for a record that killed workers)."""
        try:
            return _record_id(self.read(record)[0].data, record[1], record[2])
        except Exception:
            return _record_id(None, record[1], record[2])

    # -- scoring --------------------------------------------------------------------
    def run(self, record: tuple) -> Result:
        source, line = record[1], record[2]
        data = None
        rid = None
        notes = None
        try:
            profile, notes = self.read(record)
            data = profile.data
            rid = _record_id(data, source, line)
            if rid in self.skip_ids:
                return Result(rid, None, record)
            if self._crash_id is not None and rid == self._crash_id:
                self._crash()
            rec = self._recommend(profile)
            text = fit = None
            if self.role:
                if self.detail == "full" and self.output == "jsonl":
                    # output v1 first: what it works out from its kept parts (the level,
                    # the gaps, the evidence lists) the fit then reads, not works out
                    text = rec.to_json(indent=None)
                fit = assess(rec, self.role, self.specialization)
            outcome = Outcome(rid, source, line, rec, fit=fit, notes=notes, text=text)
            payload = self._jsonl_ok(outcome) if self.output == "jsonl" else self._row(outcome)
            audit = None
            if self.audit:
                line_json = payload if self.output == "jsonl" else self._jsonl_ok(outcome)
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
        except PmpathError as exc:  # an import (I codes: path is where in the source), a bug
            error = exc.to_dict()
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

    def _row(self, outcome: Outcome) -> bytes | list:
        if self.output == "row":
            return [c.value(outcome) for c in self.columns]
        text = _csv_line([_cell_text(c.value(outcome)) for c in self.columns])
        return text.encode("utf-8", "backslashreplace")

    def _crash(self) -> None:
        if self._crash_once:
            if os.path.exists(self._crash_once):
                return
            with open(self._crash_once, "w") as fh:
                fh.write("crashed\n")
        os._exit(86)


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
