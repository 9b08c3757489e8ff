"""The compact JSON fast path (`Recommendation.to_json(indent=None)`) is byte-identical
to ``json.dumps(rec.to_dict(), ensure_ascii=False, separators=(",", ":"))``.

It is assembled from precomputed text, so these tests hold it to the plain
serialisation over many profiles: property-based ones (every field optional,
odd strings and numbers), a synthetic candidate pool across every level, both
evaluators, and caches that start afresh mid-run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import any_profiles, bench_batch, share_work

from pmpath import Engine, EngineError, Recommendation
from pmpath.results import compact as compact_module
from pmpath.results.score import assess

ROOT = Path(__file__).resolve().parents[2]


def _plain(rec: Recommendation) -> str:
    return json.dumps(rec.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _fresh(rec: Recommendation) -> Recommendation:
    """The same answer with nothing computed yet (cached properties start empty)."""
    return Recommendation(rec.model, rec.profile, rec.derived, rec.fired)


# text that JSON escapes, that % formatting would misread, and beyond the BMP
odd_text = st.text(
    alphabet=st.sampled_from(list('aZ "\\/%s\n\t\x00\x1fé€😀\u2028\ud800{}[],:')), max_size=12
)


@st.composite
def odd_profiles(draw) -> dict:
    """A valid profile whose free text and numbers are the awkward kinds."""
    profile = draw(any_profiles)
    if draw(st.booleans()):
        profile["id"] = draw(odd_text.filter(bool))
    if draw(st.booleans()):
        profile["name"] = draw(odd_text)
    experience = profile["experience"]
    if draw(st.booleans()):
        experience["current_title"] = draw(odd_text)
    # 3 and 3.0 and -0.0 print differently; each must survive as itself
    total = draw(st.sampled_from([-0.0, 0.0, 3, 3.0, 7.25, 12, 12.0, 40.5]))
    experience["total_years"] = total
    experience["product_years"] = draw(
        st.sampled_from([v for v in (-0.0, 0, 0.0, 2, 2.0, 3.0, 7.25) if v <= total])
    )
    experience.pop("people_management_years", None)
    if "work" in profile:
        profile["work"] = share_work(profile["work"], experience["product_years"])
    return profile


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=odd_profiles())
def test_compact_json_is_byte_identical_to_json_dumps_of_to_dict(engine, profile):
    rec = engine.recommend(profile)
    assert _fresh(rec).to_json(indent=None) == _plain(_fresh(rec))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=any_profiles)
def test_compact_json_is_identical_through_the_reference_evaluator(engine, profile):
    rec = engine.recommend_reference(profile)
    assert rec.to_json(indent=None) == _plain(_fresh(rec))


ROLES = st.sampled_from(
    [
        ("apm", None),
        ("pm", "core"),
        ("senior_pm", None),
        ("director", "growth"),
        ("cpo", "innovation"),
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=odd_profiles(), opening=ROLES)
def test_fit_compact_json_is_byte_identical_to_json_dumps_of_to_dict(engine, profile, opening):
    fit = assess(engine.recommend(profile), *opening)
    plain = json.dumps(fit.to_dict(), ensure_ascii=False, separators=(",", ":"))
    assert fit.to_json(indent=None) == plain


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=odd_profiles(), opening=ROLES)
def test_fit_pieces_join_into_its_compact_json_and_a_record_holds_both(engine, profile, opening):
    from pmpath.batch.records import Outcome, jsonl_ok

    rec = engine.recommend(profile)
    fit = assess(rec, *opening)
    before, breakdown, after = fit.json_pieces()
    assert before + breakdown + after == fit.to_json(indent=None)
    # the formula's "→" is in the breakdown alone (the profile's own text has none)
    assert "\u2192" in breakdown
    assert "\u2192" not in before + after
    line = jsonl_ok(Outcome("a\u2028😀", "in.jsonl", 3, rec, fit=fit))
    record = json.loads(line)  # lone surrogates in the profile: escaped, still one line
    assert line.endswith(b"}\n") and line.count(b"\n") == 1
    assert record["recommendation"] == rec.to_dict() and record["fit"] == fit.to_dict()


def test_fit_compact_json_of_a_pool_is_byte_identical_every_time(engine):
    for profile in bench_batch().synthetic_profiles(400, seed=17):
        rec = engine.recommend(profile)
        for opening in (("senior_pm", None), ("vp", "platform")):
            fit = assess(rec, *opening)
            text = fit.to_json(indent=None)
            assert text == json.dumps(fit.to_dict(), ensure_ascii=False, separators=(",", ":"))
            assert text == fit.to_json(indent=None)  # the kept fragments change nothing


def test_fit_compact_json_after_output_v1_reuses_its_evidence_identically(engine):
    # in a batch with --role, output v1 is written first and fit JSON reads the
    # candidate's evidence lists it left on the recommendation
    used = 0
    for profile in bench_batch().synthetic_profiles(300, seed=19):
        rec = engine.recommend(profile)
        rec.to_json(indent=None)
        used += compact_module.EVIDENCE_JSON in rec.__dict__
        for opening in (("pm", None), ("director", "growth")):
            fit = assess(rec, *opening)
            plain = json.dumps(fit.to_dict(), ensure_ascii=False, separators=(",", ":"))
            assert fit.to_json(indent=None) == plain
    assert used == 300


def test_a_synthetic_pool_across_every_level_serialises_identically(engine):
    pool = list(bench_batch().synthetic_profiles(3000, seed=11))
    levels = set()
    for profile in pool:
        rec = engine.recommend(profile)
        levels.add(rec.level)
        assert _fresh(rec).to_json(indent=None) == _plain(rec), profile["id"]
    assert levels == {"aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo"}


def test_cached_parts_starting_afresh_change_nothing(engine, monkeypatch):
    monkeypatch.setattr(compact_module, "_CACHE_MAX", 3)
    monkeypatch.setattr(compact_module, "_STEPS_KEPT", 3)
    for profile in bench_batch().synthetic_profiles(300, seed=5):
        rec = engine.recommend(profile)
        assert _fresh(rec).to_json(indent=None) == _plain(rec)


def test_compact_json_is_the_same_whatever_was_computed_first(engine):
    profile = next(bench_batch().synthetic_profiles(1, seed=3))
    rec = engine.recommend(profile)
    expected = _plain(rec)
    warm = _fresh(rec)
    warm.steps, warm.gaps, warm.warnings()
    assert warm.to_json(indent=None) == expected
    assert rec.to_json(indent=None) == expected  # after to_dict ran on it


def test_compact_json_does_not_depend_on_which_engine_made_it(engine):
    profile = {"id": "x", "experience": {"total_years": 9, "product_years": 6}}
    other = Engine.load()
    assert engine.recommend(profile).to_json(indent=None) == other.recommend(profile).to_json(
        indent=None
    )
    other.close()


def test_indented_json_is_unchanged(engine):
    rec = engine.recommend({"experience": {"total_years": 9, "product_years": 6}})
    assert rec.to_json() == json.dumps(rec.to_dict(), ensure_ascii=False, indent=2)
    assert rec.to_json(indent=4) == json.dumps(rec.to_dict(), ensure_ascii=False, indent=4)


def test_compact_json_is_one_line_of_valid_json(engine):
    rec = engine.recommend({"name": "a\nb", "experience": {"total_years": 1, "product_years": 0}})
    text = rec.to_json(indent=None)
    assert "\n" not in text
    assert json.loads(text) == rec.to_dict()


def test_json_pieces_join_into_the_compact_json_and_a_batch_record_holds_it(engine):
    from pmpath.batch.records import Outcome, jsonl_ok

    for profile in bench_batch().synthetic_profiles(200, seed=11):
        rec = engine.recommend(profile)
        pieces = rec.json_pieces()
        assert all(isinstance(p, str) for p in pieces)
        assert "".join(pieces) == _plain(_fresh(rec))
        line = jsonl_ok(Outcome("a\u2028😀", "in.jsonl", 3, rec))
        record = json.loads(line)
        assert line.endswith(b"}\n") and record["id"] == "a\u2028😀"
        assert record["recommendation"] == rec.to_dict()


def test_an_inconsistent_ruleset_fails_the_same_way_in_both(engine):
    rec = engine.recommend({"experience": {"total_years": 9, "product_years": 6}})
    extra = next(r.id for r in engine.model.ruleset.rules if r.id.startswith("ladder.level."))
    other_level = next(
        r.id
        for r in engine.model.ruleset.rules
        if r.id.startswith("ladder.level.") and r.id not in rec.fired
    )
    broken = Recommendation(rec.model, rec.profile, rec.derived, (*rec.fired, extra, other_level))
    with pytest.raises(EngineError, match="level facts"):
        broken.to_dict()
    broken = Recommendation(rec.model, rec.profile, rec.derived, (*rec.fired, extra, other_level))
    with pytest.raises(EngineError, match="level facts"):
        broken.to_json(indent=None)


def test_kept_next_level_and_steps_carry_each_profiles_own_time_to_go(engine):
    # the same answer but for the years: the next level and the steps are kept text
    # with a hole for the time to go, filled per profile
    codec = compact_module._codec_for(engine.model)
    waits, texts = set(), []
    for years in (3, 3.5, 4.2, 3.5):
        profile = {
            "experience": {"total_years": 9, "product_years": years},
            "track_record": {"launches": 4},
            "scope": {"owns_roadmap": True, "strategy_horizon_months": 6},
        }
        rec = engine.recommend(profile)
        text = rec.to_json(indent=None)
        assert text == _plain(_fresh(rec))
        gaps = json.loads(text)["next_level"]["gaps"]
        waits.add(tuple(g["time_to_go"] for g in gaps if g["time_to_go"]))
        texts.append(text)
    assert len(waits) == 3  # three different times to go, each where it belongs
    assert texts[1] == texts[3]
    assert any(isinstance(t, compact_module._Waits) for t in codec._next.values())
    assert any(isinstance(t, compact_module._Waits) for t in codec._steps.values())


def test_the_rungs_up_to_a_target_are_kept_per_rung_with_each_profiles_own_time_to_go(engine):
    # candidates at two levels, aiming at VP: the rungs above the next one are kept
    # text per rung (whoever the candidate), with a hole for each time to go
    codec = compact_module._codec_for(engine.model)
    targets = []
    for years, launches in ((1.5, 1), (3, 4), (4.2, 4), (3, 4), (2.5, 1)):
        profile = {
            "experience": {"total_years": 9, "product_years": years},
            "track_record": {"launches": launches},
            "goals": {"target": "vp"},
        }
        rec = engine.recommend(profile)
        assert rec.target == "vp" and rec._far_rungs  # rungs above the next one
        text = rec.to_json(indent=None)
        assert text == _plain(_fresh(rec))
        targets.append(json.loads(text)["target"])
    assert targets[1] == targets[3]
    waits = {
        gap["time_to_go"]
        for target in targets
        for rung in target["rungs"]
        if rung["id"] == "vp"
        for gap in rung["gaps"]
        if gap["time_to_go"]
    }
    assert len(waits) == 4  # each profile's own years, in the rung kept for all of them
    assert any(isinstance(t, compact_module._Waits) for t in codec._far.values())


def test_evidence_kept_per_value_writes_equal_values_of_another_class_or_sign_as_themselves(
    engine,
):
    # 0, 0.0 and -0.0 (and 3 and 3.0) are equal dict keys but different JSON: the
    # evidence kept per value must not hand one the other's text
    codec = compact_module._codec_for(engine.model)
    seen = {}
    for years in (0.0, -0.0, 0, 3, 3.0, -0.0, 0.0, 3.0, 3, 0):
        profile = {"experience": {"total_years": 9, "product_years": years}}
        rec = engine.recommend(profile)
        text = rec.to_json(indent=None)
        assert text == _plain(_fresh(rec))
        facts = [
            item["facts"]["experience.product_years"]
            for item in json.loads(text)["trace"]
            if "experience.product_years" in item["facts"]
        ]
        assert facts and all(json.dumps(f) == json.dumps(years) for f in facts)
        seen.setdefault(json.dumps(years), text)
        assert seen[json.dumps(years)] == text
    assert len(seen) == 5
    assert any(item.texts for item in codec.items if isinstance(item, compact_module._RuleEvidence))
