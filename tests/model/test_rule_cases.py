"""Every rule's side-by-side cases pass, and together they make every rule fire."""

from __future__ import annotations

import shutil

import pytest

from pmpath import Engine
from pmpath.validation.cases import case_profile, check_case, run_cases


def _all_cases(engine):
    ruleset = engine.model.ruleset
    for rule in ruleset.rules:
        for case, line in zip(rule.cases, rule.case_lines, strict=True):
            yield rule, case, line


def pytest_generate_tests(metafunc):
    if "rule_case" in metafunc.fixturenames:
        engine = Engine.load()
        params = [
            pytest.param((rule.id, i), id=f"{rule.id}[{case['name']}]")
            for rule in engine.model.ruleset.rules
            for i, case in enumerate(rule.cases)
        ]
        metafunc.parametrize("rule_case", params)


def test_rule_case_holds(engine, rule_case):
    rule_id, index = rule_case
    rule = engine.model.ruleset.by_id[rule_id]
    result = check_case(
        engine, rule, rule.cases[index], rule.case_lines[index], engine.model.ruleset.profiles
    )
    assert result.ok, str(result)


def test_every_hand_written_rule_has_a_case_where_it_fires_and_one_where_it_does_not(engine):
    missing = []
    for rule in engine.model.ruleset.rules:
        if rule.generated:
            continue
        outcomes = {case["fires"] for case in rule.cases}
        if outcomes != {True, False}:
            missing.append(rule.id)
    assert not missing, f"rules without both a positive and a negative case: {missing}"


def test_every_rule_fires_in_some_case(engine):
    """Rule coverage: generated ladder rules included. The rules' cases, then a seeded
    pool of coherent careers with fields dropped (tests/careers.py), which reaches the
    generated rules about unknowns; `possible` rules count when a rule that reads
    them fires (durable never fires them: see `pmpath.compiler.SILENT_KINDS`)."""
    from careers import pool

    fired: set[str] = set()
    for _rule, case, _line in _all_cases(engine):
        fired.update(engine.recommend(case_profile(case, engine.model.ruleset.profiles)).fired)
    for share, seed in ((0.3, 21), (0.6, 22)):
        for _rung, profile in pool(1400, seed=seed, share=share):
            fired.update(engine.recommend(profile).fired)
    ruleset = engine.model.ruleset
    read = {p.pred for r in ruleset.rules if r.id in fired for p in r.fact_patterns}
    silent = engine.compiled.silent
    fired |= {r.id for r in ruleset.rules if r.id in silent and r.concludes in read}
    never = [r.id for r in ruleset.rules if r.id not in fired and r.id not in _CANNOT_FIRE]
    assert not never, f"rules that never fire across all cases: {never}"
    assert not (fired & set(_CANNOT_FIRE)), "a rule listed as unable to fire fired: update the list"


#: generated rules that the shipped knowledge makes impossible, and why
_CANNOT_FIRE = {
    # apm is reachable but not placed only with no years in product; pm needs some
    "ladder.reachable.pm.chain": "pm.product-experience",
    # the rung below already needs the field known: launches (pm.ships), the planning
    # horizon (senior_pm.strategy)
    "ladder.unknown.senior_pm.launch-record": "pm.ships",
    "ladder.unknown.vp.plans-year-ahead": "senior_pm.strategy",
    "ladder.unknown.cpo.long-range": "senior_pm.strategy",
}


def test_a_rule_whose_logic_changes_is_caught_by_its_cases(tmp_path, root):
    """The cases can fail: loosen one rule and its negative case must break."""
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    path = rules / "requirements.yaml"
    text = path.read_text()
    loosened = text.replace(
        "mentors_pms: {gte: {threshold: director_min_mentees}}", "mentors_pms: {gte: 1}"
    )
    assert loosened != text
    path.write_text(loosened)
    engine = Engine.load(rules=rules)
    failing = [r for r in run_cases(engine) if not r.ok]
    assert any(r.rule == "met.director.advises-pms" and r.case == "one mentee" for r in failing)
    engine.close()
