"""Worker processes that score profiles in parallel, answers in input order.

durable_rules' C core never releases the GIL, so parallel scoring needs
processes. Each worker is a fresh Python process (``python -c``, no fork, so
no inherited threads or locks, and nothing depends on the caller's
``__main__``: it works from scripts, notebooks and ``python -``). It receives
the parent's checked `Model` (plain data, pickled once) and builds its own
`Engine` from it: the compiled ruleset is registered afresh in the worker's
own C core, because a registered ruleset cannot cross processes, and the
worker answers with exactly the knowledge the parent loaded.

`OrderedPool` is the machinery, shared by ``Engine.recommend_many`` (through
`recommend_in_processes`) and by ``pmpath batch`` (`pmpath.batch`):

- items are read lazily from any iterable and sent in chunks; at most
  ``window`` items are between "read" and "handed back", so memory stays
  bounded however long the input;
- results come back in input order, whatever order the workers finish in;
- a worker that dies (a crash in the C core, the OOM killer, a kill) is
  reported through ``on_event`` and replaced. The chunk it was working on is
  retried one item at a time, so the one item that killed it is found; an
  item that kills a worker ``max_attempts`` times is handed to the job's
  ``lost`` method, which turns it into a result (batch writes an error
  record). Nothing is dropped, and nothing is answered twice.

A job is any picklable object with three methods: ``setup()`` (in the worker,
once: build the engine), ``run(item)`` (in the worker: one item to one
picklable result; it must not raise for a bad item) and ``lost(item, reason)``
(in the parent: the result for an item that kept killing workers).

Parent and worker talk over two pipes of their own (not stdin/stdout), one
message per frame: an 8-byte length, then a pickle.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

from .errors import EngineError, PmpathError, ProfileError

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine, Model
    from .profile import Profile
    from .recommendation import Recommendation

#: chunks a worker holds at once: one being scored, one waiting, so it never idles
DEPTH = 2
#: deaths in a row, with nothing scored between them, after which the pool gives up
MAX_DEATHS_IN_A_ROW = 8
#: pipe buffer asked for the answers (Linux's default is 64 KB; a chunk's are ~700 KB)
PIPE_BYTES = 1 << 20

_FRAME = struct.Struct("<Q")
_BOOT = "import sys; from pmpath.parallel import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


class Job(Protocol):
    def setup(self) -> None: ...

    def run(self, item: Any) -> Any: ...

    def lost(self, item: Any, reason: str) -> Any: ...


def default_workers() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# -- framing ----------------------------------------------------------------------


def _send(fh: BinaryIO, payload: bytes) -> None:
    fh.write(_FRAME.pack(len(payload)))
    fh.write(payload)
    fh.flush()


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    """``n`` bytes (looping over short reads); EOFError when the other end is gone."""
    parts = []
    while n:
        chunk = fh.read(n)
        if not chunk:
            raise EOFError
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _recv(fh: BinaryIO) -> Any:
    (size,) = _FRAME.unpack(_read_exact(fh, _FRAME.size))
    return pickle.loads(_read_exact(fh, size))


def _widen(fd: int, size: int) -> None:
    """Ask Linux for a larger pipe buffer (best effort: elsewhere, or over the limit, skip)."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setpipe is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setpipe, size)


