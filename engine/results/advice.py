"""Advice that reads the whole model: the questions that would settle an unknown
rung, how long until a tenure requirement holds, and the rungs and steps up
to a target. Each plan is built once per model (`pmpath.model.memo`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from pmpath.explain.possible import _predicates, could_hold
from pmpath.inference.reference import compile_test
from pmpath.model.memo import keep, memo, new_dict
from pmpath.model.rules import FactPattern, Rule
from pmpath.profile.fields import sections

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.results.recommendation import Recommendation


# -- questions ---------------------------------------------------------------------


def _question_plan(model: Model) -> tuple:
    """Per requirement, the profile fields its rules read (signals followed), in rule
    order; the fields the specialization reads; the questions' order; the rungs' index.
    Built once per model."""
    return memo(model, "questions", _build_question_plan)


def _build_question_plan(model: Model) -> tuple:
    ruleset = model.ruleset

    def reads(rule: Rule, seen: frozenset = frozenset()) -> list[str]:
        out: list[str] = []
        for p in rule.when:
            if isinstance(p, FactPattern):
                if p.kind == "signal" and p.pred not in seen:
                    for r in ruleset.concluders.get(p.pred, ()):
                        out += reads(r, seen | {p.pred})
            elif p.section not in ("derived", "*", ""):
                out += [f"{p.section}.{t.field}" for t in p.tests.tests()]
        return out

    by_req: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        if rule.concludes[0] == "met":
            by_req.setdefault(rule.concludes[1], []).extend(reads(rule))

    def split(dotted: str) -> tuple[str, str, str]:
        section, _, name = dotted.partition(".")
        return dotted, section, name

    fields = {req: tuple(map(split, dict.fromkeys(f))) for req, f in by_req.items()}
    work = tuple(
        split(f"work.{kind}") for kind in ("feature", "growth", "scaling", "pmf_expansion")
    )
    k = model.knowledge
    order = {f: i for i, f in enumerate(k.questions)}
    index = {lv.id: lv.index for lv in k.levels}
    return fields, work, order, index


def fired_places(model: Model, fired: Iterable[str]) -> set[int]:
    """The places in rule order of the rules that fired (an id no rule has, none in
    practice, is left out)."""
    places = set(map(model.rule_order.get, fired))
    places.discard(None)
    return places


def order_steps(model: Model, rules_by_step: Mapping[str, Iterable[Rule]]) -> list[str]:
    """Step ids, what matters first: by the most urgent priority among the rules that
    suggested each, then in knowledge order."""
    return rank_steps(
        model,
        {step: min(r.urgency for r in rules) for step, rules in rules_by_step.items()},
    )


def rank_steps(model: Model, first: Mapping[str, int]) -> list[str]:
    """The step ids of ``first`` (step id -> the most urgent priority among the rules
    that suggested it) in `order_steps`' order."""
    steps = model.knowledge.steps
    return sorted(first, key=lambda s: (first[s], steps[s].index))


#: sets of questions kept per model before that memo starts afresh
QUESTIONS_KEPT = 8192


def _find_questions(
    model: Model,
    profile: dict,
    level_id: str,
    possible: str,
    unknown: frozenset[str],
    strengthen: list[str],
) -> tuple[tuple[str, dict], ...]:
    """The fields the questions ask, most decisive first, each with the rungs it
    settles and what it changes (`_questions_for` puts them in words), from the
    conclusions they read and the profile (which fields are not given).

    Kept per model for each set of what they read (the conclusions, and which of
    the fields a question can ask are not given): the entries are shared, read them
    only."""
    kept = memo(model, "questions-found", _new_questions_memo)[0]
    key = (level_id, possible, unknown, tuple(strengthen), not_given(model, profile))
    found = kept.get(key)
    if found is None:
        found = keep(
            kept,
            key,
            tuple(_work_out_questions(model, profile, level_id, possible, unknown, strengthen)),
            QUESTIONS_KEPT,
        )
    return found


def not_given(model: Model, profile: dict) -> tuple[bool, ...]:
    """Which of the fields a question can ask about the profile does not give: with
    the conclusions, all that the questions read of it (`_find_questions`)."""
    asked = memo(model, "questions-found", _new_questions_memo)[1]
    return tuple([profile[section].get(name) is None for section, name in asked])


def _new_questions_memo(model: Model) -> tuple[dict, tuple[tuple[str, str], ...]]:
    """An empty memo, and every (section, field) a question can ask about."""
    fields_of, work_fields, _, _ = _question_plan(model)
    asked = {(s, n): None for fields in fields_of.values() for _, s, n in fields}
    asked.update({(s, n): None for _, s, n in work_fields})
    return {}, tuple(asked)


