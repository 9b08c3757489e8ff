"""The summary of a recommendation: its conclusions as ids, without the explanation.

``pmpath batch --detail summary`` writes it instead of output v1 (schema:
``pmpath schema summary``). It holds what a recruiter sorts and filters a pool
on: the level with its certainty and the highest rung not ruled out, the Kwan
level, the specialization and shape, the next rung, the gaps of the next rung
by status, the step ids, the fields of the questions, the warning codes and,
with a role, the fit scores. About 0.6 KB where output v1 is about 15 KB; the
same profile scored with ``--detail full`` explains every id it holds.

`summary_dict` is the summary as plain data; `summary_json` is the same as the
compact JSON a batch record holds (``json.dumps`` of the dict, byte for byte),
written from the kept text of its parts: dumping the dict cost about 6 µs of a
record's 170.

Every member but the questions and the warnings follows from the *decisions*
alone: which level, reachable, gap, unknown, step, specialization, shape and
path rules fired. A pool repeats them, each part of the summary more than the
whole (47 distinct sets of the level's decisions in 100,000 generated profiles,
11 of the specialization's, 6,018 of the steps'), so each part's members are
worked out once per set of its decisions and kept on the model (`_SummaryPlan`,
at most `MAX_KEPT` sets a part); the questions (which fields are not given) and
the warnings (the profile's own values) are worked out per profile.
The answer is the same with or without what is kept
(``tests/results/test_summary.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from pmpath.model.memo import keep, keep_for, memo
from pmpath.results.advice import _find_questions
from pmpath.results.compact import _dumps
from pmpath.results.recommendation import Recommendation, _warnings

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.results.fit import Fit

#: what ``detail`` can be: output v1 with its explanation, or the summary
DETAILS = ("full", "summary")

#: the rule kinds whose firing decides a summary's members (questions and warnings
#: aside), by the part of the summary they decide: each part reads its own kinds only
LEVEL_KINDS = ("level", "reachable", "gap", "unknown")
SPECIALIZATION_KINDS = ("specialization", "shape", "path")
STEP_KINDS = ("step",)
DECISION_KINDS = LEVEL_KINDS + SPECIALIZATION_KINDS + STEP_KINDS
#: sets of decisions kept per model and part; past it the kept ones are dropped and
#: kept anew
MAX_KEPT = 8192


class _LevelPart(NamedTuple):
    """What a set of the level's decisions gives a summary (and a fit: `settle_level`)."""

    members: dict  # level, certainty, possible, kwan_level, next_level, gaps (by status)
    before: str  # the members before the specialization's, as JSON text
    after: str  # the members after them
    unknown: frozenset[str]
    strengthen: tuple[str, ...]
    gaps: tuple[str, ...]  # the next rung's, in knowledge order


class _SummaryPlan:
    """Per model: the decision rules of each part of a summary, and what each set of
    them gives, as data and as compact JSON text. The parts are kept apart because
    they vary apart: in 100,000 generated profiles, 13,539 distinct sets of decisions
    came from 47 sets of the level's, 11 of the specialization's and 6,018 of the
    steps' (one cache of whole sets, over `MAX_KEPT`, was worked out afresh for one
    profile in seven)."""

    def __init__(self, model: Model):
        self.model = model
        rules = model.ruleset.rules

        def of(kinds: tuple[str, ...]) -> frozenset[str]:
            return frozenset(r.id for r in rules if r.concludes[0] in kinds)

        self.level_rules = of(LEVEL_KINDS)
        self.specialization_rules = of(SPECIALIZATION_KINDS)
        self.step_rules = of(STEP_KINDS)
        self.decisions = self.level_rules | self.specialization_rules | self.step_rules
        #: the summary's text up to its level
        self.head = '{"knowledge_version":' + _dumps(model.knowledge_version)
        #: per part: its set of decisions -> what it gives (for the specialization
        #: and the steps: their members and those members' JSON text)
        self.levels: dict[frozenset[str], _LevelPart] = {}
        self.specializations: dict[frozenset[str], tuple[dict, str]] = {}
        self.steps: dict[frozenset[str], tuple[tuple[str, ...], str]] = {}
        #: a kept set of questions (`_find_questions`) -> the JSON list of its fields
        self.question_texts: dict[int, tuple[tuple, str]] = {}

    def _alone(self, rec: Recommendation, key: frozenset[str]) -> Recommendation:
        """A recommendation of these decisions alone: what it concludes from them is
        what ``rec`` does."""
        return Recommendation(self.model, rec.profile, rec.derived, tuple(sorted(key)))

    def level_part(self, rec: Recommendation) -> _LevelPart:
        """What ``rec``'s level decisions give, kept per set of them."""
        key = self.level_rules.intersection(rec.fired)
        level = self.levels.get(key)
        if level is None:
            level = keep(self.levels, key, _level_part(self._alone(rec, key)), MAX_KEPT)
        return level

    def parts(self, rec: Recommendation) -> tuple[_LevelPart, tuple, tuple]:
        """What ``rec``'s decisions give, part by part (level, specialization, steps),
        each worked out once per set of its decisions; read them only."""
        fired = rec.fired
        level = self.level_part(rec)
        key = self.specialization_rules.intersection(fired)
        specialization = self.specializations.get(key)
        if specialization is None:
            alone = self._alone(rec, key)
            members = {
                "specialization": alone.specialization,
                "shape": alone.shape,
                "path": alone.path,
            }
            specialization = keep(
                self.specializations, key, (members, _members_text(members)), MAX_KEPT
            )
        key = self.step_rules.intersection(fired)
        steps = self.steps.get(key)
        if steps is None:
            ids = tuple(self._alone(rec, key).steps)
            steps = keep(self.steps, key, (ids, '"steps":' + _dumps(ids)), MAX_KEPT)
        return level, specialization, steps


