"""The audit trail: one JSON line per decision, appended atomically.

A hiring system must be able to answer, later, why a candidate was screened
as they were. `AuditLog(path)` appends one record per decision to a JSON
Lines file::

    log = AuditLog("audit.jsonl")
    fit = engine.fit(profile, role="senior_pm", specialization="growth")
    log.record("fit", profile, fit.to_dict(), engine.knowledge_version,
               request={"role": "senior_pm", "specialization": "growth"})

`AuditLog.record_json` writes the same record from an input hash and an
output already encoded as JSON (a batch parent that holds what its workers
scored as bytes). Each record is one line, keys in this order:

``timestamp``
    when the decision was recorded: UTC, ISO 8601 with microseconds and ``Z``.
``decision_id``
    only when the caller gave one (``pmpath serve`` does, for every decision):
    the id the answer carried, so a hiring system that stored it finds the
    record. Records without it have no such key.
``pmpath_version``
    the pmpath that decided.
``knowledge_version``
    sha256 of the knowledge and rules that decided (as in every output).
``kind``
    what was decided: ``recommend``, ``fit`` or ``batch`` (the command).
``input_sha256``
    sha256 of the input exactly as given, in canonical JSON (`input_hash`):
    keys sorted, no whitespace, UTF-8. With the profile in hand, an auditor
    recomputes it to find its records; the log itself holds no profile.
``request``
    what else shaped the decision (``{"role": ..., "specialization": ...}``
    for fit; ``{}`` when nothing did).
``output``
    the decision as the command printed it (``to_dict()``), or a batch error
    record.

Concurrency: the file is opened with ``O_APPEND`` and each record is written
with one ``os.write`` of the whole encoded line, under a thread lock and an
exclusive ``flock`` on the file, so writers in any number of threads and
processes never interleave within a line, however long. A line is only ever
complete or, after a failed write (disk full), the last line and
unterminated; `read_audit_log` reports such a line rather than skipping it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pmpath._version import __version__
from pmpath.errors import AuditError
from pmpath.profile.reader import Profile

try:  # POSIX: an advisory lock as well as O_APPEND (covers short writes, odd filesystems)
    import fcntl
except ImportError:  # pragma: no cover - Windows: O_APPEND alone
    fcntl = None  # type: ignore[assignment]

KINDS = ("recommend", "fit", "batch")
_KIND = re.compile(r"^[a-z][a-z0-9_-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: keys sorted, no whitespace, UTF-8."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_jsonable,
    ).encode("utf-8")


def input_hash(profile: Any) -> str:
    """sha256 (hex) of a decision's input as given.

    A mapping (or a loaded `Profile`, by its data) is hashed as canonical
    JSON; ``str`` or ``bytes`` (a raw line that could not be parsed) as its
    UTF-8 bytes.
    """
    if isinstance(profile, Profile):
        profile = profile.data
    if isinstance(profile, bytes):
        data = profile
    elif isinstance(profile, str):
        data = profile.encode("utf-8")
    else:
        data = canonical_json(profile)
    return hashlib.sha256(data).hexdigest()


def utc_timestamp() -> str:
    """Now, in UTC, as ISO 8601 with microseconds: ``2026-01-31T09:15:02.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    """An append-only JSON Lines audit trail, safe across threads and processes.

    Opening creates the file if needed (and raises `AuditError` when it
    cannot). ``fsync=True`` flushes every record to disk before returning:
    slower, and survives a power cut. Picklable: a copy sent to a worker
    process reopens the same path.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fsync: bool = False,
        clock: Callable[[], str] = utc_timestamp,
    ):
        self.path = os.fspath(path)
        self.fsync = fsync
        self.clock = clock
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._open()

    def _open(self) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            #: created by this log: removed again at close if nothing could be written
            self._created = not os.path.exists(self.path)
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise AuditError(
                f"{self.path}: cannot open the audit log: {exc.strerror or exc}",
                code="A001",
            ) from None

    # -- pickling: reopen by path in the receiving process ---------------------------
    def __getstate__(self) -> dict:
        return {"path": self.path, "fsync": self.fsync, "clock": self.clock}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"], fsync=state["fsync"], clock=state["clock"])

    # -- writing -------------------------------------------------------------------------
    def record(
        self,
        kind: str,
        profile: Any,
        output: Mapping[str, Any],
        knowledge_version: str,
        *,
        request: Mapping[str, Any] | None = None,
        decision_id: str | None = None,
    ) -> dict:
        """Append the record of one decision and return it (see the module docstring)."""
        _check_kind(kind)
        entry = {"timestamp": self.clock()}
        if decision_id is not None:
            entry["decision_id"] = decision_id
        entry |= {
            "pmpath_version": __version__,
            "knowledge_version": knowledge_version,
            "kind": kind,
            "input_sha256": input_hash(profile),
            "request": dict(request or {}),
            "output": output,
        }
        self.write(entry)
        return entry

    def record_json(
        self,
        kind: str,
        input_sha256: str,
        output_json: str | bytes,
        knowledge_version: str,
        *,
        request: Mapping[str, Any] | None = None,
        decision_id: str | None = None,
    ) -> None:
        """Append the same record from an input hash and output already encoded as JSON.

        For callers that hold both already (a batch parent writing what its
        workers scored): the output is spliced in as given, neither parsed nor
        re-encoded. ``output_json`` must be one JSON object on one line (a
        trailing newline is dropped); ``input_sha256`` is `input_hash` of the
        input.
        """
        _check_kind(kind)
        if not isinstance(input_sha256, str) or not _SHA256.match(input_sha256):
            raise ValueError(f"input_sha256 must be 64 lowercase hex digits, not {input_sha256!r}")
        out = output_json.encode("utf-8") if isinstance(output_json, str) else bytes(output_json)
        out = out.rstrip(b"\n")
        if not (out.startswith(b"{") and out.endswith(b"}")) or b"\n" in out:
            raise ValueError("output_json must be one JSON object on one line")
        head: dict[str, Any] = {"timestamp": self.clock()}
        if decision_id is not None:
            head["decision_id"] = decision_id
        head |= {
            "pmpath_version": __version__,
            "knowledge_version": knowledge_version,
            "kind": kind,
            "input_sha256": input_sha256,
            "request": dict(request or {}),
        }
        try:
            text = json.dumps(head, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AuditError(f"audit record is not plain JSON data: {exc}", code="A004") from None
        self.append_line(text[:-1].encode("utf-8") + b',"output":' + out + b"}\n")

    def write(self, entry: Mapping[str, Any]) -> None:
        """Append ``entry`` as one line (compact JSON, UTF-8, newline-terminated)."""
        try:
            text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AuditError(f"audit record is not plain JSON data: {exc}", code="A004") from None
        self.append_line(text.encode("utf-8") + b"\n")

    def append_line(self, line: bytes) -> None:
        """Append one already-encoded line atomically (it must end with ``\\n``, and only there)."""
        if not line.endswith(b"\n") or b"\n" in line[:-1]:
            raise ValueError("an audit line must end with one newline and contain no other")
        with self._lock:
            fd = self._fd
            if fd is None:
                raise AuditError(f"{self.path}: the audit log is closed", code="A002")
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                written = os.write(fd, line)
                # A short write (disk nearly full, a signal) is finished under the
                # flock, which keeps every other pmpath writer out meanwhile.
                while written < len(line):
                    written += os.write(fd, line[written:])
                if self.fsync:
                    os.fsync(fd)
            except OSError as exc:
                raise AuditError(
                    f"{self.path}: cannot write the audit log: {exc.strerror or exc}",
                    code="A002",
                ) from None
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                empty = os.fstat(self._fd).st_size == 0
                os.close(self._fd)
                self._fd = None
                if empty and self._created:  # started here, nothing in it: leave no trace
                    with contextlib.suppress(OSError):
                        os.unlink(self.path)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __repr__(self) -> str:
        return f"AuditLog({self.path!r})"


def read_audit_log(path: str | os.PathLike) -> Iterator[dict]:
    """Every record of an audit log, in order; `AuditError` (A003) names a bad line."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AuditError(
                    f"{os.fspath(path)}:{number}: not a JSON record ({exc.msg})", code="A003"
                ) from None
            if not line.endswith("\n"):
                raise AuditError(
                    f"{os.fspath(path)}:{number}: unterminated last record (a write failed)",
                    code="A003",
                )
            yield entry


def _check_kind(kind: Any) -> None:
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise ValueError(f"audit kind must be a lowercase word such as {KINDS}, not {kind!r}")


def _jsonable(value: Any) -> Any:
    """Non-JSON values in an input (dates from YAML, sets) hash by their text."""
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return str(value)
