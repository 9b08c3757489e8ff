"""The ASGI app of one worker process (Starlette): routes, auth, limits, errors as data.

`create_app(config, load)` returns the app. ``load`` builds this process's
`Service` (its one `Engine`); it runs in a thread when the app starts, so
``/health`` answers at once and everything that needs the engine answers 503
(S006) until it is loaded. Decisions then run on the event loop's thread, one
at a time: the engine is never shared between threads.

Every answer is JSON except the page, the YAML download and the metrics; every
answer carries ``X-Pmpath-Knowledge-Version`` once the engine is loaded.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmpath._version import __version__
from pmpath.errors import DocumentError, PmpathError, ProfileError, ServeError
from pmpath.profile.reader import parse_profile
from pmpath.serve import envelope
from pmpath.serve.config import ServeConfig, show_size
from pmpath.serve.form import form_values, profile_yaml, read_form
from pmpath.serve.metrics import CONTENT_TYPE, Metrics
from pmpath.serve.openapi import document
from pmpath.serve.page import CSP, render_page
from pmpath.serve.service import Service, ready_body
from pmpath.source import schemas
from pmpath.source.documents import decode

log = logging.getLogger("pmpath.serve")

JSON = "application/json"
#: the schemas ``GET /v1/schemas/{name}`` serves
SCHEMA_NAMES = ("profile", "output", "fit", "summary", "serve")
_PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _State:
    """What the app's handlers share in one process."""

    def __init__(self, config: ServeConfig, metrics: Metrics | None):
        self.config = config
        self.metrics = metrics
        self.service: Service | None = None
        self.load_error: str | None = None
        self.openapi: bytes | None = None


