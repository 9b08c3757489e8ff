"""Loading the rules: every rules file schema-checked and parsed into `Rule`s,
the ladder rules generated from the knowledge (met, possible, reach,
reachable, gap, unknown), and every durable_rules hazard checked (R1xx).

`_Builder` parses; its two mixins hold the rest, reading the same indexes of
requirements, thresholds and rule ids, built once: `pmpath.model.ladder`
generates the ladder families, `pmpath.model.rule_checks` checks the rules.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable

from pmpath.errors import Problem
from pmpath.model.knowledge import Knowledge
from pmpath.model.ladder import _LadderRules
from pmpath.model.rule_checks import _RuleChecks
from pmpath.model.rules import (
    FACT_KINDS,
    FactPattern,
    FieldTest,
    Group,
    Rule,
    RuleSet,
    SectionPattern,
)
from pmpath.source.data import DataFile, read_dir, schema_problems


class _Builder(_LadderRules, _RuleChecks):
    def __init__(self, knowledge: Knowledge, files: list[DataFile]):
        self.k = knowledge
        self.files = files
        self.problems: list[Problem] = []
        self._file: DataFile | None = None
        self.profiles: dict[str, dict] = {}
        self._exponent_lines: set[tuple[str, int]] = set()  # already reported as R105

    # -- helpers -----------------------------------------------------------
    def add(self, line: int, code: str, message: str, file: str | None = None) -> None:
        self.problems.append(Problem(file or self._file.display, line, code, message))

    def line(self, path: tuple) -> int:
        return self._file.doc.line_of(path)

    # -- parsing -----------------------------------------------------------
    def build(self) -> list[Rule]:
        rules: list[Rule] = []
        ladder = None
        for f in self.files:
            self._file = f
            data = f.doc.data
            for i, raw in enumerate(data.get("rules", [])):
                rules.append(self.parse_rule(raw, ("rules", i), len(rules)))
            for name, base in data.get("profiles", {}).items():
                if name in self.profiles:
                    self.add(
                        self.line(("profiles", name)),
                        "R003",
                        f"base profile '{name}' defined twice",
                    )
                self.profiles[name] = base
            if "ladder" in data:
                if ladder is not None:
                    self.add(self.line(("ladder",)), "R003", "ladder templates defined twice")
                ladder = (f, data["ladder"])
            self.check_exponents(f)
        if ladder is None:
            self.add(1, "R008", "no `ladder:` templates in any rules file", self.files[0].display)
            return rules
        rules.extend(self.ladder_rules(*ladder, start=len(rules), written=rules))
        self.check(rules)
        return rules

    def check_exponents(self, f: DataFile) -> None:
        for path in sorted(f.doc.exponents, key=lambda p: f.doc.line_of(p)):
            if path and path[0] == "rules" and "cases" in path:
                continue  # case profiles are validated as profiles
            value = f.doc.data
            for key in path:
                value = value[key]
            line = f.doc.line_of(path)
            self._exponent_lines.add((f.display, line))
            shown = value if isinstance(value, str) else repr(value)
            self.add(
                line,
                "R105",
                f"number {shown} is in exponent form, which durable_rules' parser rejects; "
                "write it out in full (e.g. 0.0001)",
            )

    def parse_rule(self, raw: dict, path: tuple, index: int) -> Rule:
        ((kind, ident),) = raw["concludes"].items()
        when = []
        for j, cond in enumerate(raw["when"]):
            when.append(self.parse_pattern(cond, (*path, "when", j)))
        cases = tuple(raw.get("cases", ()))
        case_lines = tuple(self.line((*path, "cases", c)) for c in range(len(cases)))
        return Rule(
            id=raw["id"],
            concludes=(kind, ident),
            when=tuple(when),
            because=raw["because"],
            source=raw["source"],
            file=self._file.display,
            line=self.line((*path, "id")),
            priority=raw.get("priority"),
            value=raw.get("value"),
            cases=cases,
            case_lines=case_lines,
            index=index,
            source_line=self.line((*path, "source")),
            concludes_line=self.line((*path, "concludes")),
        )

    def parse_pattern(self, cond: dict, path: tuple):
        ((key, value),) = cond.items()
        line = self.line(path)
        if key == "not":
            ((kind, ident),) = value.items()
            return FactPattern(kind, ident, True, line)
        if key in FACT_KINDS:
            return FactPattern(key, value, False, line)
        return SectionPattern(key, self.parse_tests(key, value, (*path, key)), line)

    def parse_tests(self, section: str, mapping: dict, path: tuple, mode: str = "all") -> Group:
        items = []
        for key, spec in mapping.items():
            if key in ("any", "all"):
                groups = [
                    self.parse_tests(section, m, (*path, key, i), "all") for i, m in enumerate(spec)
                ]
                items.append(Group(key, tuple(groups)))
                continue
            line = self.line((*path, key))
            if isinstance(spec, dict):
                ((op, operand),) = spec.items()
            else:
                op, operand = "eq", spec
            threshold = None
            if isinstance(operand, dict):
                threshold = operand["threshold"]
                if threshold not in self.k.thresholds:
                    self.add(line, "R002", f"unknown threshold '{threshold}'")
                    operand = 0
                else:
                    operand = self.k.threshold(threshold)
            if op == "in":
                operand = tuple(operand)
            items.append(FieldTest(key, op, operand, threshold, line))
        return Group(mode, tuple(items))


def load_rules(
    root: Traversable, knowledge: Knowledge | None
) -> tuple[RuleSet | None, list[Problem], list[DataFile]]:
    """Parse and check every rules file; None with problems when anything is wrong."""
    files, problems = read_dir(root, "rules")
    for f in files:
        problems.extend(schema_problems(f, "rules", "R001"))
    if not files:
        problems.append(Problem(str(root), 1, "R008", "no rules files found"))
    if problems or knowledge is None:
        return None, problems, files
    builder = _Builder(knowledge, files)
    rules = builder.build()
    if builder.problems:
        return None, builder.problems, files
    return RuleSet(rules, files, builder.profiles), [], files
