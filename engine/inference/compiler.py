"""Compiling a `RuleSet` into a durable_rules ruleset definition (plain data).

Each rule becomes one durable rule named by its id:

- the section patterns of a rule become one pattern over the flat profile fact,
  ``{"$and": [{"t": "profile"}, <tests on section__field>]}``, placed where the
  first of them stands;
- a derived fact becomes ``{"$and": [{"t": kind}, {"key": id}]}`` (not "id": durable_rules treats
  ``id`` as the identity of a fact), negated as
  ``"nK$not"``;
- a condition on a derived fact that exactly one rule concludes is replaced by
  that rule's conditions (its definition), when this is exact: a positive
  condition by the definition itself (unless it has overlapping alternatives,
  which would fire the consumer once per alternative); a negated one by the
  inverted field tests, when the definition is field tests (on fields that are
  never absent) plus derived facts the consumer already requires. So
  ``gap: senior_pm.strategy`` becomes ``reached: pm`` and "not (owns a roadmap
  and plans 3+ months ahead)". A fact no compiled rule reads is never asserted:
  fewer derived facts is what makes durable_rules fast. The defining rules
  still fire, for the trace. (``reached`` stays a fact: it chains the rungs;
  except the first rung, which every profile stands on: a join on it decides
  nothing, so it is inlined, and a rule left with nothing but a pattern every
  profile meets beside its joins drops that pattern too.)
- the rules are compiled in *stages*, one per stratum of negation, each its own
  durable ruleset. Stage 0 (the rules with no negation) chains derived facts as
  above. A rule of a later stage reads what the stages below concluded as
  *flags* on its one fact: the profile fact, with a key ``cN: 1`` for each fact
  concluded below (``possible`` facts still inlined, so their rules need not
  fire); a positive condition is a flag test, a negated one ``$nex`` on the flag.
  The driver asserts a stage's fact once every stage below has finished, so a
  negation always reads complete facts (durable_rules never withdraws an
  activation once it has passed a ``$not``) with no guard fact and no join; only
  facts of the stage's own stratum are joined (``reachable`` chaining). Flags
  come first in a pattern, the positive ones and then the negated ones, so
  durable's alpha network branches on them before any field test.
- in a stage above the first, the facts a rule asserts carry the stage's profile
  fact (its fields and flags: `Stage.carries`), and a rule that joins a fact of
  its own stage tests the profile on that fact, after its type and key, with no
  pattern on the profile fact: durable tests every pattern on every fact
  asserted, so the ``reachable`` chain's links (the `possible` definitions they
  inline) no longer cost every profile, only those whose chain begins.

No durable_rules import here: the result is data, registered by `rete`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmpath.model.memo import memo

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model

from dataclasses import dataclass, field

from pmpath.inference.facts import fact_key
from pmpath.model.rules import (
    FactPattern,
    FieldTest,
    Group,
    Rule,
    RuleSet,
    SectionPattern,
    fact_json,
)

_OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Stage:
    """One stratum's rules as one durable ruleset."""

    definition: dict  # {rule id: {"all": [...], "pri": n}}
    #: rule id -> JSON template of the fact it asserts in this stage (``%s`` = state
    #: id), or None when no rule of the stage consumes the conclusion
    asserts: dict[str, str | None]
    #: the facts this stage asserts carry its profile fact's fields and flags (a
    #: later stage's rules that join a fact of their own stage test the profile's
    #: fields on that fact: see `compile_rule`)
    carries: bool = False


@dataclass(frozen=True)
class Compiled:
    """What the durable driver needs: the stages, and what each fired rule flags."""

    stages: tuple[Stage, ...]
    #: rule id -> ``,"cN":1``, the flag its conclusion puts on the facts of the stages
    #: above (only for conclusions a later stage reads)
    flags: dict[str, str]
    #: the (section, field) pairs some rule reads: all the profile fact needs
    fields: tuple[tuple[str, str], ...]
    #: rules left out of the durable definition: `possible` rules whose conclusion
    #: every consumer reads through their inlined conditions (see `SILENT_KINDS`)
    silent: frozenset[str] = frozenset()
    #: the ``fields`` a stage above the first reads: all a later stage's fact needs
    #: (a smaller fact is cheaper to parse, match and retract)
    later_fields: tuple[tuple[str, str], ...] = ()
    #: (section, field) -> its key on the profile fact: ``f<n>``, its place in
    #: ``fields`` (durable hashes every key of a fact it reads, and copies the fact
    #: into each fired rule's message: short keys cost less than ``section__field``)
    keys: dict = field(default_factory=dict)

    @property
    def definition(self) -> dict:
        """Every stage's rules in one mapping (rule id -> durable rule)."""
        return {rid: rule for stage in self.stages for rid, rule in stage.definition.items()}

    @property
    def asserts(self) -> dict[str, str | None]:
        return {rid: t for stage in self.stages for rid, t in stage.asserts.items()}


