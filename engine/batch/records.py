"""The record a batch writes per profile: an `Outcome` of scoring, turned into a
JSONL line (``ok`` with the result, or the error) or a CSV row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, NamedTuple

from pmpath.results.summary import summary_dict, summary_json

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.fit import Fit
    from pmpath.results.recommendation import Recommendation


# -- scoring one record -------------------------------------------------------------


@dataclass
class Outcome:
    """One record scored: what output formats are made from."""

    id: str
    source: str
    line: int | None
    recommendation: Recommendation | None = None
    error: dict | None = None  # {"code", "path", "message", "line"?}
    fit: Fit | None = None  # with --role: how the candidate fits the opening
    notes: dict | None = None  # from a CV or export: the import report
    #: the recommendation's compact output v1, when it was written already
    text: str | None = None


class Result(NamedTuple):
    """What scoring one record gives the parent (it travels between processes).

    ``ok`` is True (scored), False (an error record) or None (its id is in
    ``skip_ids``: already written; ``payload`` is then the record itself).
    """

    id: str
    ok: bool | None
    payload: Any  # the output line (bytes), or the record when ok is None
    level: str | None = None
    specialization: str | None = None
    code: str | None = None  # the error code of an error record
    fit_score: int | None = None  # with --role
    audit: tuple[str, bytes] | None = None  # (input sha256, JSONL record) when auditing


def _line_json(line: int | None) -> str:
    return "null" if line is None else str(line)


def jsonl_ok(o: Outcome) -> bytes:
    """``{"id":…,"ok":true,"source":…,"line":…,"recommendation":{…}}`` and a newline;
    with a fit, ``"fit":{…}`` (fit output v1) after the recommendation."""
    rec, fit, notes = o.recommendation, o.fit, o.notes
    if o.text is not None:
        text = o.text
    elif fit is None and notes is None:  # joined once, with the head (`_scored`)
        text = rec.json_pieces()
    else:
        text = rec.to_json(indent=None)
    members = [("recommendation", text)]
    if fit is not None:
        members.append(("fit", fit.json_pieces()))
    if notes is not None:
        members.append(("import", _compact(notes)))

    def plain() -> dict:
        record = {"recommendation": rec.to_dict()}
        if fit is not None:
            record["fit"] = fit.to_dict()
        if notes is not None:
            record["import"] = notes
        return record

    return _scored(o, members, plain)


def jsonl_summary(o: Outcome) -> bytes:
    """``{"id":…,"ok":true,"source":…,"line":…,"summary":{…}}`` and a newline: the
    ``--detail summary`` record (`pmpath.results.summary`; ``pmpath schema summary``)."""
    rec, fit = o.recommendation, o.fit
    return _scored(
        o, [("summary", summary_json(rec, fit))], lambda: {"summary": summary_dict(rec, fit)}
    )


def _scored(
    o: Outcome, members: list[tuple[str, str | tuple[str, ...]]], plain: Callable[[], dict]
) -> bytes:
    """A scored record: its head, then ``members`` (name, compact JSON text or pieces
    of it) in order. A record of one member is joined once, with the head; in a
    record of more, each member's text, or each of its pieces, is encoded on its
    own. ``plain()`` gives the same members as data, for a record that cannot be
    UTF-8."""
    head = (
        '{"id":'
        + encode_basestring(o.id)
        + ',"ok":true,"source":'
        + encode_basestring(o.source)
        + ',"line":'
        + _line_json(o.line)
    )
    try:
        if len(members) == 1:
            name, value = members[0]
            pieces = value if value.__class__ is tuple else (value,)
            return "".join((head, f',"{name}":', *pieces, "}\n")).encode("utf-8")
        # each member (each piece) encoded on its own: one text with a character
        # beyond Latin-1 (fit's formula has "→", a piece of its own) would make
        # Python widen and re-encode them all
        parts = [head.encode("utf-8")]
        for name, value in members:
            parts.append(f',"{name}":'.encode())
            if value.__class__ is tuple:
                parts.extend([piece.encode("utf-8") for piece in value])
            else:
                parts.append(value.encode("utf-8"))
        parts.append(b"}\n")
        return b"".join(parts)
    except UnicodeEncodeError:  # lone surrogates (from \ud800 escapes): escape everything
        record = {"id": o.id, "ok": True, "source": o.source, "line": o.line, **plain()}
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def jsonl_error(o: Outcome) -> bytes:
    """``{"id":…,"ok":false,"source":…,"line":…,"error":{code, path, message, line?}}``."""
    record = {"id": o.id, "ok": False, "source": o.source, "line": o.line, "error": o.error}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


OUTPUT_FORMATS = ("jsonl", "csv")
#: who infers: durable_rules (the engine's backend), or the plain-Python reference evaluator
EVALUATORS = ("durable", "reference")
