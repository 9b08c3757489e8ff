"""Turning the rules that fired into a `Recommendation` (output v1, spec section 4).

Assembly is shared by the durable_rules driver and the reference evaluator,
so a recommendation depends only on which rules fired. Every part of the
output is traced: the level and specialization carry the rules that support
them (transitively), each step names the rules that suggested it, and the
trace lists every fired rule with the facts it read.
"""

from __future__ import annotations

import functools
import json
import math
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from .errors import EngineError
from .ruleset import FactPattern, Pred, Rule

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Model

SCHEMA_VERSION = 1
NO_PRIORITY = 1000


@dataclass
class Recommendation:
    """Where a profile stands and what to do next. ``to_dict()`` is output v1."""

    model: Model = field(repr=False)
    profile: dict = field(repr=False)  # normalised
    derived: dict = field(repr=False)
    fired: tuple[str, ...]

    # -- the conclusions --------------------------------------------------------
    @cached_property
    def _rules(self) -> list[Rule]:
        """The rules that fired, in rule order."""
        order = self.model.rule_order
        rules = self.model.ruleset.rules
        return [rules[i] for i in sorted({order[i] for i in self.fired if i in order})]

    @cached_property
    def _concluded(self) -> dict[Pred, list[Rule]]:
        out: dict[Pred, list[Rule]] = {}
        by_kind: dict[str, list[str]] = {}
        for rule in self._rules:
            pred = rule.concludes
            rules = out.get(pred)
            if rules is None:
                out[pred] = [rule]
                by_kind.setdefault(pred[0], []).append(pred[1])
            else:
                rules.append(rule)
        self.__dict__["_by_kind"] = by_kind
        return out

    @cached_property
    def _by_kind(self) -> dict[str, list[str]]:
        """Concluded fact ids by kind, in the order of ``_concluded``."""
        self._concluded  # noqa: B018 - fills _by_kind as it goes
        return self.__dict__["_by_kind"]

    def _ids(self, kind: str) -> list[str]:
        return list(self._by_kind.get(kind, ()))

    def _one(self, kind: str, required: bool = True) -> str | None:
        ids = self._ids(kind)
        if len(ids) > 1 or (required and not ids):
            raise EngineError(
                f"the rules concluded {len(ids)} {kind} facts ({', '.join(ids) or 'none'}); "
                "exactly one was expected: the ruleset is inconsistent"
            )
        return ids[0] if ids else None

    @cached_property
    def level(self) -> str:
        return self._one("level")

    @cached_property
    def next_level(self) -> str | None:
        nxt = self.model.knowledge.next_level(self.level)
        return nxt.id if nxt else None

    @property
    def kwan_level(self) -> int:
        return self.model.knowledge.level_by_id[self.level].kwan_level

    @cached_property
    def specialization(self) -> str:
        return self._one("specialization")

    @cached_property
    def shape(self) -> str:
        return self._one("shape")

    @cached_property
    def path(self) -> str | None:
        return self._one("path", required=False)

    def _of_rung(self, kinds: tuple[str, ...], level: str | None) -> list[str]:
        reqs = self.model.knowledge.requirements
        ids = [r for kind in kinds for r in self._ids(kind) if reqs[r].level == level]
        return sorted(dict.fromkeys(ids), key=lambda r: reqs[r].index)

    @cached_property
    def gaps(self) -> list[str]:
        """Requirements of the next rung not met (unmet or unknown), in knowledge order."""
        return self._of_rung(("gap", "unknown"), self.next_level)

    @cached_property
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

    @cached_property
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

    @cached_property
    def strengthen(self) -> list[str]:
        """Typical requirements of the placed rung that do not hold (yet): what would
        strengthen the case for it. Its defining ones all hold."""
        return self._of_rung(("gap", "unknown"), self.level)

    @cached_property
    def met(self) -> list[str]:
        """Requirements found met, of the rungs assessed (bottom-up, up to the next rung)."""
        k = self.model.knowledge
        reqs, rungs = k.requirements, k.level_by_id
        return sorted(self._ids("met"), key=lambda r: (rungs[reqs[r].level].index, reqs[r].index))

    @cached_property
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

    @cached_property
    def questions(self) -> list[dict]:
        """Every unknown field whose answer could change the level, the gaps or the
        specialization, most decisive first (spec section 6)."""
        return _questions_for(self)

    @cached_property
    def steps(self) -> list[str]:
        """Suggested step ids, what matters first."""
        steps = self.model.knowledge.steps
        by_step: dict[str, int] = {}
        for (kind, ident), rules in self._concluded.items():
            if kind == "step":
                by_step[ident] = min(
                    r.priority if r.priority is not None else NO_PRIORITY for r in rules
                )
        return sorted(by_step, key=lambda s: (by_step[s], steps[s].index))

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
        k = self.model.knowledge
        out = []
        goals = self.profile["goals"]
        here = k.level_by_id[self.level]
        target = goals.get("target", "next")
        if target != "next" and target in k.level_by_id:
            wanted = k.level_by_id[target]
            if wanted.index <= here.index:
                out.append(
                    f"W101 goals.target is {target}, but the profile already stands at "
                    f"{here.id}; the next rung is shown instead."
                )
            elif wanted.index > here.index + 1:
                out.append(
                    f"W104 goals.target is {target}, {wanted.index - here.index} rungs up; "
                    f"next_steps cover the next rung ({self.next_level}) first, and `target` "
                    "lists the gaps and steps of each rung on the way."
                )
        if self.level != "aspiring" and goals.get("path", "either") != "either":
            out.append(
                "W102 goals.path applies only to people not yet in product; it was not used."
            )
        if not self.profile["strengths"]:
            out.append(
                "W103 No strengths are rated, so no skill steps are suggested; rate "
                "strengths.* from 1 to 5 to get them."
            )
        out.extend(_improbable(self.profile))
        return out

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


