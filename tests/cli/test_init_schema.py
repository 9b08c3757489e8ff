"""`pmpath init` (the commented profile template) and `pmpath schema` (JSON Schemas)."""

from __future__ import annotations

import inspect
import json
import re

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from pmpath import check_profile, parse_profile
from pmpath.cli.main import cli
from pmpath.profile.template import template
from pmpath.source import schemas

#: a template line holding a field or section that is switched off: "  # key: value"
SWITCHED_OFF = re.compile(r"^(\s*)# ([a-z_]+:( .*)?)$")


def runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def run(*args: str):
    return runner().invoke(cli, list(args), catch_exceptions=False)


def schema_fields() -> list[str]:
    """Every field of the profile schema as a dotted path."""
    out = []
    for key, prop in schemas.load("profile")["properties"].items():
        if prop.get("type") == "object":
            out += [f"{key}.{field}" for field in prop["properties"]]
        else:
            out.append(key)
    return out


def switch_everything_on(text: str) -> str:
    return "\n".join(SWITCHED_OFF.sub(r"\1\2", line) for line in text.splitlines())


# -- init -------------------------------------------------------------------------


def test_init_prints_the_template_to_stdout_by_default():
    result = run("init")
    assert result.exit_code == 0
    assert result.stdout == template()
    assert result.stderr == ""


def test_the_template_is_itself_a_valid_profile():
    profile = parse_profile(template(), "template.yaml", "yaml")
    normalised = check_profile(profile)
    assert normalised["experience"]["total_years"] == 0


def test_the_template_has_every_field_of_the_profile_schema():
    on = yaml.safe_load(switch_everything_on(template()))
    found = []
    for key, value in on.items():
        found += [f"{key}.{f}" for f in value] if isinstance(value, dict) else [key]
    assert found == schema_fields()


def test_switching_every_field_on_still_gives_a_valid_profile():
    check_profile(parse_profile(switch_everything_on(template()), "all.yaml", "yaml"))


def test_the_template_explains_each_field_and_its_allowed_values():
    text = template()
    assert "# Professional years in all roles. Required. Allowed: a number from 0 to 70." in text
    assert "Allowed: engineering, design, data, marketing" in text
    assert "Allowed: a whole number from 1 to 5." in text
    assert "Allowed: true or false." in text
    assert "Allowed: internal, external, either. Default: either." in text
    lines = text.splitlines()
    for field in schema_fields():
        key = field.rsplit(".", 1)[-1]
        i = next(n for n, line in enumerate(lines) if re.match(rf"^\s*(# )?{key}: ", line))
        assert lines[i - 1].lstrip().startswith("# "), f"{field} has no comment above it"


def test_the_template_follows_the_schema_so_it_cannot_drift(monkeypatch):
    schema = json.loads(json.dumps(schemas.load("profile")))
    schema["properties"]["scope"]["properties"]["new_field"] = {
        "type": "integer",
        "minimum": 0,
        "maximum": 9,
        "default": 0,
        "description": "A field added later.",
    }
    monkeypatch.setattr(schemas, "load", lambda name: schema)
    text = template()
    assert "  # A field added later. Allowed: a whole number from 0 to 9. Default: 0.\n" in text
    assert "  # new_field: 0\n" in text  # off: a field not given is unknown


def test_a_template_filled_in_only_where_known_claims_no_zeros():
    profile = parse_profile(template(), "template.yaml", "yaml")
    normalised = check_profile(profile)
    assert normalised["scope"] == {} and normalised["track_record"] == {}
    assert normalised["experience"] == {"total_years": 0, "product_years": 0}


def test_the_template_lines_fit_in_88_columns():
    assert max(len(line) for line in template().splitlines()) <= 88


def test_init_writes_the_template_to_a_file(tmp_path):
    path = tmp_path / "me.yaml"
    result = run("init", str(path))
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == template()
    assert f"pmpath recommend {path}" in result.stderr


def test_the_written_template_runs_through_recommend(tmp_path):
    path = tmp_path / "me.yaml"
    run("init", str(path))
    result = run("recommend", str(path))
    assert result.exit_code == 0
    assert "Aspiring Product Manager" in result.stdout


def test_init_refuses_to_overwrite_an_existing_file(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("mine\n")
    result = run("init", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: already exists; use --force to overwrite it\n"
    assert path.read_text() == "mine\n"


def test_init_overwrites_with_force(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("mine\n")
    assert run("init", str(path), "--force").exit_code == 0
    assert path.read_text() == template()


def test_init_into_a_missing_folder_is_one_clear_error(tmp_path):
    result = run("init", str(tmp_path / "no" / "me.yaml"))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert len(result.stderr.splitlines()) == 1


# -- schema ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["profile", "output", "rules"])
def test_schema_prints_the_shipped_json_schema(name):
    result = run("schema", name)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(data)


def test_schema_knowledge_prints_the_schema_of_every_knowledge_file():
    data = json.loads(run("schema", "knowledge").stdout)
    assert set(data["files"]) == {f"{name}.yaml" for name in schemas.KNOWLEDGE_FILES}
    for schema in data["files"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_printed_profile_schema_accepts_the_template_and_rejects_a_typo():
    validator = jsonschema.Draft202012Validator(json.loads(run("schema", "profile").stdout))
    assert validator.is_valid(yaml.safe_load(template()))
    assert not validator.is_valid({"experiance": {"total_years": 1, "product_years": 0}})


def test_schema_output_is_stable_json_with_a_trailing_newline():
    first = run("schema", "output").stdout
    assert first == run("schema", "output").stdout
    assert first.endswith("}\n")


def test_an_unknown_schema_name_is_a_usage_error():
    result = run("schema", "everything")
    assert result.exit_code == 2
    assert "profile" in result.stderr and "knowledge" in result.stderr
