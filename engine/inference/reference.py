"""The reference evaluator: a plain-Python reading of the same compiled rules.

No durable_rules here. It evaluates the strata in order and each stratum to a
fixpoint, which is exactly the meaning the durable_rules driver implements.
It is the oracle of the differential tests, it explains why a requirement is
not met (which conditions failed, on which values), and it is the speed
limit the benchmarks compare durable_rules against.
"""

from __future__ import annotations

import operator
from collections import defaultdict

from pmpath.model.rules import FactPattern, FieldTest, Group, Rule, RuleSet

_MISSING = object()
_CMP = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def test_holds(test: FieldTest, fact: dict) -> bool:
    """One field test; on a field not given it says ``test.absent`` (false, unless the
    test is a `possible` rule's: nothing known rules it out)."""
    value = fact.get(test.field, _MISSING)
    if test.op == "absent":
        return value is _MISSING or value is None
    if value is _MISSING or value is None:
        return test.absent
    if test.op == "in":
        return value in test.value
    return _CMP[test.op](value, test.value)


def group_holds(group: Group, fact: dict) -> bool:
    check = any if group.mode == "any" else all
    return check(
        group_holds(item, fact) if isinstance(item, Group) else test_holds(item, fact)
        for item in group.items
    )


def pattern_holds(pattern, facts: dict[str, dict], derived: set) -> bool:
    if isinstance(pattern, FactPattern):
        return (pattern.pred in derived) != pattern.negated
    if pattern.section == "*":
        return any(group_holds(pattern.tests, f) for f in facts.values())
    return group_holds(pattern.tests, facts[pattern.section])


class ReferenceEvaluator:
    """Evaluates the rules stratum by stratum, each to its fixpoint.

    Each rule's conditions are compiled once into a Python predicate, and the
    rules of a stratum are put in dependency order, so one pass reaches the
    fixpoint (a further pass runs only if a positive dependency cycle exists).
    """

    def __init__(self, ruleset: RuleSet, silent: frozenset[str] = frozenset()):
        self.ruleset = ruleset
        #: rules whose facts count but that are not reported as fired (the durable
        #: driver does not register them: see `pmpath.inference.compiler.SILENT_KINDS`)
        self.silent = silent
        strata: dict[int, list[Rule]] = defaultdict(list)
        for rule in ruleset.rules:
            if rule.concludes[0] != "implied":  # applied before inference
                strata[rule.stratum].append(rule)
        self.strata = [
            [
                (rule.id, rule.concludes, compile_conditions(rule.when), rule.id in silent)
                for rule in _ordered(rules)
            ]
            for _, rules in sorted(strata.items())
        ]

    def run(self, facts: dict[str, dict]) -> list[str]:
        """Ids of the rules that fire on ``facts`` (section name -> fields), in firing order."""
        derived: set = set()
        fired: list[str] = []
        for rules in self.strata:
            pending = rules
            while pending:
                waiting = []
                for entry in pending:
                    rule_id, concludes, holds, quiet = entry
                    if holds(facts, derived):
                        if not quiet:
                            fired.append(rule_id)
                        derived.add(concludes)
                    else:
                        waiting.append(entry)
                if len(waiting) == len(pending) or not waiting:
                    break
                # something fired: rules still waiting may now hold (positive cycle)
                pending = waiting
        return fired


def _ordered(rules: list[Rule]) -> list[Rule]:
    """Rules so that each comes after the rules concluding what it needs (when possible)."""
    producers: dict = defaultdict(list)
    for rule in rules:
        producers[rule.concludes].append(rule)
    order: list[Rule] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(rule: Rule) -> None:
        if state.get(rule.id):
            return  # done, or a cycle (handled by the fixpoint loop)
        state[rule.id] = 1
        for p in rule.fact_patterns:
            if not p.negated:
                for dep in producers.get(p.pred, ()):
                    visit(dep)
        state[rule.id] = 2
        order.append(rule)

    for rule in rules:
        visit(rule)
    return order


def compile_conditions(when: tuple):
    """A predicate ``(facts, derived) -> bool`` for a rule's conditions.

    Derived-fact conditions are checked first: a set lookup rules most rules out.
    """
    cheap_first = sorted(when, key=lambda p: 0 if isinstance(p, FactPattern) else 1)
    checks = [compile_pattern(p) for p in cheap_first]
    if len(checks) == 1:
        return checks[0]
    return lambda facts, derived: all(check(facts, derived) for check in checks)


def compile_pattern(p):
    """A predicate ``(facts, derived) -> bool`` for one condition (`pattern_holds`, compiled)."""
    if isinstance(p, FactPattern):
        pred, negated = p.pred, p.negated
        if negated:
            return lambda facts, derived: pred not in derived
        return lambda facts, derived: pred in derived
    group = _compile_group(p.tests)
    if p.section == "*":
        return lambda facts, derived: any(group(f) for f in facts.values())
    section = p.section
    return lambda facts, derived: group(facts[section])


def _compile_group(group: Group):
    parts = [
        _compile_group(item) if isinstance(item, Group) else compile_test(item)
        for item in group.items
    ]
    if group.mode == "any":
        return lambda fact: any(part(fact) for part in parts)
    if len(parts) == 1:
        return parts[0]
    return lambda fact: all(part(fact) for part in parts)


def compile_test(test: FieldTest):
    """A predicate ``(fact) -> bool`` for one field test (its `FieldTest.absent` when
    the field is not given)."""
    field, value, absent = test.field, test.value, test.absent
    if test.op == "absent":
        return lambda fact: fact.get(field) is None
    if test.op == "in":

        def check_in(fact: dict) -> bool:
            actual = fact.get(field)
            return absent if actual is None else actual in value

        return check_in
    compare = _CMP[test.op]

    def check(fact: dict) -> bool:
        actual = fact.get(field)
        return absent if actual is None else compare(actual, value)

    return check
