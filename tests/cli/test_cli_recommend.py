"""`pmpath recommend` through click's CliRunner: what a person sees, format by format."""

from __future__ import annotations

import inspect
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pmpath import Engine, load_profile
from pmpath.cli.main import cli
from pmpath.cli.recommend import wants_colour
from pmpath.explain import explain_gaps
from pmpath.render import render
from pmpath.source import schemas

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "profiles"
SENIOR = str(EXAMPLES / "senior-pm.yaml")


def runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout (click 8.1 needs asking)."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def run(*args: str, input: str | bytes | None = None, env: dict | None = None):
    return runner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


# -- text ------------------------------------------------------------------------


def test_text_names_the_level_with_its_kwan_level_the_specialization_and_the_shape():
    result = run("recommend", SENIOR)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Jane Doe (example-senior-pm): Senior Product Manager\n")
    assert "Level           Senior Product Manager (senior_pm)" in out
    assert "Kwan level      2, Planning" in out
    assert "Core PM" in out and "I-shaped" in out
    assert "Next rung       Director of Product (director), Kwan level 3, Strategic" in out


def test_text_says_what_is_missing_for_the_next_rung_with_its_source():
    out = run("recommend", SENIOR).stdout
    missing = out.split("What is missing for Director of Product\n", 1)[1].split("\n\n", 1)[0]
    assert "At least 7 years in product roles. [productplan]" in missing
    assert "At least 2 PMs regularly come to them for advice. [productplan]" in missing


def test_text_numbers_the_next_steps_each_with_why_and_source():
    out = run("recommend", SENIOR).stdout
    steps = out.split("Next steps\n", 1)[1].split("\n\nSources\n", 1)[0]
    assert "  1. Become a source of advice for other PMs" in steps
    assert "  2. " in steps
    assert steps.count("Why: ") == steps.count("Source: ") >= 2
    assert "Why: For Director of Product (advises pms): " in steps


def test_text_lists_the_sources_it_cites_by_title():
    out = run("recommend", SENIOR).stdout
    sources = out.split("\nSources\n", 1)[1]
    assert 'productplan: "What is the Product Manager Career Path?" (ProductPlan)' in sources


def test_text_for_someone_not_yet_in_product_shows_the_way_in():
    out = run("recommend", str(EXAMPLES / "career-switcher-internal.yaml")).stdout
    assert "Way in          internal: Become a PM where you already work" in out
    assert "no product work recorded yet" in out


def test_text_at_the_top_of_the_ladder_says_there_is_no_next_rung():
    out = run("recommend", str(EXAMPLES / "cpo.yaml")).stdout
    assert "Next rung       none: Chief Product Officer is the top of the ladder" in out
    assert "What is missing" not in out


def test_text_shows_warnings_about_the_input():
    out = run("recommend", str(EXAMPLES / "career-switcher-external.yaml")).stdout
    assert "\nWarnings\n  ! W104 goals.target is pm, 2 rungs up" in out


def test_text_has_no_colour_codes_when_stdout_is_not_a_terminal():
    out = run("recommend", SENIOR).stdout
    assert "\x1b[" not in out


# -- explain ------------------------------------------------------------------------


def test_explain_adds_the_rules_that_fired_and_the_facts_they_read():
    out = run("recommend", SENIOR, "--explain").stdout
    assert "\nWhy Senior Product Manager\n" in out
    assert "met.senior_pm.strategy: Owns a roadmap" in out
    assert "read: scope.owns_roadmap = true, scope.strategy_horizon_months = 6" in out
    assert "\nWhy Core PM, I-shaped\n" in out
    assert "read: derived.dominant_work = feature" in out
    assert "\nOther rules that fired (" in out


def test_explain_says_which_conditions_of_each_gap_failed_on_which_values():
    out = run("recommend", SENIOR, "--explain").stdout
    why_not = out.split("\nWhy not Director of Product yet\n", 1)[1].split("\n\n", 1)[0]
    assert "rule met.director.product-experience:" in why_not
    assert "x experience.product_years >= 7 (director_min_product_years): it is 6" in why_not
    assert "x track_record.mentors_pms >= 2 (director_min_mentees): it is 1" in why_not


def test_explain_lists_alternative_rules_for_a_requirement():
    profile = "experience: {total_years: 1, product_years: 0}\n"
    out = run("recommend", "-", "--explain", input=profile).stdout
    first = "rule met.apm.product-role.years:\n        x experience.product_years > 0: it is 0"
    assert first in out
    assert "nor could rule met.apm.product-role.programme:" in out


def test_explain_follows_a_missing_signal_to_the_profile_fields_behind_it(engine):
    rec = engine.recommend(
        {
            "experience": {"total_years": 5, "product_years": 3, "people_management_years": 0},
            "scope": {"leads_pms": False, "pm_reports": 0},
            "track_record": {"launches": 2},
        }
    )
    gaps = {g.requirement: g for g in explain_gaps(rec)}
    (check,) = gaps["senior_pm.leads-pms"].rules
    (unmet,) = check.unmet
    assert unmet.condition == "signal leads_people"
    (cause,) = unmet.causes
    assert cause.rule == "signal.leads-people"
    assert cause.unmet[0].values == {
        "scope.leads_pms": False,
        "scope.pm_reports": 0,
        "scope.managers_reporting": 0,
    }


