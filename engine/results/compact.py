"""Output v1 as JSON, fast: per-model templates of every part's fixed text,
filled per recommendation, byte-identical to ``json.dumps`` of ``to_dict()``.
"""

from __future__ import annotations

import functools
import json
import math
import re
import weakref
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from pmpath.model.memo import exactly, keep, memo
from pmpath.model.rules import FactPattern, Pred, Rule
from pmpath.results.advice import (
    _far_rung,
    _is_tenure,
    fired_places,
    not_given,
    rank_steps,
)

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.results.recommendation import Recommendation


# -- the compact JSON fast path -------------------------------------------------------
#
# Output v1 is ~10 KB of JSON, and most of it is fixed text: titles, descriptions,
# reasons, sources, keys. Only the evidence items' ``facts``, the profile's id and
# name and the warnings read the profile's values; the rest depends on which rules
# fired, and each part on a few of them only:
#
# - the level block on the fired rules in the *level cone* (the rules a level fact can
#   rest on: reached, met, signals...), the specialization block (with the shape) on
#   those in its cone, the path on those in its cone;
# - the next level's gaps on the level and the gap rules fired; the next steps on the
#   level and the step rules fired;
# - the trace on every fired rule, each rule's evidence item being fixed text around
#   its facts.
#
# So a few hundred cached texts serve any number of profiles (a candidate pool fires
# thousands of distinct rule sets, but a few dozen distinct sets within each cone).
# Every cached text is made by the part's own builder (`Recommendation._level_block`
# and friends, shared with `to_dict`) run through `json.dumps`, with placeholders where
# per-profile text goes, so the two paths cannot drift; tests/results/test_serialization.py
# holds them byte-identical over many profiles.

_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
#: where `_CompactCodec.render` leaves the text of a recommendation's evidence (the
#: level id, its items joined, the specialization part, its items), for fit's compact
#: JSON
EVIDENCE_JSON = "_evidence_json"
_CACHE_MAX = 4096  # texts kept per kind of part before that cache starts afresh
#: lists of steps kept (as their items) before that cache starts afresh: 20,000
#: generated pool profiles have about 5,000 lists, 50,000 coherent careers about 8,000
_STEPS_KEPT = 16384


