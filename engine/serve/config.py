"""How a service runs: `ServeConfig`, checked before anything listens.

Everything here is plain data and plain checks (no web framework): the command
line builds a `ServeConfig`, `check` refuses what must not run (an address
beyond loopback without a token, a token file it cannot read), and the
supervisor and every worker process read the same frozen copy.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field

from pmpath.errors import ServeError
from pmpath.words import parse_size, show_size

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 256 * 1024
DEFAULT_MAX_BATCH = 1000
#: the environment variable a token may come from (``--token-file`` wins)
TOKEN_ENV = "PMPATH_TOKEN"


@dataclass(frozen=True)
class ServeConfig:
    """What `pmpath serve` was asked for (see ``pmpath serve --help``)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    token: str | None = field(default=None, repr=False)  # never printed
    max_body: int = DEFAULT_MAX_BODY
    max_batch: int = DEFAULT_MAX_BATCH
    audit_log: str | None = None
    knowledge_dir: str | None = None
    rules_dir: str | None = None
    #: serve the self-assessment page at ``/`` (``--no-page`` turns it off)
    page: bool = True
    #: seconds a worker is given to finish its open requests when told to stop
    graceful_timeout: float = 10.0


def read_token(token_file: str | None, environ: dict | None = None) -> str | None:
    """The bearer token: the first line of ``token_file``, else ``$PMPATH_TOKEN``, else None."""
    environ = os.environ if environ is None else environ
    if token_file is not None:
        try:
            with open(token_file, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ServeError(
                f"{token_file}: cannot read the token file: {reason}", code="S010"
            ) from None
        token = text.strip()
        if not token:
            raise ServeError(
                f"{token_file}: the token file is empty; put the token on its first line",
                code="S010",
            )
        if "\n" in token:
            raise ServeError(
                f"{token_file}: the token file holds more than one line; put only the token in it",
                code="S010",
            )
        return token
    token = environ.get(TOKEN_ENV, "").strip()
    return token or None


def addresses(host: str, port: int) -> list[tuple]:
    """What ``host`` resolves to for listening: getaddrinfo's (family, address) pairs."""
    try:
        found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: cannot resolve it: {exc.strerror}", code="S010") from None
    return [(family, sockaddr) for family, _, _, _, sockaddr in found]


def is_loopback(host: str, port: int = 0) -> bool:
    """Whether every address ``host`` resolves to is a loopback address."""
    found = addresses(host, port)
    return bool(found) and all(ipaddress.ip_address(a[1][0]).is_loopback for a in found)


def check(config: ServeConfig) -> ServeConfig:
    """``config`` if it may run; `ServeError` (S010) says why not and what to do."""
    if not 0 <= config.port <= 65535:
        raise ServeError(f"--port {config.port}: a port is from 0 to 65535", code="S010")
    if config.workers < 1:
        raise ServeError(f"--workers {config.workers}: at least 1 worker", code="S010")
    if config.max_batch < 1:
        raise ServeError(f"--max-batch {config.max_batch}: at least 1 item", code="S010")
    if config.token is None and not is_loopback(config.host, config.port):
        raise ServeError(
            f"--host {config.host}: without a token pmpath serve listens on loopback only "
            f"(127.0.0.1 or ::1); give a token with --token-file FILE or ${TOKEN_ENV} to "
            "listen beyond this machine",
            code="S010",
        )
    return config


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "TOKEN_ENV",
    "ServeConfig",
    "addresses",
    "check",
    "is_loopback",
    "parse_size",
    "read_token",
    "show_size",
]
