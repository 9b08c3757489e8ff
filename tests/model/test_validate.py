"""`pmpath validate`: the shipped knowledge passes; each kind of breakage is reported
with the right file, line and code; every problem at once, sorted, one per line.

The breakages live in tests/fixtures/broken/cases.yaml (see its header): each is a
small edit to a fresh copy of the shipped knowledge and rules.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pmpath.cli.main import cli
from pmpath.model.rules import MAX_RULES_PER_FACT

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
CASES = yaml.safe_load((FIXTURES / "cases.yaml").read_text(encoding="utf-8"))["cases"]
PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<code>[A-Z]\d{3}): (?P<message>.+)$")
#: every code `pmpath validate` documents (docs/architecture.md); R004 cannot be
#: produced through YAML the schema accepts, E001 is an engine failure
DOCUMENTED = {
    *(f"K00{i}" for i in range(1, 10)),
    "K010",
    "K011",
    "K012",
    "K013",
    "K014",
    "R001",
    "R002",
    "R003",
    "R006",
    "R007",
    "R008",
    "R101",
    "R102",
    "R103",
    "R104",
    "R105",
    "R106",
    "R107",
    "R108",
    "R201",
}


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart already
        return CliRunner()


def workspace(tmp_path: Path) -> Path:
    """A fresh copy of the shipped knowledge/ and rules/ under ``tmp_path``."""
    for name in ("knowledge", "rules"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.py", "__pycache__")
        )
    return tmp_path


def patch(file: Path, find: str, replace: str) -> None:
    """Replace the one occurrence of ``find`` in ``file``."""
    text = file.read_text(encoding="utf-8")
    assert text.count(find) == 1, f"{file.name}: {find!r} occurs {text.count(find)} times"
    file.write_text(text.replace(find, replace), encoding="utf-8")


def apply(ws: Path, edits: list[dict]) -> None:
    for edit in edits:
        target = ws / edit["file"]
        if edit.get("remove"):
            target.unlink()
        elif "copy" in edit:
            shutil.copyfile(FIXTURES / edit["copy"], target)
        else:
            patch(target, edit["find"], edit["replace"])


def line_of(file: Path, at: str, occurrence: int = 1) -> int:
    """The line number of the ``occurrence``-th line of ``file`` containing ``at``."""
    lines = file.read_text(encoding="utf-8").splitlines()
    exact = [i for i, ln in enumerate(lines, 1) if ln.strip() == at]
    found = exact or [i for i, ln in enumerate(lines, 1) if at in ln]
    assert len(found) >= occurrence, f"{file.name}: {at!r} found on lines {found}"
    if occurrence == 1:
        assert len(found) == 1, f"{file.name}: {at!r} is ambiguous (lines {found})"
    return found[occurrence - 1]


def validate(ws: Path, *extra: str):
    args = ["validate", "--knowledge", str(ws / "knowledge"), "--rules", str(ws / "rules")]
    return runner().invoke(cli, [*args, *extra])


def problems(output: str) -> list[re.Match]:
    lines = output.splitlines()
    matches = [PROBLEM.match(ln) for ln in lines]
    assert all(matches), [ln for ln, m in zip(lines, matches, strict=True) if not m]
    return matches


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_breakage_is_reported_at_its_file_and_line(tmp_path, case):
    ws = workspace(tmp_path)
    apply(ws, case["edit"])
    expect = case["expect"]
    file = ws / expect["file"]
    line = expect.get("line") or line_of(file, expect["at"], expect.get("occurrence", 1))

    result = validate(ws)

    assert result.exit_code == 1, result.output
    found = problems(result.stdout)
    assert any(
        m["file"] == str(file)
        and int(m["line"]) == line
        and m["code"] == expect["code"]
        and expect["message"] in m["message"]
        for m in found
    ), f"expected {file}:{line}: {expect['code']}: ...{expect['message']}..., got:\n" + (
        result.stdout
    )
    count = case.get("count", 1)
    if count is not None:
        assert len(found) == count, result.stdout
    n = len(found)
    assert result.stderr == f"{n} problem{'s' * (n != 1)} found\n"
    assert "Traceback" not in result.output


def test_the_suite_covers_every_documented_code():
    assert {c["expect"]["code"] for c in CASES} | {"R104"} == DOCUMENTED


def fanout_rules(n: int) -> str:
    """A rules file where ``n`` rules wait on one signal."""
    out = [
        "rules:",
        "  - id: fanout.seed",
        "    concludes: {signal: fanout_seed}",
        "    when:",
        "      - scope: {owns_budget: true}",
        "    because: Seed for the fan-out test.",
        "    source: productplan",
    ]
    for i in range(n):
        out += [
            f"  - id: fanout.r{i:02d}",
            f"    concludes: {{signal: fanout_{i:02d}}}",
            "    when:",
            "      - signal: fanout_seed",
            f"    because: Fan-out rule {i}.",
            "    source: productplan",
        ]
    return "\n".join(out) + "\n"


def test_more_than_64_rules_on_one_fact_is_r104_at_the_65th(tmp_path):
    ws = workspace(tmp_path)
    file = ws / "rules" / "fanout.yaml"
    file.write_text(fanout_rules(MAX_RULES_PER_FACT + 1), encoding="utf-8")

    result = validate(ws)

    assert result.exit_code == 1
    (found,) = problems(result.stdout)
    assert found["file"] == str(file)
    assert int(found["line"]) == line_of(file, f"- id: fanout.r{MAX_RULES_PER_FACT:02d}")
    assert found["code"] == "R104"
    assert found["message"].startswith(
        f"{MAX_RULES_PER_FACT + 1} rules can match the signal fact 'fanout_seed' at once"
    )


def test_too_many_negating_rules_behind_one_flag_is_r104(tmp_path):
    ws = workspace(tmp_path)
    file = ws / "rules" / "fanout.yaml"
    text = fanout_rules(MAX_RULES_PER_FACT)  # stratum 1: each also negates a signal
    text = text.replace(
        "      - signal: fanout_seed\n",
        "      - signal: fanout_seed\n      - not: {signal: early_career}\n",
    )
    file.write_text(text, encoding="utf-8")

    result = validate(ws)

    assert result.exit_code == 1
    (found,) = problems(result.stdout)
    assert found["code"] == "R104"
    assert int(found["line"]) == line_of(file, f"- id: fanout.r{MAX_RULES_PER_FACT - 1:02d}")
    assert "alpha nodes can wait at once on the stage-1 fact" in found["message"]
    assert f"{MAX_RULES_PER_FACT} rules behind signal 'fanout_seed'" in found["message"]


def test_exactly_64_rules_on_one_fact_compile_and_pass(tmp_path):
    ws = workspace(tmp_path)
    (ws / "rules" / "fanout.yaml").write_text(fanout_rules(MAX_RULES_PER_FACT), encoding="utf-8")
    result = validate(ws)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")


def test_the_shipped_knowledge_validates_with_a_one_line_summary():
    result = runner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert re.fullmatch(
        r"ok: 13 knowledge files, \d+ rules files; 7 levels, \d+ requirements, \d+ steps, "
        r"\d+ rules \(\d+ generated\), \d+ cases passed; knowledge_version [0-9a-f]{12}",
        line,
    ), line


def test_a_working_copy_of_the_shipped_knowledge_validates_too(tmp_path):
    ws = workspace(tmp_path)
    result = validate(ws, "--no-cases")
    assert result.exit_code == 0, result.output
    assert ", 0 cases passed;" in result.stdout


def test_every_problem_is_reported_at_once_sorted_one_per_line(tmp_path):
    ws = workspace(tmp_path)
    apply(
        ws,
        [
            {"file": "knowledge/notes.yaml", "copy": "notes.yaml"},
            {
                "file": "knowledge/levels.yaml",
                "find": "    kwan_level: 2\n",
                "replace": "    kwan_level: high\n",
            },
            {
                "file": "knowledge/levels.yaml",
                "find": "    kwan_level: 4\n",
                "replace": "    kwan_level: 9\n",
            },
            {
                "file": "rules/path.yaml",
                "find": "    because: No product team",
                "replace": "    becaus: No product team",
            },
        ],
    )
    result = validate(ws)
    assert result.exit_code == 1
    found = problems(result.stdout)
    keys = [(m["file"], int(m["line"]), m["code"], m["message"]) for m in found]
    assert keys == sorted(keys)
    levels = str(ws / "knowledge" / "levels.yaml")
    assert [(f, c) for f, _, c, _ in keys] == [
        (levels, "K001"),
        (levels, "K001"),
        (str(ws / "knowledge" / "notes.yaml"), "K008"),
        (str(ws / "rules" / "path.yaml"), "R001"),
        (str(ws / "rules" / "path.yaml"), "R001"),
    ]
    assert result.stderr == "5 problems found\n"


def test_reference_problems_in_several_files_come_out_together_and_sorted(tmp_path):
    ws = workspace(tmp_path)
    apply(
        ws,
        [
            {
                "file": "knowledge/entry_paths.yaml",
                "find": "        step: volunteer-problem-solving\n",
                "replace": "        step: volunteer\n",
            },
            {
                "file": "knowledge/skills.yaml",
                "find": "    step: skill-communication\n",
                "replace": "    step: skill-talking\n",
            },
            {
                "file": "knowledge/levels.yaml",
                "find": "{senior_pm_min_launches}",
                "replace": "{senior_launches}",
            },
            {
                "file": "knowledge/steps.yaml",
                "find": "  - id: mentor-junior-pms\n",
                "replace": "  - id: ship-a-feature\n",
            },
        ],
    )
    result = validate(ws)
    assert result.exit_code == 1
    found = problems(result.stdout)
    got = [(Path(m["file"]).name, int(m["line"]), m["code"]) for m in found]
    k = ws / "knowledge"
    assert got == [
        ("entry_paths.yaml", line_of(k / "entry_paths.yaml", "step: volunteer"), "K003"),
        ("levels.yaml", line_of(k / "levels.yaml", "{senior_launches}"), "K003"),
        ("skills.yaml", line_of(k / "skills.yaml", "step: skill-talking"), "K003"),
        ("steps.yaml", line_of(k / "steps.yaml", "- id: ship-a-feature", 2), "K002"),
    ]


def test_validate_as_a_real_subprocess_names_file_line_and_code(tmp_path):
    ws = workspace(tmp_path)
    apply(ws, CASES[0]["edit"])
    expect = CASES[0]["expect"]
    file = ws / expect["file"]
    cmd = [sys.executable, "-m", "pmpath.cli.main", "validate"]
    cmd += ["--knowledge", str(ws / "knowledge"), "--rules", str(ws / "rules")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == (
        f"{file}:{line_of(file, expect['at'])}: {expect['code']}: {expect['message']}\n"
    )
    assert proc.stderr == "1 problem found\n"

    proc = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok: ") and proc.stdout.count("\n") == 1
