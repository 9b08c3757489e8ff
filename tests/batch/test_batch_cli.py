"""``pmpath batch`` on the command line: CliRunner and real subprocesses.

The real-process tests kill a running batch (SIGKILL and Ctrl-C), resume it,
and compare with an uninterrupted run; they also show a worker dying and the
progress bar on a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from strategies import bench_batch

from pmpath.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
PMPATH = [sys.executable, "-m", "pmpath.cli.main"]


bench = bench_batch()


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "pool.jsonl"
    bench.write_jsonl(str(path), 40, seed=21)
    return path


def invoke(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, ["batch", *args], input=input, catch_exceptions=False)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# -- CliRunner ----------------------------------------------------------------------


def test_batch_writes_one_record_per_line_to_stdout_and_a_summary_to_stderr(pool_file):
    result = invoke(str(pool_file), "--workers", "1")
    assert result.exit_code == 0, result.stderr
    records = lines(result.stdout)
    assert len(records) == 40 and all(r["ok"] for r in records)
    assert [r["line"] for r in records] == list(range(1, 41))
    assert "40 records" in result.stderr and "profiles/s" in result.stderr
    assert "levels:" in result.stderr and "specializations:" in result.stderr
    assert "scoring" not in result.stderr  # no progress bar: stderr is not a terminal


def test_batch_exits_1_when_any_record_failed_and_still_writes_them_all(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "experience": {"total_years": 3, "product_years": 1}}\n'
        '{"id": "b", "experience": {"total_years": 3, "product_years": "one"}}\n'
    )
    out = tmp_path / "out.jsonl"
    result = invoke(str(src), "-o", str(out), "--workers", "1")
    assert result.exit_code == 1
    records = lines(out.read_text())
    assert [(r["id"], r["ok"]) for r in records] == [("a", True), ("b", False)]
    assert records[1]["error"]["path"] == "experience.product_years"
    assert "errors 1 (P006 1)" in result.stderr
    assert result.stdout == ""


def test_batch_reads_jsonl_from_stdin():
    profile = '{"id": "in", "experience": {"total_years": 3, "product_years": 1}}\n'
    result = invoke("-", "--workers", "1", input=profile * 3)
    assert result.exit_code == 0, result.stderr
    assert [r["source"] for r in lines(result.stdout)] == ["<stdin>"] * 3


def test_batch_format_csv_writes_a_header_and_one_row_per_record(pool_file, tmp_path):
    out = tmp_path / "out.csv"
    result = invoke(str(pool_file), "--format", "csv", "-o", str(out), "--workers", "2")
    assert result.exit_code == 0, result.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40
    assert {"id", "level", "kwan_level", "specialization", "shape", "next_level"} <= set(rows[0])
    assert {"step_1", "step_2", "step_3", "error"} <= set(rows[0])


def test_batch_resume_without_an_output_file_is_a_usage_error(pool_file):
    result = invoke(str(pool_file), "--resume")
    assert result.exit_code == 2
    assert "-o FILE" in result.stderr


def test_batch_with_a_missing_input_says_so_and_exits_1(tmp_path):
    out = tmp_path / "out.jsonl"
    result = invoke(str(tmp_path / "nope.jsonl"), "-o", str(out))
    assert result.exit_code == 1
    assert "error:" in result.stderr and "no such file or directory" in result.stderr
    assert not out.exists()


def test_batch_resume_into_a_foreign_file_is_refused_and_leaves_it_alone(pool_file, tmp_path):
    out = tmp_path / "notes.jsonl"
    out.write_text("my notes\n")
    result = invoke(str(pool_file), "-o", str(out), "--resume")
    assert result.exit_code == 1
    assert "cannot resume into this file" in result.stderr
    assert out.read_text() == "my notes\n"


def test_batch_help_names_the_formats_and_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    for word in ("--format", "jsonl", "csv", "--workers", "--resume", "Exit status"):
        assert word in result.stdout


def test_batch_workers_must_be_at_least_one(pool_file):
    result = invoke(str(pool_file), "--workers", "0")
    assert result.exit_code == 2


# -- real processes -----------------------------------------------------------------


def _env(tag: str | None = None, **extra: str) -> dict:
    env = dict(os.environ)
    env.pop("PMPATH_TEST_CRASH_ID", None)
    env.pop("PMPATH_TEST_CRASH_ONCE", None)
    if tag:
        env["PMPATH_TEST_RUN_TAG"] = tag
    env.update(extra)
    return env


def _processes_tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (a batch and its workers)."""
    needle = f"PMPATH_TEST_RUN_TAG={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    if needle in fh.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _wait_gone(tag: str, seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _processes_tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _start_and_interrupt(cmd: list[str], out: Path, sig: int, tag: str) -> subprocess.Popen:
    """Start a batch, wait until some output is written, then send ``sig``."""
    proc = subprocess.Popen(cmd, env=_env(tag), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out.exists() and out.stat().st_size > 1_000_000) or proc.poll() is not None:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    return proc


