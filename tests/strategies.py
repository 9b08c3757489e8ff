"""Hypothesis strategies for valid v1 profiles, shared by the property tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import strategies as st

LEVELS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")

years = st.one_of(
    st.integers(min_value=0, max_value=40),
    st.floats(min_value=0, max_value=40, allow_nan=False, allow_infinity=False).map(
        lambda x: round(x, 2)
    ),
)
count = st.integers(min_value=0, max_value=30)
rating = st.integers(min_value=1, max_value=5)
flag = st.booleans()
DEGREES = ["none", "bootcamp", "associate", "bachelor", "master", "phd"]
FIELDS = ["computer_science", "engineering", "business", "design", "other"]


def share_work(work: dict, product_years: float) -> dict:
    """``work`` scaled down to fit in the years in product (more is error P015)."""
    spent = sum(work.values())
    if spent <= product_years:
        return work
    scale = product_years / spent
    return {
        k: max(int(v * scale) if isinstance(v, int) else round(v * scale - 0.005, 2), 0)
        for k, v in work.items()
    }


def _maybe(draw, strategy, p_absent: float = 0.25):
    return None if draw(st.floats(0, 1)) < p_absent else draw(strategy)


@st.composite
def profiles(draw) -> dict:
    """A valid profile: every field optional but the two required ones, sections often absent."""
    total = draw(years)
    product = draw(years.filter(lambda y: True)) if total else 0
    product = min(product, total)
    management = min(draw(years), total)
    experience = {"total_years": total, "product_years": product}
    if draw(flag):
        experience["people_management_years"] = management
    if draw(flag):
        experience["background"] = draw(
            st.sampled_from(
                [
                    "engineering",
                    "design",
                    "data",
                    "marketing",
                    "sales",
                    "customer_success",
                    "operations",
                    "consulting",
                    "other",
                ]
            )
        )
    if draw(st.floats(0, 1)) < 0.2:
        experience["current_title"] = draw(st.text(max_size=30))
    profile: dict = {"experience": experience}
    if draw(flag):
        profile["id"] = draw(st.text(min_size=1, max_size=12))
    if draw(flag):
        section = {}
        for key, strategy in (
            ("degree", st.sampled_from(DEGREES)),
            ("field", st.sampled_from(FIELDS)),
            ("recent_graduate", flag),
        ):
            value = _maybe(draw, strategy)
            if value is not None:
                section[key] = value
        profile["education"] = section
    if draw(flag):
        profile["employment"] = {"employed": draw(flag), "company_has_product_team": draw(flag)}
    if draw(flag):
        work = {}
        for key in ("feature", "growth", "scaling", "pmf_expansion"):
            value = _maybe(draw, years, 0.4)
            if value is not None:
                work[key] = value
        profile["work"] = share_work(work, product)
    if draw(st.floats(0, 1)) < 0.8:
        scope = {}
        for key, strategy in (
            ("leads_pms", flag),
            ("pm_reports", count),
            ("managers_reporting", st.integers(0, 6)),
            ("cross_functional_reports", flag),
            ("owns_roadmap", flag),
            ("owns_vision", flag),
            ("strategy_horizon_months", st.sampled_from([0, 1, 3, 6, 9, 12, 18, 24, 36, 48, 60])),
            ("presents_to_executives", flag),
            ("owns_budget", flag),
            ("portfolio_products", st.integers(0, 5)),
            ("external_partnerships", flag),
        ):
            value = _maybe(draw, strategy, 0.3)
            if value is not None:
                scope[key] = value
        profile["scope"] = scope
    if draw(flag):
        strengths = {}
        for key in (
            "technical_data",
            "communication",
            "problem_solving",
            "user_understanding",
            "strategic_thinking",
        ):
            value = _maybe(draw, rating, 0.3)
            if value is not None:
                strengths[key] = value
        profile["strengths"] = strengths
    if draw(st.floats(0, 1)) < 0.8:
        track = {}
        for key, strategy in (
            ("launches", count),
            ("certification", flag),
            ("side_project", flag),
            ("apm_program", flag),
            ("end_to_end_project", flag),
            ("mentors_pms", st.integers(0, 8)),
        ):
            value = _maybe(draw, strategy, 0.3)
            if value is not None:
                track[key] = value
        profile["track_record"] = track
    if draw(flag):
        goals = {}
        target = _maybe(draw, st.sampled_from(["next", *LEVELS[1:]]))
        if target is not None:
            goals["target"] = target
        path = _maybe(draw, st.sampled_from(["internal", "external", "either"]))
        if path is not None:
            goals["path"] = path
        profile["goals"] = goals
    return profile


# Profiles that stand on a given rung, then nudged: without these, random fields
# rarely reach director and above, and the differential tests would not see them.
_RUNGS = {
    "apm": {"experience": {"total_years": 2, "product_years": 1}},
    "pm": {"experience": {"total_years": 4, "product_years": 3}, "track_record": {"launches": 2}},
    "senior_pm": {
        "experience": {"total_years": 8, "product_years": 6},
        "scope": {
            "leads_pms": True,
            "owns_roadmap": True,
            "strategy_horizon_months": 6,
            "presents_to_executives": True,
        },
        "track_record": {"launches": 5},
    },
    "director": {
        "experience": {"total_years": 10, "product_years": 8, "people_management_years": 3},
        "scope": {
            "leads_pms": True,
            "pm_reports": 3,
            "owns_roadmap": True,
            "strategy_horizon_months": 9,
            "presents_to_executives": True,
        },
        "track_record": {"launches": 8, "mentors_pms": 3},
    },
    "vp": {
        "experience": {"total_years": 14, "product_years": 12, "people_management_years": 6},
        "scope": {
            "leads_pms": True,
            "pm_reports": 8,
            "cross_functional_reports": True,
            "owns_roadmap": True,
            "owns_vision": True,
            "owns_budget": True,
            "strategy_horizon_months": 18,
            "presents_to_executives": True,
            "portfolio_products": 1,
        },
        "track_record": {"launches": 20, "mentors_pms": 5},
    },
    "cpo": {
        "experience": {"total_years": 20, "product_years": 15, "people_management_years": 10},
        "scope": {
            "leads_pms": True,
            "pm_reports": 20,
            "managers_reporting": 4,
            "cross_functional_reports": True,
            "owns_roadmap": True,
            "owns_vision": True,
            "owns_budget": True,
            "strategy_horizon_months": 48,
            "presents_to_executives": True,
            "portfolio_products": 3,
            "external_partnerships": True,
        },
        "track_record": {"launches": 30, "mentors_pms": 8},
    },
}


@st.composite
def ladder_profiles(draw) -> dict:
    """A profile built on a rung's template, with a few fields dropped or changed.

    The nudges use a drawn `random.Random`: hypothesis favours boundary values,
    which would break nearly every template and starve the upper rungs.
    (``use_true_random=True`` still draws its seed from hypothesis: reproducible.)
    """
    import copy

    rnd = draw(st.randoms(use_true_random=True))
    base = copy.deepcopy(_RUNGS[rnd.choice(sorted(_RUNGS))])
    noise = draw(profiles())
    for section, fields in noise.items():
        if not isinstance(fields, dict) or section == "experience":
            continue
        for key, value in fields.items():
            if rnd.random() < 0.04:
                base.setdefault(section, {})[key] = value
    for section in list(base):
        if isinstance(base[section], dict) and section != "experience":
            for key in list(base[section]):
                if rnd.random() < 0.03:
                    del base[section][key]
    experience = base["experience"]
    if rnd.random() < 0.15:
        experience["product_years"] = rnd.choice([round(experience["product_years"] * 0.6, 1), 0])
    experience["total_years"] = max(experience["total_years"], experience["product_years"])
    for key in ("work", "strengths", "education", "employment", "goals"):
        if key in noise and rnd.random() < 0.6:
            base[key] = noise[key]
    if "work" in base:
        base["work"] = share_work(base["work"], experience["product_years"])
    return base


any_profiles = st.one_of(profiles(), ladder_profiles())


def bench_batch():
    """benchmarks/bench_batch.py as a module: its seeded `synthetic_profiles(n, seed)`
    (a realistic candidate pool) and `write_jsonl` build the tests' pools too."""
    module = sys.modules.get("bench_batch")
    if module is None:
        path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_batch.py"
        spec = importlib.util.spec_from_file_location("bench_batch", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_batch"] = module
        spec.loader.exec_module(module)
    return module
