"""The README's examples are run, so the README cannot rot.

What runs:

- **```console blocks.** Each line starting with ``$ `` is a shell command,
  run with bash in a scratch directory that links the repository's folders
  (``examples/``, ``knowledge/``, ...), one per block, with this Python's
  ``pmpath`` first on PATH and ``NO_COLOR=1``. The lines after it, up to the next ``$ `` line,
  are its expected output (stdout and stderr together). The comparison ignores
  trailing spaces and the knowledge_version hash (any 64-hex-digit hash, and
  the 12-digit one after ``knowledge_version``). A line that is just ``...``
  stands for any number of lines, and ``...`` inside a line for any text. A
  command must exit 0 unless its shown output contains ``error:`` or
  ``Usage:``.
- **```pycon blocks** run as doctests, in order, in one shared namespace,
  from the repository root; **```python blocks** are executed.
- **The opening**: the README's first code block holds exactly two commands:
  the first installs pmpath and runs ``pmpath recommend`` on a shipped
  example, the second installs the test extras and runs the test suite; the
  ``pmpath recommend`` part of the first is run here, and ``.ci/run`` must
  install and test exactly as the second says.

What does not run: ```sh, ```bash, ```yaml, ```json and ```text blocks are
shown, not run. To keep a console, pycon or python block from running (say,
for a command that is not built yet), put this on the line right above its
opening fence; the block is reported as a skipped test with the reason::

    <!-- readme-test: skip (pmpath batch is not built yet) -->

After changing knowledge, rules or a renderer, refresh the outputs shown in
the README from the real program (outputs containing ``...`` are left alone
and reported)::

    python tests/test_readme.py --update
"""

from __future__ import annotations

import atexit
import contextlib
import doctest
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
SKIP = re.compile(r"^<!--\s*readme-test:\s*skip\b\s*(.*?)\s*-->$")
RUNNABLE = {"console", "pycon", "python"}


@dataclass
class Block:
    lang: str
    start: int  # 0-based index of the first line inside the fence
    lines: list[str]
    skip: str | None  # the reason, when marked to skip


@dataclass
class Command:
    block: Block
    line: int  # 0-based index of the "$ " line in the README
    command: str
    expected: list[str]


def blocks(text: str) -> list[Block]:
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```") and line.strip() != "```":
            lang = line.strip()[3:].strip()
            before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = SKIP.match(before)
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            reason = (marker.group(1).strip("() ") or "marked to skip") if marker else None
            out.append(Block(lang, i + 1, lines[i + 1 : j], reason))
            i = j
        i += 1
    return out


def commands(block: Block) -> list[Command]:
    out: list[Command] = []
    for n, line in enumerate(block.lines):
        if line.startswith("$ "):
            out.append(Command(block, block.start + n, line[2:], []))
        elif out:
            out[-1].expected.append(line)
    for cmd in out:
        while cmd.expected and not cmd.expected[-1].strip():
            cmd.expected.pop()
    return out


def normalise(text: str) -> str:
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"(knowledge_version:? )[0-9a-f]{12}\b", r"\1<sha256>", text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def matches(expected: list[str], actual: str) -> bool:
    """``actual`` against ``expected``, with ``...`` lines and ``...`` inside lines as wildcards."""
    parts = []
    for line in normalise("\n".join(expected)).split("\n"):
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.split("...")) + r"\n")
    return re.fullmatch("".join(parts), normalise(actual) + "\n", re.DOTALL) is not None


def environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env.pop("COLUMNS", None)
    return env


_WORKDIRS: dict[int, Path] = {}


