"""Bad input through a real `pmpath` process: one clear line on stderr, exit 1, no traceback.

Each case writes a file (or feeds stdin), runs ``pmpath recommend`` as a
subprocess, and checks the exit code, that stderr is exactly one line naming
the problem (file, line or field path, what is wrong, how to fix it), that
nothing reached stdout, and that no traceback leaked. Usage errors exit 2, as
click does. The alias bomb and the oversized file also run under a memory
ceiling, so a parser that expanded them would fail here rather than swap.
Speed is measured by benchmarks/bench_startup.py, never asserted here.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SENIOR = ROOT / "examples" / "profiles" / "senior-pm.yaml"
GUARD_SECONDS = 60  # a hang guard only; not a timing assertion


def pmpath_command() -> list[str]:
    script = Path(sys.executable).with_name("pmpath")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "pmpath.cli.main"]


def pmpath(*args: str, stdin: bytes | None = None, memory_mb: int | None = None):
    def limit() -> None:  # runs in the child, before exec
        if memory_mb is not None:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = {k: v for k, v in os.environ.items() if k != "PMPATH_DEBUG"}
    return subprocess.run(
        [*pmpath_command(), *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=GUARD_SECONDS,
        cwd=ROOT,
        env=env,
        preexec_fn=limit if memory_mb is not None else None,
    )


def alias_bomb() -> bytes:
    """Billion laughs: nine levels of nine aliases, 9**9 strings when expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


VALID = b"experience:\n  total_years: 3\n  product_years: 1\n"

