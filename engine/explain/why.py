"""Why a rule holds on a profile, or why not: the one explainer.

Every reader of "why" goes through `Explainer`: ``--explain`` (text and
Markdown, through `explain_gaps`), role fit (every requirement of every rung up
to the role) and the reasons of a fit. It re-reads a rule's conditions on the
profile's sections with the reference evaluator's tests and builds a tree:

- a `RuleCheck` per rule: whether it holds, and one `ConditionCheck` per condition;
- a `ConditionCheck` per condition: its wording, whether it held, the profile
  values it read and, for a derived fact (``signal leads_people``), ``via``: the
  rules that conclude that fact, checked the same way, so every explanation ends
  at values a person gave;
- when asked (``shortfalls=True``), ``unmet`` on each rule: only the conditions
  that failed, a field test of a failing "all" group named on its own, which
  is what ``--explain`` prints.

Two ways to read derived facts, one per question:

- *as the engine concluded them* (``Explainer.as_fired``): a derived fact
  holds when a rule that fired concludes it; rules are checked as compiled,
  injected rung gating included. This is "why is this a gap now".
- *on the profile alone* (``Explainer.ungated``): the injected gating is
  stripped and every ``met`` fact whose own conditions hold counts, on any
  rung. This is what role fit asks: "does the candidate meet this requirement",
  whichever rung they were placed on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pmpath.inference.reference import (
    compile_pattern,
    group_holds,
    test_holds,
)
from pmpath.model.memo import memo
from pmpath.model.rules import FactPattern, FieldTest, Group, Pred, Rule, RuleSet, SectionPattern
from pmpath.profile.fields import sections
from pmpath.words import clause, number, show_value

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.recommendation import Recommendation

#: how deep explanations follow derived facts (a signal, then its conditions)
MAX_VIA_DEPTH = 4


# -- the explanation, as data ---------------------------------------------------------
@dataclass(frozen=True)
class Unmet:
    """One condition that did not hold, the values it looked at, and for a derived
    fact that is absent, the rules that could have concluded it (and what they lacked)."""

    condition: str
    values: dict[str, Any]
    causes: tuple[RuleCheck, ...] = ()

    def to_dict(self) -> dict:
        return {
            "condition": self.condition,
            "values": dict(self.values),
            "causes": [c.to_dict() for c in self.causes],
        }


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a rule: its text, whether it held, the values it read.

    ``via`` explains a derived-fact condition (``signal leads_people``) with the
    rules that conclude that fact, so every explanation ends at profile values.
    """

    condition: str
    holds: bool
    values: dict[str, Any]
    via: tuple[RuleCheck, ...] = ()

    def leaf_values(self, failing_only: bool = False) -> dict[str, Any]:
        """The profile values behind this condition, following ``via``."""
        out = dict(self.values)
        for rule in self.via:
            for cond in rule.conditions:
                if failing_only and cond.holds:
                    continue
                out.update(cond.leaf_values(failing_only))
        return out

    @property
    def words(self) -> str:
        """The condition for a reader: a derived fact is named by what its rules say it means.

        ``signal leads_people`` reads ``leads other product people, with or
        without reporting lines (signal leads_people)``.
        """
        if not self.via:
            return self.condition
        meanings = dict.fromkeys(clause(r.because) for r in self.via)
        return f"{' or '.join(meanings)} ({self.condition})"

    def to_dict(self) -> dict:
        # a copy: a check may be kept and shared between fits (`pmpath.results.score`)
        out: dict = {"condition": self.condition, "holds": self.holds, "values": dict(self.values)}
        if self.via:
            out["via"] = [r.to_dict() for r in self.via]
        return out


@dataclass(frozen=True)
class RuleCheck:
    """A rule checked on a profile: whether all its conditions held, and each one.

    ``unmet`` (filled when the explainer is asked for shortfalls) lists only what
    failed, as ``--explain`` shows it; it is a view of ``conditions``, not data of
    its own, and stays out of `to_dict`.
    """

    rule: str
    because: str
    source: str
    holds: bool
    conditions: tuple[ConditionCheck, ...]
    unmet: tuple[Unmet, ...] = field(default=(), compare=False)

    @property
    def failed(self) -> tuple[ConditionCheck, ...]:
        return tuple(c for c in self.conditions if not c.holds)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "because": self.because,
            "source": self.source,
            "holds": self.holds,
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True)
class GapExplanation:
    """Why one requirement of the next rung does not hold: each rule that could meet
    it (alternatives) and the conditions each one failed."""

    requirement: str
    description: str
    source: str
    rules: tuple[RuleCheck, ...]

    def to_dict(self) -> dict:
        return {
            "requirement": self.requirement,
            "description": self.description,
            "source": self.source,
            "rules": [
                {"rule": r.rule, "because": r.because, "source": r.source}
                | {"unmet": [u.to_dict() for u in r.unmet]}
                for r in self.rules
            ],
        }


