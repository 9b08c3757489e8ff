"""The summary of a recommendation: its conclusions as ids, without the explanation.

``pmpath batch --detail summary`` writes it instead of output v1 (schema:
``pmpath schema summary``). It holds what a recruiter sorts and filters a pool
on: the level with its certainty and the highest rung not ruled out, the Kwan
level, the specialization and shape, the next rung, the gaps of the next rung
by status, the step ids, the fields of the questions, the warning codes and,
with a role, the fit scores. About 0.6 KB where output v1 is about 15 KB; the
same profile scored with ``--detail full`` explains every id it holds.

`summary_dict` is the summary as plain data; `summary_json` the same as compact
JSON text, byte-identical to ``json.dumps(summary_dict(...), ensure_ascii=False,
separators=(",", ":"))`` (a property test holds them equal), written without
building the dict.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.fit import Fit
    from pmpath.results.recommendation import Recommendation

#: what ``detail`` can be: output v1 with its explanation, or the summary
DETAILS = ("full", "summary")


def _gaps(rec: Recommendation) -> tuple[list[str], list[str]]:
    unknown = rec.unknown
    unmet = [g for g in rec.gaps if g not in unknown]
    return unmet, [g for g in rec.gaps if g in unknown]


def summary_dict(rec: Recommendation, fit: Fit | None = None) -> dict[str, Any]:
    """The summary of ``rec`` (and of ``fit``, the same candidate against an opening)."""
    unmet, unknown = _gaps(rec)
    out: dict[str, Any] = {
        "knowledge_version": rec.model.knowledge_version,
        "level": rec.level,
        "certainty": rec.certainty,
        "possible": rec.possible,
        "kwan_level": rec.kwan_level,
        "specialization": rec.specialization,
        "shape": rec.shape,
        "path": rec.path,
        "next_level": rec.next_level,
        "gaps": {"unmet": unmet, "unknown": unknown},
        "steps": list(rec.steps),
        "questions": rec.question_fields,
        "warnings": [w.split(" ", 1)[0] for w in rec.warnings()],
    }
    if fit is not None:
        out["fit"] = {
            "role": fit.role,
            "specialization": fit.specialization,
            "score": fit.score,
            "score_if_confirmed": fit.score_if_confirmed,
            "meets_all": fit.meets_all,
        }
    return out


def _str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _strs(values: list[str]) -> str:
    return "[" + ",".join(map(encode_basestring, values)) + "]"


def summary_json(rec: Recommendation, fit: Fit | None = None) -> str:
    """`summary_dict` as compact JSON, without building it (the batch hot path)."""
    unmet, unknown = _gaps(rec)
    text = (
        '{"knowledge_version":"'
        + rec.model.knowledge_version
        + '","level":'
        + encode_basestring(rec.level)
        + ',"certainty":'
        + encode_basestring(rec.certainty)
        + ',"possible":'
        + encode_basestring(rec.possible)
        + ',"kwan_level":'
        + str(rec.kwan_level)
        + ',"specialization":'
        + encode_basestring(rec.specialization)
        + ',"shape":'
        + encode_basestring(rec.shape)
        + ',"path":'
        + _str(rec.path)
        + ',"next_level":'
        + _str(rec.next_level)
        + ',"gaps":{"unmet":'
        + _strs(unmet)
        + ',"unknown":'
        + _strs(unknown)
        + '},"steps":'
        + _strs(rec.steps)
        + ',"questions":'
        + _strs(rec.question_fields)
        + ',"warnings":'
        + _strs([w.split(" ", 1)[0] for w in rec.warnings()])
    )
    if fit is None:
        return text + "}"
    return (
        text
        + ',"fit":{"role":'
        + encode_basestring(fit.role)
        + ',"specialization":'
        + _str(fit.specialization)
        + ',"score":'
        + str(fit.score)
        + ',"score_if_confirmed":'
        + str(fit.score_if_confirmed)
        + ',"meets_all":'
        + ("true" if fit.meets_all else "false")
        + "}}"
    )


__all__ = ["DETAILS", "summary_dict", "summary_json"]
