"""Worker processes that score profiles in parallel, answers in input order.

One module on purpose (about 550 lines): the wire protocol, the worker loop and
`OrderedPool` change together; it knows no pmpath type (a job is any object
with ``setup``, ``run`` and ``lost``).

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
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

from pmpath.errors import EngineError

if TYPE_CHECKING:  # pragma: no cover
    pass


#: chunks a worker holds at once: one being scored, one waiting, so it never idles
DEPTH = 2
#: deaths in a row, with nothing scored between them, after which the pool gives up
MAX_DEATHS_IN_A_ROW = 8
#: pipe buffer asked for the answers (Linux's default is 64 KB; a chunk's are ~700 KB)
PIPE_BYTES = 1 << 20
#: seconds of waiting on a worker that holds work and says nothing, before it is
#: stopped and its work retried (a chunk takes milliseconds; a worker's start, ~0.5 s)
STALL_TIMEOUT = 60.0

_FRAME = struct.Struct("<Q")
_BOOT = "import sys; from pmpath.pool import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


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
    """A worker's main loop (started by `OrderedPool` as ``python -c``).

    The parent may close the pipes at any moment (it finished, or stopped this
    worker): every read and write treats that as "stop now", quietly, so a run
    that succeeded never shows a worker's traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    tasks = os.fdopen(task_fd, "rb")
    results = os.fdopen(result_fd, "wb")
    try:
        try:
            job = _recv(tasks)
            job.setup()
        except (EOFError, OSError):  # the parent is gone before we started
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
            _send(results, _dump((seq, out)))
    except OSError:  # the parent closed our pipes: it needs nothing more from us
        return
    finally:
        with contextlib.suppress(OSError):
            results.close()


# -- the parent side --------------------------------------------------------------


@dataclass
class _Chunk:
    seq: int  # sequence number of its first item
    items: list
    attempts: int = 0  # times it was being scored when its worker died (single items)

    def span(self) -> str:
        first, last = self.seq + 1, self.seq + len(self.items)
        return f"#{first}" if first == last else f"#{first}-#{last}"


@dataclass(eq=False)
class _Worker:
    index: int
    process: subprocess.Popen
    tasks: int  # our sending end (non-blocking)
    results: int  # our receiving end (non-blocking)
    inflight: deque = field(default_factory=deque)
    ready: bool = False
    waited: float = 0.0  # seconds spent waiting on it since it last answered
    buffer: bytearray = field(default_factory=bytearray)  # a frame not yet whole


@dataclass(frozen=True)
class WorkerDeath:
    """What `OrderedPool` reports when a worker dies or is stopped for not answering."""

    worker: int
    pid: int | None
    how: str  # "exit code 3", "killed by SIGKILL", "gave no answer for 60 s"
    items: int  # how many items it was holding (all retried or reported)
    held: str = ""  # which items, by position in the input ("#129-#192, #193-#256")
    stalled: bool = False  # it was alive but silent, and the pool stopped it

    def __str__(self) -> str:
        what = f"{self.items} record{'s' * (self.items != 1)}"
        if self.held:
            what += f" (input records {self.held})"
        if self.stalled:
            return (
                f"worker {self.worker} (pid {self.pid}) {self.how} holding {what}; "
                "it was stopped and they are retried one by one"
            )
        return (
            f"worker {self.worker} (pid {self.pid}) died ({self.how}) holding "
            f"{what}; they are retried one by one"
        )


class _Stalled(Exception):
    """A send to a worker could not finish in time (the worker is wedged)."""


def _write_all(fd: int, data: bytes, timeout: float) -> None:
    """Write all of ``data`` to the non-blocking ``fd`` within ``timeout`` seconds.

    Raises `_Stalled` when the other end stops reading for that long, and
    OSError (BrokenPipeError) when it is gone.
    """
    view = memoryview(data)
    deadline = time.monotonic() + timeout
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            n = 0
        view = view[n:]
        if view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stalled
            select.select([], [fd], [], min(left, 1.0))


