"""`assess`: a recommendation to a `Fit` for one opening, with every requirement
of the role's rung and the rungs below explained (one `Explainer`, no second
inference) and the specialization matched.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from pmpath.errors import EngineError, KnowledgeError, Problem
from pmpath.explain.possible import could_hold
from pmpath.explain.why import MAX_VIA_DEPTH, Explainer
from pmpath.explain.why import _plan as _explain_plan
from pmpath.model.memo import exactly, keep, memo, new_dict
from pmpath.model.rules import FactPattern
from pmpath.profile.fields import sections
from pmpath.results.cached import prime
from pmpath.results.fit import (
    Fit,
    RequirementCheck,
    RungCheck,
    ScoreBreakdown,
    SpecializationMatch,
    check_role,
)
from pmpath.results.summary import settle_level
from pmpath.words import article, figure

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.model.knowledge import Knowledge
    from pmpath.model.rules import Rule, RuleSet
    from pmpath.results.recommendation import Recommendation


#: knowledge/thresholds.yaml entries the score reads
LOWER_RUNGS_WEIGHT = "fit_lower_rungs_weight"
MISMATCH_POINTS = "fit_specialization_mismatch_points"
PARTIAL_POINTS = "fit_specialization_partial_points"
BREADTH_MIN_YEARS = "breadth_min_years"

#: knowledge/problems.yaml entries that explain a specialization mismatch
MISMATCH_PROBLEMS = ("tools-dont-transfer", "slow-and-steady-struggle", "talent-turmoil")
PARTIAL_PROBLEMS = ("tools-dont-transfer", "slow-and-steady-struggle")


def assess(
    recommendation: Recommendation, role: str = "senior_pm", specialization: str | None = None
) -> Fit:
    """The `Fit` of the candidate behind ``recommendation`` for an opening at ``role``.

    Reuses the recommendation (no second inference): a batch that already has
    one adds fit for the cost of the explanation.
    """
    rec = recommendation
    model = rec.model
    k = model.knowledge
    level, specialization = check_role(k, role, specialization)
    settle_level(rec)  # the level and the gaps from kept decisions, if not worked out
    weights = memo(k, "fit-weights", _weights)  # checked once per knowledge

    facts = sections(rec.profile, rec.derived)
    here = k.level_by_id[rec.level].index
    # what fired, as facts (the explainer's `fired_preds` and `derived`); the
    # explainer itself only for a check not kept
    fired_preds = rec.concluded_facts()
    explainer = None
    assessed_up_to = here + 1  # durable_rules assessed every rung up to the next one
    gaps = set(rec.gaps)

    reads = memo(model, "fit-reads", _requirement_reads)
    kept = memo(model, "fit-checks", new_dict)
    rungs = []
    for lv in k.levels[1 : level.index + 1]:
        checks = []
        met_count = unknown_count = 0
        cross = lv.index <= assessed_up_to
        for req in lv.requirements:
            # a requirement's check follows from the values and derived facts its rules
            # read: kept per model for each set of them (the same object, shared)
            read = reads.get(req.id)
            key = check = None
            if read is not None:
                fields, preds = read
                key = (
                    req.id,
                    cross,
                    tuple([exactly(facts[section].get(name)) for section, name in fields]),
                    tuple([pred in fired_preds for pred in preds]),
                )
                check = kept.get(key)
            if check is None:
                if explainer is None:
                    explainer = Explainer.ungated(model.ruleset, facts, rec.fired)
                rules = tuple(
                    explainer.rule(r) for r in model.ruleset.concluders.get(("met", req.id), ())
                )
                met = any(r.holds for r in rules)
                status = (
                    "met" if met else "unknown" if could_hold(model, req.id, facts) else "unmet"
                )
                check = RequirementCheck(
                    req.id, lv.id, req.description, req.source, met, cross, rules, status
                )
                if key is not None:
                    keep(kept, key, check, CHECKS_KEPT)
            met = check.met
            met_count += met
            unknown_count += check.status == "unknown"
            if cross:
                engine_met = ("met", req.id) in fired_preds
                engine_gap = req.id in gaps
                if met != engine_met or (lv.index == assessed_up_to and met == engine_gap):
                    raise EngineError(
                        f"role fit and the engine disagree on requirement '{req.id}' "
                        f"(fit: {'met' if met else 'unmet'}; engine: "
                        f"{'met' if engine_met else 'unmet'}"
                        f"{', reported as a gap' if engine_gap else ''}): the rules are read "
                        "differently by durable_rules and the reference evaluator"
                    )
            checks.append(check)
        rung = RungCheck(lv.id, lv.title, lv.kwan_level, tuple(checks))
        prime(rung, met=met_count, unknown=unknown_count)  # counted here, not again
        rungs.append(rung)

    match = _match(rec, specialization, weights) if specialization is not None else None
    breakdown = _breakdown(k, rungs, None if match is None else str(match.deduction))
    return Fit(
        role=level.id,
        role_title=level.title,
        role_kwan_level=level.kwan_level,
        role_kwan_name=level.kwan_name,
        specialization=specialization,
        rungs=tuple(rungs),
        breakdown=breakdown,
        specialization_match=match,
        warnings=tuple(_warnings(rec, specialization)),
        recommendation=rec,
    )


#: requirement checks kept per model before that memo starts afresh
CHECKS_KEPT = 8192


def _requirement_reads(model: Model) -> dict[str, tuple | None]:
    """Per requirement, what its check reads: the (section, field) of every value and
    every derived fact that its `met` rules read (followed through derived facts as
    the ungated explainer follows them) and its `possible` rules read. None for a
    requirement whose rules read a value anywhere (a ``*`` section)."""
    ruleset = model.ruleset
    own = _explain_plan(ruleset).own
    return {req: _reads(ruleset, own, req) for req in model.knowledge.requirements}


def _reads(ruleset: RuleSet, own: dict, req: str) -> tuple | None:
    fields: dict[tuple[str, str], None] = {}
    preds: dict = {}

    def section_fields(p) -> bool:
        if p.section in ("*", ""):
            return False
        fields.update(((p.section, t.field), None) for t in p.tests.tests())
        return True

    def walk(rule: Rule, depth: int, seen: frozenset) -> bool:
        exact = True
        for p in own[rule.id].when:
            if not isinstance(p, FactPattern):
                exact = section_fields(p) and exact
                continue
            preds[p.pred] = None
            if depth < MAX_VIA_DEPTH and p.pred not in seen:
                for r in ruleset.concluders.get(p.pred, ()):
                    exact = walk(r, depth + 1, seen | {p.pred}) and exact
        return exact

    exact = True
    for rule in ruleset.concluders.get(("met", req), ()):
        exact = walk(rule, 0, frozenset()) and exact
    for rule in ruleset.concluders.get(("possible", req), ()):
        for p in rule.when:  # `could_hold` reads no derived fact
            if not isinstance(p, FactPattern):
                exact = section_fields(p) and exact
    return (tuple(fields), tuple(preds)) if exact else None


def _weights(k: Knowledge) -> dict[str, Fraction]:
    problems = []
    out: dict[str, Fraction] = {}
    for tid in (LOWER_RUNGS_WEIGHT, MISMATCH_POINTS, PARTIAL_POINTS, BREADTH_MIN_YEARS):
        if tid not in k.thresholds:
            file, line = k.line("thresholds", ("thresholds",))
            problems.append(
                Problem(file, line, "K003", f"threshold '{tid}' is missing; role fit needs it")
            )
            continue
        out[tid] = Fraction(str(k.threshold(tid)))
    if not problems and out[LOWER_RUNGS_WEIGHT] > 1:
        file, line = k.line("thresholds", ("thresholds",))
        problems.append(
            Problem(
                file,
                line,
                "K001",
                f"threshold '{LOWER_RUNGS_WEIGHT}' is a share of the score and must be "
                "between 0 and 1",
            )
        )
    if problems:
        raise KnowledgeError(problems)
    return out


def _breakdown(k: Knowledge, rungs: list[RungCheck], deduction: str | None) -> ScoreBreakdown:
    """The score of ``rungs``, less ``deduction`` (a specialization mismatch's points,
    as text; None when no specialization was asked for)."""
    role, lower = rungs[-1], rungs[:-1]
    counts = (
        role.met,
        role.total,
        sum([r.met for r in lower]),
        sum([r.total for r in lower]),
        role.unknown,
        sum([r.unknown for r in lower]),
    )
    return _shared_breakdown(k, counts, deduction)


#: score breakdowns kept per knowledge before that memo starts afresh
BREAKDOWNS_KEPT = 4096


def _shared_breakdown(k: Knowledge, counts: tuple[int, ...], deduction: str | None):
    """One `ScoreBreakdown` per distinct set of counts and deduction, kept per
    knowledge (which fixes the weight): it is immutable, and a pool has few distinct
    ones, so its exact arithmetic (Fractions, as the formula shows it) is done once
    for all the candidates that share it. Keyed by plain ints and text: a Fraction's
    hash is worked out afresh on every lookup."""
    kept = memo(k, "fit-breakdowns", new_dict)
    key = (counts, deduction)
    breakdown = kept.get(key)
    if breakdown is None:
        breakdown = keep(kept, key, _make_breakdown(k, counts, deduction), BREAKDOWNS_KEPT)
    return breakdown


def _make_breakdown(k: Knowledge, counts: tuple[int, ...], deduction: str | None):
    role_met, role_total, lower_met, lower_total, role_unknown, lower_unknown = counts
    return ScoreBreakdown(
        role_met,
        role_total,
        lower_met,
        lower_total,
        memo(k, "fit-weights", _weights)[LOWER_RUNGS_WEIGHT],
        Fraction(0) if deduction is None else Fraction(deduction),
        role_unknown,
        lower_unknown,
    )


def _match(rec: Recommendation, asked: str, weights: dict[str, Fraction]) -> SpecializationMatch:
    k = rec.model.knowledge
    want = k.specializations[asked]
    have = k.specializations[rec.specialization]
    work_type = want["work_type"]
    work_title = k.work_types[work_type]["title"] if work_type in k.work_types else work_type
    years = rec.profile["work"].get(work_type, 0) or 0
    dominant = rec.derived["dominant_work"]
    dominant_years = rec.derived["dominant_work_years"]
    breadth = weights[BREADTH_MIN_YEARS]
    if rec.specialization == asked and dominant != "none":
        status, deduction = "match", Fraction(0)
        explanation = (
            f"Asked for {article(want['title'])}; the candidate's main kind of product work is "
            f"{work_title.lower()} ({_years(years)}), so they are one."
        )
        ids: tuple[str, ...] = ()
    elif years > 0 and Fraction(str(years)) >= breadth:
        status, deduction = "partial", weights[PARTIAL_POINTS]
        explanation = (
            f"Asked for {article(want['title'])}; the candidate is {article(have['title'])} "
            f"({_years(dominant_years)} of {_work_title(k, dominant)}) with "
            f"{_years(years)} of {work_title.lower()}: some of the asked kind of work, "
            "but not their main one, so expect a ramp-up."
        )
        ids = PARTIAL_PROBLEMS
    else:
        status, deduction = "mismatch", weights[MISMATCH_POINTS]
        if dominant == "none":
            background = "no product work recorded"
        else:
            background = f"{_years(dominant_years)} of {_work_title(k, dominant)}"
        explanation = (
            f"Asked for {article(want['title'])}; the candidate is "
            f"{article(have['title'])} ({background}) "
            f"with {_years(years)} of {work_title.lower()}, under the "
            f"{_years(float(breadth))} that counts as having done it: their playbook may "
            "not transfer."
        )
        ids = MISMATCH_PROBLEMS
    by_id = {p["id"]: p for p in k.problems}
    problems = tuple(
        {
            "id": by_id[i]["id"],
            "title": by_id[i]["title"],
            "description": by_id[i]["description"],
            "advice": by_id[i]["advice"],
            "source": by_id[i]["source"],
        }
        for i in ids
        if i in by_id
    )
    return SpecializationMatch(
        asked=asked,
        asked_title=want["title"],
        work_type=work_type,
        candidate=rec.specialization,
        candidate_title=have["title"],
        status=status,
        asked_work_years=years,
        dominant_work=dominant,
        dominant_work_years=dominant_years,
        deduction=float(deduction),
        explanation=explanation,
        problems=problems,
    )


def _warnings(rec: Recommendation, specialization: str | None) -> list[str]:
    out = []
    work_total = rec.derived["work_total_years"]
    product_years = rec.profile["experience"]["product_years"]
    if specialization is not None and work_total == 0 and product_years > 0:
        out.append(
            f"No work.* years are recorded for {figure(product_years)} years in product, so the "
            "specialization is the default (core); ask the candidate which kinds of product "
            "work those years went into."
        )
    if work_total > product_years + 1e-9:
        out.append(
            f"work.* adds up to {figure(work_total)} years but experience.product_years is "
            f"{figure(product_years)}; the specialization uses the work figures as given."
        )
    return out


def _work_title(k: Knowledge, work: str) -> str:
    return k.work_types[work]["title"].lower() if work in k.work_types else work


def _years(value: float) -> str:
    return f"{figure(value)} year{'' if value == 1 else 's'}"
