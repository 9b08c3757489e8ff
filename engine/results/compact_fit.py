"""Fit output v1 as compact JSON, fast: `fit_json`.

``json.dumps(fit.to_dict(), ensure_ascii=False, separators=(",", ":"))`` builds
and encodes about 12 KB per candidate, most of it text that is the same for
every candidate: each requirement's id, description and source, each rule's
reason, each condition's words. `fit_json` writes the rungs (more than half of
the answer) straight to text, from fragments encoded once per model and kept
(`_FitCodec`), and encodes only what differs per candidate: whether each
condition held, the values it read, the one-line why. The other members are
kept as text too, each for what it depends on (the role's block per role and
specialization, the candidate's level, specialization and shape blocks per
level, role, specialization and shape, a score breakdown per breakdown), each
made once by ``json.dumps`` of what `Fit.to_dict` says; the candidate's
evidence lists are output v1's own (`evidence_json`). The text is byte-identical
to the one above (``tests/results/test_serialization.py`` holds it so on odd
profiles).
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from pmpath.model.memo import keep, keep_for, memo
from pmpath.results.compact import _dumps, _scalar_json, evidence_json

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.explain.why import ConditionCheck, RuleCheck
    from pmpath.results.fit import Fit, RequirementCheck, RungCheck


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
        #: what every fit of the model starts with, up to the profile's block
        self.top: str | None = None
        #: (role, title, kwan level, kwan name, specialization) -> the role's block
        self.roles: dict[tuple, str] = {}
        #: (level, role, specialization, shape) -> the candidate block around its three
        #: evidence lists
        self.candidates: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}
        #: a shared score breakdown's text, by identity (the entry holds the object)
        self.breakdowns: dict[int, tuple[Any, str]] = {}

    def start(self, fit: Fit) -> str:
        if self.top is None:
            members = fit._members(evidence=False)
            self.top = (
                f'{{"schema_version":{_dumps(members["schema_version"])}'
                f',"knowledge_version":{_dumps(members["knowledge_version"])},"profile":'
            )
        return self.top

    def role(self, fit: Fit) -> str:
        key = (
            fit.role,
            fit.role_title,
            fit.role_kwan_level,
            fit.role_kwan_name,
            fit.specialization,
        )
        text = self.roles.get(key)
        if text is None:
            text = keep(self.roles, key, _dumps(fit._members(evidence=False)["role"]), _TEXTS_KEPT)
        return text

    def candidate(self, fit: Fit) -> tuple[str, str, str]:
        rec = fit.recommendation
        key = (rec.level, fit.role, rec.specialization, rec.shape)
        parts = self.candidates.get(key)
        if parts is None:
            candidate = fit._members(evidence=False)["candidate"]
            level, spec, shape = candidate["level"], candidate["specialization"], candidate["shape"]
            parts = keep(
                self.candidates,
                key,
                (
                    f'{{"level":{_dumps(level)[:-1]},"evidence":',
                    f'}},"relation":{_dumps(candidate["relation"])}'
                    f',"specialization":{_dumps(spec)[:-1]},"evidence":',
                    f'}},"shape":{_dumps(shape)[:-1]},"evidence":',
                ),
                _TEXTS_KEPT,
            )
        return parts

    def breakdown(self, breakdown: Any) -> str:
        return keep_for(
            self.breakdowns, breakdown, lambda: _dumps(breakdown.to_dict()), _TEXTS_KEPT
        )

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
        # values: its text is kept with it
        return keep_for(self.texts, req, lambda: self._requirement(req), _TEXTS_KEPT)

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
    return "".join(fit_pieces(fit))


def fit_pieces(fit: Fit) -> tuple[str, str, str]:
    """`fit_json`'s text in three parts that join into it: before the score
    breakdown, the breakdown, after it. The breakdown's formula has a character
    beyond Latin-1 ("→"): apart, the two larger parts stay one byte a character,
    so they join and encode (a batch record encodes each part on its own) without
    Python widening every character of the fit to two bytes."""
    rec = fit.recommendation
    codec = memo(rec.model, "fit-json", _FitCodec)
    profile = rec.profile
    match = fit.specialization_match
    level_part, spec_part, shape_part = codec.candidate(fit)
    before = "".join(
        [
            codec.start(fit),
            '{"id":',
            _scalar_json(profile.get("id")),
            ',"name":',
            _scalar_json(profile.get("name")),
            '},"role":',
            codec.role(fit),
            ',"score":',
            _scalar_json(fit.score),
            ',"score_if_confirmed":',
            _scalar_json(fit.score_if_confirmed),
            ',"score_breakdown":',
        ]
    )
    after = "".join(
        [
            ',"meets_all":',
            "true" if fit.meets_all else "false",
            ',"summary":',
            encode_basestring(fit.summary),
            ',"rungs":[',
            ",".join([codec.rung(r) for r in fit.rungs]),
            '],"candidate":',
            level_part,
            evidence_json(rec, ("level", rec.level)),
            spec_part,
            evidence_json(rec, ("specialization", rec.specialization)),
            shape_part,
            evidence_json(rec, ("shape", rec.shape)),
            '}},"specialization_match":',
            "null" if match is None else _dumps(match.to_dict()),
            ',"warnings":[',
            ",".join([encode_basestring(w) for w in fit.warnings]),
            "]}",
        ]
    )
    return before, codec.breakdown(fit.breakdown), after


__all__ = ["fit_json", "fit_pieces"]
