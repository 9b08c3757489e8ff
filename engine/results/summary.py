"""The summary of a recommendation: its conclusions as ids, without the explanation.

``pmpath batch --detail summary`` writes it instead of output v1 (schema:
``pmpath schema summary``). It holds what a recruiter sorts and filters a pool
on: the level with its certainty and the highest rung not ruled out, the Kwan
level, the specialization and shape, the next rung, the gaps of the next rung
by status, the step ids, the fields of the questions, the warning codes and,
with a role, the fit scores. About 0.6 KB where output v1 is about 15 KB; the
same profile scored with ``--detail full`` explains every id it holds.

`summary_dict` is the summary as plain data; a batch record writes it with
``json.dumps`` (it is small: a hand-built text saved 7 µs of a ~1 ms profile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.fit import Fit
    from pmpath.results.recommendation import Recommendation

#: what ``detail`` can be: output v1 with its explanation, or the summary
DETAILS = ("full", "summary")


def summary_dict(rec: Recommendation, fit: Fit | None = None) -> dict[str, Any]:
    """The summary of ``rec`` (and of ``fit``, the same candidate against an opening)."""
    unknown = rec.unknown
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
        "gaps": {
            "unmet": [g for g in rec.gaps if g not in unknown],
            "unknown": [g for g in rec.gaps if g in unknown],
        },
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


def check_detail(detail: Any) -> None:
    """`ValueError` unless ``detail`` is one of `DETAILS` (every way in says it alike)."""
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")


__all__ = ["DETAILS", "check_detail", "summary_dict"]