# -- the explainer --------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    """What explaining needs from a ruleset, computed once per ruleset."""

    own: dict[str, Rule]  # rule id -> the rule without its injected conditions
    #: (rule id, stripped?) -> per condition of the rule: its words, the values it
    #: reads (key, field), and its check (``(facts, derived) -> bool``, compiled)
    conditions: dict[tuple[str, bool], tuple[tuple[str, tuple[tuple[str, str], ...], Any], ...]]


def _plan(ruleset: RuleSet) -> _Plan:
    return memo(ruleset, "explain-plan", _build_plan)


def _build_plan(ruleset: RuleSet) -> _Plan:
    own = {}
    for rule in ruleset.rules:
        kept = tuple(p for p in rule.when if not (isinstance(p, FactPattern) and p.injected))
        own[rule.id] = rule if len(kept) == len(rule.when) else replace(rule, when=kept)
    conditions = {}
    for rule in ruleset.rules:
        for stripped, checked in ((False, rule), (True, own[rule.id])):
            conditions[(rule.id, stripped)] = tuple(_condition_plan(p) for p in checked.when)
    return _Plan(own, conditions)


def _condition_plan(
    p: FactPattern | SectionPattern,
) -> tuple[str, tuple[tuple[str, str], ...], Any]:
    """A condition's words, the (key, field) of each value it reads, and its check."""
    if isinstance(p, FactPattern):
        return f"{'not ' if p.negated else ''}{p.kind} {p.id}", (), compile_pattern(p)
    reads = tuple((f"{p.section}.{t.field}", t.field) for t in p.tests.tests())
    return describe_pattern(p), reads, compile_pattern(p)


def fired_facts(ruleset: RuleSet, fired: Iterable[str]) -> set[Pred]:
    """What the engine concluded: the facts the rules that fired conclude (an id no
    rule has is left out)."""
    facts = set(map(ruleset.conclusion_of.get, fired))
    facts.discard(None)
    return facts


