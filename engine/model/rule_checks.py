"""The checks of a parsed rule set: types and sections of every test, implied
facts, strata (no rule may read what a later stratum concludes), durable_rules'
fan-out limit, and that every requirement and step is reachable (R0xx, R1xx)."""

from __future__ import annotations

from collections import defaultdict

from pmpath.model.ladder import _required_fields
from pmpath.model.rules import (
    DERIVED_SCHEMAS,
    GENERATED_KINDS,
    MAX_RULES_PER_FACT,
    FactPattern,
    FieldTest,
    Pred,
    Rule,
    SectionPattern,
    _describe_schema,
)
from pmpath.profile.fields import SECTION_FIELDS
from pmpath.source import schemas


class _RuleChecks:
    """Methods of `_Builder` (see its module); they read the builder's indexes."""

    # -- checks ----------------------------------------------------------------
    def check(self, rules: list[Rule]) -> None:
        # Long on purpose: one pass over every rule, with the indexes of conclusions and readers
        # built as it goes; each check is a few lines of it.
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
        """No fact may wake more alpha nodes at once than durable_rules' stack holds.

        The rules compile in stages, one per stratum (`pmpath.inference.compiler`).
        In stage 0 the profile fact and each derived fact are facts of their own: at
        most ``MAX_RULES_PER_FACT`` rules may match one. A later stage reads the
        facts below as flags on its one fact, flags first: durable branches on the
        leading flag, so what can wait at once is one node per leading condition
        plus the rules behind one of them.
        """
        stratum_of = {r.concludes: r.stratum for r in rules}
        concluders: dict = defaultdict(list)
        for r in rules:
            concluders[r.concludes].append(r)
        by_fact: dict[tuple, list[Rule]] = defaultdict(list)
        leading: dict[int, dict[tuple, list[Rule]]] = defaultdict(lambda: defaultdict(list))
        for r in rules:
            if r.concludes[0] in ("implied", "possible"):
                continue  # never registered in durable (see pmpath.inference.compiler.SILENT_KINDS)
            keys = set()
            for p in r.when:
                if isinstance(p, FactPattern):
                    if r.stratum == 0 or stratum_of.get(p.pred, 0) == r.stratum:
                        keys.add((p.kind, p.id))
                elif r.stratum == 0:  # every section is one flat profile fact in durable_rules
                    keys.add(("profile",))
            for key in keys:
                by_fact[key].append(r)
            if r.stratum > 0:
                lead = _leading_flag(r.when, r.stratum, stratum_of, concluders) or ("rule", r.id)
                leading[r.stratum][lead].append(r)
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
        if self.problems:  # the estimate reads the strata of a ruleset otherwise sound
            return
        for stratum, groups in sorted(leading.items()):
            lead, behind = max(groups.items(), key=lambda kv: (len(kv[1]), str(kv[0])))
            waiting = len(groups) + len(behind)
            if waiting > MAX_RULES_PER_FACT:
                over = behind[-1]
                what = f"{lead[0]} '{lead[1]}'" if lead[0] != "rule" else "a field test"
                self.add(
                    over.line,
                    "R104",
                    f"{waiting} alpha nodes can wait at once on the stage-{stratum} fact "
                    f"({len(groups)} leading conditions, {len(behind)} rules behind {what}); "
                    f"durable_rules fails above {MAX_RULES_PER_FACT} (error 303); route some "
                    "through a signal",
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


def _leading_flag(
    when: tuple, stratum: int, stratum_of: dict, concluders: dict, depth: int = 0
) -> Pred | None:
    """The fact a rule of a later stage is compiled to test first: its first positive
    condition on a fact of a stratum below, looking into a fact of its own stratum
    that one rule concludes; None when it has none. It follows the compiler's choices
    (`pmpath.inference.compiler`: a `possible` fact is inlined, never a flag, as is a
    fact of one concluder but for the ladder's chain, its KEPT_KINDS), which this
    layer cannot import."""
    for p in when:
        if not isinstance(p, FactPattern) or p.negated or p.kind == "possible":
            continue
        if stratum_of.get(p.pred, 0) < stratum:
            return p.pred
        rules = concluders.get(p.pred, ())
        if depth < 8 and len(rules) == 1 and p.kind not in ("reached", "reachable"):
            found = _leading_flag(rules[0].when, stratum, stratum_of, concluders, depth + 1)
            if found is not None:
                return found
    return None