@pytest.fixture(scope="module")
def big_pool(tmp_path_factory) -> tuple[Path, Path]:
    """4,000 profiles with a few bad lines, and the output of one uninterrupted run."""
    d = tmp_path_factory.mktemp("big")
    src = d / "pool.jsonl"
    bench.write_jsonl(str(src), 4000, seed=22)
    with open(src, "a") as fh:
        fh.write("{broken\n")
    full = d / "full.jsonl"
    done = subprocess.run(
        [*PMPATH, "batch", str(src), "-o", str(full), "--workers", "2"],
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # the broken line
    assert "4,001 records" in done.stderr
    return src, full


def test_killing_batch_mid_run_and_resuming_gives_the_uninterrupted_output(big_pool, tmp_path):
    src, full = big_pool
    out = tmp_path / "out.jsonl"
    cmd = [*PMPATH, "batch", str(src), "-o", str(out), "--workers", "2"]
    tag = uuid.uuid4().hex
    proc = _start_and_interrupt(cmd, out, signal.SIGKILL, tag)
    assert proc.returncode == -signal.SIGKILL
    assert not _wait_gone(tag), "workers outlived their killed parent"
    written = out.read_bytes()
    whole = written[: written.rfind(b"\n") + 1]
    assert 0 < len(whole) < len(full.read_bytes())
    assert full.read_bytes().startswith(whole)  # what was written is right, in order
    resumed = subprocess.run(
        [*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 1, resumed.stderr  # the broken line, as before
    assert "resumed:" in resumed.stderr
    assert out.read_bytes() == full.read_bytes()


def test_ctrl_c_stops_with_whole_lines_exit_130_and_a_resume_hint(big_pool, tmp_path):
    src, full = big_pool
    out = tmp_path / "out.jsonl"
    cmd = [*PMPATH, "batch", str(src), "-o", str(out), "--workers", "2"]
    tag = uuid.uuid4().hex
    proc = _start_and_interrupt(cmd, out, signal.SIGINT, tag)
    stderr = proc.stderr.read().decode()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr
    assert not _wait_gone(tag)
    written = out.read_bytes()
    assert written.endswith(b"\n") and full.read_bytes().startswith(written)
    resumed = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, timeout=300)
    assert resumed.returncode == 1
    assert out.read_bytes() == full.read_bytes()


def test_a_worker_that_dies_is_reported_and_its_record_written_as_an_error(tmp_path):
    src = tmp_path / "pool.jsonl"
    bench.write_jsonl(str(src), 50, seed=23)
    victim = json.loads(src.read_text().splitlines()[30])["id"]
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [*PMPATH, "batch", str(src), "-o", str(out), "--workers", "2", "--chunk-size", "8"],
        env=_env(PMPATH_TEST_CRASH_ID=victim),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "warning: worker" in done.stderr and "died (exit code 86)" in done.stderr
    records = lines(out.read_text())
    assert len(records) == 50
    assert [r["ok"] for r in records].count(False) == 1
    assert records[30]["id"] == victim and records[30]["error"]["code"] == "E002"


def test_batch_shows_a_progress_bar_when_stderr_is_a_terminal(pool_file, tmp_path):
    out = tmp_path / "out.jsonl"
    main, replica = pty.openpty()
    proc = subprocess.Popen(
        [*PMPATH, "batch", str(pool_file), "-o", str(out), "--workers", "1"],
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=replica,
    )
    os.close(replica)
    seen = io.BytesIO()
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        seen.write(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    text = seen.getvalue().decode("utf-8", "replace")
    assert "scoring" in text and "100%" in text
    assert "40 records" in text


def test_batch_as_a_real_process_reads_directories_and_writes_csv(tmp_path):
    d = tmp_path / "profiles"
    d.mkdir()
    (d / "one.yaml").write_text("id: one\nexperience:\n  total_years: 9\n  product_years: 6\n")
    (d / "two.json").write_text(
        '{"id": "two", "experience": {"total_years": 1, "product_years": 0}}'
    )
    done = subprocess.run(
        [*PMPATH, "batch", str(d), "--format", "csv", "--workers", "2"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["id"], r["ok"]) for r in rows] == [("one", "true"), ("two", "true")]
    assert "2 records" in done.stderr and "2 workers" in done.stderr