class Explainer:
    """Checks rules on one profile's facts (sections) and says why they hold or not."""

    def __init__(
        self,
        ruleset: RuleSet,
        facts: dict[str, dict],
        fired: Iterable[str],
        *,
        own: bool,
        max_depth: int = MAX_VIA_DEPTH,
        shortfalls: bool = False,
    ):
        self.ruleset = ruleset
        self.facts = facts
        self._fired = set(fired)
        #: what the engine concluded: the rules that fired, as facts
        self.fired_preds: set[Pred] = fired_facts(ruleset, self._fired)
        #: the derived facts conditions are checked against (`ungated` adds to them)
        self.derived: set[Pred] = set(self.fired_preds)
        plan = _plan(ruleset)
        self._own = plan.own if own else None
        self._conditions = plan.conditions
        self._stripped = own
        self._max_depth = max_depth
        self._shortfalls = shortfalls
        self._cache: dict[tuple, RuleCheck] = {}

    @classmethod
    def ungated(cls, ruleset: RuleSet, facts: dict[str, dict], fired: Iterable[str]) -> Explainer:
        """Rules checked on the profile alone, rung gating stripped (role fit), against
        the derived facts that fired: a `met` rule reads profile fields and signals
        only (``pmpath validate``'s R107), never another rung's `met` fact."""
        return cls(ruleset, facts, fired, own=True)

    @classmethod
    def as_fired(cls, rec: Recommendation) -> Explainer:
        """Derived facts as the engine concluded them; rules as compiled (``--explain``)."""
        facts = sections(rec.profile, rec.derived)
        return cls(rec.model.ruleset, facts, rec.fired, own=False, max_depth=1, shortfalls=True)

    def rule(self, rule: Rule, depth: int = 0, seen: frozenset = frozenset()) -> RuleCheck:
        """``rule`` checked on the profile, derived-fact conditions followed ``via``."""
        key = (rule.id, depth, seen)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        checked = self._own[rule.id] if self._own is not None else rule
        conditions = []
        for pattern, planned in zip(
            checked.when, self._conditions[(rule.id, self._stripped)], strict=True
        ):
            via: tuple[RuleCheck, ...] = ()
            if (
                isinstance(pattern, FactPattern)
                and depth < self._max_depth
                and pattern.pred not in seen
            ):
                via = tuple(
                    self.rule(r, depth + 1, seen | {pattern.pred})
                    for r in self.ruleset.concluders.get(pattern.pred, ())
                )
            conditions.append(self._condition(pattern, via, planned))
        unmet = ()
        if self._shortfalls:
            unmet = tuple(
                u
                for pattern, cond in zip(checked.when, conditions, strict=True)
                if not cond.holds
                for u in self._unmet(pattern, cond)
            )
        check = RuleCheck(
            rule.id,
            rule.because,
            rule.source,
            all(c.holds for c in conditions),
            tuple(conditions),
            unmet,
        )
        self._cache[key] = check
        return check

    def _condition(
        self, p: FactPattern | SectionPattern, via: tuple, planned: tuple
    ) -> ConditionCheck:
        text, reads, check = planned
        holds = check(self.facts, self.derived)
        if isinstance(p, FactPattern):
            return ConditionCheck(text, holds, {}, via)
        fact = self.facts.get(p.section, {})
        return ConditionCheck(text, holds, {key: fact.get(name) for key, name in reads}, via)

    def _unmet(self, pattern: FactPattern | SectionPattern, cond: ConditionCheck) -> list[Unmet]:
        if isinstance(pattern, FactPattern):
            key = f"{pattern.kind}:{pattern.id}"
            if pattern.negated:  # the fact holds, and the rule needs it not to
                rules = self.ruleset.concluders.get(pattern.pred, [])
                by = [r.id for r in rules if r.id in self._fired]
                text = f"not {pattern.kind} {pattern.id}"
                if by:
                    text += f" (but {', '.join(by)} concluded it)"
                return [Unmet(text, {key: True})]
            return [Unmet(f"{pattern.kind} {pattern.id}", {key: False}, cond.via)]
        fact = self.facts.get(pattern.section, {})
        group = pattern.tests
        if group.mode != "all":
            return [Unmet(cond.condition, cond.values)]
        out = []
        for item in group.items:
            if isinstance(item, FieldTest):
                if not test_holds(item, fact):
                    key = f"{pattern.section}.{item.field}"
                    out.append(
                        Unmet(describe_test(item, pattern.section), {key: fact.get(item.field)})
                    )
            elif isinstance(item, Group) and not group_holds(item, fact):
                tested = {f"{pattern.section}.{t.field}": fact.get(t.field) for t in item.tests()}
                out.append(Unmet(describe_group(item, pattern.section), tested))
        return out or [Unmet(cond.condition, cond.values)]


def explain_gaps(rec: Recommendation) -> list[GapExplanation]:
    """For every gap of ``rec``, each rule that could meet it and what it lacked."""
    model = rec.model
    explainer = Explainer.as_fired(rec)
    out = []
    for req_id in rec.gaps:
        req = model.knowledge.requirements[req_id]
        checks = tuple(
            explainer.rule(rule) for rule in model.ruleset.concluders.get(("met", req_id), [])
        )
        out.append(GapExplanation(req_id, req.description, req.source, checks))
    return out


def show_facts(facts: dict[str, Any]) -> str:
    """``{"scope.pm_reports": 2, "reached:pm": True}`` as ``scope.pm_reports = 2, reached pm``."""
    parts = []
    for key, value in facts.items():
        if ":" in key:  # a derived fact: kind:id -> whether it held (or had to be absent)
            kind, ident = key.split(":", 1)
            parts.append(f"{kind} {ident}" if value else f"no {kind} {ident}")
        else:
            parts.append(f"{key} = {show_value(value)}")
    return ", ".join(parts)


# -- conditions in words --------------------------------------------------------------
def describe_pattern(p: SectionPattern) -> str:
    return describe_group(p.tests, p.section) or f"{p.section} is present"


def describe_group(group: Group, section: str) -> str:
    parts = []
    for item in group.items:
        if isinstance(item, Group):
            inner = describe_group(item, section)
            parts.append(f"({inner})" if len(item.items) > 1 else inner)
        else:
            parts.append(describe_test(item, section))
    return (" or " if group.mode == "any" else " and ").join(parts)


_WORDS = {
    "eq": "is",
    "ne": "is not",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "in": "in",
    "absent": "is",
}


def describe_test(t: FieldTest, section: str) -> str:
    value = t.value
    if t.op == "absent":
        return f"{section}.{t.field} is not given"
    if t.op == "in":
        shown = "[" + ", ".join(map(str, value)) + "]"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    else:
        shown = number(value)
    if t.threshold:
        shown += f" ({t.threshold})"
    text = f"{section}.{t.field} {_WORDS[t.op]} {shown}"
    return text + " (or not given)" if t.absent else text
