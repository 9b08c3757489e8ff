"""Assessment v2 outputs beyond the level: plausibility, target rungs, steps in a
specialist's terms, the step list's length, and fit on what is known."""

from __future__ import annotations

import pytest

from pmpath import ProfileError
from pmpath.render.text import STEPS_SHOWN, render_text

PM = {
    "experience": {"total_years": 5, "product_years": 3, "people_management_years": 0},
    "scope": {
        "leads_pms": False,
        "pm_reports": 0,
        "owns_roadmap": False,
        "strategy_horizon_months": 0,
        "presents_to_executives": False,
    },
    "track_record": {"launches": 2},
}


def test_work_years_above_the_years_in_product_are_an_error_naming_the_field(engine):
    with pytest.raises(ProfileError) as caught:
        engine.recommend(
            {
                "experience": {"total_years": 6, "product_years": 3},
                "work": {"growth": 2, "feature": 2},
            }
        )
    assert caught.value.code == "P015" and caught.value.path in ("work.growth", "work.feature")


@pytest.mark.parametrize(
    ("profile", "code"),
    [
        (
            {"experience": {"total_years": 5, "product_years": 0}, "scope": {"pm_reports": 3}},
            "W201",
        ),
        (
            {"experience": {"total_years": 5, "product_years": 0}, "track_record": {"launches": 2}},
            "W202",
        ),
        (
            {
                "experience": {"total_years": 15, "product_years": 12},
                "scope": {"pm_reports": 2, "managers_reporting": 4},
            },
            "W203",
        ),
    ],
)
def test_an_improbable_profile_gets_a_warning_with_its_code(engine, profile, code):
    assert any(w.startswith(code + " ") for w in engine.recommend(profile).warnings())


def test_a_target_lists_every_rung_on_the_way_with_gaps_steps_and_time_to_go(engine):
    rec = engine.recommend({**PM, "goals": {"target": "director"}})
    target = rec.to_dict()["target"]
    assert [r["id"] for r in target["rungs"]] == ["senior_pm", "director"]
    director = target["rungs"][1]
    years = {g["requirement"]: g["time_to_go"] for g in director["gaps"]}
    assert years["director.product-experience"] == "about 4 more years in product"
    assert director["steps"] and all(s["answers"] for s in director["steps"])
    assert "On the way to Director of Product" in render_text(rec)
    assert (
        rec.to_dict()["target"]
        == engine.recommend_reference({**PM, "goals": {"target": "director"}}).to_dict()["target"]
    )


def test_a_target_at_or_below_the_placed_rung_gives_none_and_the_next_rung_gives_one(engine):
    assert engine.recommend(PM).to_dict()["target"] is None
    assert engine.recommend({**PM, "goals": {"target": "pm"}}).target is None
    rungs = engine.recommend({**PM, "goals": {"target": "senior_pm"}}).path_to_target()
    assert [r["id"] for r in rungs] == ["senior_pm"]


def test_a_growth_pm_reads_a_step_in_growth_terms_and_a_core_pm_does_not(engine):
    growth = engine.recommend({**PM, "work": {"growth": 3}})
    core = engine.recommend({**PM, "work": {"feature": 3}})
    step = next(s for s in growth.to_dict()["next_steps"] if s["id"] == "product-strategy")
    assert step["in_your_terms"]["source"] == "fishman-patel"
    assert "customer journey" in step["in_your_terms"]["text"]
    core_step = next(s for s in core.to_dict()["next_steps"] if s["id"] == "product-strategy")
    assert core_step["in_your_terms"] is None


def test_the_text_shows_five_steps_and_lists_the_rest_as_later(engine):
    rec = engine.recommend({**PM, "strengths": {"technical_data": 1, "communication": 2}})
    assert len(rec.steps) > STEPS_SHOWN
    text = render_text(rec)
    steps = text.split("Next steps\n", 1)[1]
    assert f"  {STEPS_SHOWN}. " in steps and f"  {STEPS_SHOWN + 1}. " not in steps
    assert "Later: " in steps


def test_a_skill_rated_1_ranks_with_the_gap_steps(engine):
    rec = engine.recommend({**PM, "strengths": {"technical_data": 1}})
    assert rec.steps.index("skill-technical-data") < rec.steps.index("practice-nuance")
    rated_2 = engine.recommend({**PM, "strengths": {"technical_data": 2}})
    assert rated_2.steps[-1] == "skill-technical-data"


def test_fit_scores_on_what_is_known_and_says_what_the_unknowns_could_bring(engine):
    partial = {
        "experience": {"total_years": 9, "product_years": 7},
        "scope": {"owns_roadmap": True, "strategy_horizon_months": 6},
        "track_record": {"launches": 8},
    }
    fit = engine.fit(partial, role="senior_pm")
    unknown = {r.id for r in fit.unknown}
    assert {"senior_pm.shares-strategy", "senior_pm.leads-pms"} <= unknown
    assert fit.score < fit.score_if_confirmed == 100
    d = fit.to_dict()
    assert d["score_if_confirmed"] == fit.score_if_confirmed
    assert {r["id"]: r["status"] for rung in d["rungs"] for r in rung["requirements"]}[
        "senior_pm.leads-pms"
    ] == "unknown"


def test_questions_kept_per_set_of_what_they_read_are_each_profiles_own(monkeypatch):
    from strategies import bench_batch

    from pmpath import Engine
    from pmpath.results import advice

    monkeypatch.setattr(advice, "QUESTIONS_KEPT", 40)  # overflow and refill too
    engine = Engine.load()  # its own model: nothing kept yet
    asked = 0
    for profile in bench_batch().synthetic_profiles(800, seed=21):
        rec = engine.recommend(profile)
        args = (rec.profile, rec.level, rec.possible, rec.unknown, rec.strengthen)
        worked_out = advice._work_out_questions(engine.model, *args)
        assert rec._questions_found == tuple(worked_out)
        asked += bool(worked_out)
    kept, _ = engine.model._memo["questions-found"]
    assert 0 < len(kept) <= 40 and asked > 400
    engine.close()


def test_far_rungs_kept_per_set_of_what_they_read_are_each_profiles_own(monkeypatch):
    from strategies import bench_batch

    from pmpath import Engine
    from pmpath.profile.fields import sections
    from pmpath.results import advice

    monkeypatch.setattr(advice, "FAR_KEPT", 30)  # overflow and refill too
    engine = Engine.load()  # its own model: nothing kept yet
    k = engine.knowledge
    far = 0
    for profile in bench_batch().synthetic_profiles(1500, seed=23):
        rec = engine.recommend(profile)
        if rec.target is None:
            continue
        here, top = k.level_by_id[rec.level].index, k.level_by_id[rec.target].index
        known = set(rec.concluded_facts()) | {("reached", lv.id) for lv in k.levels}
        facts = sections(rec.profile, rec.derived)
        worked_out = advice._work_out_far_decisions(rec, facts, known, here, top)
        assert rec._far_rungs == worked_out
        far += bool(worked_out)
    kept = engine.model._memo["far-decisions"]
    assert 0 < len(kept) <= 30 and far > 100
    engine.close()
