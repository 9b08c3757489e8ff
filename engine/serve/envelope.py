"""The request envelope and the answer envelope, as bytes in and bytes out.

A request is one JSON object with named members (``{"input": {...},
"explain": false}``), read strictly: UTF-8, no NaN, no duplicate keys, no
member the endpoint does not take. Every answer is one JSON object; a decision
is wrapped as ``{"decision_id", "pmpath_version", "knowledge_version",
"result"}`` and an error as ``{"error": {"code", "path", "message"}}``
(docs/serving.md). No web framework here: the app hands bytes in and sends the
bytes it gets back.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from pmpath._version import __version__
from pmpath.errors import (
    DocumentError,
    PmpathError,
    ProfileError,
    RoleError,
    ServeError,
    SourceError,
)
from pmpath.source.documents import parse_json
from pmpath.words import did_you_mean


@dataclass(frozen=True)
class Member:
    """One member of a request envelope: its JSON type, and whether it must be there."""

    kind: type | tuple[type, ...]
    required: bool = False
    words: str = ""  # what it must be, for the error


#: the members each endpoint takes
ENVELOPES: dict[str, dict[str, Member]] = {
    "recommend": {
        "input": Member(dict, True, "a profile (an object)"),
        "explain": Member(bool, False, "true or false"),
        "format": Member(str, False, "profile, json-resume, greenhouse or linkedin"),
        "as_of": Member(str, False, "a day, YYYY-MM-DD"),
    },
    "fit": {
        "input": Member(dict, True, "a profile (an object)"),
        "role": Member(str, True, "a rung id such as senior_pm"),
        "specialization": Member((str, type(None)), False, "a specialization id or null"),
        "format": Member(str, False, "profile, json-resume, greenhouse or linkedin"),
        "as_of": Member(str, False, "a day, YYYY-MM-DD"),
    },
    "batch": {
        "inputs": Member(list, True, "a list of profiles"),
        "detail": Member(str, False, "full or summary"),
        "role": Member((str, type(None)), False, "a rung id such as senior_pm, or null"),
        "specialization": Member((str, type(None)), False, "a specialization id or null"),
    },
}

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def read_request(body: bytes, endpoint: str) -> dict[str, Any]:
    """The members of a request to ``endpoint``; `ServeError` (S001/S002) if it is not one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ServeError(
            f"the body is not UTF-8 (byte {exc.start + 1}); send JSON encoded as UTF-8",
            code="S001",
        ) from None
    if not text.strip():
        raise ServeError(
            f"the body is empty; send a JSON object such as {example(endpoint)}", code="S001"
        )
    try:
        data = parse_json(text, "<request>", with_lines=False).data
    except DocumentError as exc:
        where = f" at line {exc.line}, column {exc.column}" if exc.line else ""
        hint = f" ({exc.hint})" if exc.hint else ""
        raise ServeError(f"the body is not JSON: {exc.message}{where}{hint}", code="S001") from None
    members = ENVELOPES[endpoint]
    if not isinstance(data, dict):
        raise ServeError(
            f"the body must be a JSON object such as {example(endpoint)}, not {json_kind(data)}",
            code="S002",
        )
    for name in data:
        if name not in members:
            guess = did_you_mean(name, members)
            raise ServeError(
                f"{name!r} is not a member of a {endpoint} request"
                + (f" ({guess})" if guess else "")
                + f"; it takes {', '.join(members)}",
                code="S002",
                path=name,
            )
    for name, member in members.items():
        if name not in data:
            if member.required:
                raise ServeError(
                    f"the request has no {name!r}: send {example(endpoint)}",
                    code="S002",
                    path=name,
                )
            continue
        value = data[name]
        kinds = member.kind if isinstance(member.kind, tuple) else (member.kind,)
        # bool is an int in Python, and JSON's true is not a number here
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ServeError(
                f"{name!r} must be {member.words}, not {json_kind(value)}",
                code="S002",
                path=name,
            )
    return data


def example(endpoint: str) -> str:
    return {
        "recommend": '{"input": {"experience": {"total_years": 5}}}',
        "fit": '{"input": {...}, "role": "senior_pm"}',
        "batch": '{"inputs": [{...}, {...}]}',
    }[endpoint]


def json_kind(value: Any) -> str:
    """The JSON name of a value's type, with an article: ``an array``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def decision_id(header: str | None) -> str:
    """The decision id: the caller's ``X-Request-Id`` when given (checked), else a new UUID."""
    if header is None or header == "":
        return str(uuid.uuid4())
    if not _REQUEST_ID.match(header):
        raise ServeError(
            "X-Request-Id must be 1 to 128 letters, digits or . _ : @ / + = - "
            "(it becomes the decision id)",
            code="S002",
            path="X-Request-Id",
        )
    return header


def _head(decision: str, knowledge_version: str) -> str:
    """The members every answer envelope opens with."""
    return (
        '{"decision_id":'
        + encode_basestring(decision)
        + ',"pmpath_version":'
        + encode_basestring(__version__)
        + ',"knowledge_version":'
        + encode_basestring(knowledge_version)
    )


def decision(decision: str, knowledge_version: str, result_json: str, **more: str) -> bytes:
    """The answer envelope around a result already encoded as compact JSON.

    ``more`` adds members after ``result``, each already encoded as JSON.
    """
    tail = "".join(f',"{name}":{value}' for name, value in more.items())
    return _utf8(_head(decision, knowledge_version) + ',"result":' + result_json + tail + "}")


def results(decision: str, knowledge_version: str, lines: list[bytes]) -> bytes:
    """The batch answer: the envelope with ``results``, each a batch JSONL record."""
    head = (_head(decision, knowledge_version) + ',"results":[').encode("utf-8")
    return head + b",".join(line.rstrip(b"\n") for line in lines) + b"]}"


def error_status(exc: PmpathError) -> int:
    """The HTTP status of an error: its own (`ServeError`), 422 for a bad profile or opening."""
    if isinstance(exc, ServeError):
        return exc.status
    if isinstance(exc, ProfileError | RoleError | SourceError):
        return 422
    return 500


def error(exc: PmpathError | Mapping[str, Any]) -> bytes:
    """``{"error": {"code", "path", "message"}}`` for an error (or its dict)."""
    data = exc.to_dict() if isinstance(exc, PmpathError) else dict(exc)
    body = {"error": {"code": data["code"], "path": data.get("path", ""), **_rest(data)}}
    return _utf8(json.dumps(body, ensure_ascii=False, separators=(",", ":")))


def _rest(data: Mapping[str, Any]) -> dict:
    out = {"message": data["message"]}
    if data.get("line"):
        out["line"] = data["line"]
    return out


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800 escapes: ASCII escapes throughout
        return json.dumps(json.loads(text), separators=(",", ":")).encode("ascii")


__all__ = [
    "ENVELOPES",
    "Member",
    "decision",
    "decision_id",
    "error",
    "error_status",
    "json_kind",
    "read_request",
    "results",
    "to_json",
]
