"""Turning the rules that fired into a `Recommendation` (output v1, spec section 4).

Assembly is shared by the durable_rules driver and the reference evaluator,
so a recommendation depends only on which rules fired. Every part of the
output is traced: the level and specialization carry the rules that support
them (transitively), each step names the rules that suggested it, and the
trace lists every fired rule with the facts it read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import EngineError
from .ruleset import FactPattern, Pred, Rule

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Model

SCHEMA_VERSION = 1
NO_PRIORITY = 1000


@dataclass
class Recommendation:
    """Where a profile stands and what to do next. ``to_dict()`` is output v1."""

    model: Model = field(repr=False)
    profile: dict = field(repr=False)  # normalised
    derived: dict = field(repr=False)
    fired: tuple[str, ...]

    # -- the conclusions --------------------------------------------------------
    @cached_property
    def _rules(self) -> list[Rule]:
        seen = set(self.fired)
        return [r for r in self.model.ruleset.rules if r.id in seen] if seen else []

    @cached_property
    def _concluded(self) -> dict[Pred, list[Rule]]:
        out: dict[Pred, list[Rule]] = {}
        for rule in self._rules:
            out.setdefault(rule.concludes, []).append(rule)
        return out

    def _ids(self, kind: str) -> list[str]:
        return [ident for (k, ident) in self._concluded if k == kind]

    def _one(self, kind: str, required: bool = True) -> str | None:
        ids = self._ids(kind)
        if len(ids) > 1 or (required and not ids):
            raise EngineError(
                f"the rules concluded {len(ids)} {kind} facts ({', '.join(ids) or 'none'}); "
                "exactly one was expected: the ruleset is inconsistent"
            )
        return ids[0] if ids else None

    @cached_property
    def level(self) -> str:
        return self._one("level")

    @cached_property
    def next_level(self) -> str | None:
        nxt = self.model.knowledge.next_level(self.level)
        return nxt.id if nxt else None

    @property
    def kwan_level(self) -> int:
        return self.model.knowledge.level_by_id[self.level].kwan_level

    @cached_property
    def specialization(self) -> str:
        return self._one("specialization")

    @cached_property
    def shape(self) -> str:
        return self._one("shape")

    @cached_property
    def path(self) -> str | None:
        return self._one("path", required=False)

    @cached_property
    def gaps(self) -> list[str]:
        """Unmet requirements of the next rung, in the order knowledge lists them."""
        reqs = self.model.knowledge.requirements
        return sorted(self._ids("gap"), key=lambda r: (reqs[r].level, reqs[r].index))

    @cached_property
    def steps(self) -> list[str]:
        """Suggested step ids, what matters first."""
        steps = self.model.knowledge.steps
        by_step: dict[str, int] = {}
        for (kind, ident), rules in self._concluded.items():
            if kind == "step":
                by_step[ident] = min(
                    r.priority if r.priority is not None else NO_PRIORITY for r in rules
                )
        return sorted(by_step, key=lambda s: (by_step[s], steps[s].index))

    # -- explanation ----------------------------------------------------------------
    def facts_read(self, rule: Rule) -> dict[str, Any]:
        """The facts a fired rule looked at, and their values."""
        out: dict[str, Any] = {}
        for p in rule.when:
            if isinstance(p, FactPattern):
                out[f"{p.kind}:{p.id}"] = not p.negated
                continue
            fact = self.derived if p.section == "derived" else self.profile.get(p.section, {})
            for t in p.tests.tests():
                out[f"{p.section}.{t.field}"] = fact.get(t.field)
        return out

    def _evidence_item(self, rule: Rule) -> dict:
        return {
            "rule": rule.id,
            "because": rule.because,
            "source": rule.source,
            "facts": self.facts_read(rule),
        }

    def support(self, pred: Pred) -> list[Rule]:
        """Every fired rule that ``pred`` rests on, transitively, in rule order."""
        found: dict[str, Rule] = {}
        stack = [pred]
        while stack:
            for rule in self._concluded.get(stack.pop(), ()):
                if rule.id not in found:
                    found[rule.id] = rule
                    stack.extend(p.pred for p in rule.fact_patterns if not p.negated)
        order = self.model.rule_order
        return sorted(found.values(), key=lambda r: order[r.id])

    def why(self, step_id: str) -> tuple[str, list[Rule]]:
        k = self.model.knowledge
        rules = self._concluded[("step", step_id)]
        parts = []
        for rule in rules:
            gap = rule.gap
            if gap is not None:
                req = k.requirements[gap]
                title = k.level_by_id[req.level].title
                parts.append(f"Missing for {title}: {req.description} {rule.because}")
            else:
                parts.append(rule.because)
        return " Also: ".join(dict.fromkeys(parts)), rules

    def leads_to(self, step_id: str) -> str | None:
        k = self.model.knowledge
        target = k.steps[step_id].leads_to
        here = k.level_by_id[self.level].index
        if target != "any":
            for level_id in target:
                if k.level_by_id[level_id].index > here:
                    return level_id
        return self.next_level

    def warnings(self) -> list[str]:
        k = self.model.knowledge
        out = []
        goals = self.profile["goals"]
        here = k.level_by_id[self.level]
        target = goals.get("target", "next")
        if target != "next" and target in k.level_by_id:
            wanted = k.level_by_id[target]
            if wanted.index <= here.index:
                out.append(
                    f"goals.target is {target}, but the profile already stands at {here.id}; "
                    "the next rung is shown instead."
                )
            elif wanted.index > here.index + 1:
                out.append(
                    f"goals.target is {target}, {wanted.index - here.index} rungs up; the gaps "
                    f"and steps cover the next rung ({self.next_level}) first."
                )
        if self.level != "aspiring" and goals.get("path", "either") != "either":
            out.append("goals.path applies only to people not yet in product; it was not used.")
        work_total = self.derived["work_total_years"]
        product_years = self.profile["experience"]["product_years"]
        if work_total > product_years + 1e-9:
            out.append(
                f"work.* adds up to {_num(work_total)} years but experience.product_years is "
                f"{_num(product_years)}; the specialization uses the work figures as given."
            )
        if not self.profile["strengths"]:
            out.append(
                "No strengths are rated, so no skill steps are suggested; rate strengths.* "
                "from 1 to 5 to get them."
            )
        return out

    # -- output v1 ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The recommendation as output v1 (spec section 4), plain JSON types only."""
        k = self.model.knowledge
        level = k.level_by_id[self.level]
        nxt = k.next_level(self.level)
        spec = k.specializations[self.specialization]
        out: dict = {
            "schema_version": SCHEMA_VERSION,
            "knowledge_version": self.model.knowledge_version,
            "profile": {"id": self.profile.get("id"), "name": self.profile.get("name")},
            "level": {
                "id": level.id,
                "title": level.title,
                "kwan_level": level.kwan_level,
                "kwan_name": level.kwan_name,
                "evidence": [self._evidence_item(r) for r in self.support(("level", level.id))],
            },
            "next_level": None,
            "path": self.path,
            "path_evidence": (
                [self._evidence_item(r) for r in self.support(("path", self.path))]
                if self.path
                else []
            ),
            "specialization": {
                "id": spec["id"],
                "title": spec["title"],
                "work_type": spec["work_type"],
                "shape": self.shape,
                "evidence": [
                    self._evidence_item(r)
                    for r in self.support(("specialization", spec["id"]))
                    + self.support(("shape", self.shape))
                ],
            },
            "next_steps": [],
            "trace": [self._evidence_item(r) for r in self._rules],
            "warnings": self.warnings(),
        }
        if nxt is not None:
            out["next_level"] = {
                "id": nxt.id,
                "title": nxt.title,
                "kwan_level": nxt.kwan_level,
                "kwan_name": nxt.kwan_name,
                "gaps": [
                    {
                        "requirement": r,
                        "description": k.requirements[r].description,
                        "source": k.requirements[r].source,
                        "rule": f"ladder.gap.{r}",
                    }
                    for r in self.gaps
                ],
            }
        for step_id in self.steps:
            step = k.steps[step_id]
            why, rules = self.why(step_id)
            out["next_steps"].append(
                {
                    "id": step.id,
                    "title": step.title,
                    "description": step.description,
                    "why": why,
                    "leads_to": self.leads_to(step_id),
                    "source": step.source,
                    "rules": [r.id for r in rules],
                    "answers": [r.gap for r in rules if r.gap],
                }
            )
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """Output v1 as JSON text: byte-identical for the same profile and knowledge."""
        if indent is None:
            return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