#: derived facts never replaced by their definition (the ladder's chain)
KEPT_KINDS = ("reached", "reachable")
#: kinds whose rules are not registered in durable when every consumer inlines them:
#: a `possible` fact only bounds the level, and the rule that reads it shows the
#: values it read (firing them all would cost as much as the rest of the inference)
SILENT_KINDS = ("possible",)
#: kinds run before inference, never by durable (see `pmpath.implications`)
PRE_KINDS = ("implied",)
#: kinds whose definition is inlined even with overlapping alternatives (a consumer
#: that fires twice concludes the same fact twice: harmless for the ladder's rules)
INLINE_ALTERNATIVES = ("possible",)


def compile_ruleset(ruleset: RuleSet) -> Compiled:
    definitions = {
        pred: rules[0].when
        for pred, rules in ruleset.concluders.items()
        if len(rules) == 1 and (pred[0] not in KEPT_KINDS or _holds_always(rules[0].when))
    }
    stratum_of = {rule.concludes: rule.stratum for rule in ruleset.rules}
    #: per stage, what its rules inline: the facts of its own stratum, and facts whose
    #: rules are silent (never fired in durable); a fact of a stage below is a flag
    inlined: dict[int, dict] = {}
    compiled: dict[str, tuple[int, tuple]] = {}  # rule id -> (stage, conditions)
    for rule in ruleset.rules:
        if rule.concludes[0] in PRE_KINDS:
            continue
        stage = rule.stratum
        if stage not in inlined:
            inlined[stage] = {
                pred: when
                for pred, when in definitions.items()
                if pred[0] in SILENT_KINDS or stratum_of[pred] == stage
            }
        compiled[rule.id] = (stage, inline(rule.when, inlined[stage]))
    joined: set = set()  # facts read by a rule of their own stage
    flagged: set = set()  # facts read by a rule of a later stage
    for stage, when in compiled.values():
        for p in when:
            if isinstance(p, FactPattern):
                (joined if stratum_of.get(p.pred, 0) == stage else flagged).add(p.pred)
    silent = frozenset(
        rule.id
        for rule in ruleset.rules
        if rule.concludes[0] in SILENT_KINDS
        and rule.concludes not in joined
        and rule.concludes not in flagged
    )
    flag_keys = {pred: f"c{i}" for i, pred in enumerate(sorted(flagged))}
    first_stage = min((stage for stage, _ in compiled.values()), default=0)
    stages: dict[int, tuple[dict, dict]] = {}
    for rule in ruleset.rules:
        if rule.id not in compiled or rule.id in silent:
            continue
        stage, when = compiled[rule.id]
        definition, asserts = stages.setdefault(stage, ({}, {}))
        definition[rule.id] = compile_rule(
            rule, when, stratum_of, flag_keys, carried=stage != first_stage
        )
        asserts[rule.id] = fact_json(*rule.concludes) if rule.concludes in joined else None
    flags = {
        rule.id: f',"{flag_keys[rule.concludes]}":1'
        for rule in ruleset.rules
        if rule.concludes in flag_keys and rule.id in compiled and rule.id not in silent
    }
    silent |= {rule.id for rule in ruleset.rules if rule.concludes[0] in PRE_KINDS}
    fields = sorted(
        {
            (p.section, t.field)
            for rule in ruleset.rules
            for p in rule.section_patterns
            if p.section != "*"
            for t in p.tests.tests()
        }
    )
    read_later = set().union(*(_keys_read(stages[n][0]) for n in sorted(stages)[1:]))
    later = tuple(f for f in fields if fact_key(*f) in read_later)
    keys = {f: f"f{i}" for i, f in enumerate(fields)}
    short = {fact_key(*f): key for f, key in keys.items()}
    return Compiled(
        tuple(
            Stage(_renamed(stages[n][0], short), stages[n][1], n != first_stage)
            for n in sorted(stages)
        ),
        flags,
        tuple(fields),
        silent,
        later,
        keys,
    )


def _holds_always(when: tuple) -> bool:
    """True for a condition every profile meets: section patterns with no tests (the
    ladder's first rung). A fact so concluded is inlined even where it chains the
    rungs: a join on it decides nothing, and asserting it costs every profile."""
    return bool(when) and all(
        isinstance(p, SectionPattern) and p.section != "*" and not p.tests.items for p in when
    )


