"""Nothing from the input can forge what a person reads (issue 9, item 3): names,
ids, free text and unknown keys go through `pmpath.words.visible` wherever they
are shown (text, Markdown, fit text, error lines, warnings)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pmpath.cli.main import cli
from pmpath.words import visible

PMPATH = [sys.executable, "-m", "pmpath.cli.main"]
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what a terminal acts on (\t and \n apart)
FORGED = "Eve\nLevel           Chief Product Officer (cpo)\r\x1b]0;title\x07\x1b[2J\x9b31m"


@given(st.text())
def test_visible_leaves_no_control_character_and_no_line_break(text):
    shown = visible(text)
    assert not RAW.search(shown) and "\n" not in shown
    assert "\u2028" not in shown and "\u2029" not in shown


def test_visible_shows_each_control_character_as_an_escape():
    assert visible("a\nb\r\x1b]0;t\x07\x9b") == "a\\nb\\r\\x1b]0;t\\x07\\x9b"
    assert visible("two\nlines", newlines=True) == "two\nlines"
    assert visible(None) == "" and visible("Zoë Ångström, 名前\t") == "Zoë Ångström, 名前\t"


@pytest.fixture
def forged(tmp_path):
    path = tmp_path / "eve.json"
    profile = {
        "name": FORGED,
        "id": "x\x1b[31m",
        "experience": {"total_years": 3, "product_years": 1, "current_title": "PM\x1b[0m"},
    }
    path.write_text(json.dumps(profile))
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["recommend"],
        ["recommend", "--explain"],
        ["recommend", "--format", "markdown", "--explain"],
        ["fit", "--role", "pm"],
    ],
)
def test_a_forged_name_cannot_start_a_line_or_reach_the_terminal_raw(forged, args):
    result = CliRunner().invoke(cli, [args[0], str(forged), *args[1:]])
    assert result.exit_code == 0, result.stderr
    assert not RAW.search(result.stdout)
    lines = result.stdout.splitlines()
    assert not any(line.startswith("Level           Chief") for line in lines)
    assert sum("Chief Product Officer (cpo)" in line for line in lines) == 1  # shown, once
    assert "\\x1b" in result.stdout


def test_an_unknown_key_with_a_newline_is_one_error_line_in_a_real_process(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('experience:\n  total_years: 3\n  product_years: 1\n"a\\nerror: forged": 1\n')
    done = subprocess.run([*PMPATH, "recommend", str(path)], capture_output=True, text=True)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and "a\\nerror: forged" in line
    assert not RAW.search(done.stderr)


def test_batch_warnings_and_summaries_show_file_names_escaped(engine, tmp_path):
    src = tmp_path / "in\x1b[2J.jsonl"
    src.write_text('{"experience": {"total_years": 3, "product_years": 1}}\n')
    result = CliRunner().invoke(cli, ["batch", str(src), "-o", str(tmp_path / "o\x07.jsonl")])
    assert result.exit_code == 0, result.stderr
    assert not RAW.search(result.stderr)
