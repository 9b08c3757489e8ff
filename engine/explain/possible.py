"""Whether a requirement could still hold on what is known: its ``possible``
rules (the ``met`` rules with every test relaxed to "or not given"),
compiled once per model and evaluated on a profile's sections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmpath.inference.reference import compile_conditions
from pmpath.model.memo import memo

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model


def _predicates(model: Model) -> tuple[dict, dict, list]:
    """Per model, compiled once: requirement id -> predicates of its `met` rules and of
    its `possible` rules, and the step rules that answer a gap, in rule order."""
    return memo(model, "predicates", _build_predicates)


def _build_predicates(model: Model) -> tuple[dict, dict, list]:
    ruleset = model.ruleset
    met: dict[str, list] = {}
    possible: dict[str, list] = {}
    for rule in ruleset.rules:
        kind, ident = rule.concludes
        if kind == "met":
            met.setdefault(ident, []).append(compile_conditions(rule.when))
        elif kind == "possible":
            possible.setdefault(ident, []).append(compile_conditions(rule.when))
    steps = [
        (rule, compile_conditions(rule.when))
        for rule in ruleset.rules
        if rule.concludes[0] == "step" and rule.gap is not None
    ]
    return met, possible, steps


def could_hold(model: Model, requirement: str, facts: dict) -> bool:
    """Whether a `possible` rule of ``requirement`` holds on ``facts`` (sections): no
    known fact rules the requirement out. (They read profile fields only.)"""
    return any(holds(facts, frozenset()) for holds in _predicates(model)[1].get(requirement, ()))
