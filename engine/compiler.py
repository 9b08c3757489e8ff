"""Compiling a `RuleSet` into a durable_rules ruleset definition (plain data).

Each rule becomes one durable rule named by its id:

- a section pattern becomes ``{"$and": [{"t": section}, <tests>]}``;
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
    for i, pattern in enumerate(rule.when):
        if i == 1 and rule.negations:
            patterns.append(guard(rule.stratum))
        patterns.append(compile_pattern(pattern, i))
    if len(rule.when) == 1 and rule.negations:
        patterns.append(guard(rule.stratum))
    out: dict = {"all": patterns}
    if rule.priority is not None:
        out["pri"] = rule.priority
    return out


def guard(stratum: int) -> dict:
    return {"g": {"$and": [{"t": "phase"}, {"n": stratum}]}}


def compile_pattern(pattern, index: int) -> dict:
    if isinstance(pattern, FactPattern):
        test = {"$and": [{"t": pattern.kind}, {"key": pattern.id}]}
        return {f"n{index}$not": test} if pattern.negated else {f"p{index}": test}
    assert isinstance(pattern, SectionPattern)
    tests = compile_group(pattern.tests)
    if pattern.section == "*":  # a hazard: rejected by validation, compiled as written
        body = tests if tests else [{"$ex": {"t": 1}}]
    else:
        body = [{"t": pattern.section}, *tests]
    return {f"p{index}": body[0] if len(body) == 1 else {"$and": body}}


def compile_group(group: Group) -> list[dict]:
    """The tests of a group as a list to AND together."""
    parts = []
    for item in group.items:
        if isinstance(item, Group):
            sub = [_one(compile_group(g)) for g in item.items] if item.mode == "any" else None
            if item.mode == "any":
                parts.append({"$or": sub})
            else:
                parts.extend(compile_group(item))
        else:
            parts.append(compile_test(item))
    return parts


def _one(tests: list[dict]) -> dict:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def compile_test(test: FieldTest) -> dict:
    if test.op == "eq":
        return {test.field: test.value}
    if test.op == "in":
        return {"$or": [{test.field: v} for v in test.value]}
    return {_OPS[test.op]: {test.field: test.value}}
