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

Every member but the questions and the warnings follows from the *decisions*
alone: which level, reachable, gap, unknown, step, specialization, shape and
path rules fired. A pool repeats them (5,449 distinct sets in 20,000 generated
profiles, counted once), so those members are worked out once per set and kept
on the model (`_SummaryPlan`, at most `MAX_KEPT` sets); the questions (which
fields are not given) and the warnings (the profile's own values) are worked out
per profile.
The answer is the same with or without what is kept
(``tests/results/test_summary.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmpath.model.memo import keep, memo
from pmpath.results.advice import _find_questions
from pmpath.results.recommendation import Recommendation, _warnings

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.results.fit import Fit

#: what ``detail`` can be: output v1 with its explanation, or the summary
DETAILS = ("full", "summary")

#: the rule kinds whose firing decides a summary's members (questions and warnings aside)
DECISION_KINDS = ("level", "reachable", "gap", "unknown", "step", "specialization", "shape", "path")
#: sets of decisions kept per model; past it the kept ones are dropped and kept anew
MAX_KEPT = 8192


class _SummaryPlan:
    """Per model: the decision rules, and the members each set of decisions gives."""

    def __init__(self, model: Model):
        self.model = model
        self.decisions = frozenset(
            r.id for r in model.ruleset.rules if r.concludes[0] in DECISION_KINDS
        )
        self.kept: dict[frozenset[str], tuple[dict, tuple]] = {}

    def members(self, rec: Recommendation) -> tuple[dict, tuple]:
        """The members that follow from ``rec``'s decisions, and what its questions read
        (level, possible, unknown, strengthen); worked out once per set of decisions."""
        key = self.decisions.intersection(rec.fired)
        found = self.kept.get(key)
        if found is None:
            # a recommendation of the decisions alone: what it concludes is the same
            alone = Recommendation(self.model, rec.profile, rec.derived, tuple(sorted(key)))
            found = keep(
                self.kept,
                key,
                (_decided(alone), (alone.level, alone.possible, alone.unknown, alone.strengthen)),
                MAX_KEPT,
            )
        return found


def _decided(rec: Recommendation) -> dict[str, Any]:
    unknown = rec.unknown
    return {
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
    }


def summary_dict(rec: Recommendation, fit: Fit | None = None) -> dict[str, Any]:
    """The summary of ``rec`` (and of ``fit``, the same candidate against an opening)."""
    model = rec.model
    decided, (level, possible, unknown, strengthen) = memo(model, "summary", _SummaryPlan).members(
        rec
    )
    gaps = decided["gaps"]
    out = {  # a copy: the caller owns what it gets
        **decided,
        "gaps": {"unmet": list(gaps["unmet"]), "unknown": list(gaps["unknown"])},
        "steps": list(decided["steps"]),
    }
    # what the recommendation would work out again from every rule that fired (the
    # batch tally reads its level and specialization), as `results.compact` does too
    state = rec.__dict__
    state.setdefault("level", level)
    state.setdefault("specialization", decided["specialization"])
    found = _find_questions(model, rec.profile, level, possible, unknown, strengthen)
    out["questions"] = [dotted for dotted, _ in found]
    out["warnings"] = [w.split(" ", 1)[0] for w in _warnings(model, rec.profile, level)]
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
