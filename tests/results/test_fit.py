"""Role fit: scores, explanations, specialization match, every role, errors, the CLI."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import share_work

from pmpath import Engine, EngineError, Fit, KnowledgeError, ProfileError, RoleError
from pmpath.cli.main import cli
from pmpath.render import render_fit_text as render_text
from pmpath.results.score import assess
from pmpath.source import schemas

ROLES = ("apm", "pm", "senior_pm", "director", "vp", "cpo")
SPECIALIZATIONS = (None, "core", "growth", "platform", "innovation")

# A growth PM who is not yet senior: leads no one.
KWAME = {
    "id": "app-008",
    "name": "Kwame Mensah",
    "experience": {"total_years": 7, "product_years": 6, "people_management_years": 0},
    "work": {"growth": 6},
    "scope": {
        "leads_pms": False,
        "pm_reports": 0,
        "owns_roadmap": True,
        "strategy_horizon_months": 6,
        "presents_to_executives": True,
    },
    "track_record": {"launches": 9},
}
# A senior core PM with a year of growth work.
MARCUS = {
    "id": "app-002",
    "name": "Marcus Lee",
    "experience": {"total_years": 10, "product_years": 7, "people_management_years": 1},
    "work": {"feature": 6, "growth": 1},
    "scope": {
        "leads_pms": True,
        "owns_roadmap": True,
        "strategy_horizon_months": 9,
        "presents_to_executives": True,
    },
    "track_record": {"launches": 9},
}
NEWCOMER = {"experience": {"total_years": 6, "product_years": 0}}


def check_schema(fit: Fit) -> None:
    errors = list(schemas.explainer("fit").iter_errors(fit.to_dict()))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def requirement(fit: Fit, rid: str):
    return next(r for r in fit.requirements if r.id == rid)


# -- scores ---------------------------------------------------------------------------
def test_a_candidate_at_the_rung_scores_100_and_meets_all(engine):
    fit = engine.fit(MARCUS, role="senior_pm")
    assert fit.score == 100
    assert fit.meets_all
    assert fit.relation == "at"
    assert fit.level == "senior_pm"


def test_the_role_rung_carries_three_quarters_and_the_rungs_below_a_quarter(engine):
    fit = engine.fit(KWAME, role="senior_pm")
    # senior_pm: 4 of 5 (leads no PMs); apm + pm: 3 of 3
    assert (fit.breakdown.role_met, fit.breakdown.role_total) == (4, 5)
    assert (fit.breakdown.lower_met, fit.breakdown.lower_total) == (3, 3)
    assert fit.score == 85  # 75 * 4/5 + 25 * 3/3
    assert fit.to_dict()["score_breakdown"]["formula"] == "75 × 4/5 + 25 × 3/3 = 85 → 85"
    # leading PMs is typical of a senior PM, not required: Kwame stands on the rung
    assert not fit.meets_all and fit.relation == "at"


def test_an_apm_opening_has_no_rungs_below_so_its_rung_carries_the_whole_score(engine):
    fit = engine.fit(NEWCOMER, role="apm")
    assert [r.level for r in fit.rungs] == ["apm"]
    assert fit.score == 0
    d = fit.to_dict()["score_breakdown"]
    assert d["role_rung"]["weight"] == 1.0 and d["lower_rungs"]["weight"] == 0.0


def test_scores_are_rounded_half_up_and_clamped_at_zero(engine):
    fit = engine.fit(KWAME, role="director", specialization="platform")
    # director 0/4; below 7 of 8 -> 21.875; mismatch -20 -> 1.875 -> 2
    assert fit.breakdown.unrounded == pytest.approx(1.875)
    assert fit.score == 2
    vp = engine.fit(NEWCOMER, role="vp", specialization="growth")
    assert vp.breakdown.unrounded < 0 and vp.score == 0


def test_the_score_follows_the_thresholds_in_knowledge_not_numbers_in_code(tmp_path, root):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(root / "knowledge", knowledge)
    data = yaml.safe_load((knowledge / "thresholds.yaml").read_text())
    for t in data["thresholds"]:
        if t["id"] == "fit_lower_rungs_weight":
            t["value"] = 0.5
        if t["id"] == "fit_specialization_mismatch_points":
            t["value"] = 30
    (knowledge / "thresholds.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    custom = Engine.load(knowledge)
    try:
        fit = custom.fit(KWAME, role="senior_pm", specialization="innovation")
        assert fit.score == 50 * 4 // 5 + 50 - 30  # 40 + 50 - 30
        assert fit.to_dict()["score_breakdown"]["lower_rungs"]["weight"] == 0.5
    finally:
        custom.close()


def test_knowledge_without_the_fit_thresholds_is_a_clear_knowledge_error(tmp_path, root):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(root / "knowledge", knowledge)
    data = yaml.safe_load((knowledge / "thresholds.yaml").read_text())
    data["thresholds"] = [t for t in data["thresholds"] if t["id"] != "fit_lower_rungs_weight"]
    (knowledge / "thresholds.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    custom = Engine.load(knowledge)
    try:
        with pytest.raises(KnowledgeError, match="fit_lower_rungs_weight"):
            custom.fit(KWAME, role="pm")
    finally:
        custom.close()


# -- explanations ----------------------------------------------------------------------
def test_a_met_requirement_names_the_rule_and_the_values_it_read(engine):
    req = requirement(engine.fit(KWAME, role="senior_pm"), "senior_pm.launch-record")
    assert req.met and req.cross_checked
    held = [r for r in req.rules if r.holds]
    assert [r.rule for r in held] == ["met.senior_pm.launch-record"]
    assert held[0].source == "bavaro"
    assert held[0].conditions[0].values == {"track_record.launches": 9}
    assert "track_record.launches = 9" in req.why


def test_an_unmet_requirement_shows_the_failed_condition_down_to_profile_values(engine):
    req = requirement(engine.fit(KWAME, role="senior_pm"), "senior_pm.leads-pms")
    assert not req.met
    (rule,) = req.rules
    (cond,) = rule.failed
    assert cond.condition == "signal leads_people"
    # the signal is explained by the rule concluding it, down to the profile fields
    (via,) = cond.via
    assert via.rule == "signal.leads-people" and not via.holds
    assert cond.leaf_values() == {
        "scope.leads_pms": False,
        "scope.pm_reports": 0,
        "scope.managers_reporting": 0,
    }
    assert req.why == (
        "needs: leads other product people, with or without reporting lines "
        "(signal leads_people); has scope.leads_pms = false, scope.pm_reports = 0, "
        "scope.managers_reporting = 0"
    )


def test_a_threshold_condition_names_its_threshold(engine):
    req = requirement(engine.fit(KWAME, role="director"), "director.product-experience")
    assert req.why == (
        "needs: experience.product_years >= 7 (director_min_product_years); "
        "has experience.product_years = 6"
    )


def test_alternative_rules_are_all_shown_and_the_one_that_held_is_marked(engine):
    apm = {
        "experience": {"total_years": 0, "product_years": 0},
        "track_record": {"apm_program": True},
    }
    req = requirement(engine.fit(apm, role="apm"), "apm.product-role")
    assert {r.rule: r.holds for r in req.rules} == {
        "met.apm.product-role.years": False,
        "met.apm.product-role.programme": True,
    }
    assert req.met and req.why.startswith("Holds a place in an APM programme.")


def test_the_injected_bottom_up_gate_is_ignored_so_any_rung_can_be_assessed(engine):
    # Never worked in product, but owns a budget: the engine never looks at VP
    # requirements for them; fit does, and says which hold.
    profile = {
        "experience": {"total_years": 12, "product_years": 0},
        "scope": {"owns_budget": True},
    }
    fit = engine.fit(profile, role="vp")
    assert fit.level == "aspiring"
    budget = requirement(fit, "vp.owns-budget")
    assert budget.met and not budget.cross_checked
    assert all(c.condition != "reached director" for r in budget.rules for c in r.conditions)
    assert requirement(fit, "apm.product-role").cross_checked  # the next rung is checked
    assert not requirement(fit, "pm.ships").cross_checked


def test_a_disagreement_with_the_engine_raises_engine_error(engine):
    rec = engine.recommend(KWAME)
    tampered = dataclasses.replace(
        rec, fired=tuple(r for r in rec.fired if r != "met.senior_pm.launch-record")
    )
    with pytest.raises(EngineError, match=r"senior_pm\.launch-record"):
        assess(tampered, "senior_pm")


def test_rungs_are_listed_lowest_first_with_every_requirement_in_knowledge_order(engine):
    fit = engine.fit(KWAME, role="vp")
    k = engine.knowledge
    assert [r.level for r in fit.rungs] == ["apm", "pm", "senior_pm", "director", "vp"]
    for rung in fit.rungs:
        assert [r.id for r in rung.requirements] == [
            r.id for r in k.level_by_id[rung.level].requirements
        ]


def test_the_candidates_own_level_and_specialization_stand_beside_the_fit(engine):
    d = engine.fit(KWAME, role="senior_pm").to_dict()
    cand = d["candidate"]
    assert cand["level"]["id"] == "senior_pm" and cand["relation"] == "at"
    assert cand["specialization"]["id"] == "growth"
    assert cand["shape"]["id"] == "I"
    assert any(e["rule"] == "specialization.growth" for e in cand["specialization"]["evidence"])
    assert any(e["rule"] == "ladder.level.senior_pm" for e in cand["level"]["evidence"])


# -- specialization ---------------------------------------------------------------------
def test_a_matching_specialization_costs_nothing_and_cites_no_problem(engine):
    fit = engine.fit(KWAME, role="senior_pm", specialization="growth")
    m = fit.specialization_match
    assert m.status == "match" and m.matches and m.deduction == 0
    assert m.problems == ()
    assert fit.score == 85


def test_some_years_of_the_asked_work_is_a_partial_match(engine):
    fit = engine.fit(MARCUS, role="senior_pm", specialization="growth")
    m = fit.specialization_match
    assert (m.status, m.candidate, m.asked_work_years) == ("partial", "core", 1)
    assert m.deduction == 10 and fit.score == 90
    assert [p["id"] for p in m.problems] == ["tools-dont-transfer", "slow-and-steady-struggle"]


def test_a_mismatch_is_explained_with_fishman_patels_problems(engine):
    fit = engine.fit(KWAME, role="senior_pm", specialization="platform")
    m = fit.specialization_match
    assert m.status == "mismatch" and m.deduction == 20 and fit.score == 65
    ids = [p["id"] for p in m.problems]
    assert ids == ["tools-dont-transfer", "slow-and-steady-struggle", "talent-turmoil"]
    assert all(p["source"] == "fishman-patel" for p in m.problems)
    assert "Asked for a Platform PM; the candidate is a Growth PM" in m.explanation
    assert "0 years of scaling work" in m.explanation


def test_no_product_work_is_no_match_even_for_the_core_default(engine):
    fit = engine.fit({"experience": {"total_years": 5, "product_years": 3}}, "pm", "core")
    m = fit.specialization_match
    assert fit.candidate_specialization == "core"
    assert m.status == "mismatch" and "no product work recorded" in m.explanation
    assert any("No work.* years are recorded" in w for w in fit.warnings)


def test_no_specialization_asked_means_no_match_block(engine):
    fit = engine.fit(KWAME, role="senior_pm")
    assert fit.specialization_match is None
    assert fit.to_dict()["specialization_match"] is None
    assert fit.to_dict()["role"]["specialization"] is None


# -- every role, and invariants over many profiles ------------------------------------------
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("specialization", SPECIALIZATIONS)
def test_every_role_and_specialization_gives_a_schema_valid_fit(engine, role, specialization):
    for profile in (KWAME, MARCUS, NEWCOMER):
        fit = engine.fit(profile, role=role, specialization=specialization)
        check_schema(fit)
        k = engine.knowledge
        expected = [
            r.id for lv in k.levels[1 : k.level_by_id[role].index + 1] for r in lv.requirements
        ]
        assert [r.id for r in fit.requirements] == expected
        assert fit.rungs[-1].level == role


years = st.one_of(st.integers(0, 25), st.floats(0, 25).map(lambda x: round(x, 2)))


@st.composite
def profiles(draw) -> dict:
    total = draw(years)
    product = min(draw(years), total)
    profile: dict = {
        "experience": {
            "total_years": total,
            "product_years": product,
            "people_management_years": min(draw(years), total),
        },
        "work": {
            k: draw(st.sampled_from([0, 0.5, 1, 2, 4, 6]))
            for k in ("feature", "growth", "scaling", "pmf_expansion")
            if draw(st.booleans())
        },
        "scope": {
            "leads_pms": draw(st.booleans()),
            "pm_reports": draw(st.integers(0, 6)),
            "managers_reporting": draw(st.integers(0, 3)),
            "cross_functional_reports": draw(st.booleans()),
            "owns_roadmap": draw(st.booleans()),
            "owns_vision": draw(st.booleans()),
            "strategy_horizon_months": draw(st.sampled_from([0, 1, 3, 6, 12, 24, 36, 48])),
            "presents_to_executives": draw(st.booleans()),
            "owns_budget": draw(st.booleans()),
            "portfolio_products": draw(st.integers(0, 4)),
            "external_partnerships": draw(st.booleans()),
        },
        "track_record": {
            "launches": draw(st.integers(0, 12)),
            "apm_program": draw(st.booleans()),
            "mentors_pms": draw(st.integers(0, 4)),
        },
    }
    profile["work"] = share_work(profile["work"], product)
    return profile


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=profiles(), role=st.sampled_from(ROLES), spec=st.sampled_from(SPECIALIZATIONS))
def test_fit_invariants_hold_for_any_profile(engine, profile, role, spec):
    fit = engine.fit(profile, role=role, specialization=spec)  # never an EngineError
    k = engine.knowledge
    assert 0 <= fit.score <= 100
    # each rung's counts (counted while assessing) are its requirements' own
    for rung in fit.rungs:
        assert rung.met == sum(1 for r in rung.requirements if r.met)
        assert rung.unknown == sum(1 for r in rung.requirements if r.status == "unknown")
    assert fit.meets_all == (not fit.unmet)
    # meeting every requirement up to the role means standing at or above it (not the
    # other way round: a rung's typical requirements need not all hold)
    if fit.meets_all:
        assert k.level_by_id[fit.level].index >= k.level_by_id[role].index
        assert fit.relation != "below"
    if fit.meets_all and (spec is None or fit.specialization_match.matches):
        assert fit.score == 100
    # rungs the engine assessed agree with its gaps
    rec = fit.recommendation
    nxt = rec.next_level
    for req in fit.requirements:
        if req.level == nxt:
            assert req.cross_checked and (not req.met) == (req.id in rec.gaps)
    # the score is the documented formula over the requirements listed
    role_reqs = fit.rungs[-1].requirements
    lower_reqs = [r for rung in fit.rungs[:-1] for r in rung.requirements]
    w = Fraction(str(k.threshold("fit_lower_rungs_weight")))
    role_share = Fraction(sum(r.met for r in role_reqs), len(role_reqs))
    if lower_reqs:
        lower_share = Fraction(sum(r.met for r in lower_reqs), len(lower_reqs))
        expected = 100 * ((1 - w) * role_share + w * lower_share)
    else:
        expected = 100 * role_share
    if spec is not None:
        status = fit.specialization_match.status
        points = {"match": 0, "partial": "fit_specialization_partial_points"}.get(
            status, "fit_specialization_mismatch_points"
        )
        expected -= Fraction(str(k.threshold(points))) if points else 0
    assert fit.score == math.floor(min(100, max(0, expected)) + Fraction(1, 2))
    check_schema(fit)


def test_fit_is_deterministic_across_calls_and_engines(engine):
    first = engine.fit(MARCUS, "director", "growth").to_json()
    assert engine.fit(MARCUS, "director", "growth").to_json() == first
    other = Engine.load()
    try:
        assert other.fit(MARCUS, "director", "growth").to_json() == first
    finally:
        other.close()
    assert json.loads(first) == engine.fit(MARCUS, "director", "growth").to_dict()


# -- errors --------------------------------------------------------------------------------
def test_kept_requirement_checks_are_each_candidates_own(monkeypatch):
    from strategies import bench_batch

    from pmpath.results import score

    monkeypatch.setattr(score, "CHECKS_KEPT", 40)  # overflow and refill too
    kept_engine, fresh_engine = Engine.load(), Engine.load()  # models of their own
    fresh_engine.model._memo["fit-reads"] = {}  # no requirement kept: worked out each time
    profiles = list(bench_batch().synthetic_profiles(300, seed=17))
    # the same numbers written as int and float, and 0.0 and -0.0, print apart
    base = {"experience": {"total_years": 9, "product_years": 3}, "track_record": {}}
    for years, launches in ((3, 0), (3.0, 0), (3, 0.0), (3, -0.0), (3.0, 0)):
        profiles.append(
            {**base, "experience": {"total_years": 9, "product_years": years}}
            | {"track_record": {"launches": launches}}
        )
    try:
        for profile in profiles:
            for role in ("pm", "director"):
                kept = kept_engine.fit(profile, role)
                fresh = fresh_engine.fit(profile, role)
                assert kept.to_json(indent=None) == fresh.to_json(indent=None)
                assert kept.to_dict() == fresh.to_dict()
        checks = kept_engine.model._memo["fit-checks"]
        assert 0 < len(checks) <= 40
        assert (
            "fit-checks" not in fresh_engine.model._memo
            or not fresh_engine.model._memo["fit-checks"]
        )
    finally:
        kept_engine.close()
        fresh_engine.close()


def test_a_fit_reads_no_met_fact_so_what_fired_is_all_it_needs(engine):
    # role fit explains requirements against the derived facts that fired, working
    # out no `met` fact of its own: exact only while no requirement reads one (R107)
    from pmpath.model.memo import memo
    from pmpath.results import score

    reads = memo(engine.model, "fit-reads", score._requirement_reads)
    read = {pred for r in reads.values() for pred in r[1]}
    assert read  # signals
    assert all(kind not in ("met", "reached") for kind, _ in read)


def test_an_unknown_role_is_a_clear_error_with_a_suggestion(engine):
    with pytest.raises(RoleError) as info:
        engine.fit(KWAME, role="senior")
    assert info.value.code == "F001"
    assert "choose one of: apm, pm, senior_pm, director, vp, cpo" in str(info.value)
    assert "did you mean 'senior_pm'?" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_aspiring_is_not_a_role_to_fit_against(engine):
    with pytest.raises(RoleError, match="rung before any product role"):
        engine.fit(KWAME, role="aspiring")


def test_an_unknown_specialization_is_a_clear_error(engine):
    with pytest.raises(RoleError, match="did you mean 'growth'") as info:
        engine.fit(KWAME, role="pm", specialization="grwth")
    assert info.value.code == "F002" and info.value.to_dict()["path"] == "specialization"


def test_a_non_string_role_is_a_clear_error(engine):
    with pytest.raises(RoleError, match="unknown role 3"):
        engine.fit(KWAME, role=3)


def test_an_invalid_profile_is_a_profile_error_with_the_field_path(engine):
    with pytest.raises(ProfileError) as info:
        engine.fit({"experience": {"total_years": 2, "product_years": 5}}, role="pm")
    assert info.value.path == "experience.product_years"


# -- text ---------------------------------------------------------------------------------
def test_text_reads_at_a_glance(engine):
    text = render_text(engine.fit(KWAME, role="senior_pm", specialization="platform"))
    lines = text.splitlines()
    assert lines[0] == "Fit for Senior Product Manager (Platform PM): 65/100"
    assert lines[1].startswith("Kwame Mensah (app-008) stands at Senior Product Manager")
    assert "Senior Product Manager: 4 of 5 met (75% of the score)" in lines
    assert (
        "  ✗ Leads associate or mid-level PMs, with or without reporting lines. [productplan]"
        in lines
    )
    assert "Rungs below: 3 of 3 met (25% of the score; the ladder is cumulative)" in lines
    assert "Specialization: ✗ mismatch (−20)" in lines
    assert any(line.startswith("  · Tools don't transfer:") for line in lines)
    assert "Score: 75 × 4/5 + 25 × 3/3 − 20 = 65 → 65" in lines


# -- the command ------------------------------------------------------------------------------
@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "kwame.yaml"
    path.write_text(yaml.safe_dump(KWAME, sort_keys=False), encoding="utf-8")
    return path


def test_fit_command_prints_the_score_and_each_requirement(profile_file):
    result = CliRunner().invoke(cli, ["fit", str(profile_file), "--role", "senior_pm"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Fit for Senior Product Manager: 85/100\n")
    assert "✓ Has shipped at least 1 launch. [kwan]" in result.output
    assert "Specialization: none asked for; the candidate is a Growth PM." in result.output


def test_fit_command_json_is_fit_output_v1(profile_file, engine):
    result = CliRunner().invoke(
        cli,
        [
            "fit",
            str(profile_file),
            "--role",
            "senior_pm",
            "--specialization",
            "growth",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert not list(schemas.explainer("fit").iter_errors(data))
    assert data == engine.fit(KWAME, "senior_pm", "growth").to_dict()


def test_fit_command_rejects_an_unknown_role_as_a_usage_error(profile_file):
    result = CliRunner().invoke(cli, ["fit", str(profile_file), "--role", "seniorpm"])
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert "did you mean 'senior_pm'?" in result.output
    assert "Traceback" not in result.output


def test_fit_command_needs_a_role(profile_file):
    result = CliRunner().invoke(cli, ["fit", str(profile_file)])
    assert result.exit_code == 2 and "Missing option '--role'" in result.output


def test_fit_command_reports_a_bad_profile_with_its_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experience:\n  total_years: 2\n  product_years: 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["fit", str(bad), "--role", "pm"])
    assert result.exit_code == 1
    assert f"{bad}:3" in result.output and "experience.product_years" in result.output
    missing = CliRunner().invoke(cli, ["fit", str(tmp_path / "nope.yaml"), "--role", "pm"])
    assert missing.exit_code == 1 and "file not found" in missing.output


def test_fit_command_reads_stdin(profile_file):
    result = CliRunner().invoke(
        cli, ["fit", "-", "--role", "pm", "--format", "json"], input=profile_file.read_text()
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["score"] == 100


def test_fit_runs_as_a_real_subprocess(profile_file, tmp_path):
    audit = tmp_path / "audit.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pmpath.cli.main",
            "fit",
            str(profile_file),
            "--role",
            "senior_pm",
            "--specialization",
            "growth",
            "--format",
            "json",
            "--audit-log",
            str(audit),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["score"] == 85 and data["specialization_match"]["status"] == "match"
    (record,) = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert record["kind"] == "fit" and record["output"] == data
    assert record["request"] == {"role": "senior_pm", "specialization": "growth"}
    bad = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "fit", str(profile_file), "--role", "ceo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "unknown role 'ceo'" in bad.stderr
