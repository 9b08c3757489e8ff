"""--audit-log on the commands a person runs: one JSON line per decision."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pmpath.cli.main import cli


def test_recommend_with_an_audit_log_appends_one_line_per_decision(tmp_path, root):
    log = tmp_path / "audit.jsonl"
    profile = str(root / "examples" / "profiles" / "senior-pm.yaml")
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(
            cli, ["recommend", profile, "--format", "json", "--audit-log", str(log)]
        )
        assert result.exit_code == 0, result.output
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["kind"] == "recommend"
    assert record["output"] == json.loads(result.stdout)
    assert record["knowledge_version"] == record["output"]["knowledge_version"]
    assert len(record["input_sha256"]) == 64
    assert json.loads(lines[1])["input_sha256"] == record["input_sha256"]


def test_recommend_with_an_unwritable_audit_log_is_one_line_and_exit_1(tmp_path, root):
    profile = str(root / "examples" / "profiles" / "senior-pm.yaml")
    result = CliRunner().invoke(
        cli, ["recommend", profile, "--audit-log", str(tmp_path / "no" / "such" / "dir.jsonl")]
    )
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "Usage:" not in result.stderr
    assert "Traceback" not in result.output