def _work_out_questions(
    model: Model,
    profile: dict,
    level_id: str,
    possible: str,
    unknown: frozenset[str],
    strengthen: list[str],
) -> list[tuple[str, dict]]:
    k = model.knowledge
    fields_of, work_fields, order, index = _question_plan(model)
    here = k.level_by_id[level_id].index
    top = k.level_by_id[possible].index
    found: dict[str, dict] = {}  # field -> what it could change

    def entry(dotted: str) -> dict:
        item = found.get(dotted)
        if item is None:
            item = found[dotted] = {"settles": [], "changes": set()}
        return item

    # the next rung's requirements whose status is unknown, then every rung up to
    # the highest one not ruled out: their fields not given decide them
    for level in k.levels[here + 1 : max(top, here + 1) + 1]:
        nxt = level.index == here + 1
        for req in level.requirements:
            if nxt and req.id not in unknown:
                continue
            for dotted, section, name in fields_of.get(req.id, ()):
                if profile[section].get(name) is not None:
                    continue
                item = entry(dotted)
                if level.index <= top:
                    if level.id not in item["settles"]:
                        item["settles"].append(level.id)
                    item["changes"].add("level")
                else:
                    item["changes"].add("gaps")
                if nxt:
                    item["changes"].add("gaps")
    for req_id in strengthen:
        if req_id in unknown:
            for dotted, section, name in fields_of.get(req_id, ()):
                if profile[section].get(name) is None:
                    entry(dotted)["changes"].add("gaps")
    if level_id != "aspiring":
        for dotted, section, name in work_fields:
            if profile[section].get(name) is None:
                entry(dotted)["changes"].add("specialization")

    def decisive(item: tuple[str, dict]) -> tuple:
        dotted, entry = item
        settles = entry["settles"]
        lowest = min((index[s] for s in settles), default=99)
        return (lowest, -len(settles), "level" not in entry["changes"], order.get(dotted, 999))

    return sorted(found.items(), key=decisive)


def _questions_for(rec: Recommendation) -> list[dict]:
    k = rec.model.knowledge
    out = []
    for dotted, entry in rec._questions_found:
        asked = k.questions.get(dotted)
        out.append(
            {
                "field": dotted,
                "question": asked["question"] if asked else f"What is your {dotted}?",
                "settles": list(entry["settles"]),  # the entry is shared
                "changes": [
                    c for c in ("level", "gaps", "specialization") if c in entry["changes"]
                ],
                "source": asked["source"] if asked else "productplan",
            }
        )
    return out


# -- tenure and the rungs up to a target -------------------------------------------

_YEARS_WORDS = {
    "product_years": "in product",
    "total_years": "of work",
    "people_management_years": "managing people",
}


def _years_rules(model: Model, requirement: str) -> list[Rule]:
    """The `met` rules of ``requirement`` that test years of experience only (found
    once per model)."""
    return memo(model, "years", _build_years_rules).get(requirement, [])


def _build_years_rules(model: Model) -> dict[str, list[Rule]]:
    return {req: _find_years_rules(model, req) for req in model.knowledge.requirements}


def _find_years_rules(model: Model, requirement: str) -> list[Rule]:
    out = []
    for rule in model.ruleset.concluders.get(("met", requirement), ()):
        tests = [t for p in rule.section_patterns for t in p.tests.tests()]
        sections = {p.section for p in rule.section_patterns}
        if (
            tests
            and sections == {"experience"}
            and all(t.op in ("gte", "gt") and t.field in _YEARS_WORDS for t in tests)
        ):
            out.append(rule)
    return out


def _is_tenure(model: Model, requirement: str) -> bool:
    return bool(_years_rules(model, requirement))


def _years_tests(model: Model) -> dict[str, tuple]:
    """Requirement -> per `met` rule of years only, its tests as (field, years)."""
    return {
        req: tuple(
            tuple((t.field, t.value) for p in rule.section_patterns for t in p.tests.tests())
            for rule in _years_rules(model, req)
        )
        for req in model.knowledge.requirements
    }


def _time_to_go(rec: Recommendation, requirement: str) -> str | None:
    best: tuple[float, str] | None = None
    experience = rec.profile["experience"]
    for tests in memo(rec.model, "years-tests", _years_tests).get(requirement, ()):
        needs = []
        for field, years in tests:
            actual = experience.get(field)
            if actual is None:
                break
            needs.append((max(years - actual, 0), field))
        else:
            need, field = max(needs)
            if need > 0 and (best is None or need < best[0]):
                best = (need, field)
    if best is None:
        return None
    return _years_to_go(*best)


