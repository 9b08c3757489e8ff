"""The embedding API: what a hiring system imports from `pmpath`, and that it is safe to share."""

from __future__ import annotations

import inspect
import json
import multiprocessing
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

import pmpath
from pmpath import (
    AuditError,
    AuditLog,
    Engine,
    EngineError,
    Fit,
    KnowledgeError,
    PmpathError,
    Profile,
    ProfileError,
    Recommendation,
    RoleError,
    load_profile,
    parse_profile,
)
from pmpath.source import schemas

WORK = ("feature", "growth", "scaling", "pmf_expansion")
ROLES = ("apm", "pm", "senior_pm", "director", "vp", "cpo")
SPECIALIZATIONS = (None, "core", "growth", "platform", "innovation")


def seeded_profiles(n: int, seed: int = 6) -> list[dict]:
    """``n`` valid, varied profiles across every rung, the same ones for the same seed.

    Each profile aims at a tier (0 aspiring ... 6 CPO) and draws its facts
    around it, with noise, so every level and many near misses appear.
    """
    rnd = random.Random(seed)

    def near(value: float, lo: float = 0) -> float:
        return max(lo, round(value * rnd.uniform(0.6, 1.4), 1))

    out = []
    for i in range(n):
        tier = rnd.randint(0, 6)
        product = 0.0 if tier == 0 else near([0, 1, 3, 6, 9, 12, 16][tier])
        total = round(product + near(rnd.choice([0, 1, 3, 6])), 1)
        management = min(total, near([0, 0, 0, 1, 3, 6, 9][tier]))
        profile: dict = {
            "id": f"cand-{i:05d}",
            "experience": {
                "total_years": total,
                "product_years": product,
                "people_management_years": management,
            },
        }
        if rnd.random() < 0.85:
            left = product
            work = {}
            for kind in rnd.sample(WORK, rnd.randint(1, 4)):
                years = round(left * rnd.random(), 1)
                work[kind] = years
                left -= years
            profile["work"] = work
        if rnd.random() < 0.9:

            def chance(base: float, tier: int = tier) -> bool:
                return rnd.random() < min(0.95, base + 0.22 * tier)

            profile["scope"] = {
                "leads_pms": chance(-0.3),
                "pm_reports": max(0, tier - 2 + rnd.randint(-1, 2)),
                "managers_reporting": max(0, tier - 4 + rnd.randint(-1, 1)),
                "cross_functional_reports": chance(-0.5),
                "owns_roadmap": chance(0.1),
                "owns_vision": chance(-0.6),
                "strategy_horizon_months": rnd.choice(
                    [0, 1, 3, 6, 12, 18, 36, 48][tier : tier + 2]
                ),
                "presents_to_executives": chance(-0.1),
                "owns_budget": chance(-0.6),
                "portfolio_products": max(0, tier - 4 + rnd.randint(0, 2)),
                "external_partnerships": chance(-0.8),
            }
        if rnd.random() < 0.7:
            profile["strengths"] = {
                k: rnd.randint(1, 5)
                for k in ("technical_data", "communication", "problem_solving")
                if rnd.random() < 0.8
            }
        profile["track_record"] = {
            "launches": max(0, tier * 2 + rnd.randint(-2, 3)),
            "certification": rnd.random() < 0.3,
            "apm_program": tier <= 1 and rnd.random() < 0.3,
            "mentors_pms": max(0, tier - 2 + rnd.randint(-1, 1)),
        }
        if rnd.random() < 0.3:
            profile["education"] = {"recent_graduate": total <= 1, "degree": "bachelor"}
        if rnd.random() < 0.3:
            profile["employment"] = {
                "employed": rnd.random() < 0.8,
                "company_has_product_team": rnd.random() < 0.5,
            }
        out.append(profile)
    return out


PROFILES = seeded_profiles(500)


def answer(engine: Engine, i: int, profile: dict) -> tuple[str, str]:
    """One profile's recommendation and fit, as JSON text (what must not vary)."""
    role = ROLES[i % len(ROLES)]
    spec = SPECIALIZATIONS[i % len(SPECIALIZATIONS)]
    return (
        engine.recommend(profile).to_json(indent=None),
        engine.fit(profile, role=role, specialization=spec).to_json(indent=None),
    )


@pytest.fixture(scope="module")
def sequential(engine) -> list[tuple[str, str]]:
    return [answer(engine, i, p) for i, p in enumerate(PROFILES)]


