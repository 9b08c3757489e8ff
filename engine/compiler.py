"""Compiling a `RuleSet` into a durable_rules ruleset definition (plain data).

Each rule becomes one durable rule named by its id:

- the section patterns of a rule become one pattern over the flat profile fact,
  ``{"$and": [{"t": "profile"}, <tests on section__field>]}``, placed where the
  first of them stands;
- a derived fact becomes ``{"$and": [{"t": kind}, {"key": id}]}`` (not "id": durable_rules treats
  ``id`` as the identity of a fact), negated as
  ``"nK$not"``;
- a positive ``gap`` or ``level`` condition is replaced by its definition (the
  ``when`` of the ladder rule that concludes it: ``reached`` the rung below and
  ``not met`` the requirement; ``reached`` the rung and ``not reached`` the
  next), so those facts need not be asserted at all: fewer derived facts is
  what makes durable_rules fast. The ladder rules still fire, for the trace;
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
    #: the (section, field) pairs some rule reads: all the profile fact needs
    fields: tuple[tuple[str, str], ...]


#: derived facts whose positive conditions are replaced by their definition
INLINED_KINDS = ("gap", "level")


def compile_ruleset(ruleset: RuleSet) -> Compiled:
    definitions = {
        r.concludes: r.when
        for r in ruleset.rules
        if r.generated and r.concludes[0] in INLINED_KINDS
    }
    definition = {}
    consumed: set = set()
    phases: set[int] = set()
    for rule in ruleset.rules:
        when = inline(rule.when, definitions)
        definition[rule.id] = compile_rule(rule, when)
        consumed.update(p.pred for p in when if isinstance(p, FactPattern))
        if any(p.negated for p in when):
            phases.add(rule.stratum)
    asserts = {
        rule.id: fact_json(*rule.concludes) if rule.concludes in consumed else None
        for rule in ruleset.rules
    }
    fields = sorted(
        {
            (p.section, t.field)
            for rule in ruleset.rules
            for p in rule.section_patterns
            if p.section != "*"
            for t in p.tests.tests()
        }
    )
    return Compiled(definition, asserts, tuple(sorted(phases)), tuple(fields))


def inline(when: tuple, definitions: dict) -> tuple:
    out: list = []
    for p in when:
        if isinstance(p, FactPattern) and not p.negated and p.pred in definitions:
            out.extend(q for q in definitions[p.pred] if q not in out)
        elif p not in out:
            out.append(p)
    return tuple(out)


def compile_rule(rule: Rule, when: tuple | None = None) -> dict:
    when = rule.when if when is None else when
    negations = any(p.negated for p in when)
    patterns = []
    sections = [p for p in when if isinstance(p, SectionPattern)]
    merged = False
    for i, pattern in enumerate(when):
        if isinstance(pattern, SectionPattern):
            if merged:
                continue
            merged = True
            compiled = compile_sections(sections, i)
        else:
            compiled = compile_pattern(pattern, i)
        patterns.append(compiled)
        if len(patterns) == 1 and negations:
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
