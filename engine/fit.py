"""Role fit: how well a candidate matches an opening at a given rung, and why.

``engine.fit(profile, role="senior_pm", specialization="growth")`` returns a
`Fit`: every requirement of the role's rung, and of every rung below it (the
ladder is cumulative), met or unmet with its evidence; a score from 0 to 100
computed from them; the candidate's own level, specialization and shape; and,
when the opening asks for a specialization the candidate does not have, the
mismatch explained with Fishman and Patel's problems (knowledge/problems.yaml).

How a requirement is assessed
-----------------------------
The engine assesses rungs bottom-up: a ``met`` rule also needs the rung below
reached (a condition injected by the rules loader), so a PM's recommendation
never says anything about VP requirements. Fit assesses any rung directly: it
evaluates each requirement's ``met`` rules with `reference.explain_rule`,
ignoring the injected gating condition, over the facts the engine derived
(signals and the like). A requirement is met when at least one of its rules
holds. For the rungs durable_rules did assess (up to the candidate's next
rung) the answer is cross-checked against the recommendation: a disagreement
raises `EngineError`, since it means the two readings of the rules differ.

The score
---------
With ``w`` = threshold ``fit_lower_rungs_weight`` (0.25 shipped)::

    role_share  = role-rung requirements met / role-rung requirements
    lower_share = requirements met on the rungs below / requirements below
    score = 100 * ((1 - w) * role_share + w * lower_share) - deduction

(``score = 100 * role_share - deduction`` when no rung below has requirements),
clamped to 0..100 and rounded half up to a whole number. The ``deduction`` is
0 when no specialization is asked for or the candidate's specialization is the
one asked for; ``fit_specialization_partial_points`` (10) when the candidate
has at least ``breadth_min_years`` of the asked kind of work without it being
their main kind; ``fit_specialization_mismatch_points`` (20) otherwise. Every
number that is a judgment lives in knowledge/thresholds.yaml with its reasons;
`Fit.to_dict()["score_breakdown"]` shows the arithmetic for each candidate.
"""

from __future__ import annotations

import difflib
import json
import math
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import EngineError, KnowledgeError, PmpathError, Problem
from .facts import sections
from .recommendation import could_hold
from .reference import explain_rule, pattern_holds
from .ruleset import FactPattern, Pred, Rule, RuleSet
from .words import visible

if TYPE_CHECKING:  # pragma: no cover
    from .knowledgebase import Knowledge, Level
    from .recommendation import Recommendation

SCHEMA_VERSION = 1

#: knowledge/thresholds.yaml entries the score reads
LOWER_RUNGS_WEIGHT = "fit_lower_rungs_weight"
MISMATCH_POINTS = "fit_specialization_mismatch_points"
PARTIAL_POINTS = "fit_specialization_partial_points"
BREADTH_MIN_YEARS = "breadth_min_years"

#: knowledge/problems.yaml entries that explain a specialization mismatch
MISMATCH_PROBLEMS = ("tools-dont-transfer", "slow-and-steady-struggle", "talent-turmoil")
PARTIAL_PROBLEMS = ("tools-dont-transfer", "slow-and-steady-struggle")

#: how deep explanations follow derived facts (a signal, then its conditions)
MAX_VIA_DEPTH = 4

STATUSES = ("match", "partial", "mismatch")


class RoleError(PmpathError, ValueError):
    """An opening names a role or specialization pmpath does not know.

    Codes: ``F001`` unknown (or unassessable) role level, ``F002`` unknown
    specialization. The message lists the valid choices.
    """

    code = "F001"

    def __init__(self, message: str, *, code: str = "F001", param: str = "role"):
        super().__init__(message, code=code)
        self.param = param

    def to_dict(self) -> dict:
        return {"code": self.code, "path": self.param, "message": self.message}


