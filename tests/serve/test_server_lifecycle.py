"""Starting, refusing to start, tokens, a worker dying, and stopping: `pmpath serve` as a
real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from harness import Server

pytestmark = [pytest.mark.timeout(240)]

PROFILE = {"input": {"experience": {"total_years": 3, "product_years": 2}}}


def serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PMPATH_TOKEN"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )


# -- refusing to start, with one clear line ----------------------------------------------
def test_without_a_token_it_refuses_to_listen_beyond_loopback():
    done = serve("--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 1
    assert done.stderr.startswith("error: --host 0.0.0.0: without a token pmpath serve listens")
    assert "--token-file" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_token_file_that_cannot_be_read_is_one_line(tmp_path):
    done = serve("--token-file", str(tmp_path / "nope"), "--port", "0")
    assert done.returncode == 1
    assert "cannot read the token file" in done.stderr and "Traceback" not in done.stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    done = serve("--token-file", str(empty), "--port", "0")
    assert done.returncode == 1 and "the token file is empty" in done.stderr


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve("--port", str(port))
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}: something else listens there" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_knowledge_fails_before_listening(tmp_path):
    (tmp_path / "levels.yaml").write_text("levels: [\n")
    done = serve("--knowledge", str(tmp_path), "--port", "0")
    assert done.returncode == 1
    assert "knowledge or rules are invalid" in done.stderr
    assert "listening" not in done.stderr


def test_a_bad_size_is_a_usage_error():
    done = serve("--max-body", "lots")
    assert done.returncode == 2
    assert "'lots' is not a size" in done.stderr


def test_an_unwritable_audit_log_fails_at_once(tmp_path):
    done = serve("--audit-log", str(tmp_path / "no" / "such" / "dir" / "log.jsonl"))
    assert done.returncode == 1
    assert "cannot open the audit log" in done.stderr


# -- tokens ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def guarded():
    with Server(env={"PMPATH_TOKEN": "s3cret-token"}) as running:
        yield running


def test_no_token_is_401_with_a_challenge(guarded):
    answer = guarded.call("POST", "/v1/recommend", PROFILE)
    assert answer.status == 401
    assert answer.json()["error"]["code"] == "S003"
    assert answer.headers["www-authenticate"] == 'Bearer realm="pmpath"'


def test_a_wrong_token_is_401_invalid_token(guarded):
    answer = guarded.call(
        "POST", "/v1/recommend", PROFILE, {"Authorization": "Bearer s3cret-tokeN"}
    )
    assert answer.status == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    basic = guarded.call("POST", "/v1/recommend", PROFILE, {"Authorization": "Basic czNjcmV0"})
    assert basic.status == 401


def test_the_right_token_is_let_in(guarded):
    auth = {"Authorization": "Bearer s3cret-token"}
    assert guarded.call("POST", "/v1/recommend", PROFILE, auth).status == 200
    assert guarded.call("GET", "/metrics", headers=auth).status == 200
    assert guarded.call("GET", "/v1/schemas/profile", headers=auth).status == 200


def test_probes_the_document_and_the_page_need_no_token(guarded):
    for path in ("/health", "/ready", "/openapi.json", "/"):
        assert guarded.call("GET", path).status == 200, path
    assert guarded.call("GET", "/metrics").status == 401
    assert guarded.call("GET", "/v1/schemas/profile").status == 401


def test_the_started_line_says_a_token_is_required(guarded):
    assert any("token required" in line for line in guarded.lines)
    assert not any("s3cret" in line for line in guarded.lines)


def test_a_token_file_lets_it_listen_beyond_loopback(tmp_path):
    token = tmp_path / "token"
    token.write_text("file-token\n")
    # 0.0.0.0 is allowed with a token; the harness still talks to 127.0.0.1
    with Server("--host", "0.0.0.0", "--token-file", str(token)) as running:
        assert running.call("GET", "/health").status == 200
        auth = {"Authorization": "Bearer file-token"}
        assert running.call("POST", "/v1/recommend", PROFILE, auth).status == 200


# -- the page can be turned off ----------------------------------------------------------
def test_no_page_leaves_only_the_api():
    with Server("--no-page") as running:
        assert running.call("GET", "/").status == 404
        assert running.call("POST", "/v1/recommend", PROFILE).status == 200


# -- a worker dies; the service goes on; stopping ----------------------------------------
def test_a_killed_worker_is_replaced_and_the_service_answers_on():
    with Server("--workers", "2") as running:
        victim = running.pids[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = running.line(0.2)
            if line and f"worker {victim} stopped" in line:
                break
        pids: set[int] = set()
        while time.monotonic() < deadline and len(pids - {victim}) < 2:
            answer = running.call("GET", "/ready")
            if answer.status == 200:
                pids.add(answer.json()["pid"])
            assert running.call("POST", "/v1/recommend", PROFILE).status in (200, 503)
        assert victim not in pids
        assert len(pids) == 2, (pids, running.lines)
        assert running.stop() == 0
        assert any("stopped (SIGTERM)" in line for line in running.lines)


def test_sigint_stops_every_worker():
    with Server("--workers", "2") as running:
        pids = list(running.pids)
        assert running.stop(signal.SIGINT) == 0
    for pid in pids:
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker {pid} still runs after the service stopped")


def test_workers_stop_when_their_supervisor_is_killed():
    with Server("--workers", "1") as running:
        pid = running.pids[0]
        running.stop(signal.SIGKILL)
    for _ in range(100):  # the orphan notices within a second or two
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"worker {pid} outlived its supervisor")


def test_workers_that_keep_dying_stop_the_service_instead_of_looping():
    from pmpath.serve.supervisor import MAX_RESTARTS

    with Server("--workers", "1") as running:
        killed: set[int] = set()
        deadline = time.monotonic() + 180
        while running.process.poll() is None and time.monotonic() < deadline:
            try:
                answer = running.call("GET", "/ready")
            except OSError:  # between two workers: nothing listens for a moment
                time.sleep(0.1)
                continue
            pid = answer.json()["pid"] if answer.status == 200 else None
            if pid is not None and pid not in killed:
                killed.add(pid)
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        assert running.process.wait(30) == 1
        assert len(killed) == MAX_RESTARTS + 1
        while running.line(5) is not None:  # what it printed on the way out
            pass
        assert any(line.startswith("error: ") and "giving up" in line for line in running.lines), (
            running.lines
        )
