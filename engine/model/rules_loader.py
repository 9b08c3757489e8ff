"""Loading the rules: every rules file schema-checked and parsed into `Rule`s,
the ladder rules generated from the knowledge (met, possible, reach,
reachable, gap, unknown), and every durable_rules hazard checked (R1xx).

`_Builder` is one class on purpose: generating the ladder and checking the
rules share the same indexes of requirements, thresholds and rule ids, built
once; its two big methods are the ladder families and the hazard checks.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import string
from collections import defaultdict
from importlib.resources.abc import Traversable

from pmpath.errors import Problem
from pmpath.model.knowledge import Knowledge
from pmpath.model.rules import (
    DERIVED_SCHEMAS,
    FACT_KINDS,
    GENERATED_KINDS,
    LADDER_FAMILIES,
    LADDER_PLACEHOLDERS,
    MAX_RULES_PER_FACT,
    FactPattern,
    FieldTest,
    Group,
    Pred,
    Rule,
    RuleSet,
    SectionPattern,
    _describe_schema,
)
from pmpath.profile.fields import SECTION_FIELDS
from pmpath.source import schemas
from pmpath.source.data import DataFile, read_dir, schema_problems


class _Builder:
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

    # -- the ladder ----------------------------------------------------------
    def check_templates(self, f: DataFile, templates: dict) -> set[str]:
        """The ladder families whose `because` is a usable template; report the others."""
        usable = set()
        for family, t in templates.items():
            line = f.doc.line_of(("ladder", family, "because"))
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(t["because"])]
            except ValueError as exc:
                self.add(
                    line,
                    "R001",
                    f"ladder.{family}.because: malformed placeholder ({exc}); "
                    "write {{ and }} for a literal brace",
                    f.display,
                )
                continue
            unknown = [n for n in names if n is not None and n not in LADDER_PLACEHOLDERS]
            if unknown:
                self.add(
                    line,
                    "R002",
                    f"ladder.{family}.because: unknown placeholder '{{{unknown[0]}}}'; use "
                    + ", ".join(f"{{{n}}}" for n in LADDER_PLACEHOLDERS),
                    f.display,
                )
                continue
            usable.add(family)
        return usable

    def ladder_rules(
        self, f: DataFile, templates: dict, start: int, written: list[Rule]
    ) -> list[Rule]:
        out: list[Rule] = []
        levels = self.k.levels
        missing = [family for family in LADDER_FAMILIES if family not in templates]
        for family in missing:
            self.add(
                f.doc.line_of(("ladder",)),
                "R008",
                f"no `ladder.{family}` template: every family of generated rules needs one "
                f"({', '.join(LADDER_FAMILIES)})",
                f.display,
            )
        if missing:
            return out
        usable = self.check_templates(f, templates)

        def words(family: str, **fmt: str) -> tuple[str, str, int]:
            t = templates[family]
            values = dict.fromkeys(LADDER_PLACEHOLDERS, "") | fmt
            because = t["because"].format(**values) if family in usable else t["because"]
            return because, t["source"], f.doc.line_of(("ladder", family))

        def make(rid, concludes, when, family, source=None, **fmt):
            because, tsource, line = words(family, **fmt)
            out.append(
                Rule(
                    id=rid,
                    concludes=concludes,
                    when=tuple(when),
                    because=because,
                    source=source or tsource,
                    file=f.display,
                    line=line,
                    generated=True,
                    index=start + len(out),
                )
            )

        share = self.k.threshold("typical_share") if "typical_share" in self.k.thresholds else 1

        def typical_sets(level) -> list[tuple]:
            """The sets of typical requirements that are enough, each of the minimum size."""
            typical = [r for r in level.requirements if not r.defining]
            need = math.ceil(share * len(typical) - 1e-9) if typical else 0
            return list(itertools.combinations(typical, need))

        def suffix(level, chosen: tuple, many: bool) -> str:
            if not many:
                return ""
            return "." + "+".join(r.id[len(level.id) + 1 :] for r in chosen)

        def typical_words(chosen: tuple) -> str:
            if not chosen:
                return ""
            return "; typical ones met: " + ", ".join(
                r.id.split(".", 1)[1].replace("-", " ") for r in chosen
            )

        base = levels[0]
        make(
            f"ladder.base.{base.id}",
            ("reached", base.id),
            [SectionPattern("experience", Group("all", ()), 0)],
            "base",
            level_title=base.title,
            level=base.id,
        )
        out.extend(self.possible_rules(f, templates, usable, written, start + len(out)))
        #: per rung: its defining requirements, and the sets of typical ones that are enough
        weighed = {
            level.id: ([r for r in level.requirements if r.defining], typical_sets(level))
            for level in levels[1:]
        }
        for below, level in itertools.pairwise(levels):
            defining, sets = weighed[level.id]
            for chosen in sets:
                when = [FactPattern("reached", below.id, False, 0)]
                when += [FactPattern("met", r.id, False, 0) for r in (*defining, *chosen)]
                make(
                    f"ladder.reach.{level.id}{suffix(level, chosen, len(sets) > 1)}",
                    ("reached", level.id),
                    when,
                    "reach",
                    level=level.id,
                    level_title=level.title,
                    below_title=below.title,
                    typical=typical_words(chosen),
                )
        for i, level in enumerate(levels):
            when = [FactPattern("reached", level.id, False, 0)]
            nxt = levels[i + 1] if i + 1 < len(levels) else None
            if nxt is not None:
                when.append(FactPattern("reached", nxt.id, True, 0))
            make(
                f"ladder.level.{level.id}",
                ("level", level.id),
                when,
                "level",
                level=level.id,
                level_title=level.title,
                next_title=nxt.title if nxt else "",
            )
        # The rung no known fact rules out: from the placed level up, rung by rung,
        # while every defining requirement and enough typical ones are possible.
        for below, level in itertools.pairwise(levels):
            defining, sets = weighed[level.id]
            starts = [("above", FactPattern("level", below.id, False, 0))]
            if below.index > 0:
                starts.append(("chain", FactPattern("reachable", below.id, False, 0)))
            for how, first in starts:
                for chosen in sets:
                    when = [first]
                    when += [FactPattern("possible", r.id, False, 0) for r in (*defining, *chosen)]
                    make(
                        f"ladder.reachable.{level.id}.{how}{suffix(level, chosen, len(sets) > 1)}",
                        ("reachable", level.id),
                        when,
                        "reachable",
                        level=level.id,
                        level_title=level.title,
                        below_title=below.title,
                        typical=typical_words(chosen),
                    )
        required = _required_fields()
        reads: dict[str, set] = defaultdict(set)
        for r in out:
            if r.concludes[0] == "possible":
                for p in r.section_patterns:
                    reads[r.concludes[1]].update((p.section, t.field) for t in p.tests.tests())
        for below, level in itertools.pairwise(levels):
            for req in level.requirements:
                fmt = {
                    "level": level.id,
                    "level_title": level.title,
                    "requirement": req.description,
                }
                make(
                    f"ladder.gap.{req.id}",
                    ("gap", req.id),
                    [
                        FactPattern("reached", below.id, False, 0),
                        FactPattern("possible", req.id, True, 0),
                    ],
                    "gap",
                    source=req.source,
                    **fmt,
                )
                if reads[req.id] <= required:
                    continue  # it reads only required fields: never unknown
                make(
                    f"ladder.unknown.{req.id}",
                    ("unknown", req.id),
                    [
                        FactPattern("reached", below.id, False, 0),
                        FactPattern("possible", req.id, False, 0),
                        FactPattern("met", req.id, True, 0),
                    ],
                    "unknown",
                    source=req.source,
                    **fmt,
                )
        return out

    def possible_rules(
        self, f: DataFile, templates: dict, usable: set, written: list[Rule], start: int
    ) -> list[Rule]:
        """`possible: X` for each requirement X: its rules with every test true on a
        field that is not given. Alternatives in one section become one rule."""
        by_concl: dict[Pred, list[Rule]] = defaultdict(list)
        for r in written:
            by_concl[r.concludes].append(r)
        t = templates["possible"]
        out: list[Rule] = []
        for level in self.k.levels[1:]:
            for req in level.requirements:
                alternatives: list[list[SectionPattern]] = []
                for r in by_concl.get(("met", req.id), ()):
                    alternatives.extend(self.relaxed(r, by_concl))
                if not alternatives:
                    continue  # K004 reports the requirement no rule meets
                sections = {tuple(p.section for p in alt) for alt in alternatives}
                if len(alternatives) > 1 and len(sections) == 1 and len(next(iter(sections))) == 1:
                    (section,) = next(iter(sections))
                    merged = Group("any", tuple(alt[0].tests for alt in alternatives))
                    alternatives = [[SectionPattern(section, Group("all", (merged,)), 0)]]
                because = (
                    t["because"].format(
                        level=level.id,
                        level_title=level.title,
                        requirement=req.description,
                        below_title="",
                        next_title="",
                        typical="",
                    )
                    if "possible" in usable
                    else t["because"]
                )
                for n, alt in enumerate(alternatives, 1):
                    tail = f".{n}" if len(alternatives) > 1 else ""
                    out.append(
                        Rule(
                            id=f"possible.{req.id}{tail}",
                            concludes=("possible", req.id),
                            when=tuple(alt),
                            because=because,
                            source=req.source,
                            file=f.display,
                            line=f.doc.line_of(("ladder", "possible")),
                            generated=True,
                            index=start + len(out),
                        )
                    )
        return out

    def relaxed(self, rule: Rule, by_concl: dict) -> list[list[SectionPattern]]:
        """``rule``'s conditions with every field test true on an unknown field, as
        alternatives (a signal with several rules gives several), each a list of
        section patterns."""
        alternatives: list[list[SectionPattern]] = [[]]
        for p in rule.when:
            if isinstance(p, SectionPattern):
                options = [[SectionPattern(p.section, _relax(p.tests), p.line)]]
            elif p.negated and rule.concludes[0] == "signal":
                continue  # dropped: a weaker condition, so `possible` only grows (safe)
            elif p.negated or p.kind != "signal":
                self.add(
                    p.line or rule.line,
                    "R107",
                    f"rule '{rule.id}' meets a requirement through "
                    f"{'not ' if p.negated else ''}{p.kind} '{p.id}'; a requirement may read "
                    "only profile fields and signals, so that pmpath can tell whether it could "
                    "hold when some fields are not given",
                    rule.file,
                )
                return []
            else:
                options = []
                for definition in by_concl.get(p.pred, ()):
                    options.extend(self.relaxed(definition, by_concl))
            alternatives = [alt + option for alt in alternatives for option in options]
        return alternatives

    # -- checks ----------------------------------------------------------------
    def check(self, rules: list[Rule]) -> None:
        k = self.k
        seen: dict[str, Rule] = {}
        concluded: set[Pred] = {r.concludes for r in rules}
        level_ids = set(k.level_by_id)
        valid_ids = {
            "met": set(k.requirements),
            "possible": set(k.requirements),
            "gap": set(k.requirements),
            "unknown": set(k.requirements),
            "reached": level_ids,
            "reachable": level_ids,
            "level": level_ids,
            "specialization": set(k.specializations),
            "shape": set(k.shapes),
            "path": set(k.entry_paths),
            "step": set(k.steps),
            "done": set(k.steps),
        }
        done_steps = {i for (kind, i) in concluded if kind == "done"}
        for r in rules:
            if r.id in seen:
                self.add(
                    r.line,
                    "R003",
                    f"duplicate rule id '{r.id}' (first at {seen[r.id].file}:{seen[r.id].line})",
                    r.file,
                )
            seen.setdefault(r.id, r)
            if r.source not in k.sources:
                self.add(
                    r.source_line or r.line,
                    "R002",
                    f"rule '{r.id}' cites unknown source '{r.source}'",
                    r.file,
                )
            kind, ident = r.concludes
            if kind in GENERATED_KINDS and not r.generated:
                self.add(
                    r.line,
                    "R004",
                    f"'{kind}' facts come only from the ladder; rule '{r.id}' cannot conclude one",
                    r.file,
                )
            if kind in valid_ids and ident not in valid_ids[kind]:
                self.add(
                    r.concludes_line or r.line,
                    "R002",
                    f"rule '{r.id}' concludes unknown {kind} '{ident}'",
                    r.file,
                )
            if kind == "implied":
                self.check_implied(r)
            elif r.value is not None:
                self.add(
                    r.line, "R001", f"rule '{r.id}': only an `implied` rule has a value", r.file
                )
            if r.priority is not None and r.priority < 0:
                self.add(
                    r.line,
                    "R103",
                    f"rule '{r.id}' has negative priority {r.priority}; durable_rules' "
                    "priority is unsigned, so it would run last, not first",
                    r.file,
                )
            if r.when and r.when[0].negated:
                self.add(
                    r.when[0].line or r.line,
                    "R102",
                    f"rule '{r.id}' starts with a negation, which durable_rules never fires; "
                    "put a positive condition first",
                    r.file,
                )
            for p in r.when:
                if isinstance(p, FactPattern):
                    if p.kind in valid_ids and p.id not in valid_ids[p.kind]:
                        self.add(p.line, "R002", f"unknown {p.kind} '{p.id}'", r.file)
                    elif p.kind in ("signal", "done") and p.pred not in concluded:
                        self.add(p.line, "R002", f"no rule concludes {p.kind} '{p.id}'", r.file)
                elif not r.generated:  # a generated rule's tests are copies, checked once
                    self.check_section(r, p)
            for j, case in enumerate(r.cases):
                base = case.get("extends")
                if base is not None and base not in self.profiles:
                    self.add(
                        r.case_lines[j],
                        "R002",
                        f"case extends unknown base profile '{base}'",
                        r.file,
                    )
            # Injected conditions (shown in traces like any other):
            if kind == "step" and ident in done_steps:  # never suggest what is done
                r.when = (*r.when, FactPattern("done", ident, True, 0, injected=True))
            if kind == "met" and ident in k.requirements:  # assess rungs bottom-up
                below = k.below(k.requirements[ident].level)
                if below is not None:
                    r.when = (*r.when, FactPattern("reached", below.id, False, 0, injected=True))
        self.stratify(rules)
        self.check_fanout(rules)
        self.check_coverage(rules)

    def check_implied(self, r: Rule) -> None:
        """An implication fills in one profile field from profile fields alone."""
        section, _, name = r.concludes[1].partition(".")
        fields = SECTION_FIELDS.get(section, ()) if section != "derived" else ()
        if name not in fields:
            self.add(
                r.concludes_line or r.line,
                "R002",
                f"rule '{r.id}' implies '{r.concludes[1]}', which is not a profile field",
                r.file,
            )
            return
        if r.value is None:
            self.add(r.line, "R001", f"rule '{r.id}' implies a field but gives no `value`", r.file)
            return

        schema = schemas.load("profile")["properties"][section]["properties"][name]
        self.check_type(r, section, FieldTest(name, "eq", r.value, None, r.line), schema)
        for p in r.when:
            if not isinstance(p, SectionPattern) or p.section == "derived":
                self.add(
                    p.line or r.line,
                    "R108",
                    f"rule '{r.id}': an implication reads profile fields only (it runs before "
                    "any other rule)",
                    r.file,
                )

    def check_section(self, r: Rule, p: SectionPattern) -> None:
        if p.section == "*":
            self.add(
                p.line,
                "R101",
                f"rule '{r.id}' has a pattern with no positive type test ('*'); durable_rules "
                "can match its own state fact with it and re-fire forever; name a fact type",
                r.file,
            )
            return
        fields = SECTION_FIELDS.get(p.section, ())

        props = (
            schemas.load("profile")["properties"][p.section]["properties"]
            if p.section != "derived"
            else DERIVED_SCHEMAS
        )
        for t in p.tests.tests():
            if t.field not in fields:
                self.add(
                    t.line,
                    "R007",
                    f"rule '{r.id}' reads '{p.section}.{t.field}', a field the profile schema "
                    "does not have (rules may only read profile and derived fields)",
                    r.file,
                )
                continue
            values = t.value if t.op == "in" else (t.value,)
            written = t.threshold is None and (r.file, t.line) in self._exponent_lines
            for v in values:
                if isinstance(v, float) and "e" in repr(v) and not written:
                    via = f" (threshold '{t.threshold}')" if t.threshold else ""
                    self.add(
                        t.line,
                        "R105",
                        f"value {v!r}{via} would reach durable_rules in exponent form, which "
                        "its parser rejects",
                        r.file,
                    )
            self.check_type(r, p.section, t, props.get(t.field))

    def check_type(self, r: Rule, section: str, t: FieldTest, schema: dict | None) -> None:
        if schema is None:
            return
        values = t.value if t.op == "in" else (t.value,)
        want = schema.get("type")
        for v in values:
            ok = True
            if "enum" in schema:
                ok = v in schema["enum"] and t.op in ("eq", "ne", "in")
            elif want == "boolean":
                ok = isinstance(v, bool) and t.op in ("eq", "ne")
            elif want in ("number", "integer"):
                ok = isinstance(v, int | float) and not isinstance(v, bool) and t.op != "in"
            elif want == "string":
                ok = isinstance(v, str) and t.op in ("eq", "ne", "in")
            if not ok:
                hazard = (
                    "it could never hold"
                    if "enum" in schema and t.op in ("eq", "in")
                    else "durable_rules would coerce it silently"
                )
                self.add(
                    t.line,
                    "R006",
                    f"rule '{r.id}': test '{t.op} {v!r}' does not fit {section}.{t.field} "
                    f"({_describe_schema(schema)}); {hazard}",
                    r.file,
                )
                return

    def stratify(self, rules: list[Rule]) -> None:
        """Give each rule the stratum its negations need (Datalog stratification)."""
        strata: dict[Pred, int] = defaultdict(int)
        limit = len(rules) + 1
        changed = True
        while changed:
            changed = False
            for r in rules:
                s = 0
                for p in r.fact_patterns:
                    s = max(s, strata[p.pred] + (1 if p.negated else 0))
                r.stratum = s
                if s > strata[r.concludes]:
                    strata[r.concludes] = s
                    changed = True
                    if s > limit:
                        self.add(
                            r.line,
                            "R106",
                            f"rule '{r.id}' depends on its own conclusion through a negation; "
                            "rules with `not` must not feed back into what they negate",
                            r.file,
                        )
                        return

    def check_fanout(self, rules: list[Rule]) -> None:
        """No fact may be matchable by more rules than durable_rules' stack holds."""
        by_fact: dict[tuple, list[Rule]] = defaultdict(list)
        for r in rules:
            if r.concludes[0] in ("implied", "possible"):
                continue  # never registered in durable (see pmpath.compiler.SILENT_KINDS)
            keys = set()
            for p in r.when:
                if isinstance(p, FactPattern):
                    keys.add((p.kind, p.id))
                else:  # every section is one flat profile fact in durable_rules
                    keys.add(("profile",))
            if r.negations:
                keys.add(("phase", r.stratum))
            for key in keys:
                by_fact[key].append(r)
        for key, matched in sorted(by_fact.items(), key=lambda kv: str(kv[0])):
            if len(matched) > MAX_RULES_PER_FACT:
                over = matched[MAX_RULES_PER_FACT]
                what = f"'{key[0]}' facts" if len(key) == 1 else f"the {key[0]} fact '{key[1]}'"
                self.add(
                    over.line,
                    "R104",
                    f"{len(matched)} rules can match {what} at once; durable_rules fails above "
                    f"{MAX_RULES_PER_FACT} (error 303); route some through a signal",
                    over.file,
                )

    def check_coverage(self, rules: list[Rule]) -> None:
        concluded = {r.concludes for r in rules}
        k = self.k
        for level in k.levels:
            for req in level.requirements:
                if ("met", req.id) not in concluded:
                    display, line = k.line(
                        "levels", ("levels", level.index, "requirements", req.index, "id")
                    )
                    self.add(
                        line,
                        "K004",
                        f"level '{level.id}' is unreachable: no rule concludes met '{req.id}'",
                        display,
                    )
        required = _required_fields()
        asked = set(k.questions)
        missing: dict[str, Rule] = {}
        for r in rules:
            if r.generated or r.concludes[0] not in ("met", "signal", "specialization"):
                continue
            for p in r.section_patterns:
                if p.section in ("derived", "*", "", "goals"):  # goals have defaults
                    continue
                for t in p.tests.tests():
                    dotted = f"{p.section}.{t.field}"
                    if t.field not in SECTION_FIELDS.get(p.section, ()):
                        continue  # R007 reports it
                    if (p.section, t.field) not in required and dotted not in asked:
                        missing.setdefault(dotted, r)
        if "questions" in k.files:
            display, line = k.line("questions", ("questions",))
            for dotted, r in sorted(missing.items()):
                self.add(
                    line,
                    "K013",
                    f"no question for '{dotted}', which rule '{r.id}' reads: add one to "
                    "questions.yaml so that pmpath can ask for it when it is not given",
                    display,
                )
        for step in k.steps.values():
            if ("step", step.id) not in concluded:
                display, line = k.line("steps", ("steps", step.index, "id"))
                self.add(line, "K005", f"no rule produces catalogue step '{step.id}'", display)


def _required_fields() -> set[tuple[str, str]]:
    """The (section, field) pairs every valid profile gives."""
    props = schemas.load("profile")["properties"]
    return {
        (name, field)
        for name in schemas.load("profile").get("required", ())
        if props[name].get("type") == "object"
        for field in props[name].get("required", ())
    }


def _relax(group: Group) -> Group:
    """``group`` with every test true when its field is not given."""
    return Group(
        group.mode,
        tuple(
            _relax(item) if isinstance(item, Group) else dataclasses.replace(item, absent=True)
            for item in group.items
        ),
    )


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
