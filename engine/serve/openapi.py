"""The OpenAPI 3.1 document of the service, built from the shipped JSON Schemas.

Nothing here is a second copy: the profile, output, fit and answer schemas are
the files ``pmpath schema`` prints (their ``$defs`` moved under
``components/schemas`` with their references rewritten), and the request
envelopes come from `pmpath.serve.envelope.ENVELOPES`, the table requests are
read with.
"""

from __future__ import annotations

import copy
from typing import Any

from pmpath._version import __version__
from pmpath.serve.envelope import ENVELOPES, Member
from pmpath.source import schemas

#: component name of each shipped schema
_SHIPPED = {"profile": "Profile", "output": "Output", "fit": "Fit"}
_ANSWERS = {
    "decision": "Decision",
    "batchAnswer": "BatchAnswer",
    "batchRecord": "BatchRecord",
    "error": "Error",
    "errorDetail": "ErrorDetail",
    "health": "Health",
    "ready": "Ready",
}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _moved(schema: Any, refs: dict[str, str]) -> Any:
    """``schema`` with ``#/$defs/x`` references pointed at ``#/components/schemas/...``."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and value in refs:
                out[key] = refs[value]
            elif key in ("$schema", "$id", "$defs"):
                continue
            else:
                out[key] = _moved(value, refs)
        return out
    if isinstance(schema, list):
        return [_moved(v, refs) for v in schema]
    return schema


def _components() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, component in _SHIPPED.items():
        schema = copy.deepcopy(schemas.load(name))
        defs = schema.get("$defs", {})
        refs = {f"#/$defs/{d}": f"#/components/schemas/{component}_{d}" for d in defs}
        out[component] = _moved(schema, refs)
        for d, sub in defs.items():
            out[f"{component}_{d}"] = _moved(sub, refs)
    serve = schemas.load("serve")["$defs"]
    refs = {f"#/$defs/{d}": f"#/components/schemas/{c}" for d, c in _ANSWERS.items()}
    for d, component in _ANSWERS.items():
        out[component] = _moved(serve[d], refs)
    for endpoint in ENVELOPES:
        out[f"{endpoint.capitalize()}Request"] = request_schema(endpoint)
    return out


def _member_schema(name: str, member: Member) -> dict:
    if name == "input":
        return {
            "type": "object",
            "description": "A profile (components/schemas/Profile); with format, the CV or "
            "export itself: a JSON Resume, one Greenhouse candidate, or a LinkedIn export as "
            '{"Positions.csv": "<its text>", "Education.csv": "..."}.',
        }
    if name == "inputs":
        return {
            "type": "array",
            "items": {"description": "A profile; a bad one becomes an error record."},
            "description": member.words,
        }
    kinds = member.kind if isinstance(member.kind, tuple) else (member.kind,)
    types = [_JSON_TYPES[k] for k in kinds]
    return {"type": types[0] if len(types) == 1 else types, "description": member.words}


def request_schema(endpoint: str) -> dict:
    """The JSON Schema of a request envelope, from the table it is read with."""
    members = ENVELOPES[endpoint]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [n for n, m in members.items() if m.required],
        "properties": {n: _member_schema(n, m) for n, m in members.items()},
    }


def _json(ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _errors(*statuses: int) -> dict:
    words = {
        400: "Not JSON (S001), or not the request envelope (S002).",
        401: "No token, or the wrong one (S003).",
        413: "The body is over the service's limit (S004), or the batch has too many items (S005).",
        422: "A bad profile (P codes) or an unknown opening (F codes).",
        503: "The engine is not loaded yet (S006): retry.",
    }
    return {str(s): _json("Error", words[s]) for s in statuses}


def _decision_path(endpoint: str, summary: str, answer: str) -> dict:
    return {
        "post": {
            "operationId": endpoint,
            "summary": summary,
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/RequestId"}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{endpoint.capitalize()}Request"}
                    }
                },
            },
            "responses": {
                "200": _json(answer, "The decision."),
                **_errors(400, 401, 413, 422, 503),
            },
        }
    }


def _schema_path(name: str) -> dict:
    return {
        "get": {
            "operationId": f"schema_{name}",
            "summary": f"The JSON Schema of {name} v1 (as `pmpath schema {name}` prints it).",
            "security": [{"bearer": []}, {}],
            "responses": {
                "200": {
                    "description": "A JSON Schema, draft 2020-12.",
                    "content": {"application/schema+json": {"schema": {"type": "object"}}},
                },
                **_errors(401),
            },
        }
    }


def document() -> dict:
    """The OpenAPI 3.1 document ``GET /openapi.json`` serves."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pmpath",
            "version": __version__,
            "summary": "Where a person stands on the product manager career path, and why.",
            "description": 'Errors are data: {"error": {"code", "path", "message"}}, with '
            "pmpath's stable codes. Every answer carries X-Pmpath-Knowledge-Version. See "
            "docs/serving.md.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/v1/recommend": _decision_path(
                "recommend", "Where a profile stands, what to do next, and why.", "Decision"
            ),
            "/v1/fit": _decision_path("fit", "How a profile fits an opening.", "Decision"),
            "/v1/batch": _decision_path(
                "batch", "Many profiles at once, each as a pmpath batch record.", "BatchAnswer"
            ),
            "/v1/schemas/profile": _schema_path("profile"),
            "/v1/schemas/output": _schema_path("output"),
            "/v1/schemas/fit": _schema_path("fit"),
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Alive: the worker answers.",
                    "security": [],
                    "responses": {"200": _json("Health", "Alive.")},
                }
            },
            "/ready": {
                "get": {
                    "operationId": "ready",
                    "summary": "Ready: the engine is loaded.",
                    "security": [],
                    "responses": {"200": _json("Ready", "Ready."), **_errors(503)},
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus text: requests, latency, decisions, errors, summed "
                    "across the worker processes.",
                    "security": [{"bearer": []}, {}],
                    "responses": {
                        "200": {
                            "description": "Prometheus text format 0.0.4.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **_errors(401),
                    },
                }
            },
        },
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Required when the service was started with a token.",
                }
            },
            "parameters": {
                "RequestId": {
                    "name": "X-Request-Id",
                    "in": "header",
                    "required": False,
                    "description": "Becomes the decision id (1 to 128 letters, digits or "
                    ". _ : @ / + = -).",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:@/+=-]{1,128}$"},
                }
            },
        },
    }


__all__ = ["document", "request_schema"]
