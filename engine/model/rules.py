"""Rules as data: the YAML rule language, its checks, and the generated ladder.

A rule concludes one fact (``{met: senior_pm.strategy}``) when all of its
conditions hold. A condition is either a pattern over a profile fact (a
section such as ``scope`` or the ``derived`` fact) with field tests, or a
derived fact by id (``signal: leads_people``), possibly negated
(``not: {signal: early_career}``).

`load_rules(root, knowledge)` parses every file under ``rules/``, generates the
ladder rules (base, reach, level and gap) from the levels in knowledge,
injects "and the step is not done" into step rules, stratifies negation, and
reports every problem, including the durable_rules hazards (R1xx).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pmpath.model.memo import without_memo
from pmpath.profile.fields import WORK_KINDS
from pmpath.source.data import DataFile

FACT_KINDS = (
    "implied",
    "signal",
    "met",
    "possible",
    "reached",
    "level",
    "reachable",
    "gap",
    "unknown",
    "specialization",
    "shape",
    "path",
    "done",
)
#: how traces are ordered: the layers of the chain, profile facts first
KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "implied",
            "signal",
            "done",
            "met",
            "possible",
            "reached",
            "level",
            "reachable",
            "gap",
            "unknown",
            "specialization",
            "shape",
            "path",
            "step",
        )
    )
}
GENERATED_KINDS = ("possible", "reached", "level", "reachable", "gap", "unknown")
#: the priority of a step rule that sets none: after every one that does
NO_PRIORITY = 1000
MAX_RULES_PER_FACT = 64  # durable_rules' alpha-node stack (error 303 above it)
#: the placeholders a ladder template's `because` may use
LADDER_PLACEHOLDERS = (
    "level",
    "level_title",
    "below_title",
    "next_title",
    "requirement",
    "typical",
)
#: the families of generated rules, each with a `because` template in rules/ladder.yaml
LADDER_FAMILIES = ("base", "reach", "level", "gap", "possible", "reachable", "unknown")
#: value types of the `derived` fields, for the R006 check (the profile schema has the rest)
DERIVED_SCHEMAS = {
    "work_total_years": {"type": "number"},
    "dominant_work": {"enum": [*WORK_KINDS, "none"]},
    "dominant_work_years": {"type": "number"},
    "kinds_practised": {"type": "integer"},
}

Pred = tuple[str, str]  # (kind, id) of a derived fact


@dataclass(frozen=True)
class FieldTest:
    field: str
    op: str  # eq ne gt gte lt lte in
    value: Any
    threshold: str | None
    line: int
    #: what the test says when the field is not given (unknown): False for a rule
    #: that needs the fact, True for a `possible` rule (nothing known rules it out)
    absent: bool = False


@dataclass(frozen=True)
class Group:
    mode: str  # "all" or "any"
    items: tuple  # FieldTest | Group

    def tests(self) -> list[FieldTest]:
        out: list[FieldTest] = []
        for item in self.items:
            out.extend(item.tests() if isinstance(item, Group) else [item])
        return out


@dataclass(frozen=True)
class SectionPattern:
    section: str  # a profile section, "derived", or "*" (any fact: a hazard)
    tests: Group
    line: int
    negated: bool = False


@dataclass(frozen=True)
class FactPattern:
    kind: str
    id: str
    negated: bool
    line: int
    injected: bool = False  # added by the compiler ("and the step is not done")

    @property
    def pred(self) -> Pred:
        return (self.kind, self.id)


@dataclass
class Rule:
    id: str
    concludes: Pred
    when: tuple
    because: str
    source: str
    file: str
    line: int
    priority: int | None = None
    cases: tuple = ()
    case_lines: tuple = ()
    generated: bool = False
    index: int = 0
    stratum: int = 0
    value: Any = None  # the value an `implied` rule gives its field
    source_line: int = 0  # line of `source:` (0: use `line`)
    concludes_line: int = 0  # line of `concludes:` (0: use `line`)

    @property
    def urgency(self) -> int:
        """Its ``priority``, or `NO_PRIORITY` without one: lower comes first."""
        return NO_PRIORITY if self.priority is None else self.priority

    @property
    def negations(self) -> bool:
        return any(p.negated for p in self.when)

    @property
    def fact_patterns(self) -> list[FactPattern]:
        return [p for p in self.when if isinstance(p, FactPattern)]

    @property
    def section_patterns(self) -> list[SectionPattern]:
        return [p for p in self.when if isinstance(p, SectionPattern)]

    @property
    def gap(self) -> str | None:
        """The requirement id of the first gap this rule answers, if any."""
        for p in self.when:
            if isinstance(p, FactPattern) and p.kind == "gap" and not p.negated:
                return p.id
        return None


@dataclass
class RuleSet:
    rules: list[Rule]
    files: list[DataFile]
    profiles: dict[str, dict] = field(default_factory=dict)  # named bases for cases
    by_id: dict[str, Rule] = field(init=False)
    concluders: dict[Pred, list[Rule]] = field(init=False)
    #: rule id -> the fact it concludes
    conclusion_of: dict[str, Pred] = field(init=False)

    def __post_init__(self) -> None:
        self.rules.sort(key=lambda r: (KIND_ORDER[r.concludes[0]], r.index))
        self.by_id = {r.id: r for r in self.rules}
        self.conclusion_of = {r.id: r.concludes for r in self.rules}
        self.concluders = defaultdict(list)
        for r in self.rules:
            self.concluders[r.concludes].append(r)

    def __getstate__(self) -> dict:
        return without_memo(self.__dict__)


def _describe_schema(schema: dict) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    return str(schema.get("type", "any"))


def fact_json(kind: str, ident: str) -> str:
    """The JSON template of a derived fact, with ``%s`` where the state id goes.

    Its ``id`` (durable_rules' identity of a fact, ``kind:ident``) is given, so
    durable does not hash the fact's properties to make one, and the fact can be
    retracted by its id alone."""
    return (
        '{"sid":"%s","id":'
        + json.dumps(f"{kind}:{ident}")
        + ',"t":'
        + json.dumps(kind)
        + ',"key":'
        + json.dumps(ident)
        + "}"
    )
