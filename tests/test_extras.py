"""The extras stay extras: only their own room imports what they bring, and the core
command starts without importing any of it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: third-party top-level module -> the only pmpath room that may import it
OWNERS = {
    "starlette": "engine/serve",
    "uvicorn": "engine/serve",
    "prometheus_client": "engine/serve",
    "multipart": "engine/serve",
    "dask": "engine/dask",
    "distributed": "engine/dask",
    "fsspec": "engine/dask",
    "pyarrow": "engine/dask",
}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


SOURCES = sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "cli").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_its_own_room_imports_what_an_extra_brings(path):
    rel = path.relative_to(ROOT).as_posix()
    for module in imported(path) & set(OWNERS):
        assert rel.startswith(OWNERS[module] + "/"), f"{rel} imports {module}"


def test_the_core_command_imports_no_extra():
    code = (
        "import sys, pmpath, pmpath.cli.main\n"
        "from pmpath.cli.main import COMMANDS\n"
        "import importlib\n"
        "for name in ('recommend', 'serve', 'batch', 'import_cmd'):\n"
        "    importlib.import_module('pmpath.cli.' + name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(OWNERS)!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
