"""Drive an ASGI app in this process, no server and no HTTP client library: the
lifespan start-up, then one request at a time."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Driver:
    def __init__(self, app: Any):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan_in: asyncio.Queue = asyncio.Queue()
        self._lifespan_out: asyncio.Queue = asyncio.Queue()

    def start(self) -> None:
        async def receive():
            return await self._lifespan_in.get()

        async def send(message):
            await self._lifespan_out.put(message)

        async def startup():
            self._task = asyncio.ensure_future(
                self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
            )
            await self._lifespan_in.put({"type": "lifespan.startup"})
            message = await asyncio.wait_for(self._lifespan_out.get(), 10)
            assert message["type"] == "lifespan.startup.complete", message

        self.loop.run_until_complete(startup())

    def close(self) -> None:
        async def shutdown():
            await self._lifespan_in.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(self._lifespan_out.get(), 10)

        self.loop.run_until_complete(shutdown())
        self.loop.close()

    def request(
        self, method: str, path: str, body: bytes | dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        body = body or b""
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        raw.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            sent.append(message)

        self.loop.run_until_complete(asyncio.wait_for(self.app(scope, receive, send), 30))
        start = next(m for m in sent if m["type"] == "http.response.start")
        out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, out