# -- the explanation, as data ---------------------------------------------------------
@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a rule: its text, whether it held, the values it read.

    ``via`` explains a derived-fact condition (``signal leads_people``) with the
    rules that conclude that fact, so every explanation ends at profile values.
    """

    condition: str
    holds: bool
    values: dict[str, Any]
    via: tuple[RuleCheck, ...] = ()

    def leaf_values(self, failing_only: bool = False) -> dict[str, Any]:
        """The profile values behind this condition, following ``via``."""
        out = dict(self.values)
        for rule in self.via:
            for cond in rule.conditions:
                if failing_only and cond.holds:
                    continue
                out.update(cond.leaf_values(failing_only))
        return out

    @property
    def words(self) -> str:
        """The condition for a reader: a derived fact is named by what its rules say it means.

        ``signal leads_people`` reads ``leads other product people, with or
        without reporting lines (signal leads_people)``.
        """
        if not self.via:
            return self.condition
        meanings = dict.fromkeys(_sentence(r.because) for r in self.via)
        return f"{' or '.join(meanings)} ({self.condition})"

    def to_dict(self) -> dict:
        out: dict = {"condition": self.condition, "holds": self.holds, "values": self.values}
        if self.via:
            out["via"] = [r.to_dict() for r in self.via]
        return out


@dataclass(frozen=True)
class RuleCheck:
    """A rule evaluated on the candidate: whether all its conditions held, and each one."""

    rule: str
    because: str
    source: str
    holds: bool
    conditions: tuple[ConditionCheck, ...]

    @property
    def failed(self) -> tuple[ConditionCheck, ...]:
        return tuple(c for c in self.conditions if not c.holds)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "because": self.because,
            "source": self.source,
            "holds": self.holds,
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True)
class RequirementCheck:
    """One requirement of a rung, met or not, with the rules that decide it."""

    id: str
    level: str
    description: str
    source: str
    met: bool
    cross_checked: bool  # durable_rules assessed this rung and agrees
    rules: tuple[RuleCheck, ...]
    #: ``met``, ``unmet`` (a known fact rules it out) or ``unknown`` (a field it
    #: reads is not given, and nothing known rules it out)
    status: str = "met"

    @property
    def why(self) -> str:
        """One line: the rule that met it and the values it read, or what failed on which values.

        ``Has shipped ... (track_record.launches = 5)`` when met; ``needs:
        track_record.launches >= 3 (senior_pm_min_launches); has
        track_record.launches = 1`` when not, one clause per failed condition.
        """
        if self.met:
            rule = next(r for r in self.rules if r.holds)
            values: dict[str, Any] = {}
            for cond in rule.conditions:
                values.update(cond.leaf_values())
            shown = _values(values)
            return f"{rule.because} ({shown})" if shown else rule.because
        parts = []
        for rule in self.rules:
            for cond in rule.failed:
                shown = _values(cond.leaf_values(failing_only=True))
                text = f"needs: {cond.words}" + (f"; has {shown}" if shown else "")
                if text not in parts:
                    parts.append(text)
        return " | ".join(parts) if parts else "no rule concludes this requirement"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "level": self.level,
            "description": self.description,
            "source": self.source,
            "met": self.met,
            "status": self.status,
            "cross_checked": self.cross_checked,
            "why": self.why,
            "evidence": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class RungCheck:
    """A rung of the ladder and each of its requirements."""

    level: str
    title: str
    kwan_level: int
    requirements: tuple[RequirementCheck, ...]

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.met)

    @property
    def unknown(self) -> int:
        return sum(1 for r in self.requirements if r.status == "unknown")

    @property
    def total(self) -> int:
        return len(self.requirements)

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "title": self.title,
            "kwan_level": self.kwan_level,
            "met": self.met,
            "unknown": self.unknown,
            "total": self.total,
            "requirements": [r.to_dict() for r in self.requirements],
        }


@dataclass(frozen=True)
class SpecializationMatch:
    """The specialization an opening asks for against the candidate's, explained."""

    asked: str
    asked_title: str
    work_type: str
    candidate: str
    candidate_title: str
    status: str  # match | partial | mismatch
    asked_work_years: float
    dominant_work: str
    dominant_work_years: float
    deduction: float
    explanation: str
    problems: tuple[dict, ...]

    @property
    def matches(self) -> bool:
        return self.status == "match"

    def to_dict(self) -> dict:
        return {
            "asked": self.asked,
            "asked_title": self.asked_title,
            "work_type": self.work_type,
            "candidate": self.candidate,
            "candidate_title": self.candidate_title,
            "status": self.status,
            "matches": self.matches,
            "asked_work_years": self.asked_work_years,
            "dominant_work": self.dominant_work,
            "dominant_work_years": self.dominant_work_years,
            "deduction": self.deduction,
            "explanation": self.explanation,
            "problems": [dict(p) for p in self.problems],
        }


