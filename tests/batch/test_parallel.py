"""`OrderedPool`: answers in input order, and no wait without a bound.

The first test is the hang of issue 9: the parent refilled the window before
handing back finished chunks, so when the head-of-line chunk was the last of a
full window to come back, the window emptied with nothing sent and the parent
waited for good on workers that held nothing. Seed 3 of this very workload hung
on the old loop.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pool_jobs import Sleepy, Wedges

from pmpath.errors import EngineError
from pmpath.pool import OrderedPool

HERE = Path(__file__).resolve().parents[1]  # tests/: pool_jobs.py


@pytest.fixture(autouse=True)
def workers_import_the_test_jobs(monkeypatch):
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{HERE}{os.pathsep}{path}" if path else str(HERE))


@pytest.mark.timeout(240)
def test_pools_whose_head_of_line_chunk_comes_back_last_finish_every_time():
    for seed in range(30):
        with OrderedPool(Sleepy(seed), 2, chunk_size=1) as pool:
            answers = list(pool.imap(range(200)))
        assert answers == [i * 2 for i in range(200)], f"seed {seed}"


def test_larger_chunks_and_a_ragged_last_chunk_keep_input_order():
    with OrderedPool(Sleepy(7), 2, chunk_size=7, window=21) as pool:
        assert list(pool.imap(range(500))) == [i * 2 for i in range(500)]


def test_a_worker_that_stops_answering_is_reported_stopped_and_its_work_retried(tmp_path):
    events = []
    job = Wedges(victim=40, how="sleep", flag=str(tmp_path / "flag"))
    with OrderedPool(job, 2, chunk_size=8, stall_timeout=1.5, on_event=events.append) as pool:
        answers = list(pool.imap(range(100)))
    assert answers == [i * 2 for i in range(100)]  # nothing lost, nothing twice
    assert len(events) == 1
    (death,) = events
    assert death.stalled and "gave no answer for" in death.how
    assert "#41" in death.held  # the chunk holding input record #41 (item 40) is named
    assert "it was stopped and they are retried one by one" in str(death)


def test_a_record_that_stalls_its_worker_every_time_becomes_a_lost_answer():
    events = []
    job = Wedges(victim=5, how="sleep")
    with OrderedPool(job, 2, chunk_size=4, stall_timeout=1, on_event=events.append) as pool:
        answers = list(pool.imap(range(12)))
    assert answers[:5] == [0, 2, 4, 6, 8] and answers[6:] == [i * 2 for i in range(6, 12)]
    kind, item, reason = answers[5]
    assert (kind, item) == ("lost", 5) and reason.startswith("gave no answer for")
    # the chunk of four, then the item alone twice (max_attempts=2), then it is lost
    # (each names first the chunk it was scoring; a second one it held may follow)
    assert [e.held.split(",")[0] for e in events] == ["#5-#8", "#6", "#6"]
    assert all(e.stalled for e in events)


def test_a_worker_stopped_by_sigstop_is_found_and_replaced(tmp_path):
    events = []
    job = Wedges(victim=17, how="stop", flag=str(tmp_path / "flag"))
    with OrderedPool(job, 2, chunk_size=4, stall_timeout=1.5, on_event=events.append) as pool:
        answers = list(pool.imap(range(60)))
    assert answers == [i * 2 for i in range(60)]
    assert [e.stalled for e in events] == [True]


def test_while_it_runs_the_pool_can_say_which_worker_holds_what():
    with OrderedPool(Sleepy(1), 2, chunk_size=5) as pool:
        answers = pool.imap(range(100))
        next(answers)
        lines = pool.holdings()
        answers.close()
    assert len(lines) == 2
    assert all(line.startswith("worker ") and "(pid " in line for line in lines)
    assert any("input records #" in line for line in lines)


def test_a_stall_timeout_must_be_positive():
    with pytest.raises(ValueError, match="stall_timeout"):
        OrderedPool(Sleepy(0), 2, stall_timeout=0)


def test_a_pool_that_owes_records_no_worker_holds_says_so_instead_of_waiting(monkeypatch):
    """The guard behind the fix: were the loop ever to lose track again, it fails at once."""
    pool = OrderedPool(Sleepy(0), 2, chunk_size=2)
    original = pool._send

    def lose_the_third_chunk(worker, payload):
        chunks = getattr(pool, "_seen", 0)
        pool._seen = chunks + 1
        if chunks == 3:  # hello, hello, then chunk 0 and 1 go out; the third vanishes...
            worker.inflight.pop()  # ...and the parent forgets it handed it out
            return
        original(worker, payload)

    monkeypatch.setattr(pool, "_send", lose_the_third_chunk)
    with pytest.raises(EngineError, match="no worker holds any of them") as caught:
        list(pool.imap(range(40)))
    assert caught.value.code == "E003"


def test_waiting_for_a_worker_to_exit_returns_once_it_has_and_is_bounded_when_it_does_not():
    import subprocess
    import sys

    from pmpath.pool import _wait_exit

    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    _wait_exit(quick, timeout=30)
    assert quick.returncode == 0  # exited, and reaped
    _wait_exit(quick, timeout=30)  # already reaped: no pidfd to watch, and no error

    wedged = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            _wait_exit(wedged, timeout=0.2)
        assert wedged.poll() is None  # still running: the caller decides (close kills it)
    finally:
        wedged.kill()
        wedged.wait()