# -- what is importable ---------------------------------------------
PUBLIC = (
    "Engine",
    "Recommendation",
    "Fit",
    "Profile",
    "load_profile",
    "parse_profile",
    "check_profile",
    "AuditLog",
    "PmpathError",
    "ProfileError",
    "KnowledgeError",
    "EngineError",
    "RoleError",
    "AuditError",
    "Problem",
    "__version__",
)


def test_everything_a_hiring_system_needs_is_importable_from_pmpath():
    for name in PUBLIC:
        assert name in pmpath.__all__, name
        assert getattr(pmpath, name) is not None


def test_public_names_are_documented():
    for name in PUBLIC:
        obj = getattr(pmpath, name)
        if callable(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"
    for method in ("load", "recommend", "recommend_many", "fit", "close"):
        assert inspect.getdoc(getattr(Engine, method)) or method == "close", method
    for method in ("to_dict", "to_json"):
        assert inspect.getdoc(getattr(Recommendation, method)), method
        assert inspect.getdoc(getattr(Fit, method)), method


@pytest.mark.parametrize(
    "func",
    [Engine.load, Engine.recommend, Engine.recommend_many, Engine.fit, load_profile, Fit.to_json],
    ids=lambda f: f.__qualname__,
)
def test_the_api_is_typed(func):
    sig = inspect.signature(func)
    assert sig.return_annotation is not inspect.Signature.empty
    for name, param in sig.parameters.items():
        if name in ("self", "cls"):
            continue
        assert param.annotation is not inspect.Parameter.empty, f"{func.__qualname__}({name})"


def test_the_package_is_marked_typed():
    assert (Path(pmpath.__file__).parent / "py.typed").exists()


def test_error_classes_share_one_base_with_stable_codes():
    for cls in (ProfileError, KnowledgeError, EngineError, RoleError, AuditError):
        assert issubclass(cls, PmpathError)
        assert isinstance(cls.code, str) and len(cls.code) == 4


def test_the_code_registry_names_the_class_that_raises_each_code():
    from pmpath.errors import FAMILIES, BatchError, DiffError, error_class

    for cls in (ProfileError, KnowledgeError, EngineError, RoleError, AuditError):
        assert error_class(cls.code) is cls, cls
    for cls in (BatchError, DiffError):
        assert error_class(cls.code) is cls, cls
    assert error_class("R104") is KnowledgeError
    assert error_class("Z999") is PmpathError
    assert set(FAMILIES.values()) <= {c for c in PmpathError.__subclasses__()}


# -- loading ---------------------------------------------
def test_load_takes_no_arguments_or_explicit_directories(engine, root):
    explicit = Engine.load(knowledge=root / "knowledge", rules=root / "rules")
    try:
        assert explicit.knowledge_version == engine.knowledge_version
        default = Engine.load(None, None)
        assert default.knowledge_version == engine.knowledge_version
        default.close()
    finally:
        explicit.close()


def test_loading_a_missing_knowledge_directory_is_a_knowledge_error(tmp_path):
    with pytest.raises(KnowledgeError) as info:
        Engine.load(knowledge=tmp_path / "nowhere")
    assert info.value.problems and info.value.code == "K007"


# -- recommend accepts a mapping or a loaded profile ---------------------------------------------
def test_recommend_and_fit_accept_a_mapping_or_a_loaded_profile(engine, tmp_path):
    profile = PROFILES[7]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    loaded = load_profile(path)
    parsed = parse_profile(json.dumps(profile), "p.json", "json")
    assert isinstance(loaded, Profile) and isinstance(parsed, Profile)
    expected = engine.recommend(profile).to_json()
    assert engine.recommend(loaded).to_json() == expected
    assert engine.recommend(parsed).to_json() == expected
    fit = engine.fit(profile, "director", "growth").to_json()
    assert engine.fit(loaded, "director", "growth").to_json() == fit
    assert isinstance(engine.recommend(profile), Recommendation)
    assert isinstance(engine.fit(loaded), Fit)


def test_fit_defaults_to_a_senior_pm_opening_with_no_specialization(engine):
    fit = engine.fit(PROFILES[0])
    assert fit.role == "senior_pm" and fit.specialization is None


def test_a_bad_profile_from_a_file_names_the_file_line_and_field(engine, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("experience:\n  total_years: 3\n  product_years: '2'\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        engine.recommend(load_profile(path))
    err = info.value
    assert (err.path, err.line) == ("experience.product_years", 3)
    assert err.file == str(path) and err.code.startswith("P")


def test_to_dict_and_to_json_agree_and_follow_their_schemas(engine):
    for i, profile in enumerate(PROFILES[:60]):
        rec = engine.recommend(profile)
        fit = engine.fit(profile, ROLES[i % 6], SPECIALIZATIONS[i % 5])
        assert json.loads(rec.to_json()) == rec.to_dict()
        assert json.loads(fit.to_json()) == fit.to_dict()
        assert not list(schemas.explainer("output").iter_errors(rec.to_dict()))
        assert not list(schemas.explainer("fit").iter_errors(fit.to_dict()))


# -- threads and processes ---------------------------------------------
def test_eight_threads_of_500_profiles_equal_the_sequential_results(engine, sequential):
    results: dict[int, list] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(t: int) -> None:
        order = list(range(len(PROFILES)))
        random.Random(t).shuffle(order)  # each thread in its own order
        mine = [None] * len(PROFILES)
        try:
            barrier.wait()
            for i in order:
                mine[i] = answer(engine, i, PROFILES[i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        results[t] = mine

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for t in range(8):
        assert results[t] == sequential, f"thread {t} differs"


_worker_engine: Engine | None = None


def _load_worker_engine() -> None:
    global _worker_engine
    _worker_engine = Engine.load()


def _worker_answer(args: tuple[int, dict]) -> tuple[str, str]:
    assert _worker_engine is not None
    return answer(_worker_engine, *args)


def test_a_process_pool_where_each_worker_loads_its_own_engine_agrees(sequential):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2, initializer=_load_worker_engine) as pool:
        got = pool.map(_worker_answer, list(enumerate(PROFILES)), chunksize=25)
    assert got == sequential


def test_recommend_many_in_one_process_keeps_input_order(engine, sequential):
    got = [r.to_json(indent=None) for r in engine.recommend_many(iter(PROFILES))]
    assert got == [rec for rec, _ in sequential]


def test_recommend_many_with_worker_processes_keeps_input_order(engine, sequential):
    got = [r.to_json(indent=None) for r in engine.recommend_many(iter(PROFILES), workers=2)]
    assert got == [rec for rec, _ in sequential]


def test_recommend_many_raises_the_profile_error_when_it_reaches_a_bad_profile(engine):
    profiles = [*PROFILES[:3], {"experience": {"total_years": 1}}]
    it = engine.recommend_many(profiles, workers=2)
    assert len([next(it) for _ in range(3)]) == 3
    with pytest.raises(ProfileError):
        next(it)


def test_an_audit_log_can_be_shared_by_threads_scoring_with_one_engine(engine, tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:

        def work(chunk: list[dict]) -> None:
            for profile in chunk:
                fit = engine.fit(profile, "senior_pm", "growth")
                log.record("fit", profile, fit.to_dict(), engine.knowledge_version)

        chunks = [PROFILES[i::4][:25] for i in range(4)]
        threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 100
    ids = sorted(json.loads(line)["output"]["profile"]["id"] for line in lines)
    assert ids == sorted(p["id"] for c in chunks for p in c)


def test_the_heavy_members_of_the_face_load_on_first_use():
    code = (
        "import sys, pmpath\n"
        "heavy = ('pmpath.batch', 'pmpath.diff', 'pmpath.guide', 'pmpath.validation',\n"
        "         'pmpath.pool')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(pmpath.BatchRun.__module__, pmpath.render_guide.__module__,\n"
        "      pmpath.validate.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "pmpath.batch.run pmpath.guide validate"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pmpath.nothing  # noqa: B018


def test_a_moved_module_path_still_works_for_a_release_and_says_where_it_went():
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import pmpath.schemas\n"
        "print(pmpath.schemas.load('profile')['title'])\n"
        "print(caught[0].category.__name__, caught[0].message)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    title, warning = done.stdout.splitlines()
    assert title
    assert warning.startswith("DeprecationWarning pmpath.schemas moved to pmpath.source.schemas")


def test_a_face_member_named_as_its_module_stays_the_member_whatever_was_imported_first():
    code = (
        "import pmpath.profile.template, pmpath.profile.answers\n"
        "from pmpath.profile import template, with_answers, NOT_KNOWN\n"
        "from pmpath.render import render_fit_text\n"
        "print(callable(template), callable(with_answers), callable(render_fit_text))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]
