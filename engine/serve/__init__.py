"""The HTTP service and the self-assessment page (L9), an extra: ``pip install 'pmpath[serve]'``.

- `config`: `ServeConfig`, sizes, the token, the loopback rule (no web framework);
- `envelope`: request and answer envelopes as bytes, errors as data;
- `service`: `Service`, one worker's decisions behind the endpoints;
- `openapi`: the OpenAPI 3.1 document, built from the shipped JSON Schemas;
- `metrics`: Prometheus counters that add up across worker processes;
- `form`, `page`: the self-assessment form from the profile schema, and the page;
- `app`: the Starlette app of one worker; `worker`: one worker process;
- `supervisor`: the socket, the worker processes, restarts and stopping.

`serve(config)` runs it all and returns when stopped. Nothing outside this
package imports starlette, uvicorn or prometheus_client; ``pmpath serve``
imports this package only when run.
"""

from __future__ import annotations

import importlib.util

from pmpath.errors import ServeError
from pmpath.serve.config import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY,
    ServeConfig,
    check,
    parse_size,
    read_token,
    show_size,
)

#: the modules the extra brings (name to import, name to install)
NEEDS = (
    ("starlette", "starlette"),
    ("uvicorn", "uvicorn"),
    ("prometheus_client", "prometheus-client"),
    ("multipart", "python-multipart"),
)


def missing() -> list[str]:
    """The packages of the ``serve`` extra that are not installed."""
    return [pip for module, pip in NEEDS if importlib.util.find_spec(module) is None]


def knowledge_version(config: ServeConfig) -> str:
    """Load and check the knowledge the workers will load; `KnowledgeError` if it is wrong."""
    # start-up time: the engine loads only when a service starts, not for --help
    from pmpath.engine import Engine

    engine = Engine.load(config.knowledge_dir, config.rules_dir)
    try:
        return engine.knowledge_version
    finally:
        engine.close()


def serve(config: ServeConfig) -> int:
    """Run the service until SIGTERM or SIGINT; `ServeError` (S010) if it cannot start."""
    lacking = missing()
    if lacking:
        raise ServeError(
            "pmpath serve needs the serve extra: pip install 'pmpath[serve]' (missing: "
            + ", ".join(lacking)
            + ")",
            code="S010",
        )
    # start-up time: the supervisor and its web stack load only when a service starts
    from pmpath.serve.supervisor import Supervisor

    return Supervisor(config, check_knowledge=knowledge_version).run()


__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY",
    "ServeConfig",
    "ServeError",
    "check",
    "missing",
    "parse_size",
    "read_token",
    "serve",
    "show_size",
]
