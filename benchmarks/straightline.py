"""A speed limit for the benchmarks: the shipped YAML rules as straight-line Python.

Benchmark code, not product code: pmpath never runs it. `generate(ruleset)` writes
one Python function that decides what the rules decide, with no engine at all: each
profile field a local variable, each derived fact a boolean, each rule an ``if``,
the strata in order and each stratum's rules after the rules they read. It is what
this machine can do for the same decisions with nothing in between, so the
benchmarks print durable_rules' rate (and the reference evaluator's) as a fraction
of it.

    decide = load(engine.model.ruleset, engine.compiled.silent)
    fired = decide(sections(profile, derived))    # ids, as Engine.infer gives them

`check(engine, profiles)` holds it to the reference evaluator's answers (the same
set of fired rules) before any figure is printed.
"""

from __future__ import annotations

import keyword
import re
from collections import defaultdict

from pmpath.inference.reference import _ordered
from pmpath.model.rules import FactPattern, FieldTest, Group, RuleSet

_CMP = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _name(prefix: str, text: str) -> str:
    name = prefix + re.sub(r"\W", "_", text)
    return name + "_" if keyword.iskeyword(name) else name


class _Writer:
    def __init__(self) -> None:
        self.fields: dict[tuple[str, str], str] = {}  # (section, field) -> local name
        self.facts: dict[tuple[str, str], str] = {}  # pred -> local name

    def field(self, section: str, name: str) -> str:
        key = (section, name)
        if key not in self.fields:
            self.fields[key] = _name(f"v{len(self.fields)}_", f"{section}__{name}")
        return self.fields[key]

    def fact(self, pred: tuple[str, str]) -> str:
        if pred not in self.facts:
            self.facts[pred] = _name(f"f{len(self.facts)}_", f"{pred[0]}__{pred[1]}")
        return self.facts[pred]

    def test(self, t: FieldTest, section: str) -> str:
        v = self.field(section, t.field)
        if t.op == "absent":
            return f"({v} is None)"
        test = f"{v} in {tuple(t.value)!r}" if t.op == "in" else f"{v} {_CMP[t.op]} {t.value!r}"
        if t.absent:
            return f"({v} is None or {test})"
        return f"({v} is not None and {test})"

    def group(self, g: Group, section: str) -> str:
        parts = [
            self.group(item, section) if isinstance(item, Group) else self.test(item, section)
            for item in g.items
        ]
        if not parts:
            return "True"
        return "(" + (" or " if g.mode == "any" else " and ").join(parts) + ")"

    def condition(self, when: tuple) -> str:
        parts = []
        for p in sorted(when, key=lambda p: 0 if isinstance(p, FactPattern) else 1):
            if isinstance(p, FactPattern):
                parts.append(("not " if p.negated else "") + self.fact(p.pred))
            elif p.section == "*":
                raise ValueError("a '*' pattern has no straight-line form")
            else:
                parts.append(self.group(p.tests, p.section))
        return " and ".join(parts) or "True"


def generate(ruleset: RuleSet, silent: frozenset[str] = frozenset()) -> str:
    """The source of ``decide(facts) -> list of fired rule ids`` for ``ruleset``."""
    w = _Writer()
    strata: dict[int, list] = defaultdict(list)
    for rule in ruleset.rules:
        if rule.concludes[0] != "implied":  # applied before inference
            strata[rule.stratum].append(rule)
    body: list[str] = []
    for stratum in sorted(strata):
        rules = _ordered(strata[stratum])
        place = {rule.id: i for i, rule in enumerate(rules)}
        for i, rule in enumerate(rules):
            for p in rule.fact_patterns:  # a positive cycle would need a fixpoint loop
                later = [r for r in ruleset.concluders.get(p.pred, ()) if place.get(r.id, -1) > i]
                if later and not p.negated:
                    raise ValueError(f"positive cycle through {p.pred}: no straight line")
            body.append(f"    if {w.condition(rule.when)}:")
            body.append(f"        {w.fact(rule.concludes)} = True")
            if rule.id not in silent:
                body.append(f"        add({rule.id!r})")
    head = ["def decide(facts):", "    fired = []", "    add = fired.append"]
    sections = sorted({s for s, _ in w.fields})
    for section in sections:
        head.append(f"    s_{section} = facts[{section!r}].get")
    for (section, name), local in w.fields.items():
        head.append(f"    {local} = s_{section}({name!r})")
    for local in w.facts.values():
        head.append(f"    {local} = False")
    return "\n".join([*head, *body, "    return fired", ""])


def load(ruleset: RuleSet, silent: frozenset[str] = frozenset()):
    """``decide``, compiled from `generate`."""
    namespace: dict = {}
    exec(compile(generate(ruleset, silent), "<straight-line rules>", "exec"), namespace)
    return namespace["decide"]


def check(engine, prepared: list[tuple[dict, dict]]) -> int:
    """How many prepared profiles (normalised, derived) the straight-line rules decide as
    the reference evaluator does (the same set of fired rules); raises on the first that
    differs."""
    from pmpath.profile.fields import sections

    decide = load(engine.model.ruleset, engine.compiled.silent)
    for normalised, derived in prepared:
        facts = sections(normalised, derived)
        mine, reference = set(decide(facts)), set(engine.infer_reference(normalised, derived))
        if mine != reference:
            raise AssertionError(f"straight-line rules differ: {sorted(mine ^ reference)}")
    return len(prepared)
