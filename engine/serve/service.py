"""`Service`: the decisions behind the endpoints, from request bytes to answer bytes.

One `Service` per worker process wraps that process's one `Engine` (the C
core is not thread-safe: the app calls it from its event loop thread only).
Each method takes the request body and the decision id and returns an
`Answer`: the status, the body, and what the metrics count. Errors a caller
can fix are raised (`ServeError`, `ProfileError`, `RoleError`) for the app to
answer as data. No web framework here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pmpath.audit import AuditLog, input_hash
from pmpath.batch.inputs import IMPORT_FORMATS
from pmpath.batch.scorer import Scorer
from pmpath.errors import ServeError
from pmpath.explain.why import explain_gaps
from pmpath.imports import import_one
from pmpath.imports.dates import parse_as_of
from pmpath.profile.reader import Profile
from pmpath.results.score import assess
from pmpath.results.summary import check_detail
from pmpath.serve import envelope

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.engine import Engine

#: the source name of a profile sent in a request (error records name ``inputs[3]``)
REQUEST_SOURCE = "input"


@dataclass
class Answer:
    """What one request gives: the status and body, and what the metrics count."""

    status: int
    body: bytes
    #: (kind, level id or None for an error record) of every decision made
    decisions: list[tuple[str, str | None]] = field(default_factory=list)
    #: the codes of the error records of a batch (each one is counted)
    error_codes: list[str] = field(default_factory=list)


class Service:
    """The decisions of one worker process."""

    def __init__(self, engine: Engine, *, max_batch: int, audit: AuditLog | None = None):
        self.engine = engine
        self.max_batch = max_batch
        self.audit = audit
        self.knowledge_version = engine.knowledge_version
        self._scorers: dict[tuple, Scorer] = {}

    # -- what the input is ---------------------------------------------------------------
    def _input(self, request: dict) -> tuple[dict, dict | None]:
        """The profile a request holds, and the import report when it sent a CV or export
        (``format``: json-resume, greenhouse, or linkedin as {"Positions.csv": text, ...})."""
        fmt = request.get("format", "profile")
        data = request["input"]
        if fmt == "profile":
            return data, None
        if fmt not in IMPORT_FORMATS:
            raise ServeError(
                f"'format' must be profile or one of {', '.join(IMPORT_FORMATS)}, not {fmt!r}",
                code="S002",
                path="format",
            )
        try:
            as_of = parse_as_of(request["as_of"]) if "as_of" in request else date.today()
        except ValueError as exc:
            raise ServeError(str(exc), code="S002", path="as_of") from None
        if fmt == "linkedin":  # over HTTP the export's files come as text
            for name, text in data.items():
                if not isinstance(text, str):
                    raise ServeError(
                        'a LinkedIn export is sent as {"Positions.csv": "<the file\'s text>", '
                        f"...}}; {name!r} is not text",
                        code="S002",
                        path=f"input.{name}",
                    )
            data = {name: text.encode("utf-8") for name, text in data.items()}
        return import_one(
            fmt, data, source=REQUEST_SOURCE, as_of=as_of, knowledge=self.engine.knowledge
        )

    # -- POST /v1/recommend -----------------------------------------------------------
    def recommend(self, body: bytes, decision: str) -> Answer:
        request = envelope.read_request(body, "recommend")
        profile, notes = self._input(request)
        rec = self.engine.recommend(Profile(profile, REQUEST_SOURCE))
        more = {}
        if notes is not None:
            more["import"] = envelope.to_json(notes)
        if request.get("explain"):
            more["explanation"] = envelope.to_json([g.to_dict() for g in explain_gaps(rec)])
        result = rec.to_json(indent=None)
        self._log("recommend", request["input"], result, decision, endpoint="/v1/recommend")
        out = envelope.decision(decision, self.knowledge_version, result, **more)
        return Answer(200, out, [("recommend", rec.level)])

    # -- POST /v1/fit -----------------------------------------------------------------
    def fit(self, body: bytes, decision: str) -> Answer:
        request = envelope.read_request(body, "fit")
        role, specialization = request["role"], request.get("specialization")
        self.engine.check_opening(role, specialization)  # a wrong opening fails first
        profile, notes = self._input(request)
        rec = self.engine.recommend(Profile(profile, REQUEST_SOURCE))
        fit = assess(rec, role, specialization)
        result = fit.to_json(indent=None)
        self._log(
            "fit",
            request["input"],
            result,
            decision,
            endpoint="/v1/fit",
            role=role,
            specialization=specialization,
        )
        more = {"import": envelope.to_json(notes)} if notes is not None else {}
        out = envelope.decision(decision, self.knowledge_version, result, **more)
        return Answer(200, out, [("fit", rec.level)])

    # -- POST /v1/batch ---------------------------------------------------------------
    def batch(self, body: bytes, decision: str) -> Answer:
        request = envelope.read_request(body, "batch")
        inputs = request["inputs"]
        role, specialization = request.get("role"), request.get("specialization")
        detail = request.get("detail", "full")
        try:
            check_detail(detail)
        except ValueError as exc:
            raise ServeError(str(exc), code="S002", path="detail") from None
        if len(inputs) > self.max_batch:
            raise ServeError(
                f"the batch has {len(inputs)} items, more than this service takes "
                f"({self.max_batch}, --max-batch); send it in parts",
                code="S005",
                status=413,
                path="inputs",
            )
        if role is not None:
            self.engine.check_opening(role, specialization)
        elif specialization is not None:
            raise ServeError(
                "'specialization' is the kind of PM an opening asks for: give 'role' with it",
                code="S002",
                path="specialization",
            )
        scorer = self._scorer(role, specialization, detail)
        lines, decisions, codes = [], [], []
        for index, item in enumerate(inputs):
            result = scorer.run(("data", f"inputs[{index}]", None, item))
            lines.append(result.payload)
            decisions.append(("batch", result.level))
            if result.code is not None:
                codes.append(result.code)
            self._log(
                "batch",
                item,
                result.payload,
                decision,
                endpoint="/v1/batch",
                item=index,
                role=role,
                specialization=specialization,
            )
        out = envelope.results(decision, self.knowledge_version, lines)
        return Answer(200, out, decisions, codes)

    def _scorer(self, role: str | None, specialization: str | None, detail: str) -> Scorer:
        key = (role, specialization, detail)
        scorer = self._scorers.get(key)
        if scorer is None:
            scorer = Scorer(
                self.engine.model,
                engine=self.engine,
                role=role,
                specialization=specialization,
                detail=detail,
            )
            scorer.setup()
            self._scorers[key] = scorer
        return scorer

    # -- the page ---------------------------------------------------------------------
    def assess(self, profile: dict[str, Any], decision: str) -> Any:
        """The `Recommendation` of a profile from the page, logged like an API decision."""
        rec = self.engine.recommend(Profile(profile, "form"))
        if self.audit is not None:
            self._log("recommend", profile, rec.to_json(indent=None), decision, endpoint="/")
        return rec

    def _log(self, kind: str, given: Any, output_json, decision: str, **request: Any) -> None:
        """One decision to the audit log (when there is one), under its decision id."""
        if self.audit is not None:
            self.audit.record_json(
                kind,
                input_hash(given),
                output_json,
                self.knowledge_version,
                request=request,
                decision_id=decision,
            )


def ready_body(knowledge_version: str, pid: int, workers: int) -> bytes:
    return json.dumps(
        {
            "ready": True,
            "knowledge_version": knowledge_version,
            "pid": pid,
            "workers": workers,
        },
        separators=(",", ":"),
    ).encode()


__all__ = ["REQUEST_SOURCE", "Answer", "Service", "ready_body"]
