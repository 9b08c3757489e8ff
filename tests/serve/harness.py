"""A real `pmpath serve` as a subprocess on a free loopback port, and an HTTP client.

`Server` starts ``python -m pmpath.cli.main serve --port 0 ...``, reads the
port from its "listening on" line (within a bounded time), and stops it with
SIGTERM (then SIGKILL) on exit. `call` is one HTTP request with
``http.client``; `Client` keeps one keep-alive connection.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

#: how long a server may take to start (every worker loads its engine)
START_TIMEOUT = 90.0
HTTP_TIMEOUT = 30.0

_LISTENING = re.compile(r"listening on http://[^/]+:(\d+)/ with \d+ workers? \(pids ([\d, ]+)\)")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Server:
    """``with Server("--workers", "2") as server: server.port``"""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: str | None = None):
        self.args = args
        # a token only when the test gives one (the developer's own $PMPATH_TOKEN is no test's)
        self.env = {k: v for k, v in os.environ.items() if k != "PMPATH_TOKEN"}
        self.env.update(env or {})
        self.cwd = cwd
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.port = 0
        self.pids: list[int] = []

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmpath.cli.main", "serve", "--port", "0", *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            line = self.line(max(0.1, deadline - time.monotonic()))
            if line is None:
                output = "\n".join(self.lines)
                self.stop()
                raise AssertionError(f"pmpath serve did not start:\n{output}")
            match = _LISTENING.search(line)
            if match:
                self.port = int(match.group(1))
                self.pids = [int(p) for p in match.group(2).split(", ")]
                return self

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def line(self, timeout: float) -> str | None:
        """The next line the server printed, or None at its end or after ``timeout``."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is not None:
            self.lines.append(line)
        return line

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        while self.line(0.5) is not None:  # what it printed on the way out
            pass
        return self.process.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it ----------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None) -> Answer:
        """One request on a new connection; a dict or list body is sent as JSON."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            return send(connection, method, path, body, headers)
        finally:
            connection.close()

    def client(self) -> Client:
        return Client(self.port)


class Client:
    """One keep-alive connection."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None) -> Answer:
        return send(self.connection, method, path, body, headers)

    def close(self) -> None:
        self.connection.close()


def send(connection, method: str, path: str, body: Any, headers: dict | None) -> Answer:
    if isinstance(body, dict | list):
        body = json.dumps(body).encode()
    headers = (
        {"Content-Type": "application/json", **(headers or {})}
        if body is not None
        else (headers or {})
    )
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    data = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
