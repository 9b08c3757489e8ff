"""Compiling a `RuleSet` into a durable_rules ruleset definition (plain data).

Each rule becomes one durable rule named by its id:

- the section patterns of a rule become one pattern over the flat profile fact,
  ``{"$and": [{"t": "profile"}, <tests on section__field>]}``, placed where the
  first of them stands;
- a derived fact becomes ``{"$and": [{"t": kind}, {"key": id}]}`` (not "id": durable_rules treats
  ``id`` as the identity of a fact), negated as
  ``"nK$not"``;
- a rule with a negation also gets a guard, ``{"t": "phase", "n": stratum}``,
  placed right after its first (positive) condition and before any negation.
  The driver asserts each phase fact only once every lower stratum has
  finished, so a negation is always evaluated against complete facts
  (durable_rules never withdraws an activation once it has passed a `$not`).

No durable_rules import here: the result is data, registered by `rete`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import fact_key
from .ruleset import FactPattern, FieldTest, Group, Rule, RuleSet, SectionPattern, fact_json

_OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Compiled:
    """What the durable driver needs: the definition, and per rule what to assert."""

    definition: dict  # {rule id: {"all": [...], "pri": n}}
    #: rule id -> JSON template of the fact it asserts (``%s`` = state id), or None
    #: when no rule consumes the conclusion
    asserts: dict[str, str | None]
    phases: tuple[int, ...]


def compile_ruleset(ruleset: RuleSet) -> Compiled:
    definition = {}
    asserts = {}
    for rule in ruleset.rules:
        definition[rule.id] = compile_rule(rule)
        kind, ident = rule.concludes
        asserts[rule.id] = fact_json(kind, ident) if rule.concludes in ruleset.consumed else None
    return Compiled(definition, asserts, ruleset.phases)


def compile_rule(rule: Rule) -> dict:
    patterns = []
    sections = [p for p in rule.when if isinstance(p, SectionPattern)]
    merged = False
    for i, pattern in enumerate(rule.when):
        if isinstance(pattern, SectionPattern):
            if merged:
                continue
            merged = True
            compiled = compile_sections(sections, i)
        else:
            compiled = compile_pattern(pattern, i)
        patterns.append(compiled)
        if len(patterns) == 1 and rule.negations:
            patterns.append(guard(rule.stratum))
    out: dict = {"all": patterns}
    if rule.priority is not None:
        out["pri"] = rule.priority
    return out


def guard(stratum: int) -> dict:
    return {"g": {"$and": [{"t": "phase"}, {"n": stratum}]}}


def compile_pattern(pattern: FactPattern, index: int) -> dict:
    test = {"$and": [{"t": pattern.kind}, {"key": pattern.id}]}
    return {f"n{index}$not": test} if pattern.negated else {f"p{index}": test}


def compile_sections(patterns: list[SectionPattern], index: int) -> dict:
    """All of a rule's section patterns as one pattern over the flat profile fact."""
    tests: list[dict] = []
    typed = False
    for p in patterns:
        tests.extend(compile_group(p.tests, "" if p.section == "*" else p.section))
        typed = typed or p.section != "*"
    if typed:
        tests.insert(0, {"t": "profile"})
    elif not tests:  # a bare '*' pattern: a hazard, rejected by validation
        tests = [{"$ex": {"t": 1}}]
    return {f"p{index}": tests[0] if len(tests) == 1 else {"$and": tests}}


def compile_group(group: Group, section: str) -> list[dict]:
    """The tests of a group as a list to AND together."""
    parts = []
    for item in group.items:
        if isinstance(item, Group):
            if item.mode == "any":
                parts.append({"$or": [_one(compile_group(g, section)) for g in item.items]})
            else:
                parts.extend(compile_group(item, section))
        else:
            parts.append(compile_test(item, section))
    return parts


def _one(tests: list[dict]) -> dict:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def compile_test(test: FieldTest, section: str) -> dict:
    key = fact_key(section, test.field) if section else test.field
    if test.op == "eq":
        return {key: test.value}
    if test.op == "in":
        return {"$or": [{key: v} for v in test.value]}
    return {_OPS[test.op]: {key: test.value}}
