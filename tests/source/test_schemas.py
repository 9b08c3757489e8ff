"""One schema, two validators: fastjsonschema (the hot path) and jsonschema (the
explanation) must agree on every profile, valid or not; and the cache of compiled
validators must never change an answer."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import any_profiles

from pmpath.source import schemas

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)
PROFILE_PROPS = schemas.load("profile")["properties"]
SECTIONS = [k for k, v in PROFILE_PROPS.items() if v.get("type") == "object"]

BAD_VALUES = st.sampled_from(
    [-1, -0.5, 71, 1e9, 2.5, True, False, None, "7", "", "yes", [], {}, [1], {"a": 1}, 0, 6]
)


@st.composite
def mutated_profiles(draw) -> dict:
    """A valid profile with one thing changed, usually (not always) making it invalid."""
    profile = copy.deepcopy(draw(any_profiles))
    how = draw(st.sampled_from(["field", "unknown-key", "section", "required", "top"]))
    if how == "field":
        section = draw(st.sampled_from(SECTIONS))
        field = draw(st.sampled_from(sorted(PROFILE_PROPS[section]["properties"])))
        profile.setdefault(section, {})[field] = draw(BAD_VALUES | st.text(max_size=5))
    elif how == "unknown-key":
        section = draw(st.sampled_from([None, *SECTIONS]))
        key = draw(st.sampled_from(["experiance", "age", "Name", "scope ", "x"]))
        (profile if section is None else profile.setdefault(section, {}))[key] = 1
    elif how == "section":
        profile[draw(st.sampled_from(SECTIONS))] = draw(BAD_VALUES)
    elif how == "required":
        del profile["experience"][draw(st.sampled_from(["total_years", "product_years"]))]
    else:
        profile[draw(st.sampled_from(["schema_version", "id", "name"]))] = draw(BAD_VALUES)
    return profile


def both(data) -> tuple[bool, bool]:
    return schemas.is_valid("profile", data), schemas.explainer("profile").is_valid(data)


@settings(max_examples=1000, **SETTINGS)
@given(any_profiles)
def test_both_validators_accept_every_valid_profile(profile):
    assert both(profile) == (True, True)


@settings(max_examples=2000, **SETTINGS)
@given(mutated_profiles())
def test_both_validators_agree_on_broken_profiles(profile):
    fast, explained = both(profile)
    assert fast == explained


@pytest.mark.parametrize(
    "value",
    [True, False, 1.5, "3", None],
    ids=["true", "false", "fraction", "string", "null"],
)
def test_a_count_must_be_a_whole_number_for_both_validators(value):
    data = {"experience": {"total_years": 1, "product_years": 0}, "scope": {"pm_reports": value}}
    assert both(data) == (False, False)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PMPATH_CACHE_DIR", str(tmp_path))
    schemas.fast_validator.cache_clear()
    yield tmp_path
    schemas.fast_validator.cache_clear()


def test_compiled_validators_are_cached_and_give_the_same_answers(fresh_cache):
    good = {"experience": {"total_years": 1, "product_years": 0}}
    bad = {"experience": {"total_years": 1, "product_years": "0"}}
    first = schemas.fast_validator("profile")
    assert list(fresh_cache.glob("*.bin"))
    schemas.fast_validator.cache_clear()
    second = schemas.fast_validator("profile")  # from the cache this time
    for validator in (first, second):
        validator(good)
        with pytest.raises(Exception, match="must be"):
            validator(bad)


def test_a_corrupt_cache_entry_is_ignored(fresh_cache):
    schemas.fast_validator("profile")
    for entry in fresh_cache.glob("*.bin"):
        entry.write_bytes(b"not marshal data")
    schemas.fast_validator.cache_clear()
    assert schemas.is_valid("profile", {"experience": {"total_years": 1, "product_years": 0}})
    assert not schemas.is_valid("profile", {"experience": {"total_years": 1}})


def test_an_empty_cache_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("PMPATH_CACHE_DIR", "")
    schemas.fast_validator.cache_clear()
    try:
        assert schemas.cache_dir() is None
        assert schemas.is_valid("profile", {"experience": {"total_years": 1, "product_years": 0}})
    finally:
        schemas.fast_validator.cache_clear()


def test_an_unwritable_cache_directory_is_not_an_error(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where a directory should be")
    monkeypatch.setenv("PMPATH_CACHE_DIR", str(blocked / "cache"))
    schemas.fast_validator.cache_clear()
    try:
        assert schemas.is_valid("profile", {"experience": {"total_years": 1, "product_years": 0}})
    finally:
        schemas.fast_validator.cache_clear()
