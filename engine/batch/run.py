"""The batch run: inputs through the scorer to the output; resume, sort by fit, summary."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from pmpath.batch.columns import CSV_COLUMNS, FIT_COLUMNS, Column
from pmpath.batch.inputs import PROFILE_EXTENSIONS, Input, RecordReader, resolve_inputs
from pmpath.batch.output import BatchOutput, BatchSummary
from pmpath.batch.scorer import Scorer, run_job
from pmpath.errors import BatchError
from pmpath.pool import STALL_TIMEOUT, WorkerDeath, default_workers
from pmpath.results.fit import check_role
from pmpath.results.summary import check_detail

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.audit import AuditLog
    from pmpath.engine import Engine
#: below this much input (about a thousand profiles), starting worker processes costs
#: more than it saves, so ``workers=None`` scores in-process
SMALL_INPUT_BYTES = 512 * 1024


def inputs_bytes(inputs: list[Input]) -> int | None:
    """The inputs' total size (None when one is stdin)."""
    sizes = [inp.size() for inp in inputs]
    return None if None in sizes else sum(sizes)


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
        as_of: date | None = None,
        detail: str = "full",
    ):
        # Long on purpose: every option checked before anything is read or written, in the order
        # the errors are documented (B004, B005, F001/F002).
        self.engine = engine
        self.stall_timeout = stall_timeout
        self.evaluator = evaluator
        try:
            check_detail(detail)
        except ValueError as exc:
            raise BatchError(str(exc), code="B005") from None
        self.detail = detail
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
            as_of=as_of,
            detail=detail,
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
        if out.detail is not None and out.detail != self.detail:
            raise BatchError(
                f"{out.display}: cannot resume: its records hold --detail {out.detail} and "
                f"this run writes --detail {self.detail}; resume with --detail {out.detail}, "
                "or drop --resume to score everything again",
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
        # Long on purpose: the run's one loop (score, write, summarise, resume, sort), its cleanup
        # in one place.
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
                            as_of=self.scorer.as_of,
                            detail=self.detail,
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