def _scalar_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` for the scalars facts hold, faster."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and value == value and value not in (math.inf, -math.inf):
        return float.__repr__(value)
    return _dumps(value)  # anything else: exactly what json.dumps says


class _Hole:
    """A placeholder for text that each profile brings."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


_HOLE = _Hole("list")
#: a section a profile does not have (read only)
_NO_FACTS: dict = {}


def _split(value: Any) -> list[str]:
    """The JSON text of ``value`` around its holes: n holes give n + 1 strings."""
    segments: list = [""]

    def walk(v: Any) -> None:
        if isinstance(v, _Hole):
            segments.append(v)
            segments.append("")
        elif isinstance(v, dict):
            segments[-1] += "{"
            for i, (key, item) in enumerate(v.items()):
                segments[-1] += ("," if i else "") + _dumps(key) + ":"
                walk(item)
            segments[-1] += "}"
        elif isinstance(v, list | tuple):
            segments[-1] += "["
            for i, item in enumerate(v):
                if i:
                    segments[-1] += ","
                walk(item)
            segments[-1] += "]"
        else:
            segments[-1] += _dumps(v)

    walk(value)
    return [s for s in segments if not isinstance(s, _Hole)]


class _RuleEvidence:
    """One rule's evidence item: fixed text around the ``facts`` the rule read."""

    __slots__ = ("constant", "fields", "head", "one", "texts")

    def __init__(self, rule: Rule):
        # what `Recommendation.facts_read` reads, in its key order (a key read
        # twice keeps its first place and its last value)
        reads: dict[str, tuple] = {}
        for p in rule.when:
            if isinstance(p, FactPattern):
                reads[f"{p.kind}:{p.id}"] = (None, _dumps(not p.negated))
                continue
            for t in p.tests.tests():
                reads[f"{p.section}.{t.field}"] = (p.section, t.field)
        head = {"rule": rule.id, "because": rule.because, "source": rule.source, "facts": {}}
        self.head = _dumps(head)[:-3] + "{"  # up to the facts' opening brace
        #: (text before the value, section or None, field) per key; for a
        #: constant the text is the whole "key":value pair
        fields = []
        for i, (key, (section, name)) in enumerate(reads.items()):
            lead = ("," if i else "") + _dumps(key) + ":"
            fields.append((lead + name, None, None) if section is None else (lead, section, name))
        self.fields = tuple(fields)
        variable = [f for f in fields if f[1] is not None]
        self.constant = None
        #: (text up to the value, section, field, text after) when it read exactly one
        self.one = None
        #: its text per value, when it read one (keyed by `exactly`: 1, 1.0 and True
        #: are one dict key but three texts)
        self.texts: dict[Any, str] = {}
        if not variable:  # the whole text: the rule read no profile value (facts by id)
            self.constant = self.render({}, {})
        if len(variable) == 1:
            i = fields.index(variable[0])
            before = self.head + "".join(f[0] for f in fields[:i]) + variable[0][0]
            after = "".join(f[0] for f in fields[i + 1 :]) + "}}"
            self.one = (before, variable[0][1], variable[0][2], after)

    def render(self, profile: dict, derived: dict) -> str:
        if self.constant is not None:
            return self.constant
        if self.one is not None:
            before, section, name, after = self.one
            fact = derived if section == "derived" else profile.get(section, _NO_FACTS)
            value = fact.get(name)
            try:  # kept per value (`exactly`: 1, 1.0 and True are one dict key)
                key = exactly(value)
                text = self.texts.get(key)
            except TypeError:  # an unhashable value: not kept
                return before + _scalar_json(value) + after
            if text is None:
                text = keep(self.texts, key, before + _scalar_json(value) + after, _CACHE_MAX)
            return text
        parts = [self.head]
        for lead, section, name in self.fields:
            if section is None:
                parts.append(lead)
            else:
                fact = derived if section == "derived" else profile.get(section, _NO_FACTS)
                parts.append(lead + _scalar_json(fact.get(name)))
        parts.append("}}")
        return "".join(parts)


class _Waits:
    """JSON text with a hole wherever a requirement's time to go goes: the next level
    and the steps are the same text for every profile with the same gaps, whatever
    its years, but for the time to go ("about 1.6 more years in product")."""

    __slots__ = ("parts",)
    _MARK = re.compile(r"<<pmpath-time-to-go:([^<>]+)>>")

    def __init__(self, parts: list[str]):
        #: text, requirement, text, requirement, ..., text
        self.parts = parts

    @classmethod
    def made(
        cls, rec: Recommendation, waits: dict[str, str | None], build: Callable[[], str]
    ) -> str | _Waits | None:
        """``build()``'s text with a hole for each time to go in ``waits`` (the ones in
        the cache key); None if it read another one (then it is not to be kept)."""
        real = rec.time_to_go
        others = []

        def marked(requirement: str) -> str | None:
            if requirement in waits:
                if waits[requirement] is None:
                    return None
                return f"<<pmpath-time-to-go:{requirement}>>"
            wait = real(requirement)
            if wait is not None:
                others.append(requirement)
            return wait

        rec.time_to_go = marked  # the builders call it; the instance's, for this build only
        try:
            text = build()
        finally:
            del rec.time_to_go
        if others:
            return None
        parts = cls._MARK.split(text)
        return text if len(parts) == 1 else cls(parts)

    @classmethod
    def joined(cls, pieces: list[str | _Waits], head: str, tail: str) -> _Waits:
        """``head``, the pieces comma-separated, ``tail``, as text with holes (some
        piece has some)."""
        parts: list[str] = []
        texts = [head]  # the text since the last hole
        for i, piece in enumerate(pieces):
            if i:
                texts.append(",")
            if piece.__class__ is str:
                texts.append(piece)
            else:
                texts.append(piece.parts[0])
                parts.append("".join(texts))
                parts.extend(piece.parts[1:-1])
                texts = [piece.parts[-1]]
        texts.append(tail)
        parts.append("".join(texts))
        return cls(parts)

    def fill(self, waits: dict[str, str | None]) -> str:
        parts = self.parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(encode_basestring(waits[parts[i]])[1:-1])  # inside a JSON string
            out.append(parts[i + 1])
        return "".join(out)


#: where the level block's evidence goes in its kept text
_EVIDENCE = "<<pmpath-evidence>>"


class _LevelPart:
    #: besides the block's text (``made``: with `_EVIDENCE` where its evidence goes,
    #: and a hole for each time to go, see `_Waits`): the conclusions that follow from
    #: the same fired rules (the level, the rungs not ruled out, the statuses of the
    #: requirements assessed), which the rest of output v1 reads; and the questions'
    #: text per set of fields not given (`not_given`), all they read besides those
    __slots__ = (
        "gaps",
        "items",
        "level",
        "made",
        "next_level",
        "possible",
        "questions",
        "strengthen",
        "unknown",
    )

    def text(self, waits: dict[str, str | None], evidence: str) -> str:
        """The block's JSON text with ``evidence`` (its items' text) and the time to go
        of each of ``waits``."""
        made = self.made
        before, _, after = (made if made.__class__ is str else made.fill(waits)).partition(
            _EVIDENCE
        )
        return before + evidence + after


class _SpecPart:
    #: items: the specialization's evidence, then the shape's (``own`` of them its own)
    __slots__ = ("after", "before", "items", "own", "shape", "specialization")


class _PathPart:
    __slots__ = ("items", "path", "text")


class _CompactCodec:
    """The cached JSON text of one model's output parts (see above)."""

    def __init__(self, model: Model):
        self.model_ref = weakref.ref(model)
        rules = model.ruleset.rules
        self.order = model.rule_order
        #: rule id -> the facts it rests on (its positive fact patterns)
        self.premises: dict[str, tuple[Pred, ...]] = {
            r.id: tuple(p.pred for p in r.fact_patterns if not p.negated) for r in rules
        }
        evidence = [_RuleEvidence(r) for r in rules]
        #: per rule, in rule order: its evidence text, or what renders it with a profile
        self.items = [e.constant if e.constant is not None else e for e in evidence]

        def concluding(*kinds: str) -> list[Pred]:
            return [r.concludes for r in rules if r.concludes[0] in kinds]

        self.level_cone = self._cone(concluding("level"))
        reach = frozenset(i for i, r in enumerate(rules) if r.concludes[0] == "reachable")
        self.spec_cone = self._cone(concluding("specialization", "shape"))
        self.path_cone = self._cone(concluding("path"))
        self.gap_rules = frozenset(
            i for i, r in enumerate(rules) if r.concludes[0] in ("gap", "unknown")
        )
        #: what the level block depends on: its support, the rungs not ruled out, and
        #: the statuses of the placed rung's typical requirements
        self.level_key = self.level_cone | reach | self.gap_rules
        #: place of a `ladder.gap` rule of a requirement of years -> the requirement
        #: (its time to go reads the profile: see `Recommendation.time_to_go`)
        self.tenure_gaps = {
            i: r.concludes[1]
            for i, r in enumerate(rules)
            if r.concludes[0] == "gap" and _is_tenure(model, r.concludes[1])
        }
        self.tenure_places = frozenset(self.tenure_gaps)
        #: place of a step rule -> the step it suggests; and -> the requirement of the
        #: gap it answers, if any
        self.step_of = {i: r.concludes[1] for i, r in enumerate(rules) if r.concludes[0] == "step"}
        self.gap_of = {i: rules[i].gap for i in self.step_of}
        self.priority_of = {i: rules[i].urgency for i in self.step_of}
        self.step_rules = frozenset(self.step_of)
        self._top: tuple[str, ...] | None = None
        self._levels: dict[frozenset, _LevelPart] = {}
        self._specs: dict[frozenset, _SpecPart] = {}
        self._paths: dict[frozenset, _PathPart] = {}
        self._next: dict[tuple, str | _Waits] = {}
        self._steps: dict[tuple, tuple[str, ...] | _Waits] = {}
        #: the path to a target: the next rung's gaps, and each rung above it
        self._target_gaps: dict[tuple, str | _Waits] = {}
        self._far: dict[tuple, str | _Waits] = {}
        levels = model.knowledge.levels
        #: level -> a rung of the path to a target, up to its gaps
        self._rung_heads = {
            lv.id: f'{{"id":{_dumps(lv.id)},"title":{_dumps(lv.title)},"gaps":' for lv in levels
        }
        #: level -> the path to it as a target, up to its rungs
        self._target_heads = {
            lv.id: f'{{"id":{_dumps(lv.id)},"title":{_dumps(lv.title)},"rungs":[' for lv in levels
        }
        #: level -> its requirements of years (whose time to go its gaps may show)
        self._tenure = {
            lv.id: tuple(r.id for r in lv.requirements if _is_tenure(model, r.id)) for lv in levels
        }
        self._step_items: dict[tuple, str] = {}
        #: the questions' text per (level, possible, unknown, strengthen), then per set
        #: of fields not given (see `_LevelPart`)
        self._question_texts: dict[tuple, dict[tuple, str]] = {}

    def _cone(self, preds: list[Pred]) -> frozenset[int]:
        """Places (in rule order) of every rule that ``preds`` may rest on, transitively."""
        model = self.model_ref()
        concluders = model.ruleset.concluders
        found: set[int] = set()
        seen: set[Pred] = set()
        stack = list(preds)
        while stack:
            pred = stack.pop()
            if pred in seen:
                continue
            seen.add(pred)
            for rule in concluders.get(pred, ()):
                found.add(self.order[rule.id])
                stack.extend(self.premises[rule.id])
        return frozenset(found)

    #: output v1's parts, in the order `Recommendation._assemble` puts them
    _PARTS = (
        "profile",
        "level",
        "next_level",
        "path",
        "path_evidence",
        "specialization",
        "next_steps",
        "trace",
        "warnings",
        "questions",
        "target",
    )

    def _top_texts(self, rec: Recommendation) -> tuple[str, ...]:
        """The top level of output v1 around its parts: the text before the first part,
        then the text after each (`_PARTS`)."""
        if self._top is None:
            skeleton = rec._assemble(**{name: _Hole(name) for name in self._PARTS})
            order = tuple(v.name for v in skeleton.values() if isinstance(v, _Hole))
            if order != self._PARTS:  # pragma: no cover - a new part must be added here
                raise AssertionError(f"output v1's parts are {order}, not {self._PARTS}")
            self._top = tuple(_split(skeleton))
        return self._top

    def render(self, rec: Recommendation) -> str:
        return "".join(self.pieces(rec))

    def pieces(self, rec: Recommendation) -> tuple[str, ...]:
        """Output v1's compact JSON as texts to be joined (`render`)."""
        found = fired_places(rec.model, rec.fired)
        fired = frozenset(found)
        places = sorted(found)
        # the time to go of a years gap reads the profile's years: part of the level
        # block's key; the next level and the steps keep a hole for it (`_Waits`)
        waits = {
            self.tenure_gaps[place]: rec.time_to_go(self.tenure_gaps[place])
            for place in sorted(fired & self.tenure_places)
        }
        # the level block shows the time to go of its rung's years gaps: kept with a
        # hole for each (`_Waits`), so it is the same part whatever the years
        level_key = (
            fired & self.level_key,
            tuple(req for req, wait in waits.items() if wait is not None),
        )
        level = self._levels.get(level_key)
        spec = self._specs.get(fired & self.spec_cone)
        path = self._paths.get(fired & self.path_cone)
        if level is None or spec is None or path is None:
            # the same order of checks as to_dict: an inconsistent ruleset fails alike
            rec.level, rec.specialization, rec.path, rec.shape  # noqa: B018
            if level is None:
                level = self._level_part(rec, level_key, waits)
            if spec is None:
                spec = self._spec_part(rec, fired & self.spec_cone)
            if path is None:
                path = self._path_part(rec, fired & self.path_cone)
        level_id = level.level
        shown = level_key[1]
        next_text = self._text(
            self._next,
            (level_id, fired & self.gap_rules),
            rec,
            waits,
            lambda: _dumps(rec._next_level_block()),
            shown,
        )
        # steps read the specialization too (a step in a specialist's own terms)
        specialization = spec.specialization
        # the step rules' places as a sorted tuple, not a set: a pool keeps thousands
        # of these keys, and a small frozenset takes six times the memory
        steps_key = (level_id, tuple(sorted(fired & self.step_rules)), specialization, shown)
        steps = self._steps.get(steps_key)
        if steps is None:
            steps = self._steps_part(rec, places, level_id, specialization, waits, steps_key)
        steps_text = "[" + ",".join(steps) + "]" if steps.__class__ is tuple else steps.fill(waits)
        # the conclusions (warnings() needs some) follow from the fired rules alone
        rec.settle(
            level_id, level.next_level, level.possible, level.unknown, level.gaps, level.strengthen
        )
        state = rec.__dict__
        state.setdefault("specialization", spec.specialization)
        state.setdefault("shape", spec.shape)
        state.setdefault("path", path.path)

        profile, derived = rec.profile, rec.derived
        items = self.items
        rendered: dict[_RuleEvidence, str] = {}
        trace = []
        for place in places:
            item = items[place]
            if item.__class__ is not str:  # a rule that read profile values
                rendered[item] = item = item.render(profile, derived)
            trace.append(item)
        level_evidence = ",".join([i if i.__class__ is str else rendered[i] for i in level.items])
        spec_evidence = [i if i.__class__ is str else rendered[i] for i in spec.items]
        # the same lists are the evidence of a fit's candidate (`compact_fit`): left on
        # the recommendation (see `evidence_json`)
        state[EVIDENCE_JSON] = (level_id, level_evidence, spec, spec_evidence)
        top = self._top_texts(rec)
        return (
            top[0],
            '{"id":',
            _scalar_json(profile.get("id")),
            ',"name":',
            _scalar_json(profile.get("name")),
            "}",
            top[1],
            level.text(waits, level_evidence),
            top[2],
            next_text,
            top[3],
            path.text,
            top[4],
            "[",
            ",".join([i if i.__class__ is str else rendered[i] for i in path.items]),
            "]",
            top[5],
            spec.before,
            ",".join(spec_evidence),
            spec.after,
            top[6],
            steps_text,
            top[7],
            "[",
            ",".join(trace),
            "]",
            top[8],
            "[",
            ",".join(map(_scalar_json, rec.warnings())),
            "]",
            top[9],
            self._questions_text(rec, level) if self._may_ask(rec, level_id) else "[]",
            top[10],
            "null"
            if rec.target is None
            else self._target_text(rec, level_id, fired, waits, shown, steps_text),
            top[11],
        )

    def _target_text(
        self,
        rec: Recommendation,
        level_id: str,
        fired: frozenset,
        waits: dict[str, str | None],
        shown: tuple,
        steps_text: str,
    ) -> str:
        """The rungs up to the target, each kept for what it reads, with a hole for each
        time to go: the next rung as the next level's gaps (the fired gap rules) and
        the next steps (``steps_text``, already made); a rung above it for its own
        decisions (`Recommendation._far_rungs`), whoever the candidate."""
        k = rec.model.knowledge
        by_id = rec.model.ruleset.by_id
        # the next rung's gaps read the time to go of its gaps of years, each in
        # ``waits`` (a gap rule that fired)
        gaps = self._text(
            self._target_gaps,
            (level_id, fired & self.gap_rules),
            rec,
            waits,
            lambda: _dumps([rec._requirement_item(r) for r in rec.gaps]),
            shown,
        )
        rungs = [f'{self._rung_heads[rec.next_level]}{gaps},"steps":{steps_text}}}']
        for rung_id, open_reqs, chosen in rec._far_rungs:
            level = k.level_by_id[rung_id]
            rungs.append(
                self._text(
                    self._far,
                    (rung_id, open_reqs, chosen),
                    rec,
                    self._rung_waits(rec, rung_id),
                    lambda: _dumps(_far_rung(rec, level, open_reqs, chosen, by_id)),  # noqa: B023
                )
            )
        return self._target_heads[rec.target] + ",".join(rungs) + "]}"

    def _rung_waits(self, rec: Recommendation, level_id: str) -> dict[str, str | None]:
        """The time to go of each requirement of years of a rung (what its gaps may show)."""
        return {req: rec.time_to_go(req) for req in self._tenure[level_id]}

    def _questions_text(self, rec: Recommendation, level: _LevelPart) -> str:
        """The questions' text, kept with the level part per set of fields not given:
        what the questions read (`pmpath.results.advice._find_questions`) besides the
        level's conclusions and the knowledge."""
        kept = level.questions
        key = not_given(rec.model, rec.profile)
        text = kept.get(key)
        if text is None:
            text = keep(kept, key, _dumps(rec.questions), _CACHE_MAX)
        return text

    def _may_ask(self, rec: Recommendation, level_id: str) -> bool:
        """False when no question can arise: placed, every gap known, work given."""
        if rec.certainty != "placed" or rec.unknown:
            return True
        work = rec.profile["work"]
        return level_id != "aspiring" and len(work) < 4

    # -- the parts, built once per key from the first profile that needs them -------
    def _evidence(self, rules: list[Rule]) -> tuple:
        return tuple(self.items[self.order[r.id]] for r in rules)

    def _level_part(
        self, rec: Recommendation, key: tuple, waits: dict[str, str | None]
    ) -> _LevelPart:
        part = _LevelPart()
        part.level, part.next_level = rec.level, rec.next_level
        part.possible, part.unknown = rec.possible, rec.unknown
        part.gaps, part.strengthen = tuple(rec.gaps), tuple(rec.strengthen)
        # shared by the level parts that conclude what the questions read
        part.questions = self._question_texts.setdefault(
            (part.level, part.possible, part.unknown, part.strengthen), {}
        )
        part.items = self._evidence(rec.support(("level", rec.level)))

        def build() -> str:
            before, after = _split(rec._level_block(_HOLE))
            return before + "[" + _EVIDENCE + "]" + after

        made = _Waits.made(rec, waits, build)
        if made is None:  # it read a time to go outside ``waits``: this profile's alone
            part.made = build()
            return part
        part.made = made
        return keep(self._levels, key, part, _CACHE_MAX)

    def _spec_part(self, rec: Recommendation, key: frozenset) -> _SpecPart:
        part = _SpecPart()
        part.specialization, part.shape = rec.specialization, rec.shape
        before, after = _split(rec._specialization_block(_HOLE))
        part.before, part.after = before + "[", "]" + after
        own = rec.support(("specialization", rec.specialization))
        part.items = self._evidence(own + rec.support(("shape", rec.shape)))
        part.own = len(own)
        return keep(self._specs, key, part, _CACHE_MAX)

    def _path_part(self, rec: Recommendation, key: frozenset) -> _PathPart:
        part = _PathPart()
        part.path = rec.path
        part.text = _dumps(rec.path)
        part.items = self._evidence(rec.support(("path", rec.path))) if rec.path else ()
        return keep(self._paths, key, part, _CACHE_MAX)

    def _steps_part(
        self,
        rec: Recommendation,
        places: list[int],
        level_id: str,
        specialization: str,
        waits: dict[str, str | None],
        key: tuple,
    ) -> tuple[str, ...] | _Waits:
        """The next steps: their items' texts to join, or text with a hole for each time
        to go (`_Waits`); kept under ``key`` unless an item read a time to go outside
        ``waits``. Each item's text is kept on its own too (a list of steps is often new
        when its items are not). ``places``: the fired rules' places in rule order."""
        step_of, gap_of, items = self.step_of, self.gap_of, self._step_items
        priority_of = self.priority_of
        by_step: dict[str, list[int]] = {}
        first: dict[str, int] = {}  # step -> the most urgent priority of its rules
        for place in places:
            step_id = step_of.get(place)
            if step_id is not None:
                by_step.setdefault(step_id, []).append(place)
                priority = priority_of[place]
                first[step_id] = min(first.get(step_id, priority), priority)
        order = rank_steps(self.model_ref(), first)
        pieces: list[str | _Waits] = []
        own = False  # an item read a time to go outside ``waits``: not to be kept
        for step_id in order:
            ps = tuple(by_step[step_id])
            # what an item reads besides its step: the rules that suggested it (its why),
            # the level (where it leads), the specialization (in your terms) and the
            # time to go of the gaps of years it answers (a hole: see `_Waits`)
            holes = tuple([gap_of[p] for p in ps if waits.get(gap_of[p])])
            item_key = (step_id, ps, level_id, specialization, holes)
            item = items.get(item_key)
            if item is None:
                build = lambda: _dumps(rec._step_item(step_id))  # noqa: B023, E731
                item = _Waits.made(rec, waits, build)
                if item is None:
                    own, item = True, build()
                else:
                    keep(items, item_key, item, _CACHE_MAX)
            pieces.append(item)
        # without a hole, the items themselves (kept and shared), joined per profile: a
        # pool has many lists, so many are kept, each small
        made = (
            tuple(pieces)
            if all(piece.__class__ is str for piece in pieces)
            else _Waits.joined(pieces, "[", "]")
        )
        return made if own else keep(self._steps, key, made, _STEPS_KEPT)

    def _text(
        self,
        cache: dict,
        key: Any,
        rec: Recommendation,
        waits: dict[str, str | None],
        build: Callable[[], str],
        shown: tuple | None = None,
    ) -> str:
        """``build()``'s text for ``rec``: kept under ``key`` plus which of the ``waits``
        are shown (``shown``, if already known), with a hole for each, and filled with
        ``rec``'s own; made afresh and not kept if it reads a time to go outside them."""
        if shown is None:
            shown = tuple(req for req, wait in waits.items() if wait is not None)
        key = (key, shown)
        text = cache.get(key)
        if text is None:
            made = _Waits.made(rec, waits, build)
            if made is None:
                return build()
            text = keep(cache, key, made, _CACHE_MAX)
        return text if text.__class__ is str else text.fill(waits)


def evidence_json(rec: Recommendation, pred: Pred) -> str:
    """The JSON list of the evidence ``pred`` rests on: the text `_CompactCodec.render`
    left on ``rec`` if it wrote output v1 already, else made from the kept items."""
    made = rec.__dict__.get(EVIDENCE_JSON)
    if made is not None:
        level_id, level_evidence, spec, spec_evidence = made
        if pred == ("level", level_id):
            return "[" + level_evidence + "]"
        if pred == ("specialization", spec.specialization):
            return "[" + ",".join(spec_evidence[: spec.own]) + "]"
        if pred == ("shape", spec.shape):
            return "[" + ",".join(spec_evidence[spec.own :]) + "]"
    codec = _codec_for(rec.model)
    texts = []
    for rule in rec.support(pred):
        item = codec.items[codec.order[rule.id]]
        texts.append(item if item.__class__ is str else item.render(rec.profile, rec.derived))
    return "[" + ",".join(texts) + "]"


def _codec_for(model: Model) -> _CompactCodec:
    """The model's codec (kept on the model, dropped with it; never pickled)."""
    return memo(model, "compact-codec", _CompactCodec)


def _short(requirement: str) -> str:
    """``senior_pm.launch-record`` -> "launch record": the requirement, named briefly."""
    return requirement.split(".", 1)[1].replace("-", " ")