#: name -> (file name, content, words the one error line must contain)
CASES: dict[str, tuple[str, bytes, list[str]]] = {
    "empty file": ("empty.yaml", b"", ["P002", "the profile is empty", "pmpath init"]),
    "only comments": ("comments.yaml", b"# nothing yet\n\n", ["P002", "empty"]),
    "yaml syntax error with line and column": (
        "syntax.yaml",
        b"experience:\n  total_years: 3\n  product_years: [1\n",
        ["syntax.yaml:4:1:", "P003", "YAML syntax error", "line 3, column 18"],
    ),
    "tab indentation": (
        "tabs.yaml",
        b"experience:\n\ttotal_years: 3\n",
        ["tabs.yaml:2:1:", "P003", "tabs"],
    ),
    "json syntax error": (
        "bad.json",
        b'{"experience": {"total_years": 3, "product_years": 1,}}',
        ["bad.json:1:", "P003", "JSON syntax error", "comma after the last item"],
    ),
    "a list instead of a mapping": ("list.yaml", b"- 3\n- 1\n", ["P004", "not a list"]),
    "a scalar instead of a mapping": ("scalar.yaml", b"42\n", ["P004", "single value (42)"]),
    "unknown top-level key with did-you-mean": (
        "typo.yaml",
        b"experiance:\n  total_years: 3\n  product_years: 1\n",
        ["typo.yaml:1:", "P005", "unknown key 'experiance'", "did you mean 'experience'?"],
    ),
    "unknown nested key with did-you-mean": (
        "nested.yaml",
        b"experience:\n  total_years: 3\n  prodcut_years: 1\n",
        ["nested.yaml:3:", "P005", "experience.prodcut_years", "did you mean 'product_years'?"],
    ),
    "a field in the wrong section": (
        "section.yaml",
        VALID + b"launches: 3\n",
        ["P005", "unknown key 'launches'", "belongs in the track_record section"],
    ),
    "wrong type": (
        "type.yaml",
        VALID + b"scope:\n  owns_roadmap: sometimes\n",
        ["type.yaml:5:", "P006", "scope.owns_roadmap", "must be true or false"],
    ),
    "a quoted number": (
        "quoted.yaml",
        b'experience:\n  total_years: "5"\n  product_years: 1\n',
        ["quoted.yaml:2:", "P006", "experience.total_years", "a number", "remove the quotes"],
    ),
    "a negative number": (
        "negative.yaml",
        b"experience:\n  total_years: -2\n  product_years: 0\n",
        ["negative.yaml:2:", "P007", "experience.total_years", "negative", "from 0 to 70"],
    ),
    "an out-of-range rating": (
        "rating.yaml",
        VALID + b"strengths:\n  communication: 7\n",
        ["rating.yaml:5:", "P007", "strengths.communication", "out of range", "from 1 to 5"],
    ),
    "a fractional rating": (
        "fraction.yaml",
        VALID + b"strengths:\n  communication: 3.5\n",
        ["P006", "strengths.communication", "whole number"],
    ),
    "a value not in the list": (
        "enum.yaml",
        VALID + b"goals:\n  target: directr\n",
        ["enum.yaml:5:", "P008", "goals.target", "not one of", "did you mean 'director'?"],
    ),
    "a missing required field": (
        "required.yaml",
        b"experience:\n  total_years: 3\n",
        ["P009", "experience.product_years", "required"],
    ),
    "product years above total years": (
        "product.yaml",
        b"experience:\n  total_years: 3\n  product_years: 5\n",
        ["product.yaml:3:", "P010", "experience.product_years", "more than", "total_years (3)"],
    ),
    "management years above total years": (
        "management.yaml",
        b"experience:\n  total_years: 3\n  product_years: 1\n  people_management_years: 4\n",
        ["management.yaml:4:", "P010", "experience.people_management_years", "more than"],
    ),
    "a duplicate key": (
        "duplicate.yaml",
        b"experience:\n  total_years: 3\n  product_years: 1\n  total_years: 4\n",
        ["duplicate.yaml:4:", "P013", "duplicate key 'total_years'", "first at line 2"],
    ),
    "binary input": ("photo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["P012", "binary"]),
    "latin-1 input": (
        "latin1.yaml",
        b"name: Jos\xe9\nexperience: {total_years: 1, product_years: 0}\n",
        ["latin1.yaml:1:", "P012", "not valid UTF-8", "save the file as UTF-8"],
    ),
    "utf-16 input": (
        "utf16.yaml",
        "experience: {total_years: 1, product_years: 0}\n".encode("utf-16"),
        ["P012", "UTF-16", "UTF-8"],
    ),
    "a custom yaml tag": (
        "tag.yaml",
        b"name: !!python/object/apply:os.system ['true']\n" + VALID,
        ["P003", "unsupported YAML tag"],
    ),
    "two yaml documents": ("two.yaml", VALID + b"---\n" + VALID, ["P003", "more than one"]),
}


def check_one_line_error(result, *words: str) -> str:
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and b"Traceback" not in result.stdout
    assert result.returncode == 1, stderr
    assert result.stdout == b""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    return line


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_profile_file(tmp_path, case):
    name, content, words = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    line = check_one_line_error(pmpath("recommend", str(path)), *words)
    assert str(path) in line


@pytest.mark.parametrize("case", ["empty file", "a list instead of a mapping", "binary input"])
def test_bad_profile_on_stdin(case):
    _, content, words = CASES[case]
    line = check_one_line_error(pmpath("recommend", "-", stdin=content), *words)
    assert "<stdin>" in line


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    check_one_line_error(pmpath("recommend", str(missing)), "nope.yaml", "P001", "file not found")


def test_a_directory_instead_of_a_file(tmp_path):
    check_one_line_error(pmpath("recommend", str(tmp_path)), "P001", "directory")


def test_a_yaml_alias_bomb_is_rejected_without_expanding_it(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_bytes(alias_bomb())
    result = pmpath("recommend", str(path), memory_mb=1024)
    check_one_line_error(result, "P011", "alias")


def test_a_file_over_the_size_cap_is_rejected_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(VALID)
        fh.write(b"# padding\n" * 2_000_000)  # 20 MB
    result = pmpath("recommend", str(path), memory_mb=1024)
    check_one_line_error(result, "P011", "larger than the 1,048,576-byte limit")


def test_an_endless_stream_on_stdin_is_cut_at_the_size_cap():
    result = subprocess.run(
        [*pmpath_command(), "recommend", "-"],
        stdin=open("/dev/zero", "rb"),  # noqa: SIM115 - closed with the process
        capture_output=True,
        timeout=GUARD_SECONDS,
    )
    check_one_line_error(result, "P011", "limit")


def test_deeply_nested_input_is_an_error_not_a_crash(tmp_path):
    for name, text in (("deep.yaml", "a: " + "[" * 50_000), ("deep.json", "[" * 50_000)):
        path = tmp_path / name
        path.write_text(text)
        check_one_line_error(pmpath("recommend", str(path)), name)


def test_debug_does_not_turn_a_bad_profile_into_a_traceback(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_bytes(CASES["unknown top-level key with did-you-mean"][1])
    check_one_line_error(pmpath("--debug", "recommend", str(path)), "P005")


@pytest.mark.parametrize(
    "args, words",
    [
        (["recommend"], ["Missing argument 'PROFILE'"]),
        (["recommend", str(SENIOR), "--format", "pdf"], ["Invalid value for '--format'"]),
        (["recommend", str(SENIOR), "--colour"], ["No such option"]),
        (["recommend", str(SENIOR), "--knowledge", "/no/such/dir"], ["does not exist"]),
        (["schema", "everything"], ["Invalid value"]),
        (["no-such-command"], ["No such command"]),
    ],
)
def test_usage_errors_exit_2_as_click_does(args, words):
    result = pmpath(*args)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "Usage:" in stderr
    for word in words:
        assert word in stderr


def test_a_good_profile_still_works_in_the_same_harness():
    result = pmpath("recommend", str(SENIOR))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"Jane Doe (example-senior-pm): Senior Product Manager")
    assert result.stderr == b""
