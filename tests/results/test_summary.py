"""The summary of a recommendation (``--detail summary``): the same conclusions as
output v1, as ids; its batch record one line that reads back as the summary, whatever
the id holds; every record valid against ``pmpath schema summary``; on the command
line and the API.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from strategies import any_profiles, bench_batch
from test_serialization import odd_profiles

from pmpath.batch.records import Outcome, jsonl_summary
from pmpath.cli.main import cli
from pmpath.results.score import assess
from pmpath.results.summary import summary_dict
from pmpath.source import schemas

VALIDATOR = jsonschema.Draft202012Validator(schemas.load("summary"))
bench = bench_batch()


def _from_output(out: dict, fit: dict | None = None) -> dict:
    """The summary read off output v1 (and fit output v1): what it must equal."""
    level, nxt = out["level"], out["next_level"]
    gaps = nxt["gaps"] if nxt else []
    summary = {
        "knowledge_version": out["knowledge_version"],
        "level": level["id"],
        "certainty": level["certainty"],
        "possible": level["possible"]["id"],
        "kwan_level": level["kwan_level"],
        "specialization": out["specialization"]["id"],
        "shape": out["specialization"]["shape"],
        "path": out["path"],
        "next_level": nxt["id"] if nxt else None,
        "gaps": {
            "unmet": [g["requirement"] for g in gaps if g["status"] == "unmet"],
            "unknown": [g["requirement"] for g in gaps if g["status"] == "unknown"],
        },
        "steps": [s["id"] for s in out["next_steps"]],
        "questions": [q["field"] for q in out["questions"]],
        "warnings": [w.split(" ", 1)[0] for w in out["warnings"]],
    }
    if fit is not None:
        summary["fit"] = {
            "role": fit["role"]["id"],
            "specialization": (fit["role"]["specialization"] or {}).get("id"),
            "score": fit["score"],
            "score_if_confirmed": fit["score_if_confirmed"],
            "meets_all": fit["meets_all"],
        }
    return summary


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=odd_profiles())
def test_a_summary_record_is_one_line_that_reads_back_as_the_summary(engine, profile):
    rec = engine.recommend(profile)
    rid = profile.get("id") or "pool.jsonl:3"
    for fit in (None, assess(rec, "senior_pm", "growth")):
        line = jsonl_summary(Outcome(rid, "pool\u2028.jsonl", 3, rec, fit=fit))
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        record = json.loads(line)  # lone surrogates in the id: escaped, still one line
        assert record == {
            "id": rid,
            "ok": True,
            "source": "pool\u2028.jsonl",
            "line": 3,
            "summary": summary_dict(rec, fit),
        }
        assert not list(VALIDATOR.iter_errors(record))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=any_profiles)
def test_the_summary_says_what_output_v1_says(engine, profile):
    rec = engine.recommend(profile)
    fit = assess(rec, "director")
    assert summary_dict(rec) == _from_output(rec.to_dict())
    assert summary_dict(rec, fit) == _from_output(rec.to_dict(), fit.to_dict())


def test_a_pool_across_every_level_summarises_as_its_full_output_says(engine):
    levels = set()
    for profile in bench.synthetic_profiles(1500, seed=5):
        rec = engine.recommend(profile)
        levels.add(rec.level)
        assert summary_dict(rec) == _from_output(json.loads(rec.to_json(indent=None)))
    assert len(levels) == 7


def test_decisions_kept_from_one_profile_never_carry_its_questions_or_warnings_to_another(
    monkeypatch,
):
    from pmpath import Engine
    from pmpath.results import summary as summary_module

    monkeypatch.setattr(summary_module, "MAX_KEPT", 40)  # overflow and refill too
    engine = Engine.load()  # its own model: nothing kept yet
    profiles = list(bench.synthetic_profiles(600, seed=11))
    decisions = set()
    kept_by = summary_module._SummaryPlan(engine.model).decisions
    for profile in profiles:
        rec = engine.recommend(profile)
        assert summary_dict(rec) == _from_output(rec.to_dict())
        decisions.add(kept_by.intersection(rec.fired))
    plan = engine.model._memo["summary"]
    assert len(decisions) < len(profiles) - 100  # sets of decisions came back
    assert len(plan.steps) <= 40
    assert 0 < len(plan.levels) <= 40 and 0 < len(plan.specializations) <= 40
    engine.close()


def test_the_summary_text_is_json_dumps_of_the_summary_dict_byte_for_byte(monkeypatch):
    from pmpath import Engine
    from pmpath.results import summary as summary_module
    from pmpath.results.score import assess
    from pmpath.results.summary import summary_json

    monkeypatch.setattr(summary_module, "MAX_KEPT", 40)  # kept texts overflow and refill
    engine = Engine.load()  # its own model: nothing kept yet
    asked = fitted = 0
    for i, profile in enumerate(bench.synthetic_profiles(900, seed=17)):
        rec = engine.recommend(profile)
        fit = assess(rec, "senior_pm") if i % 3 == 0 else None
        text = summary_json(rec, fit)  # first: what it keeps is then read back
        dumped = json.dumps(summary_dict(rec, fit), ensure_ascii=False, separators=(",", ":"))
        assert text == dumped
        asked += '"questions":[]' not in text
        fitted += fit is not None
    assert asked > 300 and fitted == 300
    engine.close()


def test_a_settled_level_is_what_the_recommendation_works_out_from_every_fired_rule(
    monkeypatch,
):
    from pmpath import Engine
    from pmpath.results import summary as summary_module
    from pmpath.results.recommendation import Recommendation
    from pmpath.results.summary import settle_level

    monkeypatch.setattr(summary_module, "MAX_KEPT", 20)  # overflow and refill too
    engine = Engine.load()
    names = ("level", "next_level", "possible", "unknown", "gaps", "strengthen")
    for profile in bench.synthetic_profiles(700, seed=29):
        rec = engine.recommend(profile)
        settle_level(rec)
        fresh = Recommendation(engine.model, rec.profile, rec.derived, rec.fired)
        assert "_concluded" not in rec.__dict__  # settled from what is kept
        assert [rec.__dict__[n] for n in names] == [getattr(fresh, n) for n in names]
    engine.close()


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["batch", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    path = tmp_path_factory.mktemp("summary") / "pool.jsonl"
    bench.write_jsonl(str(path), 60, seed=3)
    with path.open("a") as fh:
        fh.write('{"id": "broken", "experience": {"total_years": "ten"}}\n')
    return path


def test_batch_detail_summary_writes_small_valid_records_equal_to_the_full_ones(pool, tmp_path):
    full, summary = tmp_path / "full.jsonl", tmp_path / "summary.jsonl"
    assert _invoke(str(pool), "-o", str(full), "--workers", "1").exit_code == 1
    result = _invoke(str(pool), "-o", str(summary), "--detail", "summary", "--workers", "2")
    assert result.exit_code == 1  # the broken record, as with full detail
    full_records = [json.loads(x) for x in full.read_text().splitlines()]
    records = [json.loads(x) for x in summary.read_text().splitlines()]
    assert len(records) == len(full_records) == 61
    for whole, short in zip(full_records, records, strict=True):
        assert not list(VALIDATOR.iter_errors(short)), short
        assert short["id"] == whole["id"] and short["ok"] == whole["ok"]
        if whole["ok"]:
            assert short["summary"] == _from_output(whole["recommendation"])
        else:
            assert short == whole  # an error record is the same in both
    assert summary.stat().st_size * 10 < full.stat().st_size


def test_batch_detail_summary_with_a_role_carries_the_fit_scores(pool, tmp_path):
    full, summary = tmp_path / "full.jsonl", tmp_path / "summary.jsonl"
    opening = ("--role", "senior_pm", "--specialization", "growth", "--workers", "1")
    _invoke(str(pool), "-o", str(full), *opening)
    _invoke(str(pool), "-o", str(summary), "--detail", "summary", *opening)
    for line, whole in zip(
        summary.read_text().splitlines(), full.read_text().splitlines(), strict=True
    ):
        short, whole = json.loads(line), json.loads(whole)
        if whole["ok"]:
            assert short["summary"] == _from_output(whole["recommendation"], whole["fit"])


def test_resuming_a_full_output_with_summary_detail_is_refused(pool, tmp_path):
    out = tmp_path / "out.jsonl"
    _invoke(str(pool), "-o", str(out), "--workers", "1")
    before = out.read_bytes()
    result = CliRunner().invoke(
        cli, ["batch", str(pool), "-o", str(out), "--resume", "--detail", "summary"]
    )
    assert result.exit_code == 1
    assert "--detail full" in result.output and "cannot resume" in result.output
    assert out.read_bytes() == before


def test_resuming_a_summary_output_continues_it_exactly(pool, tmp_path):
    whole, out = tmp_path / "whole.jsonl", tmp_path / "out.jsonl"
    _invoke(str(pool), "-o", str(whole), "--detail", "summary", "--workers", "1")
    text = whole.read_bytes()
    cut = text.index(b"\n", len(text) // 2) + 20  # half the records and a torn line
    out.write_bytes(text[:cut])
    result = _invoke(str(pool), "-o", str(out), "--detail", "summary", "--resume")
    assert out.read_bytes() == text, result.output


def test_schema_summary_prints_the_summary_schema():
    result = CliRunner().invoke(cli, ["schema", "summary"])
    assert result.exit_code == 0
    assert json.loads(result.output) == schemas.load("summary")


def test_recommend_many_with_summary_detail_gives_the_summaries_in_order(engine):
    profiles = list(bench.synthetic_profiles(40, seed=9))
    expected = [summary_dict(engine.recommend(p)) for p in profiles]
    assert list(engine.recommend_many(profiles, detail="summary")) == expected
    assert list(engine.recommend_many(profiles, workers=2, detail="summary")) == expected
    with pytest.raises(ValueError, match="detail must be one of full, summary"):
        list(engine.recommend_many(profiles, detail="short"))
