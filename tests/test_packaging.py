"""The wheel: one import name, `pmpath`, with the knowledge, rules and schemas inside."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("pmpath-*.whl")
    return path


def test_the_wheel_installs_one_top_level_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"pmpath", wheel.name.split("-py3")[0] + ".dist-info"}
    assert not any(n.startswith(("engine/", "cli/", "knowledge/", "rules/")) for n in names)


def test_the_wheel_ships_every_knowledge_rules_and_schema_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("knowledge", "*.yaml"), ("rules", "*.yaml")):
        for path in (ROOT / folder).glob(pattern):
            assert f"pmpath/{folder}/{path.name}" in names
    for path in (ROOT / "engine" / "schemas").glob("*.json"):
        assert f"pmpath/schemas/{path.name}" in names
    assert "pmpath/py.typed" in names


def test_the_wheel_works_away_from_the_source_tree(wheel, tmp_path):
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    script = (
        "import os, pathlib, pmpath\n"
        "e = pmpath.Engine.load()\n"
        "here = pathlib.Path(pmpath.__file__)\n"
        "assert here.is_relative_to(pathlib.Path(os.environ['PYTHONPATH'])), here\n"
        "r = e.recommend({'experience': {'total_years': 4, 'product_years': 3},"
        " 'track_record': {'launches': 2}})\n"
        "print(r.level, e.knowledge_version)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(unpacked), "PMPATH_CACHE_DIR": ""}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    level, version = done.stdout.split()
    assert level == "pm"
    from pmpath import Engine

    assert version == Engine.load().knowledge_version
