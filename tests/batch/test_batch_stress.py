"""Many small 2-worker batches, SIGKILLed at seeded moments and resumed (the
resume itself killed now and then): every one finishes, byte-identical to an
uninterrupted run. On the old pool loop about one run in 30 hung for good,
most often in ``--resume``, where skipped records come back fast."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from strategies import bench_batch

PMPATH = [sys.executable, "-m", "pmpath.cli.main"]
ROUNDS = 10


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PMPATH_TEST_CRASH_ID", None)
    return env


def _kill_when(cmd: list[str], out: Path, at_bytes: int) -> int:
    """Run ``cmd``; SIGKILL it once ``out`` holds ``at_bytes``; its return code."""
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.stat().st_size >= at_bytes:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    try:
        return proc.wait(timeout=120)
    finally:
        proc.stderr.close()


@pytest.mark.timeout(900)
def test_killed_and_resumed_two_worker_batches_always_finish_exactly(tmp_path):
    src = tmp_path / "pool.jsonl"
    bench_batch().write_jsonl(str(src), 3000, seed=91)
    full = tmp_path / "full.jsonl"
    base = ["--workers", "2", "--chunk-size", "4", "--stall-timeout", "30"]
    done = subprocess.run(
        [*PMPATH, "batch", str(src), "-o", str(full), *base],
        env=_env(),
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    expected = full.read_bytes()
    rng = random.Random(17)
    for round_ in range(ROUNDS):
        out = tmp_path / f"out{round_}.jsonl"
        cmd = [*PMPATH, "batch", str(src), "-o", str(out), *base]
        _kill_when(cmd, out, rng.randrange(1, len(expected) * 3 // 4))
        if round_ % 3 == 1 and out.exists():  # kill the resume too, part way on
            _kill_when([*cmd, "--resume"], out, out.stat().st_size + rng.randrange(1, 200_000))
        finished = subprocess.run(
            [*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=300
        )
        assert finished.returncode == 0, f"round {round_}: {finished.stderr}"
        assert "Traceback" not in finished.stderr, finished.stderr
        assert out.read_bytes() == expected, f"round {round_}"
