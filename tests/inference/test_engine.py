"""The engine's contract: prepare once, answer many times, fail loudly and typed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from strategies import bench_batch

from pmpath import Engine, EngineError, KnowledgeError, ProfileError
from pmpath.inference.facts import PROFILE_HEAD

PM = {"experience": {"total_years": 4, "product_years": 3}, "track_record": {"launches": 2}}


def test_the_ruleset_is_registered_under_a_name_derived_from_knowledge_version(engine):
    assert engine.knowledge_version[:12] in engine._session.name
    assert len(engine.knowledge_version) == 64


def test_two_engines_on_the_same_knowledge_coexist_and_agree(engine):
    other = Engine.load()
    try:
        assert other._session.name != engine._session.name
        assert other.recommend(PM).to_json() == engine.recommend(PM).to_json()
    finally:
        other.close()


def test_an_exception_inside_a_durable_action_is_raised_not_swallowed(root):
    engine = Engine.load(backend="host")
    host = engine._session._host
    original = host._actions["met.pm.ships"]

    def broken(c):
        raise RuntimeError("boom in an action")

    host._actions["met.pm.ships"] = broken
    try:
        # durable binds actions at registration: rebind through its ruleset
        ruleset = host.get_ruleset(engine._session._stage_names[0])  # met rules: stage 0
        ruleset._actions["met.pm.ships"] = type(ruleset._actions["met.pm.ships"])(broken)
        with pytest.raises(EngineError, match="boom in an action"):
            engine.recommend(PM)
        ruleset._actions["met.pm.ships"] = type(ruleset._actions["met.pm.ships"])(original)
        assert engine.recommend(PM).level == "pm"  # the engine survives
    finally:
        engine.close()


def test_a_ruleset_that_concludes_two_specializations_is_an_engine_error(tmp_path, root):
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    path = rules / "specialization.yaml"
    text = path.read_text()
    growth, feature = "derived: {dominant_work: growth}", "derived: {dominant_work: feature}"
    path.write_text(text.replace(growth, feature))
    engine = Engine.load(rules=rules)
    try:
        rec = engine.recommend(
            {"experience": {"total_years": 3, "product_years": 2}, "work": {"feature": 2}}
        )
        with pytest.raises(EngineError, match="specialization"):
            rec.to_dict()
    finally:
        engine.close()


THIRD_STRATUM = """\
rules:
  - id: step.test-third-stratum
    concludes: {step: own-project-end-to-end}
    when:
      - level: aspiring
      - not: {path: external}
    because: A rule negating a fact of the second stratum.
    source: judson
"""


@pytest.mark.parametrize("backend", ["lean", "host"])
def test_a_third_stratum_reads_the_two_below_as_flags_and_agrees_with_the_reference(
    tmp_path, root, backend
):
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    (rules / "third.yaml").write_text(THIRD_STRATUM, encoding="utf-8")
    engine = Engine.load(rules=rules, backend=backend)
    try:
        assert len(engine.compiled.stages) == 3
        fired = 0
        for profile in bench_batch().synthetic_profiles(300, seed=5):
            normalised, derived = engine.prepare(profile)
            ours = set(engine.infer(normalised, derived))
            assert ours == set(engine.infer_reference(normalised, derived))
            fired += "step.test-third-stratum" in ours
        assert fired > 0  # the third stage did decide something
    finally:
        engine.close()


@pytest.mark.parametrize("backend", ["lean", "host"])
def test_the_reachable_chain_tests_the_profile_on_the_fact_it_joins_and_agrees_with_the_reference(
    backend,
):
    from careers import pool

    engine = Engine.load(backend=backend)
    try:
        first, second = engine.compiled.stages
        assert second.carries and not first.carries
        chain = {rid: rule for rid, rule in second.definition.items() if ".chain" in rid}
        assert chain
        for rule in chain.values():  # one pattern: the reachable fact, with the profile tests
            (pattern,) = rule["all"]
            tests = next(iter(pattern.values()))["$and"]
            assert tests[0] == {"t": "reachable"} and len(tests) > 2
            assert '"profile"' not in json.dumps(rule)
        fired = 0
        for _, profile in pool(420, seed=3, share=0.3):
            normalised, derived = engine.prepare(profile)
            ours = set(engine.infer(normalised, derived))
            assert ours == set(engine.infer_reference(normalised, derived))
            fired += bool(ours & set(chain))
        assert fired >= 20  # the chain did decide something
    finally:
        engine.close()


@pytest.mark.parametrize("backend", ["lean", "host"])
def test_the_first_rung_every_profile_stands_on_is_never_asserted_nor_joined(backend):
    from careers import pool

    engine = Engine.load(backend=backend)
    try:
        first = engine.compiled.stages[0]
        # the base rule still fires (for the trace), but nothing in durable joins on it
        assert first.asserts["ladder.base.aspiring"] is None
        assert '"aspiring"' not in json.dumps(first.definition)
        # a rule that joined it joins only what decides: no pattern every profile meets
        (pattern,) = first.definition["ladder.reach.apm"]["all"]
        assert next(iter(pattern.values()))["$and"][0] == {"t": "met"}
        for _, profile in pool(300, seed=5, share=0.3):
            normalised, derived = engine.prepare(profile)
            ours = set(engine.infer(normalised, derived))
            assert "ladder.base.aspiring" in ours
            assert ours == set(engine.infer_reference(normalised, derived))
    finally:
        engine.close()


#: a CPO: nothing fires in the second stage, so its durable state never runs an action
TOP = {
    "experience": {"total_years": 21.8, "product_years": 16, "people_management_years": 8},
    "work": {"growth": 6.0, "scaling": 2.2, "feature": 7.6},
    "scope": {
        "leads_pms": True,
        "owns_roadmap": True,
        "strategy_horizon_months": 60,
        "presents_to_executives": True,
        "pm_reports": 17,
        "cross_functional_reports": True,
        "owns_budget": True,
        "owns_vision": True,
        "portfolio_products": 5,
        "managers_reporting": 5,
        "external_partnerships": True,
    },
    "track_record": {"launches": 11, "mentors_pms": 4},
    "strengths": {"strategic_thinking": 4, "problem_solving": 2, "communication": 4},
}

_DELETE_STATES = """
import json, sys
from pmpath import Engine
engine = Engine.load(backend=sys.argv[1])
engine._session.RECYCLE = 1  # the lean driver deletes its states after every profile
for _ in range(40):
    assert engine.recommend(json.loads(sys.argv[2])).level == "cpo"