def _dump(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


# -- the worker side --------------------------------------------------------------


def serve(task_fd: int, result_fd: int) -> None:
    """A worker's main loop (started by `OrderedPool` as ``python -c``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    tasks = os.fdopen(task_fd, "rb")
    results = os.fdopen(result_fd, "wb")
    try:
        job = _recv(tasks)
        job.setup()
    except EOFError:
        return
    except BaseException as exc:
        _send(results, _dump(("failed", f"{type(exc).__name__}: {exc}")))
        return
    _send(results, _dump(("ready", os.getpid())))
    # A thread keeps reading tasks while the main thread scores, so the parent's
    # sends never wait on a busy worker (and the two can never deadlock).
    inbox: queue.SimpleQueue = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                message = _recv(tasks)
            except (EOFError, OSError):  # the parent is gone
                message = None
            inbox.put(message)
            if message is None:
                return

    threading.Thread(target=read, name="pmpath-tasks", daemon=True).start()
    while True:
        message = inbox.get()
        if message is None:
            return
        seq, items = message
        out = [job.run(item) for item in items]
        try:
            _send(results, _dump((seq, out)))
        except OSError:  # the parent is gone
            return


# -- the parent side --------------------------------------------------------------


@dataclass
class _Chunk:
    seq: int  # sequence number of its first item
    items: list
    attempts: int = 0  # times it was being scored when its worker died (single items)


@dataclass(eq=False)
class _Worker:
    index: int
    process: subprocess.Popen
    tasks: BinaryIO  # our sending end
    results: BinaryIO  # our receiving end (unbuffered, so `wait` sees all there is)
    inflight: deque = field(default_factory=deque)
    ready: bool = False


@dataclass(frozen=True)
class WorkerDeath:
    """What `OrderedPool` reports when a worker dies."""

    worker: int
    pid: int | None
    how: str  # "exit code 3", "killed by SIGKILL"
    items: int  # how many items it was holding (all retried or reported)

    def __str__(self) -> str:
        return (
            f"worker {self.worker} (pid {self.pid}) died ({self.how}) holding "
            f"{self.items} record{'s' * (self.items != 1)}; they are retried one by one"
        )


class OrderedPool:
    """``workers`` processes running ``job``; `imap` yields results in input order."""

    def __init__(
        self,
        job: Job,
        workers: int,
        *,
        chunk_size: int = 64,
        window: int | None = None,
        max_attempts: int = 2,
        on_event: Callable[[WorkerDeath], None] | None = None,
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.job = job
        self.size = workers
        self.chunk_size = max(1, chunk_size)
        self.window = window or self.chunk_size * workers * (DEPTH + 2)
        self.max_attempts = max(1, max_attempts)
        self.on_event = on_event
        self.deaths: list[WorkerDeath] = []
        self._job_bytes: bytes | None = None
        self._workers: list[_Worker] = []
        self._started = 0

    # -- lifecycle ------------------------------------------------------------
    def __enter__(self) -> OrderedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        self._started += 1
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        _widen(result_w, PIPE_BYTES)  # a chunk's answers fit: no ping-pong per 64 KB
        _widen(task_w, PIPE_BYTES // 4)
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(task_r), str(result_w)],
                pass_fds=(task_r, result_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the protocol has its own pipes
            )
        except OSError as exc:
            for fd in (task_r, task_w, result_r, result_w):
                os.close(fd)
            raise EngineError(f"cannot start a worker process: {exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                os.close(task_r)  # the worker's ends: closing ours lets EOF mean "it died"
                os.close(result_w)
        worker = _Worker(
            self._started,
            process,
            os.fdopen(task_w, "wb"),
            os.fdopen(result_r, "rb", buffering=0),
        )
        self._workers.append(worker)
        return worker

    def _hello(self, worker: _Worker) -> None:
        """Send the job (the worker reads it as it starts)."""
        if self._job_bytes is None:
            self._job_bytes = _dump(self.job)
        with contextlib.suppress(OSError):  # it died at once: found when reading
            _send(worker.tasks, self._job_bytes)

    def _start_worker(self) -> _Worker:
        worker = self._spawn()
        self._hello(worker)
        return worker

    def close(self) -> None:
        """Stop the workers (politely, then firmly). Idempotent."""
        workers, self._workers = self._workers, []
        for w in workers:
            with contextlib.suppress(OSError, ValueError):
                w.tasks.close()  # EOF: the worker finishes its chunk and exits
            w.results.close()  # and its answer, unread, fails at once instead of blocking
        for w in workers:
            try:
                w.process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged C call
                w.process.kill()
                w.process.wait()

    # -- the loop -------------------------------------------------------------
    def imap(self, items: Iterable) -> Iterator:
        """Results of ``job.run`` for each item, in input order."""
        source = iter(items)
        exhausted = False
        next_seq = 0  # sequence number of the next item read
        emit_seq = 0  # sequence number of the next result to hand back
        done: dict[int, list] = {}  # first seq of a finished chunk -> its results
        retry: list[_Chunk] = []  # chunks to send again, lowest seq first
        deaths_in_a_row = 0
        try:
            fresh = [self._spawn() for _ in range(self.size - len(self._workers))]
            for w in fresh:  # all start in parallel; each reads its job as it comes up
                self._hello(w)
            while True:
                # 1. keep every worker busy, within the window
                while True:
                    worker = min(self._workers, key=lambda w: len(w.inflight))
                    if len(worker.inflight) >= DEPTH:
                        break
                    if retry:
                        chunk = retry.pop(0)
                    elif not exhausted and next_seq - emit_seq < self.window:
                        batch = []
                        for item in source:
                            batch.append(item)
                            if len(batch) >= self.chunk_size:
                                break
                        if not batch:
                            exhausted = True
                            continue
                        chunk = _Chunk(next_seq, batch)
                        next_seq += len(batch)
                    else:
                        break
                    worker.inflight.append(chunk)
                    # if it died, reading from it says so below and the chunk is retried
                    with contextlib.suppress(OSError):
                        _send(worker.tasks, _dump((chunk.seq, chunk.items)))
                # 2. hand back what is ready, in order
                while emit_seq in done:
                    results = done.pop(emit_seq)
                    emit_seq += len(results)
                    yield from results
                if exhausted and not retry and not any(w.inflight for w in self._workers):
                    if emit_seq != next_seq:  # pragma: no cover - a bug, never silently
                        raise EngineError(f"lost results {emit_seq}..{next_seq - 1}")
                    return
                # 3. wait for a worker to answer or die
                by_pipe = {w.results: w for w in self._workers}
                dead: list[_Worker] = []
                finished = len(done)
                for ready in wait(list(by_pipe)):
                    w = by_pipe[ready]
                    if not self._receive(w, done):
                        dead.append(w)
                if len(done) > finished:
                    deaths_in_a_row = 0
                for w in dead:
                    deaths_in_a_row += 1
                    if deaths_in_a_row > MAX_DEATHS_IN_A_ROW * self.size:
                        raise EngineError(
                            f"worker processes keep dying ({self.deaths[-1].how}) with nothing "
                            "scored in between; giving up"
                        )
                    self._bury(w, done, retry)
        finally:
            self.close()

    def _receive(self, w: _Worker, done: dict) -> bool:
        """Read one message from ``w`` (it is ready); False when it is gone."""
        try:
            message = _recv(w.results)
        except (EOFError, OSError):  # the pipe is closed: the worker is gone
            return False
        if message[0] == "ready":
            w.ready = True
        elif message[0] == "failed":
            raise EngineError(f"a worker process could not start: {message[1]}")
        else:
            seq, results = message
            chunk = w.inflight.popleft()
            if chunk.seq != seq or len(results) != len(chunk.items):  # pragma: no cover
                raise EngineError("a worker answered out of turn")
            done[seq] = results
        return True

    def _bury(self, w: _Worker, done: dict, retry: list[_Chunk]) -> None:
        """A worker died: report it, retry what it held, start another."""
        code = w.process.wait()
        how = f"exit code {code}"
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:  # pragma: no cover
                how = f"killed by signal {-code}"
        if not w.ready:  # it never came up: starting more would fail alike
            raise EngineError(
                f"a worker process could not start ({how}); its error is on stderr above"
            )
        held = list(w.inflight)
        death = WorkerDeath(w.index, w.process.pid, how, sum(len(c.items) for c in held))
        self.deaths.append(death)
        if self.on_event is not None:
            self.on_event(death)
        self._workers.remove(w)
        with contextlib.suppress(OSError):
            w.tasks.close()
        w.results.close()
        if held:
            culprit, innocent = held[0], held[1:]  # a worker scores its chunks in order
            if len(culprit.items) > 1:  # find the one item to blame: retry one at a time
                innocent = [
                    _Chunk(culprit.seq + i, [item]) for i, item in enumerate(culprit.items)
                ] + innocent
            elif culprit.attempts + 1 >= self.max_attempts:
                done[culprit.seq] = [self.job.lost(culprit.items[0], how)]
            else:
                innocent = [_Chunk(culprit.seq, culprit.items, culprit.attempts + 1), *innocent]
            retry.extend(innocent)
            retry.sort(key=lambda c: c.seq)
        self._start_worker()


# -- Engine.recommend_many --------------------------------------------------------


class RecommendJob:
    """Scores profiles for `recommend_in_processes`: what fired, not the whole output."""

    def __init__(self, model: Model, backend: str):
        self.model = model
        self.backend = backend
        self._engine: Engine | None = None

    def __getstate__(self) -> dict:
        return {"model": self.model, "backend": self.backend, "_engine": None}

    def setup(self) -> None:
        from .engine import Engine

        self._engine = Engine(self.model, self.backend)

    def run(self, profile: Any) -> tuple:
        try:
            rec = self._engine.recommend(profile)
            return ("ok", rec.profile, rec.derived, rec.fired)
        except ProfileError as exc:
            return ("profile-error", exc.message, _profile_error_fields(exc))
        except PmpathError as exc:
            return ("error", type(exc).__name__, exc.message, exc.code)
        except Exception:
            return ("error", "EngineError", traceback.format_exc(limit=5), "E001")

    def lost(self, profile: Any, reason: str) -> tuple:
        return (
            "error",
            "EngineError",
            f"a worker process died scoring this profile ({reason})",
            "E002",
        )


def _profile_error_fields(exc: ProfileError) -> dict:
    return {
        "code": exc.code,
        "path": exc.path,
        "file": exc.file,
        "line": exc.line,
        "column": exc.column,
        "hint": exc.hint,
    }


def recommend_in_processes(
    engine: Engine,
    profiles: Iterable[Profile | Mapping],
    workers: int,
    *,
    chunk_size: int = 32,
) -> Iterator[Recommendation]:
    """``engine.recommend`` for each profile, in ``workers`` processes, in input order.

    Raises what ``engine.recommend`` would raise (a `ProfileError` for an
    invalid profile) when the iteration reaches that profile. Memory stays
    bounded: profiles are read lazily, a window at a time.
    """
    from .recommendation import Recommendation

    job = RecommendJob(engine.model, engine.backend)
    with OrderedPool(job, workers, chunk_size=chunk_size) as pool:
        for answer in pool.imap(profiles):
            kind = answer[0]
            if kind == "ok":
                yield Recommendation(engine.model, answer[1], answer[2], answer[3])
            elif kind == "profile-error":
                raise ProfileError(answer[1], **answer[2])
            else:
                _, name, message, code = answer
                if name == "EngineError":
                    raise EngineError(message, code=code)
                raise PmpathError(message, code=code)
