"""Numbers are read as written: YAML 1.1 number forms and explicit tags are refused,
with a hint, in profiles, knowledge and rules alike (issue 9, item 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmpath import load_model, parse_profile
from pmpath.errors import ProfileError

ROOT = Path(__file__).resolve().parents[2]


def _profile(value: str) -> str:
    return f"experience:\n  total_years: 12\n  product_years: {value}\n"


@pytest.mark.parametrize(
    ("written", "reads_as", "hint"),
    [
        ("010", "octal, that is 8", "write 8 if you mean 8, or 10 if you mean 10"),
        ("0x10", "hexadecimal, that is 16", "write 16"),
        ("0b11", "binary, that is 3", "write 3"),
        ("1_0", "digits with underscores, that is 10", "write 10"),
        ("1:30", "base 60 (hours:minutes), that is 90", "write 90"),
        ("1_000.5", "digits with underscores, that is 1000.5", "write 1000.5"),
    ],
)
def test_yaml_number_forms_that_read_as_other_numbers_are_refused(written, reads_as, hint):
    with pytest.raises(ProfileError) as caught:
        parse_profile(_profile(written), "p.yaml")
    err = caught.value
    assert err.code == "P006" and (err.line, err.column) == (3, 18)
    assert err.message == f"{written} is not a plain decimal number: YAML reads it as {reads_as}"
    assert hint in err.hint and "quotes" in err.hint
    assert "\n" not in str(err)


@pytest.mark.parametrize("tagged", ["!!int 5", "!!float 5", "!!str 5", "&a !!int 5", '!!int "5"'])
def test_explicit_tags_are_refused(tagged):
    with pytest.raises(ProfileError, match="YAML tags are not supported") as caught:
        parse_profile(_profile(tagged), "p.yaml")
    assert caught.value.code == "P003" and caught.value.line == 3


@pytest.mark.parametrize("plain", ["5", "0", "2.5", "0.5", "12"])
def test_plain_decimals_are_read_as_written(plain):
    profile = parse_profile(_profile(plain), "p.yaml")
    assert profile.data["experience"]["product_years"] == float(plain)


def test_a_quoted_number_with_a_leading_zero_is_told_to_drop_it():
    from pmpath import Engine

    with pytest.raises(ProfileError) as caught:
        Engine.load().recommend(parse_profile(_profile('"010"'), "p.yaml"))
    assert 'write 10, not "010"' in caught.value.hint


@pytest.mark.parametrize(
    ("folder", "file", "old", "new"),
    [
        ("knowledge", "thresholds.yaml", "    value: 5\n", "    value: 0x5\n"),
        ("knowledge", "thresholds.yaml", "    value: 5\n", "    value: !!int 5\n"),
        ("rules", "requirements.yaml", "product_years: 3}", "product_years: 0b11}"),
    ],
)
def test_knowledge_and_rules_refuse_them_too(tmp_path, folder, file, old, new):
    for name in ("knowledge", "rules"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.py"))
    path = tmp_path / folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    model, problems = load_model(tmp_path / "knowledge", tmp_path / "rules")
    assert model is None
    assert any(
        p.file.endswith(file) and ("plain decimal" in p.message or "tags are not" in p.message)
        for p in problems
    ), problems
