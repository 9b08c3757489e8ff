"""Prometheus metrics that add up across every worker process.

The workers are separate processes, so each counts in files of its own under
one directory (prometheus_client's multiprocess mode: the supervisor makes the
directory and sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts), and
``GET /metrics`` in whichever worker answers adds them all up. Counts of a
worker that died stay counted.

- ``pmpath_requests_total{endpoint, method, status}``
- ``pmpath_request_duration_seconds{endpoint}`` (histogram)
- ``pmpath_decisions_total{kind, level}``: ``level`` is ``error`` for an error record
- ``pmpath_errors_total{code}``: every error answered, and every error record of a batch
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

#: where the workers' metric files go (set by the supervisor)
DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: latency buckets, in seconds: fine below 10 ms, where a decision sits
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters of one worker process."""

    def __init__(self) -> None:
        if DIRECTORY_ENV not in os.environ:
            raise RuntimeError(f"{DIRECTORY_ENV} must be set before the metrics are made")
        # registry=None: in multiprocess mode the values live in files, and the
        # collector below reads them back; nothing registers in a process-wide registry
        self.requests = Counter(
            "pmpath_requests",
            "HTTP requests answered, by endpoint, method and status.",
            ("endpoint", "method", "status"),
            registry=None,
        )
        self.latency = Histogram(
            "pmpath_request_duration_seconds",
            "Time from the request's arrival to its answer, in seconds.",
            ("endpoint",),
            buckets=BUCKETS,
            registry=None,
        )
        self.decisions = Counter(
            "pmpath_decisions",
            "Decisions made, by kind (recommend, fit, batch) and level (error for an "
            "error record).",
            ("kind", "level"),
            registry=None,
        )
        self.errors = Counter(
            "pmpath_errors",
            "Errors answered and error records of batches, by pmpath error code.",
            ("code",),
            registry=None,
        )

    def request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def decision(self, kind: str, level: str | None) -> None:
        self.decisions.labels(kind, level or "error").inc()

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    @staticmethod
    def exposition() -> bytes:
        """The Prometheus text of every worker's counts, added up."""
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


def worker_gone(pid: int) -> None:
    """Tidy after a worker that stopped (its counts stay)."""
    multiprocess.mark_process_dead(pid)


__all__ = ["CONTENT_TYPE", "DIRECTORY_ENV", "Metrics", "worker_gone"]