class OrderedPool:
    """``workers`` processes running ``job``; `imap` yields results in input order.

    Nothing it does waits without a bound: a worker holding work that gives no
    answer for ``stall_timeout`` seconds of waiting (or will not take a task for
    that long) is reported, stopped and replaced, and what it held is retried one
    item at a time, exactly as when a worker dies.
    """

    def __init__(
        self,
        job: Job,
        workers: int,
        *,
        chunk_size: int = 64,
        window: int | None = None,
        max_attempts: int = 2,
        stall_timeout: float = STALL_TIMEOUT,
        on_event: Callable[[WorkerDeath], None] | None = None,
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not stall_timeout > 0:
            raise ValueError("stall_timeout must be more than 0 seconds")
        self.job = job
        self.size = workers
        self.chunk_size = max(1, chunk_size)
        self.window = window or self.chunk_size * workers * (DEPTH + 2)
        self.max_attempts = max(1, max_attempts)
        self.stall_timeout = float(stall_timeout)
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
        os.set_blocking(task_w, False)
        os.set_blocking(result_r, False)
        worker = _Worker(self._started, process, task_w, result_r)
        self._workers.append(worker)
        return worker

    def _hello(self, worker: _Worker) -> None:
        """Send the job (the worker reads it as it starts)."""
        if self._job_bytes is None:
            self._job_bytes = _dump(self.job)
        self._send(worker, self._job_bytes)

    def _send(self, worker: _Worker, payload: bytes) -> None:
        try:
            _write_all(worker.tasks, _FRAME.pack(len(payload)) + payload, self.stall_timeout)
        except _Stalled:
            worker.waited = self.stall_timeout  # found stalled before the next wait
        except OSError:  # it died: reading from it says so, and what it held is retried
            pass

    def _start_worker(self) -> _Worker:
        worker = self._spawn()
        self._hello(worker)
        return worker

    def close(self) -> None:
        """Stop the workers (politely, then firmly). Idempotent."""
        workers, self._workers = self._workers, []
        for w in workers:
            _close_fd(w.tasks)  # EOF: the worker finishes its chunk and exits
            _close_fd(w.results)  # and its answer, unread, fails at once instead of blocking
        for w in workers:
            try:
                _wait_exit(w.process, timeout=5)
            except subprocess.TimeoutExpired:  # a wedged C call, or a stopped process
                w.process.kill()
                w.process.wait()

    def holdings(self) -> list[str]:
        """Which worker holds what, one line each (for a report while it runs)."""
        return [
            f"worker {w.index} (pid {w.process.pid}): "
            + (", ".join(f"input records {c.span()}" for c in w.inflight) or "nothing")
            + (f", no answer for {w.waited:.1f} s" if w.inflight else "")
            for w in self._workers
        ]

    # -- the loop -------------------------------------------------------------
    def imap(self, items: Iterable) -> Iterator:
        """Results of ``job.run`` for each item, in input order."""
        # Long on purpose: one event loop (send, receive, reorder, replace a dead worker, retry
        # its chunk); its states would not be clearer apart.
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
                # 1. hand back what is ready, in order. This comes before the refill:
                # handing back frees room in the window, and room freed after the
                # refill would leave every worker idle while we wait on them.
                while emit_seq in done:
                    results = done.pop(emit_seq)
                    emit_seq += len(results)
                    yield from results
                # 2. keep every worker busy, within the window
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
                    if not worker.inflight:
                        worker.waited = 0.0  # its clock starts with its first chunk
                    worker.inflight.append(chunk)
                    self._send(worker, _dump((chunk.seq, chunk.items)))
                # 3. finished, or (never) nothing to wait for
                busy = [w for w in self._workers if w.inflight]
                if not busy:
                    if exhausted and not retry and emit_seq == next_seq:
                        return
                    raise EngineError(  # a bug; said at once instead of waiting forever
                        f"the worker pool owes input records #{emit_seq + 1}-#{next_seq} "
                        "but no worker holds any of them (a bug in pmpath)",
                        code="E003",
                    )
                # 4. wait for a worker to answer or die, at most until one stalls
                dead: list[tuple[_Worker, str | None]] = []
                patience = self.stall_timeout - max(w.waited for w in busy)
                if patience > 0:
                    began = time.monotonic()
                    ready = wait([w.results for w in self._workers], timeout=patience)
                    waited = time.monotonic() - began
                    for w in busy:
                        w.waited += waited
                    by_fd = {w.results: w for w in self._workers}
                    finished = len(done)
                    for fd in ready:
                        w = by_fd[fd]
                        if not self._receive(w, done):
                            dead.append((w, None))
                    if len(done) > finished:
                        deaths_in_a_row = 0
                for w in busy:
                    if w.inflight and w.waited >= self.stall_timeout and (w, None) not in dead:
                        dead.append((w, f"gave no answer for {w.waited:.0f} s"))
                for w, stalled in dead:
                    deaths_in_a_row += 1
                    if deaths_in_a_row > MAX_DEATHS_IN_A_ROW * self.size:
                        raise EngineError(
                            f"worker processes keep failing ({self.deaths[-1].how}) with "
                            "nothing scored in between; giving up",
                            code="E003",
                        )
                    self._bury(w, done, retry, stalled)
        finally:
            self.close()

    def _receive(self, w: _Worker, done: dict) -> bool:
        """Take every whole message ``w`` has sent (it is readable); False when it is gone."""
        gone = False
        while True:
            try:
                data = os.read(w.results, PIPE_BYTES)
            except BlockingIOError:
                break
            except OSError:
                gone = True
                break
            if not data:  # the pipe is closed: the worker is gone
                gone = True
                break
            w.buffer += data
        buf = w.buffer
        at = 0
        while len(buf) - at >= _FRAME.size:
            (size,) = _FRAME.unpack_from(buf, at)
            if len(buf) - at - _FRAME.size < size:
                break
            message = pickle.loads(memoryview(buf)[at + _FRAME.size : at + _FRAME.size + size])
            at += _FRAME.size + size
            self._take(w, message, done)
        if at:
            del buf[:at]
        return not gone

    def _take(self, w: _Worker, message: tuple, done: dict) -> None:
        if message[0] == "ready":
            w.ready = True
            w.waited = 0.0
        elif message[0] == "failed":
            raise EngineError(f"a worker process could not start: {message[1]}")
        else:
            seq, results = message
            chunk = w.inflight.popleft()
            if chunk.seq != seq or len(results) != len(chunk.items):  # pragma: no cover
                raise EngineError("a worker answered out of turn")
            done[seq] = results
            w.waited = 0.0

    def _bury(self, w: _Worker, done: dict, retry: list[_Chunk], stalled: str | None) -> None:
        """A worker died or stalled: report it, retry what it held, start another."""
        if stalled is not None:
            with contextlib.suppress(OSError):
                w.process.kill()
        code = w.process.wait()
        if stalled is not None:
            how = stalled
        else:
            how = f"exit code {code}"
            if code < 0:
                try:
                    how = f"killed by {signal.Signals(-code).name}"
                except ValueError:  # pragma: no cover
                    how = f"killed by signal {-code}"
        if not w.ready:  # it never came up: starting more would fail alike
            if stalled is not None:
                raise EngineError(
                    f"a worker process did not start within {self.stall_timeout:g} s",
                    code="E003",
                )
            raise EngineError(
                f"a worker process could not start ({how}); its error is on stderr above"
            )
        held = list(w.inflight)
        death = WorkerDeath(
            w.index,
            w.process.pid,
            how,
            sum(len(c.items) for c in held),
            ", ".join(c.span() for c in held),
            stalled is not None,
        )
        self.deaths.append(death)
        if self.on_event is not None:
            self.on_event(death)
        self._workers.remove(w)
        _close_fd(w.tasks)
        _close_fd(w.results)
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


def _wait_exit(process: subprocess.Popen, timeout: float) -> None:
    """``process.wait(timeout)``, returning as soon as the process exits: Python
    3.11's ``Popen.wait`` with a timeout polls, sleeping up to 50 ms at a time, so
    a worker that exits at once still cost its pool's ``close`` tens of ms. On
    Linux the wait is a ``poll`` on the process's pidfd (woken by the exit)."""
    fd = _pidfd(process)
    if fd is not None:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                raise subprocess.TimeoutExpired(process.args, timeout)
        finally:
            os.close(fd)
    process.wait(timeout=timeout)  # reaps it (at once, once it has exited)


def _pidfd(process: subprocess.Popen) -> int | None:
    """A pidfd of ``process`` while it is not reaped (its pid is its own until then,
    never another process's), or None: reaped already, or no pidfds here."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None or process.returncode is not None:
        return None
    try:
        return pidfd_open(process.pid)
    except OSError:
        return None


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