@functools.lru_cache(maxsize=4096)
def _years_to_go(need: float, field: str) -> str:
    """ "about 1.6 more years in product": ``need`` years to go of ``field``."""
    amount = f"{need:.1f}".rstrip("0").rstrip(".")
    unit = "year" if amount == "1" else "years"
    return f"about {amount} more {unit} {_YEARS_WORDS[field]}"


def _path_to_target(rec: Recommendation) -> list[dict]:
    k = rec.model.knowledge
    by_id = rec.model.ruleset.by_id
    gaps = [rec._requirement_item(r) for r in rec.gaps]
    steps = [rec._step_item(s) for s in rec.steps]
    out = [_rung(k.level_by_id[rec.next_level], gaps, steps)]
    for rung_id, open_reqs, chosen in rec._far_rungs:
        out.append(_far_rung(rec, k.level_by_id[rung_id], open_reqs, chosen, by_id))
    return out


def _rung(level, gaps: list, steps: list) -> dict:
    """One rung of the path to a target, as output v1 shows it."""
    return {"id": level.id, "title": level.title, "gaps": gaps, "steps": steps}


def _far_rung(rec: Recommendation, level, open_reqs: tuple, chosen: tuple, by_id: dict) -> dict:
    """A rung above the next one, from its decisions (see `_far_decisions`)."""
    gaps = [rec._requirement_item(req, status) for req, status in open_reqs]
    steps = [_far_step_item(rec, step, [by_id[r] for r in rules]) for step, rules in chosen]
    return _rung(level, gaps, steps)


def _far_decisions(rec: Recommendation) -> tuple:
    """Per rung above the next one (the one above the placed rung), up to the target:
    (its id, its requirements not met as (id, status), its steps as (step id, ids of
    the rules that chose it)). The rungs' text follows from these, the level, the next
    rung's gaps and steps, the specialization and the time to go of each gap of years
    (`_CompactCodec` keeps it so). The rules did not assess these rungs: their
    requirements are checked here.

    Kept per model for what the checks read (`_far_plan`), twice over: by the values
    of the fields they test and the rules concluding the facts they read that fired
    (cheap to look up, but many), and by the result of every field test and whether
    each fact they read was concluded (dear to look up, but a pool's profiles share a
    few hundred)."""
    k = rec.model.knowledge
    here = k.level_by_id[rec.level].index
    top = k.level_by_id[rec.target].index
    plan = _far_plan(rec.model, here, top)
    if plan is None:
        facts = sections(rec.profile, rec.derived)
        known = {*rec.concluded_facts(), *_reached(rec.model)}
        return _work_out_far_decisions(rec, facts, known, here, top)
    profile, derived = rec.profile, rec.derived
    values: list = []
    for section, names in plan.groups:
        values.extend(map((derived if section == "derived" else profile[section]).get, names))
    fired = plan.concluders.intersection(rec.fired)
    key = (here, top, tuple(values), fired)
    kept = memo(rec.model, "far-by-values", new_dict)
    found = kept.get(key)
    if found is None:
        found = keep(kept, key, _far_decided(rec, plan, here, top, values, fired), FAR_KEPT)
    return found


def _far_decided(
    rec: Recommendation, plan: _FarPlan, here: int, top: int, values: list, fired: frozenset
) -> tuple:
    """`_far_decisions` kept by what decides them: each field test's result (worked
    out per field and value, kept with the plan) and whether each fact read was
    concluded (assumed, or one of its ``fired`` concluders fired)."""
    results = []
    for value, (name, tests), kept in zip(values, plan.tests, plan.results, strict=True):
        # values equal as Python compares them pass the same tests (1, 1.0, True)
        found = kept.get(value)
        if found is None:
            fact = {name: value}
            found = keep(kept, value, tuple([test(fact) for test in tests]), FAR_KEPT)
        results.append(found)
    decided = (
        here,
        top,
        tuple(results),
        tuple([by is None or not by.isdisjoint(fired) for by in plan.preds_by]),
    )
    decisions = memo(rec.model, "far-decisions", new_dict)
    found = decisions.get(decided)
    if found is None:
        facts = sections(rec.profile, rec.derived)
        known = {*rec.concluded_facts(), *_reached(rec.model)}
        found = keep(
            decisions, decided, _work_out_far_decisions(rec, facts, known, here, top), FAR_KEPT
        )
    return found


#: sets of far decisions kept per model before that memo starts afresh
FAR_KEPT = 4096


class _FarPlan:
    """What the far decisions from one rung to another read (`_make_far_plan`)."""

    __slots__ = ("concluders", "groups", "preds_by", "results", "tests")

    #: groups: (section, its fields tested) in order; tests: per field in that order,
    #: (its name, its compiled tests); results: per field, a value -> its tests'
    #: results; preds_by: per fact the rules read, the ids of the rules concluding
    #: it, or None for a fact taken as concluded (every rung reached: `_reached`);
    #: concluders: all those ids


