"""The supervisor: binds the socket, starts the worker processes, keeps them running.

Why not ``uvicorn --workers``: its supervisor binds the socket with the
protocol left at 0, so asyncio never sets TCP_NODELAY on the connections it
accepts, and every keep-alive request after the first waits about 40 ms for a
delayed ACK (uvicorn issue 3149). Here the listening socket is made with
``IPPROTO_TCP`` (and TCP_NODELAY) and handed to each worker process, which runs
its own uvicorn server on it. docs/serving.md says more.

The supervisor checks the knowledge before anything listens (a bad
``--knowledge`` is a one-line error), waits a bounded time for every worker to
load its engine, restarts a worker that dies (and gives up when workers keep
dying), and on SIGTERM or SIGINT stops them all: each finishes its open
requests within the graceful timeout, then is killed.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any, TextIO

from pmpath.errors import ServeError
from pmpath.serve.config import ServeConfig, addresses, check
from pmpath.serve.metrics import DIRECTORY_ENV

#: how long a worker may take to load its engine and start serving, in seconds
START_TIMEOUT = 120.0
#: more than this many worker deaths within RESTART_WINDOW seconds: stop
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
#: how often the supervisor looks at its workers and at signals, in seconds
POLL = 0.5


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, made with ``IPPROTO_TCP`` so its connections get TCP_NODELAY."""
    found = sorted(addresses(host, port), key=lambda a: a[0] != socket.AF_INET)
    family, sockaddr = found[0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(sockaddr)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "something else listens there: stop it, or choose another port with --port"
        elif exc.errno == errno.EACCES:
            why = "not allowed (ports below 1024 need privileges): choose another with --port"
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = "that address is not one of this machine's: check --host"
        else:
            why = exc.strerror or str(exc)
        raise ServeError(f"cannot listen on {host} port {port}: {why}", code="S010") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


class Supervisor:
    """Runs ``config.workers`` worker processes on one socket until told to stop."""

    def __init__(
        self,
        config: ServeConfig,
        *,
        out: TextIO | None = None,
        check_knowledge: Callable[[ServeConfig], str] | None = None,
    ):
        self.config = check(config)
        self.out = out if out is not None else sys.stderr
        self._check_knowledge = check_knowledge
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, Any] = {}  # slot -> Process
        self._deaths: list[float] = []
        self._stop: str | None = None
        self.sock: socket.socket | None = None
        self.metrics_dir: str | None = None

    def say(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr is no reason to stop
            print(line, file=self.out, flush=True)

    # -- running ----------------------------------------------------------------------
    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; 0 when stopped so, else `ServeError`."""
        version = self._check_knowledge(self.config) if self._check_knowledge else None
        self.sock = bind(self.config.host, self.config.port)
        self.metrics_dir = tempfile.mkdtemp(prefix="pmpath-metrics-")
        os.environ[DIRECTORY_ENV] = self.metrics_dir  # before any worker starts
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in range(self.config.workers):
                self._start(slot)
            self._wait_ready()
            pids = ", ".join(str(p.pid) for p in self._workers.values())
            self.say(
                f"pmpath serve: listening on {url_of(self.sock)} with "
                f"{self.config.workers} worker{'s' * (self.config.workers != 1)} (pids {pids})"
                + (f"; knowledge {version[:12]}" if version else "")
                + ("; token required" if self.config.token else "; no token")
            )
            self._watch()
            self.say(f"pmpath serve: stopped ({self._stop})")
            return 0
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.sock.close()
            os.environ.pop(DIRECTORY_ENV, None)
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._stop = signal.Signals(signum).name

    def _start(self, slot: int) -> None:
        # start-up time: the supervisor itself never serves, only its workers import this
        from pmpath.serve.worker import run_worker

        ready, failed = self._context.Event(), self._context.Event()
        process = self._context.Process(
            target=run_worker,
            args=(self.config, self.sock, ready, failed),
            name=f"pmpath-serve-{slot}",
            daemon=False,
        )
        process.start()
        process.ready, process.failed = ready, failed  # type: ignore[attr-defined]
        self._workers[slot] = process

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        for process in self._workers.values():
            while not process.ready.is_set():
                if self._stop is not None:
                    raise ServeError(f"stopped ({self._stop}) while starting", code="S010")
                if process.failed.is_set() or not process.is_alive():
                    raise ServeError(
                        f"worker {process.pid} could not start (exit code "
                        f"{process.exitcode}); its error is above",
                        code="S010",
                    )
                if time.monotonic() > deadline:
                    raise ServeError(
                        f"worker {process.pid} did not start within {START_TIMEOUT:g} s",
                        code="S010",
                    )
                process.ready.wait(POLL)

    def _watch(self) -> None:
        while self._stop is None:
            sentinels = {p.sentinel: slot for slot, p in self._workers.items()}
            for sentinel in wait(list(sentinels), timeout=POLL):
                if self._stop is not None:
                    break
                slot = sentinels[sentinel]
                self._replace(slot)

    def _replace(self, slot: int) -> None:
        dead = self._workers[slot]
        dead.join(0)
        self._gone(dead.pid)
        now = time.monotonic()
        self._deaths = [t for t in self._deaths if now - t < RESTART_WINDOW] + [now]
        if len(self._deaths) > MAX_RESTARTS:
            raise ServeError(
                f"workers died {len(self._deaths)} times in {RESTART_WINDOW:g} s (the last, "
                f"pid {dead.pid}, with exit code {dead.exitcode}): giving up",
                code="S010",
            )
        self.say(
            f"pmpath serve: worker {dead.pid} stopped (exit code {dead.exitcode}); starting another"
        )
        self._start(slot)

    def _gone(self, pid: int | None) -> None:
        if pid is None:
            return
        # start-up time: prometheus_client reads its directory when first imported, so
        # the supervisor imports it only after setting that directory
        from pmpath.serve.metrics import worker_gone

        with contextlib.suppress(OSError):
            worker_gone(pid)

    def _stop_all(self) -> None:
        processes = [p for p in self._workers.values() if p.pid is not None]
        for process in processes:
            if process.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.graceful_timeout + 5.0
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # past its graceful timeout: no more waiting
                process.kill()
                process.join(5.0)
        self._workers.clear()


__all__ = ["MAX_RESTARTS", "START_TIMEOUT", "Supervisor", "bind", "url_of"]