def settle_level(rec: Recommendation) -> None:
    """Give ``rec`` what its level's decisions conclude (the level, the next rung, the
    highest rung not ruled out, the requirements not met or not known), from the
    kept part of the summary, unless it has them: `assess` reads them, and working
    them out from every fired rule costs more than the rest of a fit's checks."""
    state = rec.__dict__
    if "level" in state and "gaps" in state:
        return
    level = memo(rec.model, "summary", _SummaryPlan).level_part(rec)
    m = level.members
    rec.settle(
        m["level"], m["next_level"], m["possible"], level.unknown, level.gaps, level.strengthen
    )


def _level_part(rec: Recommendation) -> _LevelPart:
    unknown = rec.unknown
    members = {
        "level": rec.level,
        "certainty": rec.certainty,
        "possible": rec.possible,
        "kwan_level": rec.kwan_level,
        "next_level": rec.next_level,
        "gaps": {
            "unmet": [g for g in rec.gaps if g not in unknown],
            "unknown": [g for g in rec.gaps if g in unknown],
        },
    }
    before = {k: members[k] for k in ("level", "certainty", "possible", "kwan_level")}
    after = {k: members[k] for k in ("next_level", "gaps")}
    return _LevelPart(
        members,
        _members_text(before),
        _members_text(after),
        unknown,
        tuple(rec.strengthen),
        tuple(rec.gaps),
    )


def _members_text(members: dict) -> str:
    """``"a":1,"b":2``: members of a JSON object, as `_dumps` writes them."""
    return _dumps(members)[1:-1]


def _summarised(rec: Recommendation) -> tuple:
    """The kept parts of ``rec``'s summary (plan, level, specialization, steps) and
    what is worked out per profile: the questions found and the warnings' codes.
    Puts the level and the specialization on ``rec`` (the batch tally reads them;
    nothing else of it is read again)."""
    model = rec.model
    plan = memo(model, "summary", _SummaryPlan)
    level, specialization, steps = plan.parts(rec)
    m = level.members
    state = rec.__dict__
    state.setdefault("level", m["level"])
    state.setdefault("specialization", specialization[0]["specialization"])
    found = _find_questions(
        model, rec.profile, m["level"], m["possible"], level.unknown, level.strengthen
    )
    return plan, level, specialization, steps, found, _warning_codes(model, rec.profile, m["level"])


def summary_dict(rec: Recommendation, fit: Fit | None = None) -> dict[str, Any]:
    """The summary of ``rec`` (and of ``fit``, the same candidate against an opening)."""
    _, level, (specialization, _), (steps, _), found, warnings = _summarised(rec)
    m = level.members
    out = {  # the caller owns what it gets: the kept lists are copied
        "knowledge_version": rec.model.knowledge_version,
        "level": m["level"],
        "certainty": m["certainty"],
        "possible": m["possible"],
        "kwan_level": m["kwan_level"],
        **specialization,
        "next_level": m["next_level"],
        "gaps": {"unmet": list(m["gaps"]["unmet"]), "unknown": list(m["gaps"]["unknown"])},
        "steps": list(steps),
        "questions": [dotted for dotted, _ in found],
        "warnings": warnings,
    }
    if fit is not None:
        out["fit"] = _fit_members(fit)
    return out


def summary_json(rec: Recommendation, fit: Fit | None = None) -> str:
    """`summary_dict` as compact JSON (``json.dumps`` with ``ensure_ascii=False`` and
    no spaces), the same text, written from the kept text of its parts: what a
    ``--detail summary`` batch record holds."""
    plan, level, (_, specialization), (_, steps), found, warnings = _summarised(rec)
    questions = keep_for(
        plan.question_texts, found, lambda: _dumps([dotted for dotted, _ in found]), MAX_KEPT
    )
    text = (
        f"{plan.head},{level.before},{specialization},{level.after},{steps}"
        f',"questions":{questions},"warnings":{_dumps(warnings) if warnings else "[]"}'
    )
    if fit is not None:
        text += ',"fit":' + _dumps(_fit_members(fit))
    return text + "}"


def _warning_codes(model: Model, profile: dict, level: str) -> list[str]:
    return [w.split(" ", 1)[0] for w in _warnings(model, profile, level)]


def _fit_members(fit: Fit) -> dict[str, Any]:
    return {
        "role": fit.role,
        "specialization": fit.specialization,
        "score": fit.score,
        "score_if_confirmed": fit.score_if_confirmed,
        "meets_all": fit.meets_all,
    }


def check_detail(detail: Any) -> None:
    """`ValueError` unless ``detail`` is one of `DETAILS` (every way in says it alike)."""
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")


__all__ = ["DETAILS", "check_detail", "settle_level", "summary_dict", "summary_json"]