def _far_plan(model: Model, here: int, top: int) -> _FarPlan | None:
    """What the far decisions from rung ``here`` to rung ``top`` read; None when a rule
    reads any section (``*``: then they are not kept)."""
    plans = memo(model, "far-plans", new_dict)
    try:
        return plans[here, top]
    except KeyError:
        return plans.setdefault((here, top), _make_far_plan(model, here, top))


def _make_far_plan(model: Model, here: int, top: int) -> _FarPlan | None:
    ruleset = model.ruleset
    reqs = {
        req.id for level in model.knowledge.levels[here + 2 : top + 1] for req in level.requirements
    }
    rules = [
        rule
        for rule in ruleset.rules
        if (rule.concludes[0] in ("met", "possible") and rule.concludes[1] in reqs)
        or (rule.concludes[0] == "step" and rule.gap in reqs)
    ]
    tests: dict[str, dict[str, dict[tuple, Callable]]] = {}  # section -> field -> tests
    preds: set = set()
    for rule in rules:
        for p in rule.when:
            if isinstance(p, FactPattern):
                preds.add(p.pred)
            elif p.section == "*":
                return None
            else:
                for t in p.tests.tests():
                    same = (t.op, repr(t.value), t.absent)
                    field = tests.setdefault(p.section, {}).setdefault(t.field, {})
                    field.setdefault(same, compile_test(t))
    plan = _FarPlan()
    plan.groups = tuple((section, tuple(fields)) for section, fields in tests.items())
    plan.tests = tuple(
        (name, tuple(found.values())) for fields in tests.values() for name, found in fields.items()
    )
    plan.results = tuple({} for _ in plan.tests)
    # a rung reached is assumed: whether its rules fired is beside the point
    assumed = set(_reached(model))
    plan.preds_by = tuple(
        None if pred in assumed else frozenset(r.id for r in ruleset.concluders.get(pred, ()))
        for pred in sorted(preds)
    )
    plan.concluders = frozenset().union(*(by for by in plan.preds_by if by is not None))
    return plan


def _work_out_far_decisions(
    rec: Recommendation, facts: dict, known: set, here: int, top: int
) -> tuple:
    k = rec.model.knowledge
    met_of = _predicates(rec.model)[0]
    out = []
    for level in k.levels[here + 2 : top + 1]:
        open_reqs, unmet = [], set()
        for req in level.requirements:
            if any(holds(facts, known) for holds in met_of.get(req.id, ())):
                continue
            status = "unknown" if could_hold(rec.model, req.id, facts) else "unmet"
            if status == "unmet":
                unmet.add(req.id)
            open_reqs.append((req.id, status))
        out.append((level.id, tuple(open_reqs), _far_steps(rec, facts, known, unmet)))
    return tuple(out)


def _reached(model: Model) -> tuple:
    """A fact that each rung is reached (what a rung above the next one assumes)."""
    return memo(
        model,
        "every-rung-reached",
        lambda m: tuple(("reached", lv.id) for lv in m.knowledge.levels),
    )


def _far_steps(rec: Recommendation, facts: dict, known: set, unmet: set) -> tuple:
    """The steps that answer ``unmet`` (requirements of a rung the rules did not assess),
    in order, each with the ids of the rules that chose it."""
    assumed = known | {("gap", r) for r in unmet}
    by_gap = memo(rec.model, "step-rules-by-gap", _step_rules_by_gap)
    order = rec.model.rule_order
    chosen: dict[str, list[Rule]] = {}
    for gap in unmet:
        for rule, holds in by_gap.get(gap, ()):
            if holds(facts, assumed):
                chosen.setdefault(rule.concludes[1], []).append(rule)
    return tuple(
        # each step's rules in rule order
        (step, tuple(r.id for r in sorted(chosen[step], key=lambda r: order[r.id])))
        for step in order_steps(rec.model, chosen)
    )


def _step_rules_by_gap(model: Model) -> dict[str, list]:
    """The step rules that answer a gap (with their compiled conditions), by that gap."""
    out: dict[str, list] = {}
    for rule, holds in _predicates(model)[2]:
        out.setdefault(rule.gap, []).append((rule, holds))
    return out


def _far_step_item(rec: Recommendation, step_id: str, rules: list[Rule]) -> dict:
    step = rec.model.knowledge.steps[step_id]
    why = [rec._why_for_gap(rule) for rule in rules]
    return {
        "id": step.id,
        "title": step.title,
        "why": " Also: ".join(dict.fromkeys(why)),
        "source": step.source,
        "rules": [r.id for r in rules],
        "answers": [r.gap for r in rules],
    }