@dataclass(frozen=True)
class ScoreBreakdown:
    """The arithmetic behind a fit score (see the module docstring)."""

    role_met: int
    role_total: int
    lower_met: int
    lower_total: int
    lower_weight: Fraction
    deduction: Fraction
    role_unknown: int = 0
    lower_unknown: int = 0

    @cached_property
    def if_confirmed(self) -> ScoreBreakdown:
        """The same arithmetic with every unknown requirement counted as met."""
        return ScoreBreakdown(
            self.role_met + self.role_unknown,
            self.role_total,
            self.lower_met + self.lower_unknown,
            self.lower_total,
            self.lower_weight,
            self.deduction,
        )

    @cached_property
    def unrounded(self) -> Fraction:
        """The score before clamping to 0..100 and rounding."""
        return self.role_points + self.lower_points - self.deduction

    @cached_property
    def role_weight(self) -> Fraction:
        return Fraction(1) - self.lower_weight if self.lower_total else Fraction(1)

    @cached_property
    def effective_lower_weight(self) -> Fraction:
        return self.lower_weight if self.lower_total else Fraction(0)

    @cached_property
    def role_points(self) -> Fraction:
        share = Fraction(self.role_met, self.role_total) if self.role_total else Fraction(1)
        return 100 * self.role_weight * share

    @cached_property
    def lower_points(self) -> Fraction:
        if not self.lower_total:
            return Fraction(0)
        return 100 * self.lower_weight * Fraction(self.lower_met, self.lower_total)

    @cached_property
    def score(self) -> int:
        clamped = min(Fraction(100), max(Fraction(0), self.unrounded))
        return math.floor(clamped + Fraction(1, 2))

    def formula(self) -> str:
        role = f"{_pct(self.role_weight)} × {self.role_met}/{self.role_total}"
        text = role
        if self.lower_total:
            text += f" + {_pct(self.lower_weight)} × {self.lower_met}/{self.lower_total}"
        if self.deduction:
            text += f" − {_num(float(self.deduction))}"
        return f"{text} = {_num(_round2(self.unrounded))} → {self.score}"

    def to_dict(self) -> dict:
        return {
            "formula": self.formula(),
            "role_rung": {
                "met": self.role_met,
                "total": self.role_total,
                "weight": _round2(self.role_weight),
                "points": _round2(self.role_points),
            },
            "lower_rungs": {
                "met": self.lower_met,
                "total": self.lower_total,
                "weight": _round2(self.effective_lower_weight),
                "points": _round2(self.lower_points),
            },
            "specialization_deduction": _round2(self.deduction),
            "unrounded": _round2(self.unrounded),
            "unknown": {"role_rung": self.role_unknown, "lower_rungs": self.lower_unknown},
            "if_confirmed": {
                "formula": self.if_confirmed.formula(),
                "score": self.if_confirmed.score,
            },
        }


