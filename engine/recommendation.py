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

    @cached_property
    def gaps(self) -> list[str]:
        """Unmet requirements of the next rung, in the order knowledge lists them."""
        reqs = self.model.knowledge.requirements
        return sorted(self._ids("gap"), key=lambda r: (reqs[r].level, reqs[r].index))

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
        k = self.model.knowledge
        rules = self._concluded[("step", step_id)]
        parts = []
        for rule in rules:
            gap = rule.gap
            if gap is not None:
                req = k.requirements[gap]
                title = k.level_by_id[req.level].title
                parts.append(f"Missing for {title}: {req.description} {rule.because}")
            else:
                parts.append(rule.because)
        return " Also: ".join(dict.fromkeys(parts)), rules

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
        k = self.model.knowledge
        out = []
        goals = self.profile["goals"]
        here = k.level_by_id[self.level]
        target = goals.get("target", "next")
        if target != "next" and target in k.level_by_id:
            wanted = k.level_by_id[target]
            if wanted.index <= here.index:
                out.append(
                    f"goals.target is {target}, but the profile already stands at {here.id}; "
                    "the next rung is shown instead."
                )
            elif wanted.index > here.index + 1:
                out.append(
                    f"goals.target is {target}, {wanted.index - here.index} rungs up; the gaps "
                    f"and steps cover the next rung ({self.next_level}) first."
                )
        if self.level != "aspiring" and goals.get("path", "either") != "either":
            out.append("goals.path applies only to people not yet in product; it was not used.")
        work_total = self.derived["work_total_years"]
        product_years = self.profile["experience"]["product_years"]
        if work_total > product_years + 1e-9:
            out.append(
                f"work.* adds up to {_num(work_total)} years but experience.product_years is "
                f"{_num(product_years)}; the specialization uses the work figures as given."
            )
        if not self.profile["strengths"]:
            out.append(
                "No strengths are rated, so no skill steps are suggested; rate strengths.* "
                "from 1 to 5 to get them."
            )
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
        }

    def _level_block(self, evidence: Any) -> dict:
        level = self.model.knowledge.level_by_id[self.level]
        return {
            "id": level.id,
            "title": level.title,
            "kwan_level": level.kwan_level,
            "kwan_name": level.kwan_name,
            "evidence": evidence,
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
            "gaps": [
                {
                    "requirement": r,
                    "description": k.requirements[r].description,
                    "source": k.requirements[r].source,
                    "rule": f"ladder.gap.{r}",
                }
                for r in self.gaps
            ],
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
# name and the warnings read the profile's values; everything else depends on which
# rules fired. The codec keeps, per model, the JSON text of each part that does not
# depend on the profile (the level block of each level, the next-level block of each
# (level, gaps), each step item of each (step, rules, level), each rule's evidence
# up to its facts) and joins them with the few values each profile brings. Every
# cached text comes from running the part's own builder (`Recommendation._level_block`
# and friends, shared with `to_dict`) through `json.dumps`, with placeholders where
# per-profile text goes, so the two paths cannot drift; tests/test_serialization.py
# holds them byte-identical over many profiles.

_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_CACHE_MAX = 8192  # texts kept per kind of part before a cache starts afresh
_PLANS_MAX = 4096  # fired-rule sets whose plan is kept, twice over (under 1 KB each)


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


class _Plan:
    """One fired-rule set's output, but for the profile's values.

    Evidence is a tuple of items: the finished text of a rule that read no profile
    value, or its `_RuleEvidence` to render with the profile's values.
    """

    __slots__ = (
        "conclusions",
        "level_after",
        "level_before",
        "level_evidence",
        "next_text",
        "path_evidence",
        "path_text",
        "spec_after",
        "spec_before",
        "spec_evidence",
        "steps_text",
        "trace",
    )


class _CompactCodec:
    """The precomputed JSON text of one model's output parts (see above)."""

    def __init__(self, model: Model):
        self.model_ref = weakref.ref(model)
        self._evidence: dict[str, _RuleEvidence] = {}
        #: rule id -> the facts it rests on (its positive fact patterns)
        self.premises: dict[str, tuple[Pred, ...]] = {
            r.id: tuple(p.pred for p in r.fact_patterns if not p.negated)
            for r in model.ruleset.rules
        }
        self._top: str | None = None
        self._plans: dict[frozenset, _Plan] = {}
        self._old_plans: dict[frozenset, _Plan] = {}
        self._levels: dict[str, list[str]] = {}
        self._next: dict[tuple, str] = {}
        self._specs: dict[tuple, list[str]] = {}
        self._steps: dict[tuple, str] = {}
        self._values: dict[Any, str] = {}

    def _rule(self, rule: Rule) -> _RuleEvidence:
        item = self._evidence.get(rule.id)
        if item is None:
            item = self._evidence[rule.id] = _RuleEvidence(rule)
        return item

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
            ]
            skeleton = rec._assemble(**{name: _Hole(name) for name in names})
            texts = [text.replace("%", "%%") for text in _split(skeleton)]
            order = [v.name for v in skeleton.values() if isinstance(v, _Hole)]
            self._top = texts[0] + "".join(
                f"%({name})s{text}" for name, text in zip(order, texts[1:], strict=True)
            )
        return self._top

    def render(self, rec: Recommendation) -> str:
        key = frozenset(rec.fired)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._old_plans.get(key)
            if plan is None:
                plan = self._plan(rec)
            if len(self._plans) >= _PLANS_MAX:  # keep the recent half: a cheap LRU
                self._old_plans = self._plans
                self._plans = {}
            self._plans[key] = plan
        # the conclusions (warnings() needs some) follow from the fired rules alone
        state = rec.__dict__
        for name, value in plan.conclusions:
            if name not in state:
                state[name] = value
        profile, derived = rec.profile, rec.derived
        texts: dict[int, str] = {}

        def evidence(items: tuple) -> str:
            out = []
            for item in items:
                if type(item) is not str:  # a rule that read profile values
                    text = texts.get(id(item))
                    if text is None:
                        text = texts[id(item)] = item.render(profile, derived)
                    item = text
                out.append(item)
            return ",".join(out)

        return self._top_template(rec) % {
            "profile": '{"id":'
            + _scalar_json(profile.get("id"))
            + ',"name":'
            + _scalar_json(profile.get("name"))
            + "}",
            "level": plan.level_before + evidence(plan.level_evidence) + plan.level_after,
            "next_level": plan.next_text,
            "path": plan.path_text,
            "path_evidence": "[" + evidence(plan.path_evidence) + "]",
            "specialization": plan.spec_before + evidence(plan.spec_evidence) + plan.spec_after,
            "next_steps": plan.steps_text,
            "trace": "[" + evidence(plan.trace) + "]",
            "warnings": "[" + ",".join(map(_scalar_json, rec.warnings())) + "]",
        }

    def _plan(self, rec: Recommendation) -> _Plan:
        """What the output of ``rec``'s fired rules is made of, all but the profile's values."""
        # the same order of checks as to_dict: an inconsistent ruleset fails alike
        level, spec, path, shape = rec.level, rec.specialization, rec.path, rec.shape
        rule_evidence = self._rule

        def evidence(rules: list[Rule]) -> tuple:
            items = []
            for rule in rules:
                item = rule_evidence(rule)
                items.append(item.constant if item.constant is not None else item)
            return tuple(items)

        plan = _Plan()
        plan.conclusions = (
            ("level", level),
            ("next_level", rec.next_level),
            ("specialization", spec),
            ("shape", shape),
            ("path", path),
        )
        around = self._levels.get(level)
        if around is None:
            before, after = _split(rec._level_block(_HOLE))
            around = self._remember(self._levels, level, (before + "[", "]" + after))
        plan.level_before, plan.level_after = around
        plan.level_evidence = evidence(rec.support(("level", level)))

        key = (level, tuple(rec.gaps))
        plan.next_text = self._next.get(key)
        if plan.next_text is None:
            plan.next_text = self._remember(self._next, key, _dumps(rec._next_level_block()))

        plan.path_text = self._value(path)
        plan.path_evidence = evidence(rec.support(("path", path))) if path else ()

        spec_key = (spec, shape)
        around = self._specs.get(spec_key)
        if around is None:
            before, after = _split(rec._specialization_block(_HOLE))
            around = self._remember(self._specs, spec_key, (before + "[", "]" + after))
        plan.spec_before, plan.spec_after = around
        plan.spec_evidence = evidence(
            rec.support(("specialization", spec)) + rec.support(("shape", shape))
        )

        steps = []
        concluded = rec._concluded
        for step_id in rec.steps:
            key = (step_id, tuple(r.id for r in concluded[("step", step_id)]), level)
            text = self._steps.get(key)
            if text is None:
                text = self._remember(self._steps, key, _dumps(rec._step_item(step_id)))
            steps.append(text)
        plan.steps_text = "[" + ",".join(steps) + "]"
        plan.trace = evidence(rec._rules)
        return plan

    def _value(self, value: Any) -> str:
        text = self._values.get(value)
        if text is None:
            text = self._remember(self._values, value, _dumps(value))
        return text

    @staticmethod
    def _remember(cache: dict, key: Any, value: Any, limit: int = 0) -> Any:
        if len(cache) >= (limit or _CACHE_MAX):
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
