"""The shipped example profiles (examples/profiles/) say what their names promise.

Each example is named after a kind of person; the table below is what pmpath
must say about them. A new example must be added to the table, so no example
can quietly drift to another level.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmpath import load_profile
from pmpath.render import FORMATS, render
from pmpath.source import schemas

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"

#: file -> (level, specialization, shape, path, next level)
EXPECTED = {
    "fresh-graduate.yaml": ("aspiring", "core", "I", "external", "apm"),
    "career-switcher-internal.yaml": ("aspiring", "core", "I", "internal", "apm"),
    "career-switcher-external.yaml": ("aspiring", "core", "I", "external", "apm"),
    "apm.yaml": ("apm", "core", "I", None, "pm"),
    "growth-pm.yaml": ("pm", "growth", "I", None, "senior_pm"),
    "platform-pm.json": ("pm", "platform", "I", None, "senior_pm"),
    "senior-pm.yaml": ("senior_pm", "core", "I", None, "director"),
    "director.yaml": ("director", "platform", "T", None, "vp"),
    "vp.yaml": ("vp", "core", "T", None, "cpo"),
    "cpo.yaml": ("cpo", "core", "T", None, None),
}

#: steps an example must (or must not) be given, where its comment promises it
STEPS_INCLUDE = {
    "fresh-graduate.yaml": ["apm-program"],
    "career-switcher-internal.yaml": ["own-project-end-to-end", "apply-internal-opening"],
    "career-switcher-external.yaml": ["apply-pm-roles"],
    "senior-pm.yaml": ["advise-other-pms"],
    "director.yaml": ["own-budget", "plan-year-ahead"],
}
STEPS_EXCLUDE = {
    "fresh-graduate.yaml": ["technical-background", "apply-pm-roles"],
    "career-switcher-internal.yaml": ["pm-certification"],
    "career-switcher-external.yaml": ["apm-program"],
}


def example_files() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def test_there_are_at_least_eight_examples_and_each_has_an_expectation():
    files = example_files()
    assert len(files) >= 8
    assert set(files) == set(EXPECTED), "add new examples to EXPECTED (and drop removed ones)"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_gets_the_level_its_name_promises(engine, name):
    level, specialization, shape, path, next_level = EXPECTED[name]
    rec = engine.recommend(load_profile(EXAMPLES / name))
    assert rec.level == level
    assert rec.specialization == specialization
    assert rec.shape == shape
    assert rec.path == path
    assert rec.next_level == next_level
    for step in STEPS_INCLUDE.get(name, ()):
        assert step in rec.steps, f"{name}: {step} missing from {rec.steps}"
    for step in STEPS_EXCLUDE.get(name, ()):
        assert step not in rec.steps, f"{name}: {step} must not be suggested"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_is_valid_against_the_profile_schema(name):
    data = load_profile(EXAMPLES / name).data
    errors = list(schemas.explainer("profile").iter_errors(data))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_renders_in_every_format_and_its_json_is_output_v1(engine, name):
    rec = engine.recommend(load_profile(EXAMPLES / name))
    for fmt in FORMATS:
        for explain in (False, True):
            text = render(rec, fmt, explain=explain)
            assert text.endswith("\n") and text.strip()
    data = json.loads(render(rec, "json"))
    errors = list(schemas.explainer("output").iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_examples_have_distinct_ids_and_names():
    ids = [load_profile(EXAMPLES / n).data.get("id") for n in EXPECTED]
    names = [load_profile(EXAMPLES / n).data.get("name") for n in EXPECTED]
    assert len(set(ids)) == len(ids) and None not in ids
    assert len(set(names)) == len(names) and None not in names