@dataclass(frozen=True)
class Fit:
    """How well a candidate fits an opening: a 0-100 score, and exactly why.

    ``to_dict()`` / ``to_json()`` give fit output v1
    (``pmpath/schemas/fit.schema.json``): byte-identical for the same
    profile, role and knowledge.
    """

    role: str
    role_title: str
    role_kwan_level: int
    role_kwan_name: str
    specialization: str | None
    rungs: tuple[RungCheck, ...]  # lowest first, the role's rung last
    breakdown: ScoreBreakdown
    specialization_match: SpecializationMatch | None
    warnings: tuple[str, ...]
    recommendation: Recommendation = field(repr=False, compare=False)

    # -- the answer --------------------------------------------------------------------
    @property
    def score(self) -> int:
        """0-100 on what is known (an unknown requirement counts as not met): see the
        module docstring and ``breakdown``."""
        return self.breakdown.score

    @property
    def score_if_confirmed(self) -> int:
        """The score if every unknown requirement turned out met: the most the answers
        to the candidate's questions could bring."""
        return self.breakdown.if_confirmed.score

    @property
    def unknown(self) -> tuple[RequirementCheck, ...]:
        return tuple(r for r in self.requirements if r.status == "unknown")

    @property
    def requirements(self) -> tuple[RequirementCheck, ...]:
        """Every requirement assessed, lowest rung first."""
        return tuple(r for rung in self.rungs for r in rung.requirements)

    @property
    def unmet(self) -> tuple[RequirementCheck, ...]:
        return tuple(r for r in self.requirements if not r.met)

    @property
    def meets_all(self) -> bool:
        """Every requirement of the role's rung and of every rung below is met."""
        return not self.unmet

    @property
    def knowledge_version(self) -> str:
        return self.recommendation.model.knowledge_version

    @property
    def level(self) -> str:
        """The candidate's own level id."""
        return self.recommendation.level

    @property
    def candidate_specialization(self) -> str:
        return self.recommendation.specialization

    @property
    def shape(self) -> str:
        return self.recommendation.shape

    @property
    def relation(self) -> str:
        """Where the candidate stands against the role: ``below``, ``at`` or ``above``."""
        k = self.recommendation.model.knowledge
        here = k.level_by_id[self.level].index
        there = k.level_by_id[self.role].index
        return "below" if here < there else "at" if here == there else "above"

    @property
    def summary(self) -> str:
        """One sentence a reviewer can read first."""
        k = self.recommendation.model.knowledge
        role = self.rungs[-1]
        below = self.rungs[:-1]
        lower_met = sum(r.met for r in below)
        lower_total = sum(r.total for r in below)
        text = f"Fit {self.score}/100 for {self.role_title}"
        if self.specialization_match is not None:
            text += f" ({self.specialization_match.asked_title})"
        text += f": meets {role.met} of {role.total} {self.role_title} requirements"
        if lower_total:
            text += f" and {lower_met} of {lower_total} on the rungs below"
        level = k.level_by_id[self.level]
        spec = k.specializations[self.candidate_specialization]
        text += f"; stands at {level.title}, {spec['title']}, {self.shape}-shaped"
        if self.specialization_match is not None and not self.specialization_match.matches:
            text += f" ({self.specialization_match.status} on specialization)"
        return text + "."

    def reasons(self) -> list[str]:
        """Plain lines a recruiter can read: each requirement, then the specialization."""
        lines = []
        for req in self.requirements:
            mark = "met" if req.met else "missing"
            lines.append(f"{mark}: {req.description} — {req.why} [{req.source}]")
        m = self.specialization_match
        if m is not None:
            lines.append(f"specialization {m.status}: {m.explanation}")
        return lines

    # -- output v1 ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Fit output v1, plain JSON types only (schema: ``fit.schema.json``)."""
        rec = self.recommendation
        k = rec.model.knowledge
        level = k.level_by_id[self.level]
        spec = k.specializations[self.candidate_specialization]
        shape = k.shapes[self.shape]
        role_spec = None
        if self.specialization is not None:
            s = k.specializations[self.specialization]
            role_spec = {"id": s["id"], "title": s["title"], "work_type": s["work_type"]}
        return {
            "schema_version": SCHEMA_VERSION,
            "knowledge_version": self.knowledge_version,
            "profile": {"id": rec.profile.get("id"), "name": rec.profile.get("name")},
            "role": {
                "id": self.role,
                "title": self.role_title,
                "kwan_level": self.role_kwan_level,
                "kwan_name": self.role_kwan_name,
                "specialization": role_spec,
            },
            "score": self.score,
            "score_if_confirmed": self.score_if_confirmed,
            "score_breakdown": self.breakdown.to_dict(),
            "meets_all": self.meets_all,
            "summary": self.summary,
            "rungs": [r.to_dict() for r in self.rungs],
            "candidate": {
                "level": {
                    "id": level.id,
                    "title": level.title,
                    "kwan_level": level.kwan_level,
                    "kwan_name": level.kwan_name,
                    "evidence": [_evidence(rec, r) for r in rec.support(("level", level.id))],
                },
                "relation": self.relation,
                "specialization": {
                    "id": spec["id"],
                    "title": spec["title"],
                    "work_type": spec["work_type"],
                    "evidence": [
                        _evidence(rec, r) for r in rec.support(("specialization", spec["id"]))
                    ],
                },
                "shape": {
                    "id": shape["id"],
                    "title": shape["title"],
                    "evidence": [_evidence(rec, r) for r in rec.support(("shape", self.shape))],
                },
            },
            "specialization_match": (
                self.specialization_match.to_dict() if self.specialization_match else None
            ),
            "warnings": list(self.warnings),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Fit output v1 as JSON text: byte-identical for the same input and knowledge."""
        if indent is None:
            return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


# -- assessing ------------------------------------------------------------------------
def role_levels(knowledge: Knowledge) -> list[str]:
    """The level ids an opening can name: every rung that has requirements."""
    return [lv.id for lv in knowledge.levels if lv.index > 0]


def check_role(
    knowledge: Knowledge, role: str, specialization: str | None = None
) -> tuple[Level, str | None]:
    """The role's `Level` and the specialization id, or `RoleError` saying what is valid."""
    choices = role_levels(knowledge)
    if not isinstance(role, str) or role not in knowledge.level_by_id:
        raise RoleError(_unknown("role", role, choices), code="F001", param="role")
    if role not in choices:
        raise RoleError(
            f"'{role}' is the rung before any product role and has no requirements to fit "
            f"against; choose one of: {', '.join(choices)}",
            code="F001",
            param="role",
        )
    if specialization is not None and specialization not in knowledge.specializations:
        raise RoleError(
            _unknown("specialization", specialization, list(knowledge.specializations)),
            code="F002",
            param="specialization",
        )
    return knowledge.level_by_id[role], specialization


def assess(
    recommendation: Recommendation, role: str = "senior_pm", specialization: str | None = None
) -> Fit:
    """The `Fit` of the candidate behind ``recommendation`` for an opening at ``role``.

    Reuses the recommendation (no second inference): a batch that already has
    one adds fit for the cost of the explanation.
    """
    rec = recommendation
    model = rec.model
    k = model.knowledge
    level, specialization = check_role(k, role, specialization)
    weights = _weights(k)

    facts = sections(rec.profile, rec.derived)
    explainer = _Explainer(model.ruleset, facts, rec.fired)
    fired_preds = explainer.fired_preds
    here = k.level_by_id[rec.level].index
    assessed_up_to = here + 1  # durable_rules assessed every rung up to the next one
    gaps = set(rec.gaps)

    rungs = []
    for lv in k.levels[1 : level.index + 1]:
        checks = []
        cross = lv.index <= assessed_up_to
        for req in lv.requirements:
            rules = tuple(
                explainer.rule(r) for r in model.ruleset.concluders.get(("met", req.id), ())
            )
            met = any(r.holds for r in rules)
            status = "met" if met else "unknown" if could_hold(model, req.id, facts) else "unmet"
            if cross:
                engine_met = ("met", req.id) in fired_preds
                engine_gap = req.id in gaps
                if met != engine_met or (lv.index == assessed_up_to and met == engine_gap):
                    raise EngineError(
                        f"role fit and the engine disagree on requirement '{req.id}' "
                        f"(fit: {'met' if met else 'unmet'}; engine: "
                        f"{'met' if engine_met else 'unmet'}"
                        f"{', reported as a gap' if engine_gap else ''}): the rules are read "
                        "differently by durable_rules and the reference evaluator"
                    )
            checks.append(
                RequirementCheck(
                    req.id, lv.id, req.description, req.source, met, cross, rules, status
                )
            )
        rungs.append(RungCheck(lv.id, lv.title, lv.kwan_level, tuple(checks)))

    match = _match(rec, specialization, weights) if specialization is not None else None
    deduction = Fraction(str(match.deduction)) if match is not None else Fraction(0)
    breakdown = _breakdown(rungs, weights[LOWER_RUNGS_WEIGHT], deduction)
    return Fit(
        role=level.id,
        role_title=level.title,
        role_kwan_level=level.kwan_level,
        role_kwan_name=level.kwan_name,
        specialization=specialization,
        rungs=tuple(rungs),
        breakdown=breakdown,
        specialization_match=match,
        warnings=tuple(_warnings(rec, specialization)),
        recommendation=rec,
    )


@dataclass(frozen=True)
class _Plan:
    """What fit needs from a ruleset, computed once per loaded ruleset."""

    own: dict[str, Rule]  # rule id -> the rule without its injected conditions
    met_strata: tuple[tuple[Rule, ...], ...]  # `met` rules (stripped), by stratum


_plans: dict[int, tuple[weakref.ref, _Plan]] = {}
_plans_lock = threading.Lock()


def _plan(ruleset: RuleSet) -> _Plan:
    entry = _plans.get(id(ruleset))
    if entry is not None and entry[0]() is ruleset:
        return entry[1]
    own = {}
    for rule in ruleset.rules:
        kept = tuple(p for p in rule.when if not (isinstance(p, FactPattern) and p.injected))
        own[rule.id] = rule if len(kept) == len(rule.when) else replace(rule, when=kept)
    strata: dict[int, list[Rule]] = defaultdict(list)
    for rule in ruleset.rules:
        if rule.concludes[0] == "met":
            strata[rule.stratum].append(own[rule.id])
    plan = _Plan(own, tuple(tuple(strata[s]) for s in sorted(strata)))
    with _plans_lock:
        for key in [k for k, (ref, _) in _plans.items() if ref() is None]:
            del _plans[key]  # rulesets no longer loaded
        _plans[id(ruleset)] = (weakref.ref(ruleset), plan)
    return plan


class _Explainer:
    """Explains rules on one candidate, ignoring the injected bottom-up gating."""

    def __init__(self, ruleset: RuleSet, facts: dict[str, dict], fired: Iterable[str]):
        self.ruleset = ruleset
        self.plan = _plan(ruleset)
        self.facts = facts
        self.fired_preds: set[Pred] = {ruleset.by_id[r].concludes for r in fired}
        self.derived = self._ungated(set(self.fired_preds))
        self._cache: dict[tuple, RuleCheck] = {}

    def _ungated(self, derived: set) -> set:
        """The fired facts plus every ``met`` fact whose own conditions hold, any rung."""
        for stratum in self.plan.met_strata:
            pending = list(stratum)
            changed = True
            while changed:
                changed = False
                waiting = []
                for rule in pending:
                    if rule.concludes in derived:
                        continue
                    if all(pattern_holds(p, self.facts, derived) for p in rule.when):
                        derived.add(rule.concludes)
                        changed = True
                    else:
                        waiting.append(rule)
                pending = waiting
        return derived

    def rule(self, rule: Rule, depth: int = 0, seen: frozenset = frozenset()) -> RuleCheck:
        key = (rule.id, depth, seen)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        own = self.plan.own[rule.id]
        results = explain_rule(own, self.facts, self.derived)
        conditions = []
        for pattern, result in zip(own.when, results, strict=True):
            via: tuple[RuleCheck, ...] = ()
            if (
                isinstance(pattern, FactPattern)
                and depth < MAX_VIA_DEPTH
                and pattern.pred not in seen
            ):
                via = tuple(
                    self.rule(r, depth + 1, seen | {pattern.pred})
                    for r in self.ruleset.concluders.get(pattern.pred, ())
                )
            conditions.append(ConditionCheck(result.condition, result.holds, result.values, via))
        check = RuleCheck(
            rule.id,
            rule.because,
            rule.source,
            all(c.holds for c in conditions),
            tuple(conditions),
        )
        self._cache[key] = check
        return check


def _weights(k: Knowledge) -> dict[str, Fraction]:
    problems = []
    out: dict[str, Fraction] = {}
    for tid in (LOWER_RUNGS_WEIGHT, MISMATCH_POINTS, PARTIAL_POINTS, BREADTH_MIN_YEARS):
        if tid not in k.thresholds:
            file, line = k.line("thresholds", ("thresholds",))
            problems.append(
                Problem(file, line, "K003", f"threshold '{tid}' is missing; role fit needs it")
            )
            continue
        out[tid] = Fraction(str(k.threshold(tid)))
    if not problems and out[LOWER_RUNGS_WEIGHT] > 1:
        file, line = k.line("thresholds", ("thresholds",))
        problems.append(
            Problem(
                file,
                line,
                "K001",
                f"threshold '{LOWER_RUNGS_WEIGHT}' is a share of the score and must be "
                "between 0 and 1",
            )
        )
    if problems:
        raise KnowledgeError(problems)
    return out


def _breakdown(
    rungs: list[RungCheck], lower_weight: Fraction, deduction: Fraction
) -> ScoreBreakdown:
    role = rungs[-1]
    lower_met = sum(r.met for r in rungs[:-1])
    lower_total = sum(r.total for r in rungs[:-1])
    return ScoreBreakdown(
        role.met,
        role.total,
        lower_met,
        lower_total,
        lower_weight,
        Fraction(deduction),
        role.unknown,
        sum(r.unknown for r in rungs[:-1]),
    )


def _match(rec: Recommendation, asked: str, weights: dict[str, Fraction]) -> SpecializationMatch:
    k = rec.model.knowledge
    want = k.specializations[asked]
    have = k.specializations[rec.specialization]
    work_type = want["work_type"]
    work_title = k.work_types[work_type]["title"] if work_type in k.work_types else work_type
    years = rec.profile["work"].get(work_type, 0) or 0
    dominant = rec.derived["dominant_work"]
    dominant_years = rec.derived["dominant_work_years"]
    breadth = weights[BREADTH_MIN_YEARS]
    if rec.specialization == asked and dominant != "none":
        status, deduction = "match", Fraction(0)
        explanation = (
            f"Asked for {_a(want['title'])}; the candidate's main kind of product work is "
            f"{work_title.lower()} ({_years(years)}), so they are one."
        )
        ids: tuple[str, ...] = ()
    elif years > 0 and Fraction(str(years)) >= breadth:
        status, deduction = "partial", weights[PARTIAL_POINTS]
        explanation = (
            f"Asked for {_a(want['title'])}; the candidate is {_a(have['title'])} "
            f"({_years(dominant_years)} of {_work_title(k, dominant)}) with "
            f"{_years(years)} of {work_title.lower()}: some of the asked kind of work, "
            "but not their main one, so expect a ramp-up."
        )
        ids = PARTIAL_PROBLEMS
    else:
        status, deduction = "mismatch", weights[MISMATCH_POINTS]
        if dominant == "none":
            background = "no product work recorded"
        else:
            background = f"{_years(dominant_years)} of {_work_title(k, dominant)}"
        explanation = (
            f"Asked for {_a(want['title'])}; the candidate is {_a(have['title'])} ({background}) "
            f"with {_years(years)} of {work_title.lower()}, under the "
            f"{_years(float(breadth))} that counts as having done it: their playbook may "
            "not transfer."
        )
        ids = MISMATCH_PROBLEMS
    by_id = {p["id"]: p for p in k.problems}
    problems = tuple(
        {
            "id": by_id[i]["id"],
            "title": by_id[i]["title"],
            "description": by_id[i]["description"],
            "advice": by_id[i]["advice"],
            "source": by_id[i]["source"],
        }
        for i in ids
        if i in by_id
    )
    return SpecializationMatch(
        asked=asked,
        asked_title=want["title"],
        work_type=work_type,
        candidate=rec.specialization,
        candidate_title=have["title"],
        status=status,
        asked_work_years=years,
        dominant_work=dominant,
        dominant_work_years=dominant_years,
        deduction=float(deduction),
        explanation=explanation,
        problems=problems,
    )


def _warnings(rec: Recommendation, specialization: str | None) -> list[str]:
    out = []
    work_total = rec.derived["work_total_years"]
    product_years = rec.profile["experience"]["product_years"]
    if specialization is not None and work_total == 0 and product_years > 0:
        out.append(
            f"No work.* years are recorded for {_num(product_years)} years in product, so the "
            "specialization is the default (core); ask the candidate which kinds of product "
            "work those years went into."
        )
    if work_total > product_years + 1e-9:
        out.append(
            f"work.* adds up to {_num(work_total)} years but experience.product_years is "
            f"{_num(product_years)}; the specialization uses the work figures as given."
        )
    return out


def _evidence(rec: Recommendation, rule: Rule) -> dict:
    return {
        "rule": rule.id,
        "because": rule.because,
        "source": rule.source,
        "facts": rec.facts_read(rule),
    }


def _work_title(k: Knowledge, work: str) -> str:
    return k.work_types[work]["title"].lower() if work in k.work_types else work


def _a(title: str) -> str:
    return f"{'an' if title[:1].lower() in 'aeiou' else 'a'} {title}"


def _unknown(what: str, value: Any, choices: list[str]) -> str:
    text = f"unknown {what} {value!r}; choose one of: {', '.join(choices)}"
    if isinstance(value, str):
        close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
        if close:
            text += f" (did you mean '{close[0]}'?)"
    return text


def _sentence(text: str) -> str:
    """A rule's ``because`` as a clause: first letter lowered, final full stop dropped."""
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _years(value: float) -> str:
    return f"{_num(value)} year{'' if value == 1 else 's'}"


def _values(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {show_value(v)}" for k, v in values.items())


def show_value(value: Any) -> str:
    """A fact value as the explanations print it."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num(value)
    return visible(value)  # a profile's text: no control characters


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _round2(value: Fraction) -> float:
    """A Fraction to 2 decimals, rounded half up; whole numbers stay floats for a stable type."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return hundredths / 100


def _pct(value: Fraction) -> str:
    return _num(float(value * 100))
