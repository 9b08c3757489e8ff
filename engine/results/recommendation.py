"""Turning the rules that fired into a `Recommendation` (output v1, spec section 4).

Assembly is shared by the durable_rules driver and the reference evaluator,
so a recommendation depends only on which rules fired. Every part of the
output is traced: the level and specialization carry the rules that support
them (transitively), each step names the rules that suggested it, and the
trace lists every fired rule with the facts it read.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmpath.errors import EngineError
from pmpath.explain.why import fired_facts
from pmpath.model.rules import FactPattern, Pred, Rule
from pmpath.results.advice import (
    _far_decisions,
    _find_questions,
    _path_to_target,
    _questions_for,
    _time_to_go,
    fired_places,
    order_steps,
)
from pmpath.results.cached import cached
from pmpath.results.compact import _codec_for, _short

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model


SCHEMA_VERSION = 1
_NONE: list = []  # no ids of a kind (shared, never changed)


@dataclass
class Recommendation:
    """Where a profile stands and what to do next. ``to_dict()`` is output v1."""

    model: Model = field(repr=False)
    profile: dict = field(repr=False)  # normalised
    derived: dict = field(repr=False)
    fired: tuple[str, ...]

    # -- the conclusions --------------------------------------------------------
    @cached
    def _rules(self) -> list[Rule]:
        """The rules that fired, in rule order."""
        rules = self.model.ruleset.rules
        return [rules[i] for i in sorted(fired_places(self.model, self.fired))]

    @cached
    def _concluded(self) -> dict[Pred, list[Rule]]:
        """Each concluded fact and the fired rules that concluded it, in rule order."""
        out: dict[Pred, list[Rule]] = {}
        for rule in self._rules:
            rules = out.get(rule.concludes)
            if rules is None:
                out[rule.concludes] = [rule]
            else:
                rules.append(rule)
        return out

    @cached
    def _by_kind(self) -> dict[str, list[str]]:
        """Concluded fact ids by kind, in the order of ``_concluded`` (read-only lists)."""
        by_kind: dict[str, list[str]] = {}
        for kind, ident in self._concluded:
            ids = by_kind.get(kind)
            if ids is None:
                by_kind[kind] = [ident]
            else:
                ids.append(ident)
        return by_kind

    def concluded_facts(self) -> Collection[Pred]:
        """What the rules concluded, as facts (``(kind, id)``; read-only): the keys of
        ``_concluded`` once worked out (the level and the gaps need it), else straight
        from the ids of the rules that fired, which is cheaper than sorting them."""
        concluded = self.__dict__.get("_concluded")
        if concluded is not None:
            return concluded
        return fired_facts(self.model.ruleset, self.fired)

    def _ids(self, kind: str) -> list[str]:
        """The concluded ids of ``kind`` (the list is shared: do not change it)."""
        return self._by_kind.get(kind, _NONE)

    def _one(self, kind: str, required: bool = True) -> str | None:
        ids = self._ids(kind)
        if len(ids) > 1 or (required and not ids):
            raise EngineError(
                f"the rules concluded {len(ids)} {kind} facts ({', '.join(ids) or 'none'}); "
                "exactly one was expected: the ruleset is inconsistent"
            )
        return ids[0] if ids else None

    @cached
    def level(self) -> str:
        return self._one("level")

    @cached
    def next_level(self) -> str | None:
        nxt = self.model.knowledge.next_level(self.level)
        return nxt.id if nxt else None

    @property
    def kwan_level(self) -> int:
        return self.model.knowledge.level_by_id[self.level].kwan_level

    @cached
    def specialization(self) -> str:
        return self._one("specialization")

    @cached
    def shape(self) -> str:
        return self._one("shape")

    @cached
    def path(self) -> str | None:
        return self._one("path", required=False)

    @cached
    def _open_by_rung(self) -> dict[str, list[str]]:
        """Requirements not met (``gap`` or ``unknown``) by rung, each in knowledge order."""
        reqs = self.model.knowledge.requirements
        out: dict[str, list[str]] = {}
        for kind in ("gap", "unknown"):
            for r in self._ids(kind):
                out.setdefault(reqs[r].level, []).append(r)
        for level, ids in out.items():
            out[level] = sorted(dict.fromkeys(ids), key=lambda r: reqs[r].index)
        return out

    def _of_rung(self, level: str | None) -> list[str]:
        return list(self._open_by_rung.get(level, _NONE))

    @cached
    def gaps(self) -> list[str]:
        """Requirements of the next rung not met (unmet or unknown), in knowledge order."""
        return self._of_rung(self.next_level)

    @cached
    def unknown(self) -> frozenset[str]:
        """Requirements not met whose fields are partly not given: a question, not a step."""
        return frozenset(self._ids("unknown"))

    def status(self, requirement: str) -> str:
        """``met``, ``unmet`` or ``unknown`` for a requirement the rules assessed."""
        if ("met", requirement) in self._concluded:
            return "met"
        return "unknown" if requirement in self.unknown else "unmet"

    def time_to_go(self, requirement: str) -> str | None:
        """For a requirement of years (tenure) not yet met: how long, in words
        ("about 1.6 more years in product"); None for any other requirement."""
        return _time_to_go(self, requirement)

    @cached
    def target(self) -> str | None:
        """``goals.target`` when it names a rung above the placed one: the gaps and steps
        of every rung up to it are shown, grouped by rung (see `path_to_target`)."""
        k = self.model.knowledge
        wanted = self.profile["goals"].get("target", "next")
        if wanted not in k.level_by_id or self.next_level is None:
            return None
        if k.level_by_id[wanted].index <= k.level_by_id[self.level].index:
            return None
        return wanted

    def path_to_target(self) -> list[dict]:
        """Every rung from the next one up to `target`: its gaps (with their status and
        time to go) and the steps that answer its unmet gaps."""
        return _path_to_target(self) if self.target else []

    @cached
    def _far_rungs(self) -> tuple:
        """What `path_to_target` shows of the rungs above the next one (see
        `pmpath.results.advice._far_decisions`)."""
        return _far_decisions(self)

    @cached
    def strengthen(self) -> list[str]:
        """Typical requirements of the placed rung that do not hold (yet): what would
        strengthen the case for it. Its defining ones all hold."""
        return self._of_rung(self.level)

    @cached
    def met(self) -> list[str]:
        """Requirements found met, of the rungs assessed (bottom-up, up to the next rung)."""
        k = self.model.knowledge
        reqs, rungs = k.requirements, k.level_by_id
        return sorted(self._ids("met"), key=lambda r: (rungs[reqs[r].level].index, reqs[r].index))

    @cached
    def possible(self) -> str:
        """The highest rung no known fact rules out (spec section 6): the placed level,
        or the highest rung the `ladder.reachable` rules concluded."""
        k = self.model.knowledge
        reachable = self._ids("reachable")
        if not reachable:
            return self.level
        return max(reachable, key=lambda level: k.level_by_id[level].index)

    @property
    def certainty(self) -> str:
        """``placed`` when nothing unknown could raise the level, else ``at_least``."""
        return "placed" if self.possible == self.level else "at_least"

    @cached
    def questions(self) -> list[dict]:
        """Every unknown field whose answer could change the level, the gaps or the
        specialization, most decisive first (spec section 6)."""
        return _questions_for(self)

    @cached
    def _questions_found(self) -> tuple[tuple[str, dict], ...]:
        return _find_questions(
            self.model, self.profile, self.level, self.possible, self.unknown, self.strengthen
        )

    @cached
    def question_fields(self) -> list[str]:
        """The fields of `questions`, in the same order (what a summary lists)."""
        return [dotted for dotted, _ in self._questions_found]

    @cached
    def steps(self) -> list[str]:
        """Suggested step ids, what matters first."""
        by_step = {
            ident: rules for (kind, ident), rules in self._concluded.items() if kind == "step"
        }
        return order_steps(self.model, by_step)

    def settle(
        self,
        level: str,
        next_level: str | None,
        possible: str,
        unknown: frozenset[str],
        gaps: tuple[str, ...],
        strengthen: tuple[str, ...],
    ) -> None:
        """Take what the level's decisions conclude, worked out once for every profile
        with the same decisions and kept, instead of working it out from every fired
        rule (the lists are copied: each recommendation its own). What is already
        worked out stays."""
        state = self.__dict__
        state.setdefault("level", level)
        state.setdefault("next_level", next_level)
        state.setdefault("possible", possible)
        state.setdefault("unknown", unknown)
        if "gaps" not in state:
            state["gaps"] = list(gaps)
        if "strengthen" not in state:
            state["strengthen"] = list(strengthen)

    # -- explanation ----------------------------------------------------------------
    def facts_read(self, rule: Rule) -> dict[str, Any]:
        """The facts a fired rule looked at, and their values."""
        out: dict[str, Any] = {}
        for p in rule.when:
            if isinstance(p, FactPattern):
                out[f"{p.kind}:{p.id}"] = not p.negated
                continue
            fact = self.derived if p.section == "derived" else self.profile.get(p.section, {})
            for t in p.tests.tests():
                out[f"{p.section}.{t.field}"] = fact.get(t.field)
        return out

    def _evidence_item(self, rule: Rule) -> dict:
        return {
            "rule": rule.id,
            "because": rule.because,
            "source": rule.source,
            "facts": self.facts_read(rule),
        }

    def support(self, pred: Pred) -> list[Rule]:
        """Every fired rule that ``pred`` rests on, transitively, in rule order."""
        premises = _codec_for(self.model).premises
        order = self.model.rule_order
        concluded = self._concluded
        found: dict[str, int] = {}  # rule id -> its place in rule order
        stack = [pred]
        while stack:
            for rule in concluded.get(stack.pop(), ()):
                if rule.id not in found:
                    found[rule.id] = order[rule.id]
                    stack.extend(premises[rule.id])
        rules = self.model.ruleset.rules
        return [rules[i] for i in sorted(found.values())]

    def why(self, step_id: str) -> tuple[str, list[Rule]]:
        rules = self._concluded[("step", step_id)]
        parts = []
        for rule in rules:
            gap = rule.gap
            if gap is not None:
                parts.append(self._why_for_gap(rule))
            else:
                parts.append(rule.because)
        return " Also: ".join(dict.fromkeys(parts)), rules

    def _why_for_gap(self, rule: Rule) -> str:
        """Why a step that answers a gap: for which rung and requirement, the rule's
        reason, and the time to go for years (the gap itself is listed with the rung)."""
        k = self.model.knowledge
        req = k.requirements[rule.gap]
        wait = self.time_to_go(rule.gap)
        when = f" To go: {wait}." if wait else ""
        title = k.level_by_id[req.level].title
        return f"For {title} ({_short(req.id)}): {rule.because}{when}"

    def leads_to(self, step_id: str) -> str | None:
        k = self.model.knowledge
        target = k.steps[step_id].leads_to
        here = k.level_by_id[self.level].index
        if target != "any":
            for level_id in target:
                if k.level_by_id[level_id].index > here:
                    return level_id
        return self.next_level

    def warnings(self) -> list[str]:
        """Warnings, each starting with its code (W1xx: about the answer's inputs;
        W2xx: an improbable profile)."""
        return _warnings(self.model, self.profile, self.level)

    # -- output v1 ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The recommendation as output v1 (spec section 4), plain JSON types only."""
        level, spec, path, shape = self.level, self.specialization, self.path, self.shape
        evidence = self._evidence_item
        return self._assemble(
            profile={"id": self.profile.get("id"), "name": self.profile.get("name")},
            level=self._level_block([evidence(r) for r in self.support(("level", level))]),
            next_level=self._next_level_block(),
            path=path,
            path_evidence=[evidence(r) for r in self.support(("path", path))] if path else [],
            specialization=self._specialization_block(
                [
                    evidence(r)
                    for r in self.support(("specialization", spec)) + self.support(("shape", shape))
                ]
            ),
            next_steps=[self._step_item(step_id) for step_id in self.steps],
            trace=[evidence(r) for r in self._rules],
            warnings=self.warnings(),
            questions=self.questions,
            target=self._target_block(),
        )

    # The parts of output v1. `to_dict` fills them with values; `to_json` runs the
    # same functions with placeholders to precompute their JSON text (`_CompactCodec`).
    def _assemble(self, **parts: Any) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "knowledge_version": self.model.knowledge_version,
            "profile": parts["profile"],
            "level": parts["level"],
            "next_level": parts["next_level"],
            "path": parts["path"],
            "path_evidence": parts["path_evidence"],
            "specialization": parts["specialization"],
            "next_steps": parts["next_steps"],
            "trace": parts["trace"],
            "warnings": parts["warnings"],
            "questions": parts["questions"],
            "target": parts["target"],
        }

    def _target_block(self) -> dict | None:
        if self.target is None:
            return None
        level = self.model.knowledge.level_by_id[self.target]
        return {"id": level.id, "title": level.title, "rungs": self.path_to_target()}

    def _level_block(self, evidence: Any) -> dict:
        k = self.model.knowledge
        level = k.level_by_id[self.level]
        possible = k.level_by_id[self.possible]
        return {
            "id": level.id,
            "title": level.title,
            "kwan_level": level.kwan_level,
            "kwan_name": level.kwan_name,
            "certainty": self.certainty,
            "possible": {"id": possible.id, "title": possible.title},
            "strengthen": [self._requirement_item(r) for r in self.strengthen],
            "evidence": evidence,
        }

    def _requirement_item(self, req_id: str, status: str | None = None) -> dict:
        """A requirement not met, as output v1 shows it; ``status`` for a rung the rules
        did not assess (above the next one), else the rules' own."""
        req = self.model.knowledge.requirements[req_id]
        status = status or self.status(req_id)
        return {
            "requirement": req_id,
            "description": req.description,
            "source": req.source,
            "rule": f"ladder.{'unknown' if status == 'unknown' else 'gap'}.{req_id}",
            "status": status,
            "weight": req.weight,
            "time_to_go": self.time_to_go(req_id) if status == "unmet" else None,
        }

    def _next_level_block(self) -> dict | None:
        k = self.model.knowledge
        nxt = k.next_level(self.level)
        if nxt is None:
            return None
        return {
            "id": nxt.id,
            "title": nxt.title,
            "kwan_level": nxt.kwan_level,
            "kwan_name": nxt.kwan_name,
            "gaps": [self._requirement_item(r) for r in self.gaps],
        }

    def _specialization_block(self, evidence: Any) -> dict:
        spec = self.model.knowledge.specializations[self.specialization]
        return {
            "id": spec["id"],
            "title": spec["title"],
            "work_type": spec["work_type"],
            "shape": self.shape,
            "evidence": evidence,
        }

    def _step_item(self, step_id: str) -> dict:
        step = self.model.knowledge.steps[step_id]
        why, rules = self.why(step_id)
        return {
            "id": step.id,
            "title": step.title,
            "description": step.description,
            "why": why,
            "leads_to": self.leads_to(step_id),
            "source": step.source,
            "rules": [r.id for r in rules],
            "answers": [r.gap for r in rules if r.gap],
            "in_your_terms": step.in_terms_of.get(self.specialization),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Output v1 as JSON text: byte-identical for the same profile and knowledge.

        ``indent=None`` gives compact JSON (one line, as batch writes it),
        byte-identical to ``json.dumps(self.to_dict(), ensure_ascii=False,
        separators=(",", ":"))`` but several times faster: see `_CompactCodec`.
        """
        if indent is None:
            return _codec_for(self.model).render(self)
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def json_pieces(self) -> tuple[str, ...]:
        """``to_json(indent=None)`` as texts that join into it, for a writer that puts
        them into a larger text (a batch record) without joining them first."""
        return _codec_for(self.model).pieces(self)


def _warnings(model: Model, profile: dict, level_id: str) -> list[str]:
    """`Recommendation.warnings` from the placed level and the profile alone (a summary
    keeps the level per set of decisions)."""
    k = model.knowledge
    out = []
    goals = profile["goals"]
    here = k.level_by_id[level_id]
    target = goals.get("target", "next")
    if target != "next" and target in k.level_by_id:
        wanted = k.level_by_id[target]
        if wanted.index <= here.index:
            out.append(
                f"W101 goals.target is {target}, but the profile already stands at "
                f"{here.id}; the next rung is shown instead."
            )
        elif wanted.index > here.index + 1:  # so there is a next rung
            out.append(
                f"W104 goals.target is {target}, {wanted.index - here.index} rungs up; "
                f"next_steps cover the next rung ({k.levels[here.index + 1].id}) first, and "
                "`target` lists the gaps and steps of each rung on the way."
            )
    if level_id != "aspiring" and goals.get("path", "either") != "either":
        out.append("W102 goals.path applies only to people not yet in product; it was not used.")
    if not profile["strengths"]:
        out.append(
            "W103 No strengths are rated, so no skill steps are suggested; rate "
            "strengths.* from 1 to 5 to get them."
        )
    out.extend(_improbable(profile))
    return out


def _improbable(profile: dict) -> list[str]:
    """W2xx: facts that can all be true together, but rarely are; worth a second look."""
    out = []
    experience, scope = profile["experience"], profile["scope"]
    track = profile["track_record"]
    product_years = experience["product_years"]
    pm_reports, managers = scope.get("pm_reports"), scope.get("managers_reporting")
    if product_years == 0 and pm_reports:
        out.append(
            f"W201 {pm_reports} PMs report to someone with no years in product; check "
            "experience.product_years and scope.pm_reports."
        )
    launches = track.get("launches")
    if product_years == 0 and launches:
        out.append(
            f"W202 {launches} launches with no years in product; if they were side projects, "
            "track_record.side_project says so; else check experience.product_years."
        )
    if managers is not None and pm_reports is not None and managers > pm_reports:
        out.append(
            f"W203 {managers} managers of PMs report in but only {pm_reports} PMs do; a manager "
            "of PMs counts among scope.pm_reports too."
        )
    return out
