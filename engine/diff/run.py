"""The diff run: both sides score the pool in worker processes; the report counts what moved."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING

from pmpath.batch.inputs import RecordReader, resolve_inputs
from pmpath.batch.run import auto_workers, inputs_bytes
from pmpath.batch.scorer import run_job
from pmpath.diff.compare import SHORTLIST_SCORE, DiffJob
from pmpath.diff.knowledge import knowledge_changes
from pmpath.diff.report import DiffReport
from pmpath.errors import DiffError
from pmpath.pool import STALL_TIMEOUT, WorkerDeath
from pmpath.results.fit import check_role

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.engine import Engine


# -- the run -----------------------------------------------------------------------------------


class DiffRun:
    """One ``pmpath diff`` run: inputs checked on construction, `run()` scores the pool."""

    def __init__(
        self,
        base: Engine,
        new: Engine,
        inputs: Iterable[str],
        *,
        workers: int | None = 1,
        input_format: str = "auto",
        role: str | None = None,
        specialization: str | None = None,
        shortlist: int = SHORTLIST_SCORE,
        chunk_size: int = 64,
        stdin: IO[bytes] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_event: Callable[[WorkerDeath], None] | None = None,
        stall_timeout: float = STALL_TIMEOUT,
    ):
        if specialization is not None and role is None:
            raise DiffError("--specialization goes with --role (the opening's rung)", code="D002")
        if role is not None:
            check_role(base.knowledge, role, specialization)
            check_role(new.knowledge, role, specialization)
        self.base, self.new = base, new
        self.inputs = resolve_inputs(list(inputs), input_format)
        self.reader = RecordReader(self.inputs, stdin)
        self.workers = max(1, workers) if workers is not None else auto_workers(self.total_bytes())
        self.chunk_size = chunk_size
        self.stall_timeout = stall_timeout
        self.on_progress, self.on_event = on_progress, on_event
        files, changes = knowledge_changes(base.model, new.model)
        self.report = DiffReport(
            base.knowledge_version,
            new.knowledge_version,
            files,
            changes,
            tuple(level.id for level in new.knowledge.levels),
            role=role,
            specialization=specialization,
            shortlist=shortlist,
        )
        self.job = DiffJob(base.model, new.model, role=role, specialization=specialization)

    def total_bytes(self) -> int | None:
        return inputs_bytes(self.inputs)

    def run(self) -> DiffReport:
        report = self.report
        if self.workers == 1:
            self.job._engines = (self.base, self.new)  # in this process: already built
        results = run_job(
            self.job,
            self.reader,
            self.workers,
            chunk_size=self.chunk_size,
            stall_timeout=self.stall_timeout,
            on_event=self._death,
        )
        try:
            for compared in results:
                report.add(compared)
                if self.on_progress is not None:
                    self.on_progress(self.reader.bytes_read)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        return report

    def _death(self, death: WorkerDeath) -> None:
        self.report.deaths.append(death)
        if self.on_event is not None:
            self.on_event(death)
