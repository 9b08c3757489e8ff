"""Fit output v1 as compact JSON, fast: `fit_json`.

``json.dumps(fit.to_dict(), ensure_ascii=False, separators=(",", ":"))`` builds
and encodes about 12 KB per candidate, most of it text that is the same for
every candidate: each requirement's id, description and source, each rule's
reason, each condition's words. `fit_json` writes the rungs (more than half of
the answer) straight to text, from fragments encoded once per model and kept
(`_FitCodec`), and encodes only what differs per candidate: whether each
condition held, the values it read, the one-line why. Everything else goes
through ``json.dumps`` as before. The text is byte-identical to the one above
(``tests/results/test_serialization.py`` holds it so on odd profiles).
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from pmpath.model.memo import keep, memo
from pmpath.results.compact import _dumps, _scalar_json, evidence_json

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.explain.why import ConditionCheck, RuleCheck
    from pmpath.results.fit import Fit, RequirementCheck, RungCheck

#: fit output v1's members, in order: those before the rungs, and those after
_BEFORE = (
    "schema_version",
    "knowledge_version",
    "profile",
    "role",
    "score",
    "score_if_confirmed",
    "score_breakdown",
    "meets_all",
    "summary",
)


def _head(fixed: tuple[tuple[str, Any], ...], then: str) -> str:
    """``{"k":v,...,"then":``: an object's fixed members, encoded, up to its first
    member that differs per candidate."""
    members = "".join(f",{encode_basestring(k)}:{_scalar_json(v)}" for k, v in fixed)
    return "{" + members[1:] + f',"{then}":'


#: requirement texts kept per model before that cache starts afresh
_TEXTS_KEPT = 8192


class _FitCodec:
    """Encoded fragments, kept per model: texts that do not change between candidates."""

    def __init__(self, model: Any = None):
        self.rules: dict[tuple[str, str, str], str] = {}
        self.conditions: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.requirements: dict[tuple[str, str, str, str], str] = {}
        self.rungs: dict[tuple[str, str, int], str] = {}
        self.texts: dict[int, tuple[RequirementCheck, str]] = {}

    def rule(self, check: RuleCheck) -> str:
        key = (check.rule, check.because, check.source)
        head = self.rules.get(key)
        if head is None:
            fixed = (("rule", check.rule), ("because", check.because), ("source", check.source))
            head = self.rules[key] = _head(fixed, "holds")
        conditions = ",".join([self.condition(c) for c in check.conditions])
        return f'{head}{"true" if check.holds else "false"},"conditions":[{conditions}]}}'

    def condition(self, check: ConditionCheck) -> str:
        head = self.conditions.get(check.condition)
        if head is None:
            head = self.conditions[check.condition] = _head(
                (("condition", check.condition),), "holds"
            )
        keys = self.keys
        values = []
        for name, value in check.values.items():
            key = keys.get(name)
            if key is None:
                key = keys[name] = encode_basestring(name) + ":"
            values.append(key + _scalar_json(value))
        text = f'{head}{"true" if check.holds else "false"},"values":{{{",".join(values)}}}'
        if check.via:
            text += ',"via":[' + ",".join([self.rule(r) for r in check.via]) + "]"
        return text + "}"

    def requirement(self, req: RequirementCheck) -> str:
        # a check kept by `assess` is one object shared by every fit with the same
        # values: its text is kept with it (by identity; the entry holds the object)
        kept = self.texts.get(id(req))
        if kept is not None and kept[0] is req:
            return kept[1]
        return keep(self.texts, id(req), (req, self._requirement(req)), _TEXTS_KEPT)[1]

    def _requirement(self, req: RequirementCheck) -> str:
        key = (req.id, req.level, req.description, req.source)
        head = self.requirements.get(key)
        if head is None:
            fixed = tuple(zip(("id", "level", "description", "source"), key, strict=True))
            head = self.requirements[key] = _head(fixed, "met")
        return (
            f'{head}{"true" if req.met else "false"},"status":{encode_basestring(req.status)}'
            f',"cross_checked":{"true" if req.cross_checked else "false"}'
            f',"why":{encode_basestring(req.why)}'
            f',"evidence":[{",".join([self.rule(r) for r in req.rules])}]}}'
        )

    def rung(self, rung: RungCheck) -> str:
        key = (rung.level, rung.title, rung.kwan_level)
        head = self.rungs.get(key)
        if head is None:
            fixed = tuple(zip(("level", "title", "kwan_level"), key, strict=True))
            head = self.rungs[key] = _head(fixed, "met")
        requirements = ",".join([self.requirement(r) for r in rung.requirements])
        return (
            f'{head}{rung.met},"unknown":{rung.unknown},"total":{rung.total}'
            f',"requirements":[{requirements}]}}'
        )


def fit_json(fit: Fit) -> str:
    """Fit output v1 as compact JSON, byte-identical to ``json.dumps`` of ``to_dict()``."""
    rec = fit.recommendation
    codec = memo(rec.model, "fit-json", _FitCodec)
    members = fit._members(evidence=False)
    before = {k: members[k] for k in _BEFORE}
    candidate = members["candidate"]
    after = {k: v for k, v in members.items() if k not in before and k != "candidate"}
    rungs = ",".join([codec.rung(r) for r in fit.rungs])

    level, spec, shape = candidate["level"], candidate["specialization"], candidate["shape"]
    # each part's evidence is its last member: the part without it, then the list
    candidate_text = (
        f'{{"level":{_dumps(level)[:-1]},"evidence":{evidence_json(rec, ("level", level["id"]))}}}'
        f',"relation":{_dumps(candidate["relation"])}'
        f',"specialization":{_dumps(spec)[:-1]}'
        f',"evidence":{evidence_json(rec, ("specialization", spec["id"]))}}}'
        f',"shape":{_dumps(shape)[:-1]},"evidence":{evidence_json(rec, ("shape", shape["id"]))}}}}}'
    )
    return (
        f'{_dumps(before)[:-1]},"rungs":[{rungs}],"candidate":{candidate_text},{_dumps(after)[1:]}'
    )


__all__ = ["fit_json"]
