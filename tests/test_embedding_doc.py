"""docs/embedding.md runs as written: every Python block, and every `$ pmpath` command.

A fenced ``output`` block right after a ``python`` block is what that block
prints; in a ``console`` block, the lines after a ``$ pmpath ...`` line are
what the command prints. Blocks run in order, in one namespace, from a
scratch directory that sees the repository's ``examples/``.

To refresh the shown outputs after a deliberate change, run
``PMPATH_UPDATE_DOCS=1 pytest tests/test_embedding_doc.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmpath.cli.main import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "embedding.md"
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
UPDATE = os.environ.get("PMPATH_UPDATE_DOCS") == "1"


@dataclass
class Block:
    lang: str
    body: str
    start: int  # offsets of the body in the document
    end: int

    @property
    def line(self) -> int:
        return DOC.read_text(encoding="utf-8").count("\n", 0, self.start) + 1


def blocks(text: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), m.start(2), m.end(2)) for m in FENCE.finditer(text)]


def run_console(body: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Run each ``$ pmpath`` line; return the refreshed body and (command, want, got)."""
    out_lines: list[str] = []
    results = []
    command, expected = None, []

    def flush() -> None:
        if command is None:
            return
        args = shlex.split(command[2:])
        assert args[0] == "pmpath", f"only pmpath commands run in docs: {command}"
        result = CliRunner().invoke(cli, args[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        got = result.stdout
        results.append((command, "".join(line + "\n" for line in expected), got))
        out_lines.append(command + "\n")
        out_lines.append(got)

    for line in body.splitlines():
        if line.startswith("$ "):
            flush()
            command, expected = line, []
        else:
            expected.append(line)
    flush()
    return "".join(out_lines), results


def test_the_embedding_guide_runs_and_prints_what_it_shows(tmp_path, monkeypatch, root):
    (tmp_path / "examples").symlink_to(root / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    found = blocks(text)
    assert sum(b.lang == "python" for b in found) >= 5
    namespace: dict = {"__name__": "embedding_doc"}
    replacements: list[tuple[Block, str]] = []
    mismatches = []
    for i, block in enumerate(found):
        if block.lang == "python":
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(block.body, f"{DOC.name}:{block.line}", "exec"), namespace)
            nxt = found[i + 1] if i + 1 < len(found) else None
            if nxt is not None and nxt.lang == "output":
                replacements.append((nxt, buffer.getvalue()))
                if buffer.getvalue() != nxt.body:
                    mismatches.append((block.line, nxt.body, buffer.getvalue()))
            else:
                assert buffer.getvalue() == "", f"block at line {block.line} prints, unshown"
        elif block.lang == "console":
            refreshed, results = run_console(block.body)
            replacements.append((block, refreshed))
            for _command, want, got in results:
                if want != got:
                    mismatches.append((block.line, want, got))
    if UPDATE:
        for block, body in sorted(replacements, key=lambda r: -r[0].start):
            text = text[: block.start] + body + text[block.end :]
        DOC.write_text(text, encoding="utf-8")
        pytest.skip("docs/embedding.md outputs refreshed; review the diff")
    for line, want, got in mismatches:
        assert got == want, f"output after the block at docs/embedding.md:{line} differs"


def test_the_guide_shows_an_output_for_every_block_that_prints():
    found = blocks(DOC.read_text(encoding="utf-8"))
    outputs = [b for b in found if b.lang == "output"]
    assert outputs
    assert UPDATE or all(b.body.strip() for b in outputs), "an empty output block"
    for i, block in enumerate(found):
        if block.lang == "output":
            assert found[i - 1].lang == "python", "an output block must follow a python block"