def _renamed(node, keys: dict[str, str]):
    """A compiled definition with every profile key (``section__field``) renamed to
    its short key (an operator, pattern name, flag or ``t`` is never a profile key)."""
    if isinstance(node, dict):
        return {keys.get(k, k): _renamed(v, keys) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v, keys) for v in node]
    return node


def _keys_read(node) -> set[str]:
    """Every key a compiled durable definition tests (with the operators, pattern
    names, flags and "t": a superset of the profile keys it reads)."""
    if isinstance(node, dict):
        return set(node).union(*(_keys_read(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys_read(v) for v in node))
    return set()


def _key(p) -> tuple:
    """What makes two conditions the same condition (lines and provenance aside)."""
    if isinstance(p, FactPattern):
        return ("fact", p.pred, p.negated)
    return ("section", p.section, p.tests)


def inline(when: tuple, definitions: dict) -> tuple:
    """``when`` with derived-fact conditions replaced by their definitions where exact."""
    positive = _inline_positive(when, definitions, depth=0)
    context = {_key(p) for p in positive}
    out: dict = {}
    for p in positive:
        if isinstance(p, FactPattern) and p.negated and p.pred in definitions:
            definition = _inline_positive(definitions[p.pred], definitions, depth=1)
            inverted = _inverted(tuple(definition), context)
            if inverted is not None:
                p = inverted
        out.setdefault(_key(p), p)
    return tuple(out.values())


def _inline_positive(when: tuple, definitions: dict, depth: int) -> list:
    out: dict = {}
    for p in when:
        if (
            isinstance(p, FactPattern)
            and not p.negated
            and p.pred in definitions
            and depth < 8
            and (p.kind in INLINE_ALTERNATIVES or not _has_alternatives(definitions[p.pred]))
        ):
            expanded = _inline_positive(definitions[p.pred], definitions, depth + 1)
        else:
            expanded = [p]
        for q in expanded:
            out.setdefault(_key(q), q)
    return list(out.values())


def _has_alternatives(when: tuple) -> bool:
    def walk(group: Group) -> bool:
        return any(
            isinstance(item, Group) and (item.mode == "any" or walk(item)) for item in group.items
        )

    return any(isinstance(p, SectionPattern) and walk(p.tests) for p in when)


def _inverted(when: tuple, context: set) -> SectionPattern | None:
    """Not-``when`` as one section pattern, given that ``context`` holds, or None if inexact."""
    groups = []
    for p in when:
        if isinstance(p, FactPattern):
            if p.negated or _key(p) not in context:
                return None  # not(A and B) with B unknown is a disjunction across facts
        elif p.section == "*":
            return None
        else:  # exact with unknowns too: `_invert` flips what a test says on an absent field
            groups.append((p.section, _invert(p.tests)))
    if not groups:
        return None
    if len(groups) == 1:
        section, group = groups[0]
        return SectionPattern(section, group, when[0].line)
    # Several sections: one flat profile fact in durable, so one disjunction over
    # prefixed keys (section "" means the fields are already full keys).
    alternatives = tuple(_prefixed(group, section) for section, group in groups)
    return SectionPattern("", Group("all", (Group("any", alternatives),)), when[0].line)


def _prefixed(group: Group, section: str) -> Group:
    return Group(
        group.mode,
        tuple(
            _prefixed(item, section)
            if isinstance(item, Group)
            else FieldTest(
                fact_key(section, item.field),
                item.op,
                item.value,
                item.threshold,
                item.line,
                item.absent,
            )
            for item in group.items
        ),
    )


_INVERSE = {"eq": "ne", "ne": "eq", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}


def _invert(group: Group) -> Group:
    items = []
    for item in group.items:
        if isinstance(item, Group):
            items.append(_invert(item))
        elif item.op == "in":
            # not (given and in [a, b]) = not given, or given and not a and not b
            tests = tuple(FieldTest(item.field, "ne", v, None, item.line) for v in item.value)
            if item.absent:  # not (not given or in [...]) = given and not a and not b
                items.append(Group("all", tests))
            else:
                absent = FieldTest(item.field, "absent", None, None, item.line)
                items.append(
                    Group("all", (Group("any", (Group("all", (absent,)), Group("all", tests))),))
                )
        else:  # not (t, or not given) = given and not t; not t = not given, or not t
            items.append(
                FieldTest(
                    item.field,
                    _INVERSE[item.op],
                    item.value,
                    item.threshold,
                    item.line,
                    not item.absent,
                )
            )
    if len(items) == 1:
        return items[0] if isinstance(items[0], Group) else Group("all", (items[0],))
    mode = "any" if group.mode == "all" else "all"
    if mode == "any":  # each alternative must be a group for the compiler
        items = [i if isinstance(i, Group) else Group("all", (i,)) for i in items]
        return Group("all", (Group("any", tuple(items)),))
    return Group("all", tuple(items))


def compile_rule(
    rule: Rule,
    when: tuple,
    stratum_of: dict | None = None,
    flag_keys: dict | None = None,
    carried: bool = False,
) -> dict:
    """One durable rule from ``when``: the rule's conditions after `inline`. Facts
    concluded in a stage below the rule's (``stratum_of``) are read as flags on the
    profile fact (``flag_keys``): the positive flags first, then the negated ones (a
    cheap test that rules most profiles out before any `$or` of field tests).

    ``carried``: the facts of the rule's stage carry the stage's profile fact (its
    fields and flags; `Stage.carries`), so a rule that joins a fact of its own
    stage tests the profile there, after that fact's type and key, instead of in a
    pattern of its own. durable's alpha network tests a pattern on every fact
    asserted, so a profile pattern costs every profile, even one for which the
    joined fact never comes; on the joined fact it costs only when that fact is
    asserted (the ``reachable`` chain: rare, and each link's tests are the
    `possible` definitions it inlines, "test, or not given" for every field)."""
    stratum_of = stratum_of or {}
    flag_keys = flag_keys or {}
    below = [
        p for p in when if isinstance(p, FactPattern) and stratum_of.get(p.pred, 0) < rule.stratum
    ]
    sections = [p for p in when if isinstance(p, SectionPattern)]
    own = [p for p in when if isinstance(p, FactPattern) and p not in below and not p.negated]
    carrier = own[0] if carried and own and (below or sections) else None
    patterns = []
    profile = bool(below) and carrier is None
    if profile:  # one pattern over the profile fact: flags, negated flags, field tests
        patterns.append(
            {"p0": {"$and": [{"t": "profile"}, *_profile_tests(below, sections, flag_keys)]}}
        )
    # the section patterns are in one already, or test nothing (a rule that joins a
    # derived fact needs no pattern that every profile meets: it joins nothing)
    merged = (
        profile or carrier is not None or (bool(own) and not any(p.tests.items for p in sections))
    )
    # with "p0" taken, the other patterns are named from 1 (names are unique per rule)
    for i, pattern in enumerate(when, start=1 if profile else 0):
        if isinstance(pattern, SectionPattern):
            if not merged:
                merged = True
                patterns.append(compile_sections(sections, i))
        elif pattern is carrier:
            tests = [{"t": pattern.kind}, {"key": pattern.id}]
            patterns.append({f"p{i}": {"$and": tests + _profile_tests(below, sections, flag_keys)}})
        elif pattern not in below:
            if pattern.negated:
                raise ValueError(
                    f"rule '{rule.id}' negates '{pattern.kind} {pattern.id}' of its own "
                    "stratum; stratification puts a negated fact in a stratum below"
                )
            patterns.append(compile_pattern(pattern, i))
    out: dict = {"all": patterns}
    if rule.priority is not None:
        out["pri"] = rule.priority
    return out


def _profile_tests(below: list, sections: list, flag_keys: dict) -> list[dict]:
    """A rule's tests on the profile fact: its flags (the positive ones first, then
    the negated ones), then its field tests."""
    tests: list[dict] = [{flag_keys[p.pred]: 1} for p in below if not p.negated]
    tests += [{"$nex": {flag_keys[p.pred]: 1}} for p in below if p.negated]
    for p in sections:
        tests += compile_group(p.tests, "" if p.section in ("*", "") else p.section)
    return tests


def compile_pattern(pattern: FactPattern, index: int) -> dict:
    test = {"$and": [{"t": pattern.kind}, {"key": pattern.id}]}
    return {f"n{index}$not": test} if pattern.negated else {f"p{index}": test}


def compile_sections(patterns: list[SectionPattern], index: int) -> dict:
    """All of a rule's section patterns as one pattern over the flat profile fact."""
    tests: list[dict] = []
    typed = False
    for p in patterns:
        tests.extend(compile_group(p.tests, "" if p.section in ("*", "") else p.section))
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
    """One field test; a test true on a field not given also passes when it is absent."""
    key = fact_key(section, test.field) if section else test.field
    if test.op == "absent":
        return {"$nex": {key: 1}}
    if test.op == "eq":
        compiled = {key: test.value}
    elif test.op == "in":
        compiled = {"$or": [{key: v} for v in test.value]}
    else:
        compiled = {_OPS[test.op]: {key: test.value}}
    if test.absent:
        return {"$or": [compiled, {"$nex": {key: 1}}]}
    return compiled


def compiled_for(model: Model) -> Compiled:
    """``model``'s rules compiled, once per model (each worker process compiles its own)."""
    return memo(model, "compiled", lambda m: compile_ruleset(m.ruleset))
