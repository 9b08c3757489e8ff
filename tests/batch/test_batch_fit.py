"""pmpath batch with an opening: fit per record, ranking, and the audit trail."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from pmpath.audit import input_hash
from pmpath.cli.main import cli

PROFILES = [
    {"id": "senior-growth", "experience": {"total_years": 8, "product_years": 6},
     "work": {"growth": 5, "feature": 1},
     "scope": {"leads_pms": True, "owns_roadmap": True, "strategy_horizon_months": 6,
               "presents_to_executives": True},
     "track_record": {"launches": 5}},
    {"id": "pm-core", "experience": {"total_years": 4, "product_years": 3},
     "work": {"feature": 3}, "track_record": {"launches": 2}},
    {"id": "broken", "experience": {"total_years": 1, "product_years": "3"}},
    {"id": "pm-growth", "experience": {"total_years": 5, "product_years": 4},
     "work": {"growth": 4}, "track_record": {"launches": 3}},
    {"id": "graduate", "experience": {"total_years": 0, "product_years": 0},
     "education": {"recent_graduate": True}},
]  # fmt: skip


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PROFILES))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, ["batch", *args])


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_each_scored_record_carries_its_fit_for_the_opening(engine, pool, tmp_path, workers):
    out = tmp_path / "out.jsonl"
    result = run(str(pool), "-o", str(out), "--role", "senior_pm",
                 "--specialization", "growth", "--workers", workers)  # fmt: skip
    assert result.exit_code == 1  # one broken record
    got = records(out)
    assert [r["id"] for r in got] == [p["id"] for p in PROFILES]
    for record, profile in zip(got, PROFILES, strict=True):
        if record["ok"]:
            expected = engine.fit(profile, "senior_pm", "growth").to_dict()
            assert record["fit"] == expected
        else:
            assert "fit" not in record


def test_csv_gets_fit_columns_after_the_usual_ones(engine, pool, tmp_path):
    out = tmp_path / "out.csv"
    run(str(pool), "-o", str(out), "--format", "csv", "--role", "pm")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    header = out.read_text().splitlines()[0].split(",")
    assert header[-6:-2] == ["fit_score", "fit_relation", "fit_specialization", "fit_missing"]
    assert header[-2:] == ["fit_score_if_confirmed", "fit_unknown"]
    by_id = {r["id"]: r for r in rows}
    fit = engine.fit(PROFILES[1], "pm")
    assert by_id["pm-core"]["fit_score"] == str(fit.score)
    assert by_id["pm-core"]["fit_relation"] == "at"
    assert by_id["graduate"]["fit_missing"] == " ".join(
        r.id for r in engine.fit(PROFILES[4], "pm").unmet
    )
    assert by_id["broken"]["fit_score"] == ""


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_sort_fit_ranks_best_first_with_ties_and_errors_in_input_order(engine, pool, tmp_path, fmt):
    out = tmp_path / f"ranked.{fmt}"
    result = run(str(pool), "-o", str(out), "--format", fmt, "--role", "senior_pm",
                 "--specialization", "growth", "--sort", "fit")  # fmt: skip
    assert result.exit_code == 1
    scores = {
        p["id"]: engine.fit(p, "senior_pm", "growth").score for p in PROFILES if p["id"] != "broken"
    }
    expected = sorted(scores, key=lambda i: (-scores[i], [p["id"] for p in PROFILES].index(i)))
    expected.append("broken")
    if fmt == "jsonl":
        ids = [r["id"] for r in records(out)]
    else:
        ids = [r["id"] for r in csv.DictReader(io.StringIO(out.read_text()))]
    assert ids == expected
    assert not list(tmp_path.glob(".pmpath-batch-*")), "the scratch file is removed"


def test_a_ranked_run_holds_exactly_the_records_of_an_unranked_one(pool, tmp_path):
    plain, ranked = tmp_path / "plain.jsonl", tmp_path / "ranked.jsonl"
    run(str(pool), "-o", str(plain), "--role", "director")
    run(str(pool), "-o", str(ranked), "--role", "director", "--sort", "fit")
    assert sorted(plain.read_text().splitlines()) == sorted(ranked.read_text().splitlines())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sort", "fit"], "give --role"),
        (["--specialization", "growth"], "goes with --role"),
        (["--role", "boss"], "unknown role 'boss'"),
        (["--role", "aspiring"], "no requirements"),
        (["--role", "pm", "--specialization", "wizard"], "unknown specialization"),
        (["--role", "pm", "--sort", "fit", "--resume"], "cannot --resume"),
    ],
)
def test_options_that_do_not_go_together_are_usage_errors(pool, tmp_path, args, message):
    result = run(str(pool), "-o", str(tmp_path / "out.jsonl"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_audit_log_holds_one_line_per_record_as_written(pool, tmp_path, workers):
    out, log = tmp_path / "out.jsonl", tmp_path / "audit.jsonl"
    result = run(str(pool), "-o", str(out), "--audit-log", str(log), "--workers", workers,
                 "--role", "pm")  # fmt: skip
    assert result.exit_code == 1
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    written = records(out)
    assert len(entries) == len(written) == len(PROFILES)
    for entry, record, profile in zip(entries, written, PROFILES, strict=True):
        assert entry["kind"] == "batch"
        assert entry["output"] == record
        assert entry["request"] == {"role": "pm", "specialization": None}
        assert entry["input_sha256"] == input_hash(profile)


def test_an_unparsable_line_is_audited_by_the_hash_of_its_bytes(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_bytes(b'{"experience": {"total_years": 1,\n')
    log = tmp_path / "audit.jsonl"
    result = run(str(pool), "-o", str(tmp_path / "out.jsonl"), "--audit-log", str(log))
    assert result.exit_code == 1
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["output"]["ok"] is False
    assert entry["input_sha256"] == input_hash(b'{"experience": {"total_years": 1,')


def test_resuming_a_csv_run_with_fit_columns_keeps_its_header(pool, tmp_path):
    out = tmp_path / "out.csv"
    run(str(pool), "-o", str(out), "--format", "csv", "--role", "pm")
    first = out.read_text()
    lines = first.splitlines(keepends=True)
    out.write_text("".join(lines[:3]))  # header and two records survived an interruption
    run(str(pool), "-o", str(out), "--format", "csv", "--role", "pm", "--resume")
    assert out.read_text() == first
