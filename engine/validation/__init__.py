"""What ``pmpath validate`` checks, as a library call.

`validate()` loads knowledge and rules with every check (schemas, duplicate
ids, unknown references, coverage, durable_rules hazards), then, when they
are sound, compiles them into durable_rules and runs every rule's
side-by-side cases. Problems come back sorted, as data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pmpath.engine import Engine
from pmpath.errors import PmpathError, Problem
from pmpath.model import load_model
from pmpath.validation.cases import run_cases


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    knowledge_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        c = self.counts
        return (
            f"ok: {c['knowledge_files']} knowledge files, {c['rules_files']} rules files; "
            f"{c['levels']} levels, {c['requirements']} requirements, {c['steps']} steps, "
            f"{c['rules']} rules ({c['generated']} generated), {c['cases']} cases passed; "
            f"knowledge_version {self.knowledge_version[:12]}"
        )


def validate(
    knowledge: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    *,
    cases: bool = True,
) -> Report:
    model, problems = load_model(knowledge, rules)
    report = Report(problems=list(problems))
    if model is None:
        return report
    if cases:
        try:
            engine = Engine(model)
        except PmpathError as exc:
            report.problems.append(Problem(model.ruleset.files[0].display, 1, "E001", str(exc)))
            return report
        try:
            for result in run_cases(engine):
                if not result.ok:
                    report.problems.append(
                        Problem(
                            result.file,
                            result.line,
                            "R201",
                            f"case '{result.case}' of rule '{result.rule}': "
                            + "; ".join(result.failures),
                        )
                    )
        finally:
            engine.close()
    ruleset = model.ruleset
    report.problems.sort()
    report.knowledge_version = model.knowledge_version
    report.counts = {
        "knowledge_files": sum(1 for label, _ in model.files if label == "knowledge"),
        "rules_files": sum(1 for label, _ in model.files if label == "rules"),
        "levels": len(model.knowledge.levels),
        "requirements": len(model.knowledge.requirements),
        "steps": len(model.knowledge.steps),
        "rules": len(ruleset.rules),
        "generated": sum(1 for r in ruleset.rules if r.generated),
        "cases": sum(len(r.cases) for r in ruleset.rules) if cases else 0,
    }
    return report
