"""The smaller faults of issue 9, item 6: each one clear line, nothing corrupted."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmpath import Engine, parse_profile
from pmpath.batch.run import BatchRun
from pmpath.cli.main import cli
from pmpath.errors import BatchError, ProfileError

ROOT = Path(__file__).resolve().parents[2]
PMPATH = [sys.executable, "-m", "pmpath.cli.main"]
PROFILE = ROOT / "examples" / "profiles" / "senior-pm.yaml"


def test_a_control_character_in_a_yaml_value_is_one_line_with_its_line():
    text = 'experience:\n  total_years: 3\n  product_years: 1\nname: "a\x01b"\n'
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "p.yaml")
    err = caught.value
    assert (err.code, err.line, err.column) == ("P003", 4, 9)
    assert err.message == "control character U+0001 is not allowed in YAML"
    assert "position" not in str(err) and "unicode string" not in str(err)
    assert "\n" not in str(err)


def test_too_many_plain_values_are_called_that_not_an_alias_bomb():
    text = "experience: {total_years: 3, product_years: 1}\n" + "".join(
        f"k{i}: 1\n" for i in range(6000)
    )
    with pytest.raises(ProfileError, match="holds too many values") as caught:
        parse_profile(text, "p.yaml")
    assert "alias" not in caught.value.message
    bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcd", "bcde", strict=True)
    )
    with pytest.raises(ProfileError, match="through YAML aliases"):
        parse_profile(bomb, "p.yaml")


def test_a_semicolon_separated_csv_is_read_as_excel_writes_it(engine, tmp_path):
    src = tmp_path / "pool.csv"
    src.write_text(
        'id;name;experience.total_years;experience.product_years\r\na;Ann;6;4\r\nb;"Bo; Jr";3;1\r\n'
    )
    out = io.BytesIO()
    summary = BatchRun(engine, [str(src)], out).run()
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert summary.errors == 0
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[1]["recommendation"]["profile"]["name"] == "Bo; Jr"


@pytest.mark.parametrize("command", [["recommend"], ["fit", "--role", "pm"]])
def test_an_audit_log_pointed_at_the_profile_is_refused_and_the_profile_kept(tmp_path, command):
    profile = tmp_path / "me.yaml"
    shutil.copy(PROFILE, profile)
    before = profile.read_bytes()
    result = CliRunner().invoke(
        cli, [command[0], str(profile), *command[1:], "--audit-log", str(profile)]
    )
    assert result.exit_code == 1
    assert "is both an input and the audit log" in result.stderr
    assert profile.read_bytes() == before


def test_batch_refuses_an_audit_log_that_is_one_of_its_inputs(engine, tmp_path):
    from pmpath import AuditLog

    src = tmp_path / "pool.jsonl"
    src.write_text('{"experience": {"total_years": 3, "product_years": 1}}\n')
    with AuditLog(src) as log, pytest.raises(BatchError, match="INPUT and the audit log"):
        BatchRun(engine, [str(src)], str(tmp_path / "o.jsonl"), audit_log=log)
    assert src.read_text().count("\n") == 1


@pytest.fixture
def written(engine, tmp_path) -> tuple[Path, Path]:
    src = tmp_path / "a.jsonl"
    shutil.copy(ROOT / "examples" / "applicants.jsonl", src)
    out = tmp_path / "out.jsonl"
    BatchRun(engine, [str(src)], str(out)).run()
    return src, out


def test_resume_refuses_an_output_that_came_from_other_input(engine, written):
    _, out = written
    before = out.read_bytes()
    other = ROOT / "examples" / "pool.jsonl"
    with pytest.raises(BatchError, match="came from other input") as caught:
        BatchRun(engine, [str(other)], str(out), resume=True)
    assert caught.value.code == "B004"
    assert out.read_bytes() == before


def test_resume_refuses_an_output_that_other_knowledge_wrote(written, tmp_path):
    src, out = written
    knowledge = tmp_path / "k"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py"))
    path = knowledge / "thresholds.yaml"
    path.write_text(path.read_text().replace("    value: 5\n", "    value: 6\n", 1))
    with pytest.raises(BatchError, match="written with other knowledge"):
        BatchRun(Engine.load(knowledge), [str(src)], str(out), resume=True)


def test_one_record_on_stdin_with_two_workers_never_prints_a_traceback():
    line = PROFILE.read_text()  # a YAML profile: '-' with --input-format profile
    for _ in range(6):
        done = subprocess.run(
            [*PMPATH, "batch", "-", "--input-format", "profile", "--workers", "2"],
            input=line,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
