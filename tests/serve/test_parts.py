"""The service's parts without a server: sizes, tokens, the loopback rule, envelopes,
the form (from the profile schema and back), and the page (escaped, standalone)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import profiles

from pmpath import Engine
from pmpath.errors import ProfileError, RoleError, ServeError
from pmpath.profile import parse_profile
from pmpath.serve import envelope
from pmpath.serve.config import ServeConfig, check, parse_size, read_token, show_size
from pmpath.serve.form import UNKNOWN, fields, form_values, profile_yaml, read_form, sections
from pmpath.serve.page import render_page


@pytest.fixture(scope="module")
def engine():
    built = Engine.load()
    yield built
    built.close()


# -- sizes, tokens, where it may listen --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size"),
    [("256KiB", 262144), ("1MiB", 1048576), ("500KB", 500000), ("4096", 4096), ("2 mb", 2000000)],
)
def test_a_size_reads_with_or_without_a_unit(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1", "12 parsecs", ""])
def test_a_size_that_is_not_one_says_what_one_looks_like(text):
    with pytest.raises(ValueError, match="256KiB"):
        parse_size(text)


def test_a_size_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least 1 byte"):
        parse_size("0")


def test_a_size_is_shown_in_the_shortest_exact_unit():
    assert [show_size(n) for n in (262144, 1048576, 1000, 3 * 1024**3)] == [
        "256KiB",
        "1MiB",
        "1000B",
        "3GiB",
    ]


def test_the_token_comes_from_the_file_else_the_environment(tmp_path):
    token = tmp_path / "token"
    token.write_text("  from-file \n")
    assert read_token(str(token), {"PMPATH_TOKEN": "from-env"}) == "from-file"
    assert read_token(None, {"PMPATH_TOKEN": "from-env"}) == "from-env"
    assert read_token(None, {"PMPATH_TOKEN": "  "}) is None
    assert read_token(None, {}) is None
    two = tmp_path / "two"
    two.write_text("a\nb\n")
    with pytest.raises(ServeError, match="more than one line"):
        read_token(str(two))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_needs_no_token(host):
    assert check(ServeConfig(host=host)).host == host


def test_beyond_loopback_needs_a_token():
    with pytest.raises(ServeError, match="listens on loopback only") as caught:
        check(ServeConfig(host="0.0.0.0"))
    assert caught.value.code == "S010"
    assert check(ServeConfig(host="0.0.0.0", token="t")).token == "t"


def test_the_token_is_never_in_the_config_repr():
    assert "hush" not in repr(ServeConfig(token="hush"))


# -- envelopes ---------------------------------------------------------------------------
def test_a_fit_request_needs_a_role_and_names_the_envelope():
    with pytest.raises(ServeError) as caught:
        envelope.read_request(b'{"input": {}}', "fit")
    assert caught.value.path == "role" and caught.value.code == "S002"
    assert '"role": "senior_pm"' in caught.value.message


def test_a_misspelt_member_is_named_with_the_likely_one():
    with pytest.raises(ServeError, match=r"'inptu' is not a member .*did you mean 'input'"):
        envelope.read_request(b'{"inptu": {}}', "recommend")


def test_json_true_is_not_a_number_nor_a_number_a_boolean():
    with pytest.raises(ServeError, match="'explain' must be true or false, not a number"):
        envelope.read_request(b'{"input": {}, "explain": 1}', "recommend")
    with pytest.raises(ServeError, match="'inputs' must be a list of profiles, not a boolean"):
        envelope.read_request(b'{"inputs": true}', "batch")


def test_nan_is_not_json():
    with pytest.raises(ServeError) as caught:
        envelope.read_request(b'{"input": {"experience": {"total_years": NaN}}}', "recommend")
    assert caught.value.code == "S001"


def test_errors_map_to_statuses():
    assert envelope.error_status(ProfileError("x", code="P005")) == 422
    assert envelope.error_status(RoleError("x")) == 422
    assert envelope.error_status(ServeError("x", code="S004", status=413)) == 413


def test_a_new_decision_id_is_a_uuid_and_a_given_one_is_kept():
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", envelope.decision_id(None)
    )
    assert envelope.decision_id("req-1") == "req-1"
    with pytest.raises(ServeError):
        envelope.decision_id("x" * 129)


def test_the_envelope_splices_the_result_as_given():
    body = envelope.decision("d-1", "a" * 64, '{"x":1}', explanation="[]")
    assert json.loads(body) == {
        "decision_id": "d-1",
        "pmpath_version": json.loads(body)["pmpath_version"],
        "knowledge_version": "a" * 64,
        "result": {"x": 1},
        "explanation": [],
    }


# -- the form ----------------------------------------------------------------------------
def test_the_form_has_every_field_of_the_profile_schema_with_its_description():
    from pmpath.source import schemas

    schema = schemas.load("profile")
    expected = {
        f"{section}.{name}"
        for section, prop in schema["properties"].items()
        if prop.get("type") == "object"
        for name in prop["properties"]
    } | {k for k, p in schema["properties"].items() if p.get("type") != "object"} - {
        "schema_version"
    }
    assert set(fields()) == expected
    assert all(f.description for s in sections() for f in s.fields)


def _pairs(values: dict[str, str]) -> list[tuple[str, str]]:
    return list(values.items())


def _as_a_form_holds_it(profile: dict) -> dict:
    """A form has no empty section and no empty text: both are simply not given."""
    out = {}
    for key, value in profile.items():
        if isinstance(value, dict):
            section = {
                k: v.strip() if isinstance(v, str) else v
                for k, v in value.items()
                if not (isinstance(v, str) and not v.strip())
            }
            if section:
                out[key] = section
        elif not (isinstance(value, str) and not value.strip()):
            out[key] = value.strip() if isinstance(value, str) else value
    return out


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_a_profile_goes_through_the_form_and_back_unchanged(profile):
    profile.pop("schema_version", None)
    back, errors = read_form(_pairs(form_values(profile)))
    assert errors == {}
    assert back == _as_a_form_holds_it(profile)


@settings(max_examples=100, deadline=None)
@given(profiles())
@example({"experience": {"total_years": 0, "product_years": 0}, "id": "\x85\u2028\u2029"})
def test_the_downloaded_yaml_reads_back_as_the_same_profile(profile):
    text = profile_yaml(profile)
    assert parse_profile(text, "download.yaml").data == {"schema_version": 1, **profile}


def test_i_dont_know_wins_over_a_typed_value_and_empty_is_unknown():
    profile, errors = read_form(
        [
            ("experience.total_years", "8"),
            ("experience.product_years", "6"),
            ("track_record.launches", "4"),
            ("track_record.launches" + UNKNOWN, "1"),
            ("scope.pm_reports", ""),
            ("scope.owns_roadmap", ""),
        ]
    )
    assert errors == {}
    assert profile == {"experience": {"total_years": 8, "product_years": 6}}


def test_a_value_that_does_not_fit_is_an_error_for_its_field_only():
    profile, errors = read_form(
        [("experience.total_years", "ten"), ("experience.product_years", "2")]
    )
    assert list(errors) == ["experience.total_years"]
    assert profile == {"experience": {"product_years": 2}}


def test_the_required_years_cannot_be_left_unknown():
    _, errors = read_form([])
    assert set(errors) == {"experience.total_years", "experience.product_years"}


# -- the page ----------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>alert("x")</script>&"\'\x1b[31m'


def test_what_a_person_types_is_escaped_in_the_form_and_the_answer(engine):
    profile = {
        "name": HOSTILE,
        "id": HOSTILE,
        "experience": {"total_years": 3, "product_years": 1, "current_title": HOSTILE},
    }
    rec = engine.recommend(profile)
    page = render_page(
        engine.knowledge,
        values=form_values(profile),
        errors={"experience.total_years": HOSTILE},
        result=rec.to_dict(),
    )
    assert "<script" not in page
    assert "\x1b" not in page
    assert "&lt;script&gt;" in page


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=40))
def test_any_typed_name_stays_text(engine, name):
    empty = render_page(engine.knowledge)
    page = render_page(engine.knowledge, values={"name": name, "experience.total_years": name})
    for tag in ("<script", "<img", "<iframe", "<a ", "<svg", "<style", "<input", "<option"):
        assert page.count(tag) == empty.count(tag), tag


def test_the_page_loads_nothing_from_elsewhere_and_needs_no_script(engine):
    rec = engine.recommend({"experience": {"total_years": 12, "product_years": 10}})
    page = render_page(engine.knowledge, result=rec.to_dict())
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'\s(src|href|action|formaction)="(https?:)?//', page)


def test_every_question_links_to_its_field_in_the_form(engine):
    rec = engine.recommend({"experience": {"total_years": 12, "product_years": 10}})
    data = rec.to_dict()
    assert data["questions"]
    page = render_page(engine.knowledge, result=data)
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    links = re.findall(r'<li data-field="[^"]+"><a href="#([^"]+)"', page)
    assert len(links) == len(data["questions"])
    assert set(links) <= ids


def test_the_answer_shows_certainty_possible_rung_steps_sources_and_the_ladder(engine):
    rec = engine.recommend(
        yaml.safe_load((ROOT / "examples" / "profiles" / "senior-pm.yaml").read_text())
    )
    data = rec.to_dict()
    page = render_page(engine.knowledge, result=data)
    assert f'data-certainty="{data["level"]["certainty"]}"' in page
    assert f'data-possible="{data["level"]["possible"]["id"]}"' in page
    assert page.count("<li data-step=") == len(data["next_steps"])
    assert 'class="rung rung-here"' in page
    for step in data["next_steps"]:
        assert f'href="#source-{step["source"]}"' in page
        assert f'id="source-{step["source"]}"' in page
