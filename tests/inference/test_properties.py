"""Invariants over generated profiles (hypothesis)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import any_profiles

from pmpath.source import schemas

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)
ORDER = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")

BOOLEAN_SCOPE = (
    "leads_pms",
    "cross_functional_reports",
    "owns_roadmap",
    "owns_vision",
    "presents_to_executives",
    "owns_budget",
    "external_partnerships",
)
COUNT_SCOPE = ("pm_reports", "managers_reporting", "portfolio_products", "strategy_horizon_months")


def more_experience(profile: dict, key: str, extra: float) -> dict:
    out = copy.deepcopy(profile)
    exp = out["experience"]
    exp[key] = round(exp.get(key, 0) + extra, 2)
    exp["total_years"] = round(exp["total_years"] + extra, 2)
    return out


def more_scope(profile: dict, flips: list[str], raises: dict[str, int]) -> dict:
    out = copy.deepcopy(profile)
    scope = out.setdefault("scope", {})
    for key in flips:
        scope[key] = True
    for key, extra in raises.items():
        scope[key] = scope.get(key, 0) + extra
    return out


def rank(engine, profile) -> int:
    return ORDER.index(engine.recommend(profile).level)


@settings(max_examples=400, **SETTINGS)
@given(any_profiles, st.floats(0.1, 10).map(lambda x: round(x, 2)))
def test_more_product_years_never_lower_the_level(engine, profile, extra):
    assert rank(engine, more_experience(profile, "product_years", extra)) >= rank(engine, profile)


@settings(max_examples=400, **SETTINGS)
@given(any_profiles, st.floats(0.1, 10).map(lambda x: round(x, 2)))
def test_more_management_years_never_lower_the_level(engine, profile, extra):
    bigger = more_experience(profile, "people_management_years", extra)
    assert rank(engine, bigger) >= rank(engine, profile)


@settings(max_examples=400, **SETTINGS)
@given(
    any_profiles,
    st.lists(st.sampled_from(BOOLEAN_SCOPE), unique=True),
    st.dictionaries(st.sampled_from(COUNT_SCOPE), st.integers(1, 24)),
)
def test_more_scope_never_lowers_the_level(engine, profile, flips, raises):
    assert rank(engine, more_scope(profile, flips, raises)) >= rank(engine, profile)


def _kinds_practised(work: dict) -> int:
    return sum(1 for k in ("feature", "growth", "scaling", "pmf_expansion") if work.get(k, 0) >= 1)


#: step id -> "the profile shows this is done", written independently of the rules
DONE = {
    "pm-certification": lambda p: p["track_record"].get("certification", False),
    "side-project": lambda p: p["track_record"].get("side_project", False),
    "own-project-end-to-end": lambda p: p["track_record"].get("end_to_end_project", False),
    "apm-program": lambda p: p["track_record"].get("apm_program", False),
    "technical-background": lambda p: (
        p["education"].get("field") in ("computer_science", "engineering")
        or p["experience"].get("background") == "engineering"
    ),
    "communication-storytelling": lambda p: p["strengths"].get("communication", 0) >= 4,
    "broaden-product-work": lambda p: _kinds_practised(p["work"]) >= 3,
    "ship-a-feature": lambda p: p["track_record"].get("launches", 0) >= 1,
    "product-strategy": lambda p: (
        p["scope"].get("owns_roadmap") and p["scope"].get("strategy_horizon_months", 0) >= 3
    ),
    "mentor-junior-pms": lambda p: (
        p["scope"].get("leads_pms")
        or p["scope"].get("pm_reports", 0) >= 1
        or p["scope"].get("managers_reporting", 0) >= 1
    ),
    "advise-other-pms": lambda p: p["track_record"].get("mentors_pms", 0) >= 2,
    "own-budget": lambda p: p["scope"].get("owns_budget", False),
    "own-product-vision": lambda p: p["scope"].get("owns_vision", False),
    "plan-year-ahead": lambda p: p["scope"].get("strategy_horizon_months", 0) >= 12,
    "lead-design-and-engineering": lambda p: p["scope"].get("cross_functional_reports", False),
    "portfolio-roi": lambda p: p["scope"].get("portfolio_products", 0) >= 2,
    "develop-product-leaders": lambda p: p["scope"].get("managers_reporting", 0) >= 2,
    "long-range-strategy": lambda p: p["scope"].get("strategy_horizon_months", 0) >= 36,
    "partnerships-and-story": lambda p: p["scope"].get("external_partnerships", False),
}
for _skill in (
    "technical_data",
    "communication",
    "problem_solving",
    "user_understanding",
    "strategic_thinking",
):
    DONE[f"skill-{_skill.replace('_', '-')}"] = lambda p, s=_skill: p["strengths"].get(s, 5) >= 3


@settings(max_examples=1500, **SETTINGS)
@given(any_profiles)
def test_no_next_step_repeats_what_the_profile_shows_done(engine, profile):
    normalised, _ = engine.prepare(profile)
    rec = engine.recommend(profile)
    repeated = [s for s in rec.steps if s in DONE and DONE[s](normalised)]
    assert not repeated, f"suggested although done: {repeated}"


@settings(max_examples=300, **SETTINGS)
@given(any_profiles)
def test_output_is_valid_v1_and_identical_run_after_run(engine, profile):
    first = engine.recommend(profile)
    schemas.explainer("output").validate(first.to_dict())
    assert engine.recommend(profile).to_json() == first.to_json()
    assert engine.recommend(copy.deepcopy(profile)).to_json(indent=None) == first.to_json(
        indent=None
    )


def test_output_is_byte_identical_across_processes(engine):
    """Another interpreter, another hash seed, another engine: the same bytes."""
    golden = sorted((Path(__file__).resolve().parents[1] / "golden").glob("*.yaml"))
    import yaml

    profiles = [yaml.safe_load(p.read_text())["profile"] for p in golden]
    here = hashlib.sha256(
        "\n".join(engine.recommend(p).to_json() for p in profiles).encode()
    ).hexdigest()
    script = (
        "import hashlib, json, sys\n"
        "from pmpath import Engine\n"
        "profiles = json.load(sys.stdin)\n"
        "e = Engine.load()\n"
        "out = '\\n'.join(e.recommend(p).to_json() for p in profiles)\n"
        "print(hashlib.sha256(out.encode()).hexdigest())\n"
    )
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(profiles),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert done.stdout.strip() == here