# -- the compact JSON fast path -------------------------------------------------------
#
# Output v1 is ~10 KB of JSON, and most of it is fixed text: titles, descriptions,
# reasons, sources, keys. Only the evidence items' ``facts``, the profile's id and
# name and the warnings read the profile's values; the rest depends on which rules
# fired, and each part on a few of them only:
#
# - the level block on the fired rules in the *level cone* (the rules a level fact can
#   rest on: reached, met, signals...), the specialization block (with the shape) on
#   those in its cone, the path on those in its cone;
# - the next level's gaps on the level and the gap rules fired; the next steps on the
#   level and the step rules fired;
# - the trace on every fired rule, each rule's evidence item being fixed text around
#   its facts.
#
# So a few hundred cached texts serve any number of profiles (a candidate pool fires
# thousands of distinct rule sets, but a few dozen distinct sets within each cone).
# Every cached text is made by the part's own builder (`Recommendation._level_block`
# and friends, shared with `to_dict`) run through `json.dumps`, with placeholders where
# per-profile text goes, so the two paths cannot drift; tests/test_serialization.py
# holds them byte-identical over many profiles.

_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_CACHE_MAX = 4096  # texts kept per kind of part before that cache starts afresh


def _scalar_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` for the scalars facts hold, faster."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and value == value and value not in (math.inf, -math.inf):
        return float.__repr__(value)
    return _dumps(value)  # anything else: exactly what json.dumps says


class _Hole:
    """A placeholder for text that each profile brings."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


_HOLE = _Hole("list")


def _split(value: Any) -> list[str]:
    """The JSON text of ``value`` around its holes: n holes give n + 1 strings."""
    segments: list = [""]

    def walk(v: Any) -> None:
        if isinstance(v, _Hole):
            segments.append(v)
            segments.append("")
        elif isinstance(v, dict):
            segments[-1] += "{"
            for i, (key, item) in enumerate(v.items()):
                segments[-1] += ("," if i else "") + _dumps(key) + ":"
                walk(item)
            segments[-1] += "}"
        elif isinstance(v, list | tuple):
            segments[-1] += "["
            for i, item in enumerate(v):
                if i:
                    segments[-1] += ","
                walk(item)
            segments[-1] += "]"
        else:
            segments[-1] += _dumps(v)

    walk(value)
    return [s for s in segments if not isinstance(s, _Hole)]


class _RuleEvidence:
    """One rule's evidence item: fixed text around the ``facts`` the rule read."""

    __slots__ = ("constant", "fields", "head", "one")

    def __init__(self, rule: Rule):
        # what `Recommendation.facts_read` reads, in its key order (a key read
        # twice keeps its first place and its last value)
        reads: dict[str, tuple] = {}
        for p in rule.when:
            if isinstance(p, FactPattern):
                reads[f"{p.kind}:{p.id}"] = (None, _dumps(not p.negated))
                continue
            for t in p.tests.tests():
                reads[f"{p.section}.{t.field}"] = (p.section, t.field)
        head = {"rule": rule.id, "because": rule.because, "source": rule.source, "facts": {}}
        self.head = _dumps(head)[:-3] + "{"  # up to the facts' opening brace
        #: (text before the value, section or None, field) per key; for a
        #: constant the text is the whole "key":value pair
        fields = []
        for i, (key, (section, name)) in enumerate(reads.items()):
            lead = ("," if i else "") + _dumps(key) + ":"
            fields.append((lead + name, None, None) if section is None else (lead, section, name))
        self.fields = tuple(fields)
        variable = [f for f in fields if f[1] is not None]
        self.constant = None
        #: (text up to the value, section, field, text after) when it read exactly one
        self.one = None
        if not variable:  # the whole text: the rule read no profile value (facts by id)
            self.constant = self.render({}, {})
        if len(variable) == 1:
            i = fields.index(variable[0])
            before = self.head + "".join(f[0] for f in fields[:i]) + variable[0][0]
            after = "".join(f[0] for f in fields[i + 1 :]) + "}}"
            self.one = (before, variable[0][1], variable[0][2], after)

    def render(self, profile: dict, derived: dict) -> str:
        if self.constant is not None:
            return self.constant
        if self.one is not None:
            before, section, name, after = self.one
            fact = derived if section == "derived" else profile.get(section, {})
            return before + _scalar_json(fact.get(name)) + after
        parts = [self.head]
        for lead, section, name in self.fields:
            if section is None:
                parts.append(lead)
            else:
                fact = derived if section == "derived" else profile.get(section, {})
                parts.append(lead + _scalar_json(fact.get(name)))
        parts.append("}}")
        return "".join(parts)


class _LevelPart:
    __slots__ = ("after", "before", "items", "level", "next_level")


class _SpecPart:
    __slots__ = ("after", "before", "items", "shape", "specialization")


class _PathPart:
    __slots__ = ("items", "path", "text")


class _CompactCodec:
    """The cached JSON text of one model's output parts (see above)."""

    def __init__(self, model: Model):
        self.model_ref = weakref.ref(model)
        rules = model.ruleset.rules
        self.order = model.rule_order
        #: rule id -> the facts it rests on (its positive fact patterns)
        self.premises: dict[str, tuple[Pred, ...]] = {
            r.id: tuple(p.pred for p in r.fact_patterns if not p.negated) for r in rules
        }
        evidence = [_RuleEvidence(r) for r in rules]
        #: per rule, in rule order: its evidence text, or what renders it with a profile
        self.items = [e.constant if e.constant is not None else e for e in evidence]

        def concluding(*kinds: str) -> list[Pred]:
            return [r.concludes for r in rules if r.concludes[0] in kinds]

        self.level_cone = self._cone(concluding("level"))
        reach = frozenset(i for i, r in enumerate(rules) if r.concludes[0] == "reachable")
        self.spec_cone = self._cone(concluding("specialization", "shape"))
        self.path_cone = self._cone(concluding("path"))
        self.gap_rules = frozenset(
            i for i, r in enumerate(rules) if r.concludes[0] in ("gap", "unknown")
        )
        #: what the level block depends on: its support, the rungs not ruled out, and
        #: the statuses of the placed rung's typical requirements
        self.level_key = self.level_cone | reach | self.gap_rules
        #: place of a `ladder.gap` rule of a requirement of years -> the requirement
        #: (its time to go reads the profile: see `Recommendation.time_to_go`)
        self.tenure_gaps = {
            i: r.concludes[1]
            for i, r in enumerate(rules)
            if r.concludes[0] == "gap" and _is_tenure(model, r.concludes[1])
        }
        self.step_rules = frozenset(i for i, r in enumerate(rules) if r.concludes[0] == "step")
        self._top: str | None = None
        self._levels: dict[frozenset, _LevelPart] = {}
        self._specs: dict[frozenset, _SpecPart] = {}
        self._paths: dict[frozenset, _PathPart] = {}
        self._next: dict[tuple, str] = {}
        self._steps: dict[tuple, str] = {}

    def _cone(self, preds: list[Pred]) -> frozenset[int]:
        """Places (in rule order) of every rule that ``preds`` may rest on, transitively."""
        model = self.model_ref()
        concluders = model.ruleset.concluders
        found: set[int] = set()
        seen: set[Pred] = set()
        stack = list(preds)
        while stack:
            pred = stack.pop()
            if pred in seen:
                continue
            seen.add(pred)
            for rule in concluders.get(pred, ()):
                found.add(self.order[rule.id])
                stack.extend(self.premises[rule.id])
        return frozenset(found)

    def _top_template(self, rec: Recommendation) -> str:
        """The top level of output v1 as a %-template with a named hole for each part."""
        if self._top is None:
            names = [
                "profile",
                "level",
                "next_level",
                "path",
                "path_evidence",
                "specialization",
                "next_steps",
                "trace",
                "warnings",
                "questions",
                "target",
            ]
            skeleton = rec._assemble(**{name: _Hole(name) for name in names})
            texts = [text.replace("%", "%%") for text in _split(skeleton)]
            order = [v.name for v in skeleton.values() if isinstance(v, _Hole)]
            self._top = texts[0] + "".join(
                f"%({name})s{text}" for name, text in zip(order, texts[1:], strict=True)
            )
        return self._top

    def render(self, rec: Recommendation) -> str:
        order = self.order
        places = sorted({order[i] for i in rec.fired if i in order})
        fired = frozenset(places)
        # the time to go of a years gap reads the profile's years: part of every key
        tenure = tuple(
            (place, rec.time_to_go(self.tenure_gaps[place]))
            for place in sorted(fired & self.tenure_gaps.keys())
        )
        level_key = (fired & self.level_key, tenure)
        level = self._levels.get(level_key)
        spec = self._specs.get(fired & self.spec_cone)
        path = self._paths.get(fired & self.path_cone)
        if level is None or spec is None or path is None:
            # the same order of checks as to_dict: an inconsistent ruleset fails alike
            rec.level, rec.specialization, rec.path, rec.shape  # noqa: B018
            if level is None:
                level = self._level_part(rec, level_key)
            if spec is None:
                spec = self._spec_part(rec, fired & self.spec_cone)
            if path is None:
                path = self._path_part(rec, fired & self.path_cone)
        level_id = level.level
        next_key = (level_id, fired & self.gap_rules, tenure)
        next_text = self._next.get(next_key)
        if next_text is None:
            next_text = self._remember(self._next, next_key, _dumps(rec._next_level_block()))
        # steps read the specialization too (a step in a specialist's own terms)
        steps_key = (level_id, fired & self.step_rules, spec.specialization, tenure)
        steps_text = self._steps.get(steps_key)
        if steps_text is None:
            steps_text = self._remember(self._steps, steps_key, self._steps_text(rec))
        # the conclusions (warnings() needs some) follow from the fired rules alone
        state = rec.__dict__
        state.setdefault("level", level_id)
        state.setdefault("next_level", level.next_level)
        state.setdefault("specialization", spec.specialization)
        state.setdefault("shape", spec.shape)
        state.setdefault("path", path.path)

        profile, derived = rec.profile, rec.derived
        items = self.items
        rendered: dict[_RuleEvidence, str] = {}
        trace = []
        for place in places:
            item = items[place]
            if item.__class__ is not str:  # a rule that read profile values
                text = rendered[item] = item.render(profile, derived)
                item = text
            trace.append(item)
        return self._top_template(rec) % {
            "profile": '{"id":'
            + _scalar_json(profile.get("id"))
            + ',"name":'
            + _scalar_json(profile.get("name"))
            + "}",
            "level": level.before
            + ",".join([i if i.__class__ is str else rendered[i] for i in level.items])
            + level.after,
            "next_level": next_text,
            "path": path.text,
            "path_evidence": "["
            + ",".join([i if i.__class__ is str else rendered[i] for i in path.items])
            + "]",
            "specialization": spec.before
            + ",".join([i if i.__class__ is str else rendered[i] for i in spec.items])
            + spec.after,
            "next_steps": steps_text,
            "trace": "[" + ",".join(trace) + "]",
            "warnings": "[" + ",".join(map(_scalar_json, rec.warnings())) + "]",
            "questions": _dumps(rec.questions) if self._may_ask(rec, level_id) else "[]",
            "target": "null" if rec.target is None else _dumps(rec._target_block()),
        }

    def _may_ask(self, rec: Recommendation, level_id: str) -> bool:
        """False when no question can arise: placed, every gap known, work given."""
        if rec.certainty != "placed" or rec.unknown:
            return True
        work = rec.profile["work"]
        return level_id != "aspiring" and len(work) < 4

    # -- the parts, built once per key from the first profile that needs them -------
    def _evidence(self, rules: list[Rule]) -> tuple:
        return tuple(self.items[self.order[r.id]] for r in rules)

    def _level_part(self, rec: Recommendation, key: frozenset) -> _LevelPart:
        part = _LevelPart()
        part.level, part.next_level = rec.level, rec.next_level
        before, after = _split(rec._level_block(_HOLE))
        part.before, part.after = before + "[", "]" + after
        part.items = self._evidence(rec.support(("level", rec.level)))
        return self._remember(self._levels, key, part)

    def _spec_part(self, rec: Recommendation, key: frozenset) -> _SpecPart:
        part = _SpecPart()
        part.specialization, part.shape = rec.specialization, rec.shape
        before, after = _split(rec._specialization_block(_HOLE))
        part.before, part.after = before + "[", "]" + after
        part.items = self._evidence(
            rec.support(("specialization", rec.specialization)) + rec.support(("shape", rec.shape))
        )
        return self._remember(self._specs, key, part)

    def _path_part(self, rec: Recommendation, key: frozenset) -> _PathPart:
        part = _PathPart()
        part.path = rec.path
        part.text = _dumps(rec.path)
        part.items = self._evidence(rec.support(("path", rec.path))) if rec.path else ()
        return self._remember(self._paths, key, part)

    def _steps_text(self, rec: Recommendation) -> str:
        return "[" + ",".join(_dumps(rec._step_item(step_id)) for step_id in rec.steps) + "]"

    @staticmethod
    def _remember(cache: dict, key: Any, value: Any) -> Any:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = value
        return value


_CODECS: dict[int, _CompactCodec] = {}


def _codec_for(model: Model) -> _CompactCodec:
    """The model's codec (kept beside the model, dropped with it; never pickled)."""
    codec = _CODECS.get(id(model))
    if codec is None or codec.model_ref() is not model:
        codec = _CODECS[id(model)] = _CompactCodec(model)
        weakref.finalize(model, _CODECS.pop, id(model), None)
    return codec


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _short(requirement: str) -> str:
    """``senior_pm.launch-record`` -> "launch record": the requirement, named briefly."""
    return requirement.split(".", 1)[1].replace("-", " ")


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


# -- questions ---------------------------------------------------------------------

_PER_MODEL: dict[tuple[str, int], tuple] = {}


def _per_model(name: str, model: Model, build):
    """``build(model)``, computed once per model and kept beside it (dropped with it)."""
    key = (name, id(model))
    entry = _PER_MODEL.get(key)
    if entry is not None and entry[0]() is model:
        return entry[1]
    value = build(model)
    _PER_MODEL[key] = (weakref.ref(model), value)
    weakref.finalize(model, _PER_MODEL.pop, key, None)
    return value


def _question_plan(model: Model) -> tuple:
    """Per requirement, the profile fields its rules read (signals followed), in rule
    order; the fields the specialization reads; the questions' order; the rungs' index.
    Built once per model."""
    return _per_model("questions", model, _build_question_plan)


def _build_question_plan(model: Model) -> tuple:
    ruleset = model.ruleset

    def reads(rule: Rule, seen: frozenset = frozenset()) -> list[str]:
        out: list[str] = []
        for p in rule.when:
            if isinstance(p, FactPattern):
                if p.kind == "signal" and p.pred not in seen:
                    for r in ruleset.concluders.get(p.pred, ()):
                        out += reads(r, seen | {p.pred})
            elif p.section not in ("derived", "*", ""):
                out += [f"{p.section}.{t.field}" for t in p.tests.tests()]
        return out

    by_req: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        if rule.concludes[0] == "met":
            by_req.setdefault(rule.concludes[1], []).extend(reads(rule))

    def split(dotted: str) -> tuple[str, str, str]:
        section, _, name = dotted.partition(".")
        return dotted, section, name

    fields = {req: tuple(map(split, dict.fromkeys(f))) for req, f in by_req.items()}
    work = tuple(
        split(f"work.{kind}") for kind in ("feature", "growth", "scaling", "pmf_expansion")
    )
    k = model.knowledge
    order = {f: i for i, f in enumerate(k.questions)}
    index = {lv.id: lv.index for lv in k.levels}
    return fields, work, order, index


def _questions_for(rec: Recommendation) -> list[dict]:
    k = rec.model.knowledge
    fields_of, work_fields, order, index = _question_plan(rec.model)
    profile = rec.profile
    here = k.level_by_id[rec.level].index
    top = k.level_by_id[rec.possible].index
    found: dict[str, dict] = {}  # field -> what it could change

    def entry(dotted: str) -> dict:
        item = found.get(dotted)
        if item is None:
            item = found[dotted] = {"settles": [], "changes": set()}
        return item

    # the next rung's requirements whose status is unknown, then every rung up to
    # the highest one not ruled out: their fields not given decide them
    for level in k.levels[here + 1 : max(top, here + 1) + 1]:
        nxt = level.index == here + 1
        for req in level.requirements:
            if nxt and req.id not in rec.unknown:
                continue
            for dotted, section, name in fields_of.get(req.id, ()):
                if profile[section].get(name) is not None:
                    continue
                item = entry(dotted)
                if level.index <= top:
                    if level.id not in item["settles"]:
                        item["settles"].append(level.id)
                    item["changes"].add("level")
                else:
                    item["changes"].add("gaps")
                if nxt:
                    item["changes"].add("gaps")
    for req_id in rec.strengthen:
        if req_id in rec.unknown:
            for dotted, section, name in fields_of.get(req_id, ()):
                if profile[section].get(name) is None:
                    entry(dotted)["changes"].add("gaps")
    if rec.level != "aspiring":
        for dotted, section, name in work_fields:
            if profile[section].get(name) is None:
                entry(dotted)["changes"].add("specialization")

    def decisive(item: tuple[str, dict]) -> tuple:
        dotted, entry = item
        settles = entry["settles"]
        lowest = min((index[s] for s in settles), default=99)
        return (lowest, -len(settles), "level" not in entry["changes"], order.get(dotted, 999))

    out = []
    for dotted, entry in sorted(found.items(), key=decisive):
        asked = k.questions.get(dotted)
        out.append(
            {
                "field": dotted,
                "question": asked["question"] if asked else f"What is your {dotted}?",
                "settles": entry["settles"],
                "changes": [
                    c for c in ("level", "gaps", "specialization") if c in entry["changes"]
                ],
                "source": asked["source"] if asked else "productplan",
            }
        )
    return out


# -- tenure and the rungs up to a target -------------------------------------------

_YEARS_WORDS = {
    "product_years": "in product",
    "total_years": "of work",
    "people_management_years": "managing people",
}


def _years_rules(model: Model, requirement: str) -> list[Rule]:
    """The `met` rules of ``requirement`` that test years of experience only (found
    once per model)."""
    return _per_model("years", model, _build_years_rules).get(requirement, [])


def _build_years_rules(model: Model) -> dict[str, list[Rule]]:
    return {req: _find_years_rules(model, req) for req in model.knowledge.requirements}


def _find_years_rules(model: Model, requirement: str) -> list[Rule]:
    out = []
    for rule in model.ruleset.concluders.get(("met", requirement), ()):
        tests = [t for p in rule.section_patterns for t in p.tests.tests()]
        sections = {p.section for p in rule.section_patterns}
        if (
            tests
            and sections == {"experience"}
            and all(t.op in ("gte", "gt") and t.field in _YEARS_WORDS for t in tests)
        ):
            out.append(rule)
    return out


def _is_tenure(model: Model, requirement: str) -> bool:
    return bool(_years_rules(model, requirement))


def _time_to_go(rec: Recommendation, requirement: str) -> str | None:
    best: tuple[float, str] | None = None
    experience = rec.profile["experience"]
    for rule in _years_rules(rec.model, requirement):
        tests = [t for p in rule.section_patterns for t in p.tests.tests()]
        needs = []
        for t in tests:
            actual = experience.get(t.field)
            if actual is None:
                break
            needs.append((max(t.value - actual, 0), t.field))
        else:
            need, field = max(needs)
            if need > 0 and (best is None or need < best[0]):
                best = (need, field)
    if best is None:
        return None
    need, field = best
    amount = f"{need:.1f}".rstrip("0").rstrip(".")
    unit = "year" if amount == "1" else "years"
    return f"about {amount} more {unit} {_YEARS_WORDS[field]}"


def _predicates(model: Model) -> tuple[dict, dict, list]:
    """Per model, compiled once: requirement id -> predicates of its `met` rules and of
    its `possible` rules, and the step rules that answer a gap, in rule order."""
    return _per_model("predicates", model, _build_predicates)


def _build_predicates(model: Model) -> tuple[dict, dict, list]:
    from .reference import compile_conditions

    ruleset = model.ruleset
    met: dict[str, list] = {}
    possible: dict[str, list] = {}
    for rule in ruleset.rules:
        kind, ident = rule.concludes
        if kind == "met":
            met.setdefault(ident, []).append(compile_conditions(rule.when))
        elif kind == "possible":
            possible.setdefault(ident, []).append(compile_conditions(rule.when))
    steps = [
        (rule, compile_conditions(rule.when))
        for rule in ruleset.rules
        if rule.concludes[0] == "step" and rule.gap is not None
    ]
    return met, possible, steps


def could_hold(model: Model, requirement: str, facts: dict) -> bool:
    """Whether a `possible` rule of ``requirement`` holds on ``facts`` (sections): no
    known fact rules the requirement out. (They read profile fields only.)"""
    return any(holds(facts, frozenset()) for holds in _predicates(model)[1].get(requirement, ()))


def _path_to_target(rec: Recommendation) -> list[dict]:
    from .facts import sections

    k = rec.model.knowledge
    met_of = _predicates(rec.model)[0]
    facts = sections(rec.profile, rec.derived)
    known = set(rec._concluded) | {("reached", lv.id) for lv in k.levels}
    here = k.level_by_id[rec.level].index
    top = k.level_by_id[rec.target].index
    out = []
    for level in k.levels[here + 1 : top + 1]:
        if level.id == rec.next_level:
            gaps = [rec._requirement_item(r) for r in rec.gaps]
            steps = [rec._step_item(s) for s in rec.steps]
        else:
            gaps, unmet = [], set()
            for req in level.requirements:
                if any(holds(facts, known) for holds in met_of.get(req.id, ())):
                    continue
                possible = could_hold(rec.model, req.id, facts)
                status = "unknown" if possible else "unmet"
                if status == "unmet":
                    unmet.add(req.id)
                gaps.append(rec._requirement_item(req.id, status))
            steps = _far_steps(rec, facts, known, unmet)
        out.append({"id": level.id, "title": level.title, "gaps": gaps, "steps": steps})
    return out


def _far_steps(rec: Recommendation, facts: dict, known: set, unmet: set) -> list[dict]:
    k = rec.model.knowledge
    assumed = known | {("gap", r) for r in unmet}
    chosen: dict[str, tuple[int, list[Rule]]] = {}
    for rule, holds in _predicates(rec.model)[2]:
        if rule.gap not in unmet:
            continue
        if holds(facts, assumed):
            step = rule.concludes[1]
            priority = rule.priority if rule.priority is not None else NO_PRIORITY
            best, rules = chosen.get(step, (priority, []))
            chosen[step] = (min(best, priority), [*rules, rule])
    ordered = sorted(chosen, key=lambda s: (chosen[s][0], k.steps[s].index))
    out = []
    for step_id in ordered:
        step = k.steps[step_id]
        rules = chosen[step_id][1]
        why = [rec._why_for_gap(rule) for rule in rules]
        out.append(
            {
                "id": step.id,
                "title": step.title,
                "why": " Also: ".join(dict.fromkeys(why)),
                "source": step.source,
                "rules": [r.id for r in rules],
                "answers": [r.gap for r in rules],
            }
        )
    return out