def test_every_gap_has_an_explanation_naming_a_failed_condition(engine):
    for path in sorted(EXAMPLES.iterdir()):
        rec = engine.recommend(load_profile(path))
        explained = explain_gaps(rec)
        assert [g.requirement for g in explained] == rec.gaps
        for gap in explained:
            assert gap.rules, f"{path.name}: no rule can meet {gap.requirement}"
            assert all(check.unmet for check in gap.rules), f"{path.name}: {gap.requirement}"


# -- json, yaml, markdown --------------------------------------------------------------


def test_json_is_output_v1_valid_against_its_schema():
    result = run("recommend", SENIOR, "--format", "json")
    data = json.loads(result.stdout)
    assert not list(schemas.explainer("output").iter_errors(data))
    assert data["level"]["id"] == "senior_pm"


def test_json_is_byte_identical_for_the_same_input_and_ends_with_a_newline():
    first = run("recommend", SENIOR, "--format", "json").stdout_bytes
    second = run("recommend", SENIOR, "--format", "json").stdout_bytes
    assert first == second
    assert first.endswith(b"}\n") and not first.endswith(b"\n\n")


def test_json_is_byte_identical_across_processes_whatever_the_hash_seed():
    script = Path(sys.executable).with_name("pmpath")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pmpath.cli.main"]
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [*command, "recommend", str(EXAMPLES / "vp.yaml"), "--format", "json"],
            capture_output=True,
            env=env,
            timeout=120,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_json_is_the_same_as_the_python_api(engine):
    rec = engine.recommend(load_profile(SENIOR))
    assert run("recommend", SENIOR, "--format", "json").stdout == rec.to_json() + "\n"


def test_explain_does_not_change_json_output():
    plain = run("recommend", SENIOR, "--format", "json").stdout
    assert run("recommend", SENIOR, "--format", "json", "--explain").stdout == plain


def test_yaml_has_the_same_content_as_json_in_the_same_order():
    as_json = json.loads(run("recommend", SENIOR, "--format", "json").stdout)
    as_yaml = yaml.safe_load(run("recommend", SENIOR, "--format", "yaml").stdout)
    assert as_yaml == as_json
    assert list(as_yaml) == list(as_json)


def test_markdown_has_a_title_a_summary_table_gaps_and_numbered_steps():
    out = run("recommend", SENIOR, "--format", "markdown").stdout
    assert out.startswith("# Jane Doe (example-senior-pm): Senior Product Manager\n")
    assert "| Level | Senior Product Manager (`senior_pm`) |" in out
    assert "## What is missing for Director of Product" in out
    assert "\n1. **Become a source of advice for other PMs**" in out
    assert "## Sources" in out


def test_markdown_with_explain_shows_why_not_the_next_rung():
    out = run("recommend", SENIOR, "--format", "markdown", "--explain").stdout
    assert "### Why not Director of Product yet" in out
    assert "rule `met.director.product-experience`:" in out
    assert "✗ `experience.product_years >= 7 (director_min_product_years)`: it is 6" in out


def test_markdown_escapes_what_a_profile_name_could_break():
    profile = "name: '*bold* | pipe'\nexperience: {total_years: 1, product_years: 0}\n"
    out = run("recommend", "-", "--format", "markdown", input=profile).stdout
    assert out.startswith(r"# \*bold\* \| pipe: Aspiring Product Manager")


# -- input ---------------------------------------------------------------------------


def test_a_yaml_profile_can_come_from_stdin():
    text = Path(SENIOR).read_text()
    from_stdin = run("recommend", "-", "--format", "json", input=text).stdout
    assert from_stdin == run("recommend", SENIOR, "--format", "json").stdout


def test_a_json_profile_on_stdin_is_recognised():
    data = yaml.safe_load(Path(SENIOR).read_text())
    result = run("recommend", "-", "--format", "json", input=json.dumps(data))
    assert json.loads(result.stdout)["level"]["id"] == "senior_pm"


def test_a_json_profile_file_works():
    result = run("recommend", str(EXAMPLES / "platform-pm.json"))
    assert result.exit_code == 0
    assert "Platform PM" in result.stdout


# -- colour ----------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_is_used_on_a_terminal():
    assert wants_colour(FakeTerminal(), {})


def test_colour_is_never_used_with_no_color_set():
    assert not wants_colour(FakeTerminal(), {"NO_COLOR": "1"})


def test_colour_is_not_used_when_output_is_piped():
    assert not wants_colour(io.StringIO(), {})


def test_the_text_renderer_colours_only_through_the_style_it_is_given(engine):
    rec = engine.recommend(load_profile(SENIOR))
    coloured = render(rec, "text", style=click.style)
    assert "\x1b[" in coloured
    assert click.unstyle(coloured) == render(rec, "text")


# -- knowledge, rules, failures -----------------------------------------------------------