@atexit.register
def _remove_workdirs() -> None:
    for path in _WORKDIRS.values():
        # a block that starts a server in the background writes its pid to NAME.pid
        # and stops it itself; whatever a failed block left running is stopped here
        for pid_file in path.glob("*.pid"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(path, ignore_errors=True)


def workdir(block: Block) -> Path:
    """A scratch directory per block, so commands that write files (``pmpath init
    me.yaml``) leave the checkout alone; it links the repository's top-level folders
    (examples/, knowledge/, rules/, ...) so paths in the README work as written."""
    if block.start not in _WORKDIRS:
        path = Path(tempfile.mkdtemp(prefix="pmpath-readme-"))
        for entry in ROOT.iterdir():
            if entry.name not in (".git", ".venv") and entry.is_dir():
                (path / entry.name).symlink_to(entry, target_is_directory=True)
        _WORKDIRS[block.start] = path
    return _WORKDIRS[block.start]


def run_shell(command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


TEXT = README.read_text(encoding="utf-8") if README.exists() else ""
BLOCKS = blocks(TEXT)
COMMANDS = [c for b in BLOCKS if b.lang == "console" for c in commands(b)]


def command_id(cmd: Command) -> str:
    return f"line{cmd.line + 1}: {cmd.command[:60]}"


# -- the opening --------------------------------------------------------------------


def opening() -> list[str]:
    assert BLOCKS, "README.md has no code blocks"
    first = BLOCKS[0]
    before = TEXT.splitlines()[: first.start - 1]
    prose = [line for line in before if line.strip() and not line.startswith("#")]
    assert not prose, f"the README must open with the two commands, not with: {prose[0]!r}"
    lines = [line.strip() for line in first.lines if line.strip()]
    assert len(lines) == 2, f"the README must open with exactly two commands, found {lines}"
    return lines


def test_the_readme_opens_with_an_install_and_run_command_on_a_shipped_example():
    run_line = opening()[0]
    assert run_line.startswith("pip install ")
    assert " && pmpath recommend " in run_line
    recommend = run_line.split(" && ", 1)[1]
    profile = shlex.split(recommend)[2]
    assert (ROOT / profile).is_file() and profile.startswith("examples/profiles/")
    result = run_shell(recommend)
    assert result.returncode == 0, result.stdout
    assert "Next steps" in result.stdout


def test_the_readme_opens_with_the_test_command_and_ci_runs_exactly_that():
    test_line = opening()[1]
    install, _, run_tests = test_line.partition(" && ")
    assert install.startswith("pip install ") and "[test]" in install
    assert run_tests == "pytest"
    ci = CI.read_text(encoding="utf-8").splitlines()
    assert install in [line.strip() for line in ci], ".ci/run must install as the README says"
    assert run_tests in [line.strip() for line in ci], ".ci/run must test as the README says"


# -- console blocks ------------------------------------------------------------------


def test_the_readme_shows_real_output_for_commands():
    shown = [c for c in COMMANDS if c.expected and c.block.skip is None]
    assert len(shown) >= 5
    for name in ("recommend", "init", "schema", "validate"):
        assert any(f"pmpath {name}" in c.command for c in shown), f"no example of pmpath {name}"


@pytest.mark.parametrize("cmd", COMMANDS, ids=command_id)
def test_console_example(cmd: Command):
    if cmd.block.skip is not None:
        pytest.skip(cmd.block.skip)
    result = run_shell(cmd.command, workdir(cmd.block))
    shown = "\n".join(cmd.expected)
    if "error:" not in shown and "Usage:" not in shown:
        assert result.returncode == 0, f"$ {cmd.command}\n{result.stdout}"
    if cmd.expected:
        assert matches(cmd.expected, result.stdout), (
            f"README.md line {cmd.line + 1}: `{cmd.command}` printed:\n{result.stdout}\n"
            "(refresh with: python tests/test_readme.py --update)"
        )


# -- python ------------------------------------------------------------------------------


def test_pycon_examples_run_as_doctests(monkeypatch):
    monkeypatch.chdir(ROOT)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace: dict = {}
    ran = 0
    for block in BLOCKS:
        if block.lang != "pycon" or block.skip is not None:
            continue
        test = parser.get_doctest(
            "\n".join(block.lines) + "\n", namespace, "README.md", str(README), block.start
        )
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # DocTest copies its globals: carry them to the next block
        ran += len(test.examples)
    assert ran, "the README has no Python API examples"
    failures = runner.summarize(verbose=False).failed
    assert failures == 0, "a README Python example failed (see the doctest report above)"


def test_python_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    for block in BLOCKS:
        if block.lang == "python" and block.skip is None:
            source = "\n".join(block.lines)
            exec(compile(source, f"README.md:{block.start}", "exec"), {})


# -- the parser itself ------------------------------------------------------------------


def test_the_wildcards_match_what_they_should_and_nothing_else():
    assert matches(["a", "...", "d"], "a\nb\nc\nd")
    assert matches(["a", "...", "b"], "a\nb")
    assert matches(["ok: ... files"], "ok: 11 files")
    assert not matches(["a", "d"], "a\nb\nd")
    assert not matches(["ok: 1 file"], "ok: 2 files")
    assert matches(["version <sha256>"], "version " + "ab" * 32)


def test_a_skip_marker_applies_to_the_next_block_only():
    text = (
        "<!-- readme-test: skip (not built yet) -->\n```console\n$ a\n```\n```console\n$ b\n```\n"
    )
    first, second = blocks(text)
    assert first.skip == "not built yet"
    assert second.skip is None


# -- refreshing the README ------------------------------------------------------------------


def update() -> int:
    """Rewrite the README's shown outputs from the real program; return how many changed."""
    lines = README.read_text(encoding="utf-8").splitlines()
    results = []
    for cmd in COMMANDS:  # in order: a block's commands may build on each other
        if cmd.block.skip is None:
            results.append((cmd, run_shell(cmd.command, workdir(cmd.block)).stdout))
    changed = 0
    for cmd, actual in reversed(results):  # bottom-up, so earlier line numbers stay valid
        if any("..." in line for line in cmd.expected):
            if not matches(cmd.expected, actual):
                print(f"line {cmd.line + 1}: `{cmd.command}` has `...`; update it by hand")
            continue
        new = [line.rstrip() for line in actual.rstrip("\n").splitlines()]
        old = len(cmd.expected)
        if lines[cmd.line + 1 : cmd.line + 1 + old] != new:
            lines[cmd.line + 1 : cmd.line + 1 + old] = new
            changed += 1
    README.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_readme.py --update")
    print(f"{update()} outputs refreshed in {README}")