def create_app(
    config: ServeConfig,
    load: Callable[[], Service],
    *,
    metrics: Metrics | None = None,
    on_ready: Callable[[], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> Starlette:
    """The app; ``load`` is called once, in a thread, when the app starts."""
    state = _State(config, metrics)

    def loader() -> None:
        try:
            state.service = load()
        except Exception as exc:  # the supervisor checked the knowledge: a bug or no memory
            state.load_error = f"{type(exc).__name__}: {exc}"
            log.error("pmpath serve: the engine could not be loaded: %s", state.load_error)
            if on_failure is not None:
                on_failure(state.load_error)
            return
        if on_ready is not None:
            on_ready()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=loader, name="pmpath-engine-load", daemon=True).start()
        yield

    def route(name: str, *, auth: bool = True, engine: bool = True):
        """A handler with the service's common path: auth, readiness, errors, metrics."""

        def wrap(fn: Callable[..., Any]) -> Callable[[Request], Any]:
            async def handler(request: Request) -> Response:
                started = time.perf_counter()
                try:
                    if auth:
                        _check_token(request, config.token)
                    service = state.service
                    if engine and service is None:
                        raise ServeError(
                            "the engine is still loading; retry in a moment"
                            if state.load_error is None
                            else f"the engine could not be loaded ({state.load_error})",
                            code="S006",
                            status=503,
                        )
                    response = await fn(request, service)
                except PmpathError as exc:
                    response = _error_response(exc)
                    _count_error(state, exc.code)
                except Exception as exc:  # a bug: answered as data, logged with its traceback
                    log.exception("pmpath serve: internal error on %s", request.url.path)
                    error = PmpathError(
                        f"internal error (a bug in pmpath): {type(exc).__name__}: {exc}",
                        code="E000",
                    )
                    response = _error_response(error)
                    _count_error(state, "E000")
                _finish(state, response)
                if state.metrics is not None:
                    state.metrics.request(
                        name, request.method, response.status_code, time.perf_counter() - started
                    )
                return response

            return handler

        return wrap

    # -- decisions --------------------------------------------------------------------
    def decision_endpoint(kind: str) -> Callable:
        @route(f"/v1/{kind}")
        async def handler(request: Request, service: Service) -> Response:
            decision = envelope.decision_id(request.headers.get("x-request-id"))
            body = await _read_body(request, config.max_body)
            answer = getattr(service, kind)(body, decision)
            if state.metrics is not None:
                for what, level in answer.decisions:
                    state.metrics.decision(what, level)
                for code in answer.error_codes:
                    state.metrics.error(code)
            return Response(answer.body, answer.status, {"X-Request-Id": decision}, JSON)

        return handler

    # -- reading ----------------------------------------------------------------------
    @route("/v1/schemas", engine=False)
    async def schema(request: Request, service: Service | None) -> Response:
        name = request.path_params["name"]
        if name not in SCHEMA_NAMES:
            raise ServeError(
                f"no schema {name!r}: this service has {', '.join(SCHEMA_NAMES)}",
                code="S007",
                status=404,
                path="name",
            )
        text = json.dumps(schemas.load(name), indent=2, ensure_ascii=False) + "\n"
        return Response(text, 200, media_type="application/schema+json")

    @route("/openapi.json", auth=False, engine=False)
    async def openapi(request: Request, service: Service | None) -> Response:
        if state.openapi is None:
            state.openapi = json.dumps(document(), indent=2, ensure_ascii=False).encode()
        return Response(state.openapi, 200, media_type=JSON)

    @route("/health", auth=False, engine=False)
    async def health(request: Request, service: Service | None) -> Response:
        return Response(json.dumps({"alive": True, "pid": os.getpid()}), 200, media_type=JSON)

    @route("/ready", auth=False)
    async def ready(request: Request, service: Service) -> Response:
        body = ready_body(service.knowledge_version, os.getpid(), config.workers)
        return Response(body, 200, media_type=JSON)

    @route("/metrics", engine=False)
    async def metrics(request: Request, service: Service | None) -> Response:
        if state.metrics is None:
            raise ServeError("this service keeps no metrics", code="S007", status=404)
        return Response(state.metrics.exposition(), 200, media_type=CONTENT_TYPE)

    # -- the page ---------------------------------------------------------------------
    def page(service: Service, status: int = 200, **parts: Any) -> Response:
        text = render_page(service.engine.knowledge, **parts)
        return Response(text, status, _PAGE_HEADERS, "text/html; charset=utf-8")

    @route("/", auth=False)
    async def form_page(request: Request, service: Service) -> Response:
        if request.method == "GET":
            return page(service)
        pairs, _ = await _read_form(request, config.max_body)
        profile, errors = read_form(pairs)
        values = dict(pairs)
        if errors:
            return page(service, 422, values=values, errors=errors)
        decision = envelope.decision_id(None)
        try:
            rec = service.assess(profile, decision)
        except ProfileError as exc:
            return page(service, 422, values=values, errors={exc.path: exc.message})
        if state.metrics is not None:
            state.metrics.decision("recommend", rec.level)
        return page(service, values=values, result=rec.to_dict())

    @route("/load", auth=False)
    async def load_page(request: Request, service: Service) -> Response:
        pairs, files = await _read_form(request, config.max_body)
        upload = files.get("profile_file")
        if upload is None or not upload[1]:
            return page(
                service, 422, values=dict(pairs), errors={"": "choose a profile file to load"}
            )
        filename, data = upload
        try:
            profile = parse_profile(decode(data), filename)
        except DocumentError as exc:
            return page(service, 422, errors={"": f"{filename}: {exc.message}"})
        except ProfileError as exc:
            return page(service, 422, errors={"": str(exc)})
        if not isinstance(profile.data, dict):
            message = f"{filename}: a profile is a mapping of sections (experience:, scope:, ...)"
            return page(service, 422, errors={"": message})
        values = form_values(profile.data)
        notice = f"Loaded {filename}: {len(values)} answers. Check them, then ask where you stand."
        return page(service, values=values, notice=notice)

    @route("/profile.yaml", auth=False)
    async def download(request: Request, service: Service) -> Response:
        pairs, _ = await _read_form(request, config.max_body)
        profile, errors = read_form(pairs)
        if errors:
            return page(service, 422, values=dict(pairs), errors=errors)
        headers = {
            "Content-Disposition": 'attachment; filename="pmpath-profile.yaml"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        return Response(profile_yaml(profile), 200, headers, "application/yaml")

    routes = [
        Route("/v1/recommend", decision_endpoint("recommend"), methods=["POST"]),
        Route("/v1/fit", decision_endpoint("fit"), methods=["POST"]),
        Route("/v1/batch", decision_endpoint("batch"), methods=["POST"]),
        Route("/v1/schemas/{name}", schema, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if config.page:
        routes += [
            Route("/", form_page, methods=["GET", "POST"]),
            Route("/load", load_page, methods=["POST"]),
            Route("/profile.yaml", download, methods=["POST"]),
        ]

    async def http_error(request: Request, exc: Exception) -> Response:
        """404 and 405 (and any other HTTP error Starlette raises), as data."""
        status = getattr(exc, "status_code", 500)
        if status == 404:
            error = ServeError(
                f"no such path: {request.url.path}; see GET /openapi.json",
                code="S007",
                status=404,
            )
        elif status == 405:
            error = ServeError(
                f"{request.method} is not how {request.url.path} is called; it takes "
                f"{getattr(exc, 'headers', {}).get('Allow', 'another method')}",
                code="S008",
                status=405,
            )
        else:
            error = ServeError(str(getattr(exc, "detail", exc)), code="S002", status=status)
        response = _error_response(error)
        if status == 405 and getattr(exc, "headers", None):
            response.headers["Allow"] = exc.headers["Allow"]
        _count_error(state, error.code)
        _finish(state, response)
        if state.metrics is not None:
            state.metrics.request("other", request.method, status, 0.0)
        return response

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.pmpath = state
    return app


# -- the common path ----------------------------------------------------------------------
def _check_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    given = request.headers.get("authorization", "")
    scheme, _, credentials = given.partition(" ")
    if not given or scheme.lower() != "bearer":
        raise _Unauthorized("this service needs a token: send 'Authorization: Bearer TOKEN'")
    # constant time: how much of a wrong token was right does not show in the timing
    if not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        raise _Unauthorized("the token is wrong", invalid=True)


class _Unauthorized(ServeError):
    def __init__(self, message: str, *, invalid: bool = False):
        super().__init__(message, code="S003", status=401)
        self.invalid = invalid


def _error_response(exc: PmpathError) -> Response:
    status = envelope.error_status(exc)
    response = Response(envelope.error(exc), status, media_type=JSON)
    if isinstance(exc, _Unauthorized):
        challenge = 'Bearer realm="pmpath"'
        if exc.invalid:
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    if status == 413:  # the rest of the body was not read: this connection cannot go on
        response.headers["Connection"] = "close"
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def _finish(state: _State, response: Response) -> None:
    if state.service is not None:
        response.headers["X-Pmpath-Knowledge-Version"] = state.service.knowledge_version
    response.headers["X-Pmpath-Version"] = __version__


def _count_error(state: _State, code: str) -> None:
    if state.metrics is not None:
        state.metrics.error(code)


def _too_large(limit: int) -> ServeError:
    return ServeError(
        f"the body is larger than this service takes ({show_size(limit)}, --max-body); "
        "send less, or split a batch",
        code="S004",
        status=413,
    )


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, at most ``limit`` bytes: checked on Content-Length, then while reading."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise ServeError(
                f"Content-Length {length!r} is not a number of bytes",
                code="S002",
                path="Content-Length",
            )
        if int(length) > limit:
            raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked, or a Content-Length that lied
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_form(
    request: Request, limit: int
) -> tuple[list[tuple[str, str]], dict[str, tuple[str, bytes]]]:
    """A posted form (urlencoded or multipart): its text fields, and its files as (name, bytes)."""
    body = await _read_body(request, limit)

    async def stream() -> AsyncIterator[bytes]:
        yield body

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "multipart/form-data":
            form = await MultiPartParser(
                request.headers, stream(), max_files=1, max_fields=200, max_part_size=limit
            ).parse()
        elif kind == "application/x-www-form-urlencoded":
            form = await FormParser(
                request.headers, stream(), max_fields=200, max_part_size=limit
            ).parse()
        else:
            raise ServeError(
                "a form is sent as application/x-www-form-urlencoded or multipart/form-data, "
                f"not {kind or 'without a Content-Type'}",
                code="S002",
            )
    except MultiPartException as exc:
        raise ServeError(f"the form cannot be read: {exc.message}", code="S002") from None
    pairs: list[tuple[str, str]] = []
    files: dict[str, tuple[str, bytes]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[key] = (os.path.basename(value.filename or "profile"), await value.read())
            await value.close()
        else:
            pairs.append((key, value))
    return pairs, files


__all__ = ["SCHEMA_NAMES", "create_app"]
