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

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pmpath.errors import RoleError
from pmpath.explain.why import RuleCheck
from pmpath.results.cached import cached
from pmpath.results.compact_fit import fit_json, fit_pieces
from pmpath.words import did_you_mean, figure

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model.knowledge import Knowledge, Level
    from pmpath.results.recommendation import Recommendation
from typing import TYPE_CHECKING

from pmpath.model.rules import Rule
from pmpath.words import show_value

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model.knowledge import Knowledge
    from pmpath.results.recommendation import Recommendation


SCHEMA_VERSION = 1


# -- the explanation, as data ---------------------------------------------------------


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

    @cached
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.met)

    @cached
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

    @cached
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

    @cached
    def unrounded(self) -> Fraction:
        """The score before clamping to 0..100 and rounding."""
        return self.role_points + self.lower_points - self.deduction

    @cached
    def role_weight(self) -> Fraction:
        return Fraction(1) - self.lower_weight if self.lower_total else Fraction(1)

    @cached
    def effective_lower_weight(self) -> Fraction:
        return self.lower_weight if self.lower_total else Fraction(0)

    @cached
    def role_points(self) -> Fraction:
        share = Fraction(self.role_met, self.role_total) if self.role_total else Fraction(1)
        return 100 * self.role_weight * share

    @cached
    def lower_points(self) -> Fraction:
        if not self.lower_total:
            return Fraction(0)
        return 100 * self.lower_weight * Fraction(self.lower_met, self.lower_total)

    @cached
    def score(self) -> int:
        clamped = min(Fraction(100), max(Fraction(0), self.unrounded))
        return math.floor(clamped + Fraction(1, 2))

    def formula(self) -> str:
        role = f"{_pct(self.role_weight)} × {self.role_met}/{self.role_total}"
        text = role
        if self.lower_total:
            text += f" + {_pct(self.lower_weight)} × {self.lower_met}/{self.lower_total}"
        if self.deduction:
            text += f" − {figure(float(self.deduction))}"
        return f"{text} = {figure(_round2(self.unrounded))} → {self.score}"

    def to_dict(self) -> dict:
        # worked out once per breakdown (a pool shares them: see score._shared_breakdown);
        # each caller gets its own dicts
        return {k: dict(v) if isinstance(v, dict) else v for k, v in self._dict.items()}

    @cached
    def _dict(self) -> dict:
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
        return all(rung.met == rung.total for rung in self.rungs)

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
        return self._members(rungs=True)

    def _members(self, rungs: bool = False, evidence: bool = True) -> dict:
        """Fit output v1's members; the rungs (the largest part) only when ``rungs``, the
        candidate's evidence lists only when ``evidence``: `pmpath.results.compact_fit`
        writes those straight to text."""
        rec = self.recommendation
        k = rec.model.knowledge
        level = k.level_by_id[self.level]
        spec = k.specializations[self.candidate_specialization]
        shape = k.shapes[self.shape]
        role_spec = None
        if self.specialization is not None:
            s = k.specializations[self.specialization]
            role_spec = {"id": s["id"], "title": s["title"], "work_type": s["work_type"]}
        out = {
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
            "rungs": [r.to_dict() for r in self.rungs] if rungs else None,
            "candidate": {
                "level": {
                    "id": level.id,
                    "title": level.title,
                    "kwan_level": level.kwan_level,
                    "kwan_name": level.kwan_name,
                    "evidence": (
                        [_evidence(rec, r) for r in rec.support(("level", level.id))]
                        if evidence
                        else None
                    ),
                },
                "relation": self.relation,
                "specialization": {
                    "id": spec["id"],
                    "title": spec["title"],
                    "work_type": spec["work_type"],
                    "evidence": (
                        [_evidence(rec, r) for r in rec.support(("specialization", spec["id"]))]
                        if evidence
                        else None
                    ),
                },
                "shape": {
                    "id": shape["id"],
                    "title": shape["title"],
                    "evidence": (
                        [_evidence(rec, r) for r in rec.support(("shape", self.shape))]
                        if evidence
                        else None
                    ),
                },
            },
            "specialization_match": (
                self.specialization_match.to_dict() if self.specialization_match else None
            ),
            "warnings": list(self.warnings),
        }
        if not rungs:
            del out["rungs"]
        if not evidence:
            for part in out["candidate"].values():
                if isinstance(part, dict):
                    del part["evidence"]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """Fit output v1 as JSON text: byte-identical for the same input and knowledge.

        ``indent=None`` gives compact JSON (one line), byte-identical to
        ``json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))``
        but written faster: see `pmpath.results.compact_fit`.
        """
        if indent is None:
            return fit_json(self)
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def json_pieces(self) -> tuple[str, ...]:
        """``to_json(indent=None)`` as texts that join into it, for a writer that encodes
        them on its own (a batch record): see `pmpath.results.compact_fit.fit_pieces`."""
        return fit_pieces(self)


# -- assessing ------------------------------------------------------------------------
def role_levels(knowledge: Knowledge) -> list[str]:
    """The level ids an opening can name: every rung that has requirements."""
    return [lv.id for lv in knowledge.levels if lv.index > 0]


def check_role(
    knowledge: Knowledge, role: str, specialization: str | None = None
) -> tuple[Level, str | None]:
    """The role's `Level` and the specialization id, or `RoleError` saying what is valid.
    The lists of valid choices are built only for the error (a fit checks its role
    on every call)."""
    level = knowledge.level_by_id.get(role) if isinstance(role, str) else None
    if level is None:
        raise RoleError(_unknown("role", role, role_levels(knowledge)), code="F001", param="role")
    if level.index == 0:
        raise RoleError(
            f"'{role}' is the rung before any product role and has no requirements to fit "
            f"against; choose one of: {', '.join(role_levels(knowledge))}",
            code="F001",
            param="role",
        )
    if specialization is not None and specialization not in knowledge.specializations:
        raise RoleError(
            _unknown("specialization", specialization, list(knowledge.specializations)),
            code="F002",
            param="specialization",
        )
    return level, specialization


def _evidence(rec: Recommendation, rule: Rule) -> dict:
    return {
        "rule": rule.id,
        "because": rule.because,
        "source": rule.source,
        "facts": rec.facts_read(rule),
    }


def _unknown(what: str, value: Any, choices: list[str]) -> str:
    text = f"unknown {what} {value!r}; choose one of: {', '.join(choices)}"
    hint = did_you_mean(value, choices, cutoff=0.5)
    return f"{text} ({hint})" if hint else text


def _values(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {show_value(v)}" for k, v in values.items())


def _round2(value: Fraction) -> float:
    """A Fraction to 2 decimals, rounded half up; whole numbers stay floats for a stable type."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return hundredths / 100


def _pct(value: Fraction) -> str:
    return figure(float(value * 100))
