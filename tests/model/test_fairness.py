"""Fairness: the profile cannot carry protected attributes, and no rule can read one."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmpath.cli.main import cli
from pmpath.source import schemas
from pmpath.validation import validate

#: Stems of protected attributes (and their usual proxies) that a profile
#: property must never be named after. A name matches when one of its words
#: (split on _, -, spaces and camelCase) starts with a stem.
PROTECTED_STEMS = (
    "age",
    "aged",
    "birth",
    "born",
    "dob",
    "gender",
    "sex",
    "pronoun",
    "ethnic",
    "race",
    "racial",
    "caste",
    "skin",
    "color",
    "colour",
    "nationality",
    "national",
    "citizen",
    "immigra",
    "visa",
    "passport",
    "religio",
    "faith",
    "belief",
    "disab",
    "handicap",
    "impair",
    "health",
    "medical",
    "genetic",
    "marital",
    "married",
    "spouse",
    "partner_status",
    "pregnan",
    "maternity",
    "paternity",
    "children",
    "family",
    "orientation",
    "lgbt",
    "photo",
    "picture",
    "image",
    "headshot",
    "avatar",
    "veteran",
    "military",
    "union",
    "political",
    "height",
    "weight",
)
#: Multi-word attributes matched as whole phrases (words joined by _)
PROTECTED_PHRASES = ("sexual_orientation", "date_of_birth", "year_of_birth", "marital_status")


def words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[_\-\s.]+", spaced.lower()) if w]


def protected(name: str) -> str | None:
    """The stem or phrase ``name`` matches, or None."""
    ws = words(name)
    joined = "_".join(ws)
    for phrase in PROTECTED_PHRASES:
        if phrase in joined:
            return phrase
    for w in ws:
        for stem in PROTECTED_STEMS:
            if w == stem or (len(stem) >= 4 and w.startswith(stem)):
                return stem
    return None


def property_names(schema, path: str = "") -> list[tuple[str, str]]:
    """Every property name in a schema, recursively: (dotted path, name)."""
    out = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            here = f"{path}.{name}" if path else name
            out.append((here, name))
            out.extend(property_names(sub, here))
        for key in ("items", "additionalProperties", "$defs", "definitions"):
            sub = schema.get(key)
            if isinstance(sub, dict) and key in ("$defs", "definitions"):
                for name, definition in sub.items():
                    out.extend(property_names(definition, f"{path}<{name}>"))
            elif isinstance(sub, dict):
                out.extend(property_names(sub, f"{path}[]"))
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                out.extend(property_names(sub, path))
    return out


def enum_values(schema, path: str = "") -> list[tuple[str, str]]:
    out = []
    if isinstance(schema, dict):
        for value in schema.get("enum", []):
            if isinstance(value, str):
                out.append((path, value))
        for name, sub in schema.get("properties", {}).items():
            out.extend(enum_values(sub, f"{path}.{name}" if path else name))
    return out


def test_the_profile_schema_has_no_protected_attribute():
    names = property_names(schemas.load("profile"))
    assert len(names) > 40  # the walk really visits the nested sections
    found = [(path, protected(name)) for path, name in names if protected(name)]
    assert found == [], f"protected attributes in the profile schema: {found}"


def test_no_profile_value_encodes_a_protected_attribute():
    found = [(p, v) for p, v in enum_values(schemas.load("profile")) if protected(v)]
    assert found == []


@pytest.mark.parametrize(
    "name",
    [
        "age",
        "applicant_age",
        "dateOfBirth",
        "birth_year",
        "gender",
        "sex",
        "ethnicity",
        "race",
        "nationality",
        "citizenship",
        "religion",
        "disability_status",
        "maritalStatus",
        "pregnant",
        "sexual_orientation",
        "photo_url",
        "profilePicture",
        "veteran",
    ],
)
def test_the_check_recognises_protected_attributes(name):
    assert protected(name) is not None


@pytest.mark.parametrize(
    "name",
    ["people_management_years", "page", "strategy_horizon_months", "usage", "manager", "engaged"],
)
def test_the_check_does_not_flag_ordinary_fields(name):
    assert protected(name) is None


def test_the_check_walks_nested_schemas():
    schema = {
        "properties": {
            "experience": {"properties": {"years": {}, "applicantAge": {}}},
            "list": {"items": {"properties": {"gender": {}}}},
        }
    }
    found = {path for path, name in property_names(schema) if protected(name)}
    assert found == {"experience.applicantAge", "list[].gender"}


def test_no_rule_reads_who_the_person_is_only_what_they_did(engine):
    # name, id and current_title identify or describe; they never decide.
    for rule in engine.model.ruleset.rules:
        for pattern in rule.section_patterns:
            for test in pattern.tests.tests():
                assert test.field not in ("name", "id", "current_title"), rule.id


def test_names_and_ids_do_not_change_any_decision(engine):
    base = {
        "experience": {"total_years": 9, "product_years": 6, "current_title": "PM"},
        "work": {"growth": 5},
        "scope": {"leads_pms": True, "owns_roadmap": True, "strategy_horizon_months": 6},
        "track_record": {"launches": 5},
    }
    variants = [
        base,
        {**base, "name": "Aaliyah Okonkwo", "id": "x-1"},
        {**base, "name": "Björn Þórsson", "id": "x-2"},
        {**base, "name": "王秀英"},
        {**base, "experience": {**base["experience"], "current_title": "Chief Everything"}},
    ]

    def decision(profile):
        rec = engine.recommend(profile).to_dict()
        fit = engine.fit(profile, "senior_pm", "growth").to_dict()
        rec.pop("profile")
        fit.pop("profile")
        fit.pop("summary")
        return rec, fit

    first = decision(base)
    for v in variants[1:]:
        assert decision(v) == first


# -- validate rejects rules that read fields the profile does not have (R007) ------------------
@pytest.fixture
def rules_reading_age(tmp_path: Path, root: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    (rules / "zz_protected.yaml").write_text(
        "rules:\n"
        "  - id: signal.too-old\n"
        "    concludes: {signal: too_old}\n"
        "    when:\n"
        "      - experience: {age: {gte: 50}}\n"
        "    because: Reads an attribute the profile does not and must not have.\n"
        "    source: productplan\n",
        encoding="utf-8",
    )
    return rules


def test_validate_rejects_a_rule_reading_a_field_the_profile_lacks(rules_reading_age):
    report = validate(rules=rules_reading_age)
    codes = [(p.code, p.message) for p in report.problems]
    assert any(code == "R007" and "experience.age" in message for code, message in codes), codes
    (problem,) = [p for p in report.problems if p.code == "R007"]
    assert problem.file.endswith("zz_protected.yaml") and problem.line == 5


def test_pmpath_validate_fails_on_it_with_the_file_and_line(rules_reading_age):
    result = CliRunner().invoke(cli, ["validate", "--rules", str(rules_reading_age)])
    assert result.exit_code == 1
    assert (
        "zz_protected.yaml:5: R007: rule 'signal.too-old' reads 'experience.age'" in result.output
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "validate", "--rules", str(rules_reading_age)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "R007" in proc.stdout


def test_an_engine_cannot_be_loaded_with_such_a_rule(rules_reading_age):
    from pmpath import Engine, KnowledgeError

    with pytest.raises(KnowledgeError) as info:
        Engine.load(rules=rules_reading_age)
    assert "R007" in str(info.value)
