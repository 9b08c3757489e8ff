"""`pmpath recommend --ask [--save]`: the questions asked, answered and written back."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from pmpath.cli.main import cli
from pmpath.errors import AnswerError
from pmpath.profile.answers import NOT_KNOWN, parse_answer, with_answers
from pmpath.profile.template import template


def runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("track_record.launches", "3\n", 3),
        ("track_record.launches", " 12 ", 12),
        ("scope.owns_roadmap", "Yes", True),
        ("scope.owns_roadmap", "n", False),
        ("scope.strategy_horizon_months", "4.5", 4.5),
        ("scope.strategy_horizon_months", "6.0", 6),
        ("education.field", "design", "design"),
        ("track_record.launches", "", NOT_KNOWN),
        ("track_record.launches", "?", NOT_KNOWN),
        ("track_record.launches", "Don't know", NOT_KNOWN),
    ],
)
def test_an_answer_is_read_in_the_fields_type(field, text, value):
    assert parse_answer(field, text) == value or parse_answer(field, text) is value


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        ("track_record.launches", "2.5", "a whole number from 0 to 100000"),
        ("track_record.launches", "-1", "a whole number"),
        ("scope.owns_roadmap", "sometimes", "yes or no"),
        ("scope.strategy_horizon_months", "300", "a number from 0 to 240"),
        ("scope.strategy_horizon_months", "nan", "a number"),
        ("education.field", "physics", "one of computer_science"),
    ],
)
def test_an_answer_that_does_not_fit_says_what_does(field, text, says):
    with pytest.raises(AnswerError, match=says):
        parse_answer(field, text)


def test_answers_switch_on_the_templates_fields_and_keep_every_comment():
    text = template().replace("total_years: 0", "total_years: 6")
    out, kept = with_answers(text, {"track_record.launches": 4, "scope.leads_pms": False}, "yaml")
    assert kept
    data = yaml.safe_load(out)
    assert data["track_record"] == {"launches": 4} and data["scope"] == {"leads_pms": False}
    comments = [
        line for line in text.splitlines() if line.lstrip().startswith("# ") and ":" not in line
    ]
    assert all(line in out.splitlines() for line in comments)


def test_answers_replace_a_given_value_add_to_a_section_and_append_a_section():
    text = (
        "experience:\n  total_years: 5  # all of it\n  product_years: 3\n"
        "scope:\n  owns_roadmap: false\n"
    )
    answers = {"scope.owns_roadmap": True, "scope.pm_reports": 2, "track_record.launches": 1}
    out, kept = with_answers(text, answers, "yaml")
    assert kept and "total_years: 5  # all of it" in out
    assert yaml.safe_load(out) == {
        "experience": {"total_years": 5, "product_years": 3},
        "scope": {"owns_roadmap": True, "pm_reports": 2},
        "track_record": {"launches": 1},
    }


def test_a_layout_that_cannot_be_kept_is_written_out_afresh_and_says_so():
    out, kept = with_answers(
        "scope: {owns_roadmap: false}\nexperience: {total_years: 2, product_years: 1}\n",
        {"scope.pm_reports": 0},
        "yaml",
    )
    assert not kept
    assert yaml.safe_load(out)["scope"] == {"owns_roadmap": False, "pm_reports": 0}


def test_json_profiles_get_their_answers_as_json():
    out, kept = with_answers(
        '{"experience": {"total_years": 2, "product_years": 1}}',
        {"track_record.launches": 0},
        "json",
    )
    assert kept and out.startswith("{\n") and '"launches": 0' in out


def test_ask_asks_the_most_decisive_question_first_and_re_runs(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("experience:\n  total_years: 12\n  product_years: 10\n")
    result = runner().invoke(cli, ["recommend", str(path), "--ask"], input="0\n")
    assert result.exit_code == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("How many features or products have you shipped?")
    # answered 0: a known fact now, so the step that answers it is suggested
    assert "Ship a feature" in result.stdout or "ship" in result.stdout.lower()
    assert "1 answered" in result.stderr
    assert path.read_text() == "experience:\n  total_years: 12\n  product_years: 10\n"


def test_ask_with_save_writes_the_answers_back_and_the_profile_then_needs_fewer_questions(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("# my profile\nexperience:\n  total_years: 9\n  product_years: 7\n")
    result = runner().invoke(cli, ["recommend", str(path), "--ask", "--save"], input="12\n0\n")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# my profile\n")
    data = yaml.safe_load(text)
    assert data["track_record"]["launches"] == 12
    assert f"saved 2 answers to {path}" in result.stderr


def test_don_t_know_leaves_a_field_unknown_and_is_not_asked_again(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("experience:\n  total_years: 3\n  product_years: 1\n")
    result = runner().invoke(cli, ["recommend", str(path), "--ask"], input="\n" * 40)
    assert result.exit_code == 0
    asked = [line for line in result.stderr.splitlines() if "?" in line]
    assert len(asked) == len(set(asked))
    assert "0 answered" in result.stderr


def test_save_without_ask_and_ask_on_stdin_are_usage_errors(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("experience: {total_years: 1, product_years: 0}\n")
    result = runner().invoke(cli, ["recommend", str(path), "--save"])
    assert result.exit_code == 2 and "give --ask too" in result.stderr
    result = runner().invoke(cli, ["recommend", "-", "--ask"], input="")
    assert result.exit_code == 2 and "give PROFILE as a file" in result.stderr


def test_ask_as_a_real_subprocess_reads_answers_from_a_pipe(tmp_path):
    path = tmp_path / "me.yaml"
    path.write_text("experience:\n  total_years: 4\n  product_years: 3\n")
    done = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "recommend", str(path), "--ask", "--save"],
        input="2\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(path.read_text())["track_record"]["launches"] == 2