print("ok")
"""


@pytest.mark.parametrize("backend", ["lean", "host"])
def test_deleting_a_state_on_which_no_rule_fired_does_not_crash_the_process(engine, backend):
    # durable_rules frees a state's action context, unset until an action runs, when the
    # state is deleted: without settling it first, this aborted the process at once
    second = set(engine.compiled.stages[1].definition)
    assert not second & set(engine.recommend(TOP).fired)
    result = subprocess.run(
        [sys.executable, "-c", _DELETE_STATES, backend, json.dumps(TOP)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.strip() == "ok"


def test_a_bad_profile_is_a_profile_error_with_the_field_path(engine):
    with pytest.raises(ProfileError) as caught:
        engine.recommend({"experience": {"total_years": 2, "product_years": "3"}})
    assert caught.value.path == "experience.product_years"
    assert caught.value.code == "P006"


def test_broken_knowledge_is_a_knowledge_error_with_file_and_line(tmp_path, root):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(root / "knowledge", knowledge)
    (knowledge / "levels.yaml").write_text(
        (knowledge / "levels.yaml").read_text().replace("kwan_level: 2", "kwan_level: seven")
    )
    with pytest.raises(KnowledgeError) as caught:
        Engine.load(knowledge=knowledge)
    problem = caught.value.problems[0]
    assert problem.file.endswith("levels.yaml") and problem.code == "K001" and problem.line > 1


def test_recommend_reference_needs_no_durable_and_agrees(engine):
    assert engine.recommend_reference(PM).to_json() == engine.recommend(PM).to_json()


def test_the_lean_driver_recycles_its_state_without_changing_answers(engine):
    session = engine._session
    first = engine.recommend(PM).to_json()
    sid = session._lean_sid
    for _ in range(session.RECYCLE + 5):
        engine.recommend(PM)
    assert session._lean_sid != sid
    assert engine.recommend(PM).to_json() == first


def test_a_profile_left_in_a_state_is_an_engine_error_and_the_next_profile_starts_afresh():
    engine = Engine.load()
    session = engine._session
    expected = engine.recommend(PM).to_json()
    retract = session._reset
    session._reset = lambda handle, state, asserted: True  # retracts nothing: a broken driver
    engine.recommend(PM)
    session._reset = retract
    # the stage's profile fact is still there: durable only says "observed", and a
    # silent empty answer would be wrong
    with pytest.raises(EngineError, match="still held the profile before"):
        engine.recommend(PM)
    assert engine.recommend(PM).to_json() == expected  # fresh states after the error


def test_every_fact_the_driver_asserts_is_retracted_by_its_id(engine):
    session = engine._session
    templates = [t for t in engine.compiled.asserts.values() if t is not None]
    ids = {json.loads(t % "1")["id"] for t in templates}
    assert len(ids) == len(set(templates))  # one id per distinct fact
    first, later = engine._encoder.encode(*engine.prepare(TOP))
    head = PROFILE_HEAD % "1"  # what the driver puts before the encoder's text
    assert json.loads(head + first)["id"] == json.loads(head + later)["id"] == "p"
    for profile in (TOP, PM, TOP):  # each run finds its states empty and leaves them so
        engine.recommend(profile)
        assert session.held_facts() == [[] for _ in session._handles]
    broken = Engine.load()  # its own states: this one is left holding a profile
    broken._session._reset = lambda handle, state, asserted: True  # what the check catches
    broken.recommend(PM)
    held = broken._session.held_facts()
    assert {fact["id"] for fact in held[0]} >= {"p", "reached:apm", "reached:pm"}


def test_the_later_stages_fact_holds_just_the_fields_their_rules_read(engine):
    compiled = engine.compiled
    keys = {compiled.keys[f]: f for f in compiled.fields}
    read_later = {
        keys[key]
        for stage in compiled.stages[1:]
        for key in keys
        if f'"{key}"' in json.dumps(stage.definition)
    }
    assert set(compiled.later_fields) == read_later
    assert len(compiled.later_fields) < len(compiled.fields)  # a smaller fact
    first, later = engine._encoder.encode(*engine.prepare(TOP))
    head = PROFILE_HEAD % "1"
    first, later = json.loads(head + first), json.loads(head + later)
    assert set(later) - {"sid", "id", "t"} == {k for k in first if keys.get(k) in read_later}
    assert {k: first[k] for k in later} == later  # the same values, in fewer keys
