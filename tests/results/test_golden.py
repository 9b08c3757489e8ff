"""Golden profiles: each file in tests/golden/ states a profile and what pmpath must say.

Keys under `expect`: level, kwan_level, specialization, shape, path, next_level,
gaps (exact, in order), steps (exact, in order), steps_include, steps_exclude,
steps_order (these steps appear in this relative order), warnings_include;
and for what is not known (spec section 6): certainty, possible, within (a rung
that must lie in [level, possible]), gap_status ({requirement: status}),
questions_include (fields asked), questions_first (the first field asked).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pmpath.source import schemas

LEVELS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")
GOLDEN = sorted((Path(__file__).resolve().parents[1] / "golden").glob("*.yaml"))
CASES = {p.stem: yaml.safe_load(p.read_text()) for p in GOLDEN}


def check(rec, expect: dict) -> None:
    out = rec.to_dict()
    simple = {
        "level": rec.level,
        "kwan_level": rec.kwan_level,
        "specialization": rec.specialization,
        "shape": rec.shape,
        "path": rec.path,
        "next_level": rec.next_level,
        "gaps": rec.gaps,
        "steps": rec.steps,
        "certainty": rec.certainty,
        "possible": rec.possible,
    }
    for key, actual in simple.items():
        if key in expect:
            assert actual == expect[key], f"{key}: expected {expect[key]!r}, got {actual!r}"
    for step in expect.get("steps_include", ()):
        assert step in rec.steps, f"step {step} missing from {rec.steps}"
    for step in expect.get("steps_exclude", ()):
        assert step not in rec.steps, f"step {step} must not be suggested ({rec.steps})"
    order = [s for s in rec.steps if s in expect.get("steps_order", ())]
    assert order == list(expect.get("steps_order", order))
    if "within" in expect:
        index = {lv: i for i, lv in enumerate(LEVELS)}
        assert index[rec.level] <= index[expect["within"]] <= index[rec.possible]
    for req, status in expect.get("gap_status", {}).items():
        assert rec.status(req) == status, f"{req}: expected {status}, got {rec.status(req)}"
    asked = [q["field"] for q in out["questions"]]
    for field in expect.get("questions_include", ()):
        assert field in asked, f"no question about {field} ({asked})"
    if "questions_first" in expect:
        assert asked[:1] == [expect["questions_first"]], asked
    for text in expect.get("warnings_include", ()):
        assert any(text in w for w in out["warnings"]), f"no warning containing {text!r}"
    schemas.explainer("output").validate(out)


def test_there_are_enough_golden_profiles_to_cover_the_ladder():
    expects = [c["expect"] for c in CASES.values()]
    assert len(CASES) >= 25
    assert {e.get("level") for e in expects} - {None} == {
        "aspiring",
        "apm",
        "pm",
        "senior_pm",
        "director",
        "vp",
        "cpo",
    }
    specializations = {e.get("specialization") for e in expects}
    assert specializations >= {"core", "growth", "platform", "innovation"}
    assert {e.get("shape") for e in expects} >= {"I", "T"}
    assert {e.get("path") for e in expects} >= {"internal", "external"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_profile_gets_the_expected_answer(engine, name):
    case = CASES[name]
    check(engine.recommend(case["profile"]), case["expect"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_profile_gets_the_same_answer_from_every_evaluator(engine, host_engine, name):
    profile = CASES[name]["profile"]
    lean = engine.recommend(profile).to_json()
    assert host_engine.recommend(profile).to_json() == lean
    assert engine.recommend_reference(profile).to_json() == lean
