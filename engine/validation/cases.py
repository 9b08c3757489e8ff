"""Rule cases: the test cases kept beside each rule, as data.

A case names a profile (optionally ``extends`` a named base profile from a
``profiles:`` section), whether the rule must fire on it, and facts that must
or must not be concluded. `run_cases` checks them all against an engine, the
way ``opa test`` runs tests kept as data.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pmpath.errors import ProfileError
from pmpath.model.rules import Rule, RuleSet


@dataclass(frozen=True)
class CaseResult:
    rule: str
    case: str
    file: str
    line: int
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        status = "ok" if self.ok else "FAIL: " + "; ".join(self.failures)
        return f"{self.file}:{self.line}: {self.rule} / {self.case}: {status}"


def merge(base: dict, over: dict) -> dict:
    """``over`` merged into a copy of ``base``: mappings key by key, the rest replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def case_profile(case: dict, profiles: dict[str, dict]) -> dict:
    """The full profile of a case: base merged with overrides, required years filled."""
    base = profiles.get(case.get("extends", ""), {})
    own = case.get("profile", {})
    profile = merge(base, own)
    experience = profile.setdefault("experience", {})
    if not isinstance(experience, dict):
        return profile  # not a valid profile: running it reports why (R201)
    experience.setdefault("product_years", 0)
    if "total_years" not in own.get("experience", {}):
        experience["total_years"] = max(
            experience.get("total_years", 0),
            experience["product_years"],
            experience.get("people_management_years", 0),
        )
    return profile


def run_cases(engine, rules: list[Rule] | None = None) -> list[CaseResult]:
    """Run every case of every (or the given) rule through ``engine``."""
    ruleset: RuleSet = engine.model.ruleset
    results = []
    for rule in rules if rules is not None else ruleset.rules:
        for case, line in zip(rule.cases, rule.case_lines, strict=True):
            results.append(check_case(engine, rule, case, line, ruleset.profiles))
    return results


def check_case(engine, rule: Rule, case: dict, line: int, profiles: dict) -> CaseResult:
    failures = []
    try:
        rec = engine.recommend(case_profile(case, profiles))
    except ProfileError as exc:
        return CaseResult(rule.id, case["name"], rule.file, line, (f"invalid profile: {exc}",))
    fired = set(rec.fired)
    if (rule.id in fired) != case["fires"]:
        failures.append("expected the rule to " + ("fire" if case["fires"] else "not fire"))
    concluded = {c for r in rec.fired for c in [engine.model.ruleset.by_id[r].concludes]}
    for fact in case.get("concludes", ()):
        ((kind, ident),) = fact.items()
        if (kind, ident) not in concluded:
            failures.append(f"expected {kind} {ident} to be concluded")
    for fact in case.get("not_concludes", ()):
        ((kind, ident),) = fact.items()
        if (kind, ident) in concluded:
            failures.append(f"expected {kind} {ident} not to be concluded")
    return CaseResult(rule.id, case["name"], rule.file, line, tuple(failures))
