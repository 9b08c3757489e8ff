"""The audit trail: record contents, atomic appends from threads and processes, the option."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import pickle
import re
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pmpath import AuditError, AuditLog, __version__, load_profile
from pmpath.audit import canonical_json, input_hash, read_audit_log
from pmpath.cli.audit import audit_log_option, record_decision
from pmpath.cli.main import cli

PROFILE = {
    "name": "Zoë Ng",
    "experience": {"total_years": 7, "product_years": 6},
    "work": {"growth": 6},
    "scope": {"owns_roadmap": True, "strategy_horizon_months": 6},
    "track_record": {"launches": 9},
}


# -- what a record holds -------------------------------------------------------------------
def test_a_record_holds_time_versions_kind_input_hash_request_and_output(tmp_path, engine):
    path = tmp_path / "audit.jsonl"
    fit = engine.fit(PROFILE, "senior_pm", "growth")
    with AuditLog(path) as log:
        returned = log.record(
            "fit",
            PROFILE,
            fit.to_dict(),
            engine.knowledge_version,
            request={"role": "senior_pm", "specialization": "growth"},
        )
    (line,) = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record == returned
    assert list(record) == [
        "timestamp",
        "pmpath_version",
        "knowledge_version",
        "kind",
        "input_sha256",
        "request",
        "output",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["timestamp"])
    assert record["pmpath_version"] == __version__
    assert record["knowledge_version"] == engine.knowledge_version
    assert record["kind"] == "fit"
    expected = hashlib.sha256(
        json.dumps(PROFILE, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert record["input_sha256"] == expected
    assert record["output"] == fit.to_dict()
    assert "Zoë" in line  # UTF-8, not \\u escapes


def test_the_input_hash_is_canonical_key_order_and_loading_do_not_change_it(tmp_path):
    reordered = {k: PROFILE[k] for k in reversed(list(PROFILE))}
    assert input_hash(reordered) == input_hash(PROFILE)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(PROFILE, allow_unicode=True), encoding="utf-8")
    assert input_hash(load_profile(path)) == input_hash(PROFILE)
    assert input_hash({**PROFILE, "name": "Someone else"}) != input_hash(PROFILE)
    assert canonical_json({"b": 1, "a": [1.5, None]}) == b'{"a":[1.5,null],"b":1}'


def test_a_raw_unparsable_input_is_hashed_as_its_bytes():
    raw = '{"experience": {"total_years": 3,'
    assert input_hash(raw) == hashlib.sha256(raw.encode()).hexdigest()
    assert input_hash(raw.encode()) == input_hash(raw)


def test_the_clock_can_be_injected_for_reproducible_logs(tmp_path):
    with AuditLog(tmp_path / "a.jsonl", clock=lambda: "2030-01-01T00:00:00.000000Z") as log:
        record = log.record("recommend", PROFILE, {"ok": True}, "0" * 64)
    assert record["timestamp"] == "2030-01-01T00:00:00.000000Z"
    assert record["request"] == {}


def test_records_append_to_an_existing_log(tmp_path):
    path = tmp_path / "a.jsonl"
    for i in range(3):
        with AuditLog(path) as log:
            log.record("batch", {"i": i}, {"i": i}, "0" * 64)
    assert [r["output"]["i"] for r in read_audit_log(path)] == [0, 1, 2]


def test_record_json_writes_the_same_record_from_a_hash_and_encoded_output(tmp_path):
    clock = lambda: "2030-01-01T00:00:00.000000Z"  # noqa: E731
    output = {"id": "cand-1", "ok": True, "recommendation": {"level": {"id": "pm"}, "ë": 1}}
    with (
        AuditLog(tmp_path / "a.jsonl", clock=clock) as a,
        AuditLog(tmp_path / "b.jsonl", clock=clock) as b,
    ):
        a.record("batch", PROFILE, output, "0" * 64, request={"role": None})
        encoded = json.dumps(output, ensure_ascii=False, separators=(",", ":")) + "\n"
        b.record_json(
            "batch", input_hash(PROFILE), encoded.encode(), "0" * 64, request={"role": None}
        )
        with pytest.raises(ValueError):
            b.record_json("batch", "not-a-hash", encoded, "0" * 64)
        with pytest.raises(ValueError):
            b.record_json("batch", input_hash(PROFILE), '{"a":\n1}', "0" * 64)
        with pytest.raises(ValueError):
            b.record_json("batch", input_hash(PROFILE), "[1]", "0" * 64)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


# -- bad use -----------------------------------------------------------------------------------
def test_a_log_that_cannot_be_opened_is_an_audit_error(tmp_path):
    with pytest.raises(AuditError, match="cannot open the audit log") as info:
        AuditLog(tmp_path / "missing-dir" / "a.jsonl")
    assert info.value.code == "A001"
    with pytest.raises(AuditError):
        AuditLog(tmp_path)  # a directory


def test_output_that_is_not_plain_json_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "a.jsonl"
    with AuditLog(path) as log:
        with pytest.raises(AuditError) as info:
            log.record("fit", PROFILE, {"bad": object()}, "0" * 64)
        assert info.value.code == "A004"
        with pytest.raises(AuditError):
            log.record("fit", PROFILE, {"nan": float("nan")}, "0" * 64)
        assert path.read_bytes() == b""
    assert not path.exists()  # created by this log and never written: removed at close


def test_a_kind_must_be_a_word_and_a_line_one_line(tmp_path):
    with AuditLog(tmp_path / "a.jsonl") as log:
        with pytest.raises(ValueError):
            log.record("Fit!", PROFILE, {}, "0" * 64)
        with pytest.raises(ValueError):
            log.append_line(b'{"a":1}\n{"b":2}\n')
        with pytest.raises(ValueError):
            log.append_line(b'{"a":1}')


def test_writing_to_a_closed_log_is_an_audit_error(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    log.close()
    log.close()  # twice is fine
    with pytest.raises(AuditError, match="closed"):
        log.record("fit", PROFILE, {}, "0" * 64)


def test_reading_names_a_broken_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"kind":"fit"}\n{"kind":\n', encoding="utf-8")
    with pytest.raises(AuditError, match=r"a\.jsonl:2: not a JSON record") as info:
        list(read_audit_log(path))
    assert info.value.code == "A003"
    path.write_text('{"kind":"fit"}\n{"kind":"fit"}', encoding="utf-8")
    with pytest.raises(AuditError, match="unterminated"):
        list(read_audit_log(path))


def test_a_log_pickles_by_path_and_reopens(tmp_path):
    path = tmp_path / "a.jsonl"
    with AuditLog(path) as log:
        copy = pickle.loads(pickle.dumps(log))
        log.record("fit", {"a": 1}, {}, "0" * 64)
        copy.record("fit", {"a": 2}, {}, "0" * 64)
        copy.close()
    assert len(list(read_audit_log(path))) == 2


# -- concurrency -------------------------------------------------------------------------------
def _payload(writer: int, seq: int, size: int) -> dict:
    return {"writer": writer, "seq": seq, "blob": chr(ord("a") + writer % 26) * size}


def check_lines(path: Path, writers: int, per_writer: int, size: int) -> None:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")[:-1]
    assert len(lines) == writers * per_writer
    seen = set()
    for line in lines:
        record = json.loads(line)  # every line is whole
        out = record["output"]
        assert out == _payload(out["writer"], out["seq"], size)  # and not mixed with another
        assert record["input_sha256"] == input_hash({"w": out["writer"], "s": out["seq"]})
        seen.add((out["writer"], out["seq"]))
    assert seen == {(w, s) for w in range(writers) for s in range(per_writer)}


@pytest.mark.parametrize(
    ("shared", "writers", "per_writer", "size"),
    [(True, 8, 100, 20_000), (False, 6, 60, 50_000)],
    ids=["threads sharing one log", "threads with their own logs on one file"],
)
def test_threads_writing_one_file_never_interleave(tmp_path, shared, writers, per_writer, size):
    path = tmp_path / "a.jsonl"
    one = AuditLog(path) if shared else None

    def work(w: int) -> None:
        with contextlib.nullcontext(one) if shared else AuditLog(path) as log:
            for s in range(per_writer):
                log.record("batch", {"w": w, "s": s}, _payload(w, s, size), "0" * 64)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if one is not None:
        one.close()
    check_lines(path, writers, per_writer, size)


def _process_writer(args: tuple[str, int, int, int]) -> int:
    path, w, per_writer, size = args
    with AuditLog(path) as log:
        for s in range(per_writer):
            log.record("batch", {"w": w, "s": s}, _payload(w, s, size), "0" * 64)
    return w


@pytest.mark.parametrize("size", [3_000, 300_000])
def test_processes_writing_long_lines_concurrently_never_interleave(tmp_path, size):
    # Lines far longer than a pipe buffer or a page: each still lands whole.
    path = tmp_path / "a.jsonl"
    writers = 6
    per_writer = 40 if size < 100_000 else 12
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(writers) as pool:
        done = pool.map(_process_writer, [(str(path), w, per_writer, size) for w in range(writers)])
    assert sorted(done) == list(range(writers))
    check_lines(path, writers, per_writer, size)


def test_concurrent_pmpath_fit_processes_share_one_audit_log(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(yaml.safe_dump(PROFILE, allow_unicode=True), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    roles = ["apm", "pm", "senior_pm", "director", "vp", "cpo"]
    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "pmpath.cli.main", "fit", str(profile)),
                *("--role", role, "--format", "json", "--audit-log", str(audit)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for role in roles
    ]
    outputs = {}
    for role, proc in zip(roles, procs, strict=True):
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
        outputs[role] = json.loads(out)
    records = list(read_audit_log(audit))
    assert sorted(r["request"]["role"] for r in records) == sorted(roles)
    for record in records:
        assert record["output"] == outputs[record["request"]["role"]]
        assert record["input_sha256"] == input_hash(PROFILE)


# -- the click option ------------------------------------------------------------------------------
@click.command()
@audit_log_option
def _demo(audit_log):
    record_decision(audit_log, "recommend", {"x": 1}, {"ok": True}, "0" * 64)
    click.echo("decided")


def test_the_option_gives_commands_an_open_log_in_two_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    result = CliRunner().invoke(_demo, ["--audit-log", str(path)])
    assert result.exit_code == 0, result.output
    (record,) = read_audit_log(path)
    assert record["kind"] == "recommend" and record["output"] == {"ok": True}


def test_without_the_option_nothing_is_recorded(tmp_path):
    result = CliRunner().invoke(_demo, [])
    assert result.exit_code == 0 and result.output == "decided\n"
    record_decision(None, "fit", {}, {}, "0" * 64)  # a no-op


def test_an_unwritable_audit_log_fails_before_any_work(tmp_path):
    result = CliRunner().invoke(_demo, ["--audit-log", str(tmp_path / "no" / "a.jsonl")])
    assert result.exit_code == 1  # a file problem, not a usage mistake (issue 9)
    assert result.output.startswith("error: ") and "cannot open the audit log" in result.output
    assert "decided" not in result.output


def test_pmpath_fit_records_exactly_what_it_prints(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(PROFILE), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    args = ["fit", str(profile), "--role", "pm", "--audit-log", str(audit)]
    first = CliRunner().invoke(cli, [*args, "--format", "json"])
    second = CliRunner().invoke(cli, args)  # text: the record holds the same decision
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    records = list(read_audit_log(audit))
    assert len(records) == 2
    assert records[0]["output"] == json.loads(first.output)
    assert records[1]["output"] == records[0]["output"]
    assert records[0]["input_sha256"] == input_hash(PROFILE)
    assert records[0]["request"] == {"role": "pm", "specialization": None}


def test_a_failed_fit_records_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"experience": {"total_years": 1}}', encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(cli, ["fit", str(bad), "--role", "pm", "--audit-log", str(audit)])
    assert result.exit_code == 1
    assert not audit.exists()  # nothing recorded, and no empty log left behind
