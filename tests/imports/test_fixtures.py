"""Every import fixture against its expected profile, report and end-to-end level.

Fixtures are written by hand under ``fixtures/<format>/`` (a LinkedIn export is a
folder): careers with overlapping jobs, career switches, current jobs, year-only
and missing dates, titles in other casing and in languages pmpath reads or does
not, non-product careers. ``expected/<format>/<name>.json`` holds, for each
profile the source gives, the profile, the import report and the level
``pmpath recommend`` then gives. After changing knowledge/imports.yaml on
purpose, review the changes this shows, then refresh with::

    PMPATH_UPDATE_IMPORTS=1 pytest tests/imports/test_fixtures.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pmpath import Engine
from pmpath.imports import FORMATS, import_path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
EXPECTED = HERE / "expected"
AS_OF = "2026-12-02"
UPDATE = os.environ.get("PMPATH_UPDATE_IMPORTS") == "1"

CASES = sorted(
    (fmt, path)
    for fmt in FORMATS
    for path in (FIXTURES / fmt).iterdir()
    if path.suffix == ".json" or path.is_dir()
)


@pytest.fixture(scope="module")
def engine():
    built = Engine.load()
    yield built
    built.close()


def test_each_source_has_at_least_eight_fixtures():
    for fmt in FORMATS:
        assert sum(1 for f, _ in CASES if f == fmt) >= 8, fmt


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=lambda v: v if isinstance(v, str) else v.stem)
def test_a_fixture_imports_as_expected(engine, fmt, path):
    imported = import_path(str(path), fmt, as_of=AS_OF)
    got = []
    for profile, report in imported:
        report = {**report, "source": path.relative_to(HERE).as_posix()}
        level = engine.recommend(profile).to_dict()["level"]
        got.append(
            {
                "profile": profile,
                "report": report,
                "level": {
                    "id": level["id"],
                    "certainty": level["certainty"],
                    "possible": level["possible"]["id"],
                },
            }
        )
    expected_file = EXPECTED / fmt / f"{path.stem}.json"
    if UPDATE:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text())


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=lambda v: v if isinstance(v, str) else v.stem)
def test_auto_detection_reads_each_fixture_as_its_format(fmt, path):
    auto = import_path(str(path), "auto", as_of=AS_OF)
    assert [r["format"] for _, r in auto] == [fmt] * len(auto)