def test_knowledge_and_rules_options_use_a_working_copy(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    levels = knowledge / "levels.yaml"
    levels.write_text(levels.read_text().replace("Senior Product Manager", "Lead PM"))
    out = run("recommend", SENIOR, "--knowledge", str(knowledge), "--rules", str(ROOT / "rules"))
    assert out.exit_code == 0, out.stderr
    assert "Level           Lead PM (senior_pm)" in out.stdout


def test_broken_knowledge_lists_every_problem_and_exits_1(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / "levels.yaml").write_text("levels: [\n")
    result = run("recommend", SENIOR, "--knowledge", str(knowledge))
    assert result.exit_code == 1
    assert "levels.yaml" in result.stderr and "K006" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: knowledge or rules")
    assert "Traceback" not in result.output


def test_a_bad_profile_is_one_line_on_stderr_with_exit_code_1(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("experiance:\n  total_years: 3\n")
    result = run("recommend", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {path}:1: P005: experiance: unknown key 'experiance' "
        "(did you mean 'experience'?)\n"
    )


def test_an_unknown_format_is_a_usage_error_with_exit_code_2():
    result = run("recommend", SENIOR, "--format", "pdf")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_a_missing_profile_argument_is_a_usage_error_with_exit_code_2():
    result = run("recommend")
    assert result.exit_code == 2
    assert "Missing argument 'PROFILE'" in result.stderr


def test_an_unexpected_failure_is_an_internal_error_without_traceback(monkeypatch):
    def broken(self, profile):
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "recommend", broken)
    result = runner().invoke(cli, ["recommend", SENIOR])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output


def test_debug_lets_the_traceback_of_an_unexpected_failure_through(monkeypatch):
    def broken(self, profile):
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "recommend", broken)
    with pytest.raises(RuntimeError, match="boom"):
        runner().invoke(cli, ["--debug", "recommend", SENIOR], catch_exceptions=False)


def test_help_explains_the_formats_and_stdin():
    out = run("recommend", "--help").stdout
    assert "text|json|markdown|yaml" in out
    assert "- to read" in out


# -- bad input, one sentence each (the same cases run as real processes in test_bad_input.py)


def error_line(profile: str | bytes, name: str = "me.yaml", tmp_path: Path | None = None) -> str:
    """The one stderr line `pmpath recommend` prints for ``profile`` (exit code 1)."""
    assert tmp_path is not None
    path = tmp_path / name
    path.write_bytes(profile.encode() if isinstance(profile, str) else profile)
    result = run("recommend", str(path))
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr.strip().replace(f"{tmp_path}/", "")


def test_an_empty_profile_says_it_is_empty_and_how_to_start(tmp_path):
    assert error_line("", tmp_path=tmp_path) == (
        "error: me.yaml: P002: the profile is empty (run `pmpath init` for a template)"
    )


def test_a_yaml_syntax_error_names_the_line_and_column(tmp_path):
    line = error_line("experience:\n  total_years: [3\n", tmp_path=tmp_path)
    assert line.startswith("error: me.yaml:3:1: P003: YAML syntax error:")
    assert "line 2, column 16" in line


def test_a_json_syntax_error_names_the_line_and_column(tmp_path):
    line = error_line('{"experience": {"total_years": 3,}}', "me.json", tmp_path)
    assert line.startswith("error: me.json:1:34: P003: JSON syntax error:")


def test_a_list_instead_of_a_profile_is_refused(tmp_path):
    assert "P004" in error_line("- experience\n", tmp_path=tmp_path)


def test_a_misspelt_nested_key_gets_a_did_you_mean(tmp_path):
    line = error_line("experience:\n  total_years: 3\n  prodcut_years: 1\n", tmp_path=tmp_path)
    assert line == (
        "error: me.yaml:3: P005: experience.prodcut_years: unknown key 'prodcut_years' "
        "(did you mean 'product_years'?)"
    )


def test_a_quoted_number_gets_a_hint_to_remove_the_quotes(tmp_path):
    line = error_line('experience:\n  total_years: "5"\n  product_years: 1\n', tmp_path=tmp_path)
    assert line == (
        "error: me.yaml:2: P006: experience.total_years: must be a number, got text '5' "
        '(remove the quotes: write 5, not "5")'
    )


def test_a_negative_number_names_the_field_and_the_allowed_range(tmp_path):
    line = error_line("experience:\n  total_years: -1\n  product_years: 0\n", tmp_path=tmp_path)
    assert line == (
        "error: me.yaml:2: P007: experience.total_years: -1 is negative "
        "(allowed: a number from 0 to 70)"
    )


def test_more_product_years_than_total_years_is_refused(tmp_path):
    line = error_line("experience:\n  total_years: 3\n  product_years: 5\n", tmp_path=tmp_path)
    assert line.startswith("error: me.yaml:3: P010: experience.product_years: 5 is more than")


def test_an_alias_bomb_is_refused_as_too_large(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = "\n".join(lines) + "\n"
    assert "P011" in error_line(bomb, tmp_path=tmp_path)


def test_binary_input_on_stdin_is_refused():
    result = run("recommend", "-", input=b"\x00\x01\x02")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: <stdin>: P012: binary data")
