"""Facts that imply others: `implied` rules fill in fields a profile leaves unknown.

``scope.pm_reports: 0`` means nobody manages PMs for this person, so no manager
of PMs reports to them either (``scope.managers_reporting: 0``). Such rules are
written like any other (``concludes: {implied: scope.managers_reporting}``,
``value: 0``, conditions on profile fields only) and checked like any other,
with cases. They run before inference, to a fixpoint, and only ever fill in a
field that was not given: a given value is never overridden (plausibility
warnings speak about contradictions). The fields they fill are then known to
both the durable_rules driver and the reference evaluator, and the rules that
filled them head the trace. No implication reads a title: `current_title`
never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmpath.inference.reference import compile_conditions
from pmpath.model.rules import RuleSet

#: the derived facts an implication's conditions see: none (they read profile fields
#: only), one shared empty set rather than a new one per check
_NO_FACTS: frozenset = frozenset()


@dataclass(frozen=True)
class _Implication:
    rule: str
    section: str
    field: str
    value: object
    holds: object  # (sections, derived) -> bool


class Implications:
    """The `implied` rules of a ruleset, prepared once, applied to many profiles."""

    def __init__(self, ruleset: RuleSet):
        self._rules = tuple(
            _Implication(r.id, *r.concludes[1].split(".", 1), r.value, compile_conditions(r.when))
            for r in ruleset.rules
            if r.concludes[0] == "implied"
        )

    def apply(self, profile: dict) -> tuple[dict, tuple[str, ...]]:
        """``profile`` (normalised) with implied fields filled in, and the rules that did it.

        The profile is not changed; a section that gains a field is copied.
        """
        if not self._rules:
            return profile, ()
        fired: list[str] = []
        out = profile
        changed = True
        while changed:
            changed = False
            for imp in self._rules:
                section = out[imp.section]
                if section.get(imp.field) is not None or imp.rule in fired:
                    continue
                if imp.holds(out, _NO_FACTS):
                    if out is profile:
                        out = dict(profile)
                    out[imp.section] = {**section, imp.field: imp.value}
                    fired.append(imp.rule)
                    changed = True
        return out, tuple(fired)
