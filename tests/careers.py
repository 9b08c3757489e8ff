"""Coherent careers drawn around a true rung: the pool assessment v2 is measured on.

Fields drawn independently (tests/strategies.py) make incoherent people: a VP
with no launches, a director who never managed. Here each person is drawn as
one career: years, scope and record that go together for their rung, with the
deviations the articles allow (a senior PM who leads no one, a VP with eight
years in product, a VP whose PMs own the roadmaps). `drop(profile, share, rng)`
leaves out a share of the optional fields, as real exports do.
"""

from __future__ import annotations

import copy
import random

RUNGS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")


def _u(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 1)


def career(rung: str, rng: random.Random) -> dict:
    """A complete profile (every field given) of someone truly on ``rung``."""
    r = rng.random
    exp: dict = {}
    scope = {
        "leads_pms": False,
        "pm_reports": 0,
        "managers_reporting": 0,
        "cross_functional_reports": False,
        "owns_roadmap": False,
        "owns_vision": False,
        "strategy_horizon_months": 0,
        "presents_to_executives": False,
        "owns_budget": False,
        "portfolio_products": 0,
        "external_partnerships": False,
    }
    track = {
        "launches": 0,
        "certification": r() < 0.3,
        "side_project": r() < 0.3,
        "apm_program": False,
        "end_to_end_project": r() < 0.5,
        "mentors_pms": 0,
    }
    if rung == "aspiring":
        total = _u(rng, 0, 10)
        exp = {"total_years": total, "product_years": 0, "people_management_years": 0}
    elif rung == "apm":
        product = _u(rng, 0.2, 1.8)
        total = round(product + (_u(rng, 0, 1) if product >= 1 else _u(rng, 0, 4)), 1)
        if product >= 1 and total >= 3:
            total = 2.9
        exp = {"total_years": max(total, product), "product_years": product}
        exp["people_management_years"] = 0
        track["launches"] = rng.choice([0, 0, 1, 2])
        track["apm_program"] = r() < 0.4
    elif rung == "pm":
        product = _u(rng, 2, 4.5)
        exp = {"total_years": round(product + _u(rng, 0, 5), 1), "product_years": product}
        exp["people_management_years"] = 0
        track["launches"] = rng.randint(1, 6)
        scope["owns_roadmap"] = r() < 0.4
        scope["strategy_horizon_months"] = rng.choice([0, 1, 2]) if scope["owns_roadmap"] else 3
        scope["presents_to_executives"] = r() < 0.3
    elif rung == "senior_pm":
        product = _u(rng, 5, 9)
        exp = {"total_years": round(product + _u(rng, 0, 4), 1), "product_years": product}
        newer = r() < 0.2  # a newer senior PM: fewer years, the rest of the case strong
        ic = not newer and r() < 0.6  # many senior PMs lead no one
        exp["people_management_years"] = 0 if ic else _u(rng, 0, 1.5)
        scope.update(
            leads_pms=not ic,
            pm_reports=0 if ic else rng.choice([0, 1]),
            owns_roadmap=True,
            strategy_horizon_months=rng.choice([3, 6, 6, 9]),
            presents_to_executives=True,
        )
        track["launches"] = rng.randint(3, 15)
        track["mentors_pms"] = rng.randint(0, 2)
        if newer:
            exp["product_years"] = _u(rng, 3.5, 4.9)
            exp["total_years"] = max(exp["total_years"], exp["product_years"])
    elif rung == "director":
        product = _u(rng, 7, 11)
        exp = {"total_years": round(product + _u(rng, 0, 4), 1), "product_years": product}
        exp["people_management_years"] = _u(rng, 2, 5)
        scope.update(
            leads_pms=True,
            pm_reports=rng.randint(2, 8),
            owns_roadmap=True,
            strategy_horizon_months=rng.choice([6, 9, 12]),
            presents_to_executives=True,
            cross_functional_reports=r() < 0.3,
            owns_budget=r() < 0.3,
        )
        scope["owns_vision"] = not scope["owns_budget"] and r() < 0.3
        track["launches"] = rng.randint(5, 20)
        track["mentors_pms"] = rng.randint(1, 6)
    elif rung == "vp":
        # at most one of the deviations productplan's "in most cases" allows
        deviation = rng.choice([None, None, "years", "management", "pms-only"])
        product = _u(rng, 8, 9.9) if deviation == "years" else _u(rng, 10, 15)
        exp = {"total_years": round(product + _u(rng, 0, 4), 1), "product_years": product}
        short = deviation == "management"
        exp["people_management_years"] = _u(rng, 3, 4.9) if short else _u(rng, 5, 10)
        scope.update(
            leads_pms=True,
            pm_reports=rng.randint(6, 30),
            managers_reporting=rng.randint(0, 2),
            cross_functional_reports=deviation != "pms-only",
            owns_roadmap=r() < 0.6,  # often the PMs own the roadmaps
            owns_vision=True,
            owns_budget=True,
            strategy_horizon_months=rng.choice([12, 18, 24]),
            presents_to_executives=True,
            portfolio_products=rng.choice([1, 1, 2]),
        )
        track["launches"] = rng.randint(10, 40)
        track["mentors_pms"] = rng.randint(2, 8)
    elif rung == "cpo":
        product = _u(rng, 12, 20)
        exp = {"total_years": round(product + _u(rng, 3, 8), 1), "product_years": product}
        exp["people_management_years"] = _u(rng, 8, 15)
        many_vps = r() < 0.6  # either leads many VPs, or is an expanded VP
        scope.update(
            leads_pms=True,
            pm_reports=rng.randint(20, 120),
            managers_reporting=rng.randint(3, 8) if many_vps else rng.randint(0, 2),
            cross_functional_reports=True,
            owns_roadmap=r() < 0.3,
            owns_vision=True,
            owns_budget=True,
            strategy_horizon_months=rng.choice([36, 48, 60]),
            presents_to_executives=True,
            portfolio_products=rng.randint(3, 6),
            external_partnerships=r() < 0.8,
        )
        track["launches"] = rng.randint(20, 60)
        track["mentors_pms"] = rng.randint(4, 12)
    else:
        raise ValueError(rung)
    exp["total_years"] = max(exp["total_years"], exp["people_management_years"])
    product = exp["product_years"]
    kinds = ["feature", "growth", "scaling", "pmf_expansion"]
    work = dict.fromkeys(kinds, 0)
    if product:
        main = rng.choice(kinds)
        work[main] = round(product * 0.6 - 0.05, 1)
        other = rng.choice([k for k in kinds if k != main])
        work[other] = round(product * 0.3 - 0.05, 1)
    return {
        "experience": exp,
        "employment": {
            "employed": True,
            "company_has_product_team": rung != "aspiring" or r() < 0.5,
        },
        "education": {"recent_graduate": rung == "aspiring" and r() < 0.3},
        "work": work,
        "scope": scope,
        "track_record": track,
        "strengths": {k: rng.randint(2, 5) for k in ("technical_data", "communication")},
    }


REQUIRED = {("experience", "total_years"), ("experience", "product_years")}


def drop(profile: dict, share: float, rng: random.Random) -> dict:
    """``profile`` with about ``share`` of its optional fields left out."""
    out = copy.deepcopy(profile)
    for section, fields in out.items():
        if not isinstance(fields, dict):
            continue
        for name in list(fields):
            if (section, name) not in REQUIRED and rng.random() < share:
                del fields[name]
    return out


def pool(n: int, seed: int = 11, share: float = 0.0) -> list[tuple[str, dict]]:
    """``n`` (true rung, profile) pairs, the rungs in turn; ``share`` of optional
    fields dropped."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rung = RUNGS[i % len(RUNGS)]
        profile = career(rung, rng)
        out.append((rung, drop(profile, share, rng) if share else profile))
    return out
