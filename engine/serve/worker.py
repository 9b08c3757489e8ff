"""One worker process of the service: its own engine, its own event loop, the shared socket.

`run_worker` is what the supervisor starts in each process (spawned, so it
inherits no threads): it builds the app, loads this process's engine in the
app's start-up, and serves the listening socket the supervisor bound, until
told to stop (SIGTERM or SIGINT: open requests are finished first) or until
the supervisor is gone.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from typing import Any

import uvicorn

from pmpath.audit import AuditLog
from pmpath.engine import Engine
from pmpath.serve.app import create_app
from pmpath.serve.config import ServeConfig
from pmpath.serve.metrics import Metrics
from pmpath.serve.service import Service

#: how often a worker checks that its supervisor is still there, in seconds
ORPHAN_CHECK = 1.0


def run_worker(config: ServeConfig, sock: socket.socket, ready: Any, failed: Any) -> None:
    """Serve ``sock`` until stopped; ``ready``/``failed`` are events the supervisor waits on."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    supervisor = os.getppid()

    def load() -> Service:
        engine = Engine.load(config.knowledge_dir, config.rules_dir)
        # the first decision builds what every later one reuses (plans, codecs): make it
        # here, so that no caller's request pays for it
        warm = {"experience": {"total_years": 5, "product_years": 3}}
        engine.recommend(warm).to_json(indent=None)
        engine.fit(warm, "pm").to_json(indent=None)
        audit = AuditLog(config.audit_log) if config.audit_log else None
        return Service(engine, max_batch=config.max_batch, audit=audit)

    def on_failure(reason: str) -> None:
        failed.set()
        server.should_exit = True

    app = create_app(config, load, metrics=Metrics(), on_ready=ready.set, on_failure=on_failure)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=int(config.graceful_timeout),
            timeout_keep_alive=5,
        )
    )

    def watch() -> None:  # an orphan stops: nothing is left serving after its supervisor
        while not server.should_exit:
            if os.getppid() != supervisor:
                server.should_exit = True
                return
            threading.Event().wait(ORPHAN_CHECK)

    threading.Thread(target=watch, name="pmpath-orphan-watch", daemon=True).start()
    server.run(sockets=[sock])


__all__ = ["run_worker"]
