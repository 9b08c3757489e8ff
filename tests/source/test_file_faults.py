"""Disks fill, pipes close, folders cannot be written (issue 9, item 5): one line
naming the file and the cause, exit 1 (a closed stdout: 141, quietly), and never a
torn or empty file left behind. Real processes: these are what a shell sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PMPATH = [sys.executable, "-m", "pmpath.cli.main"]
PROFILE = str(ROOT / "examples" / "profiles" / "senior-pm.yaml")
POOL = str(ROOT / "examples" / "pool.jsonl")
FULL = "/dev/full"
needs_dev_full = pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full here")


def run(*args: str, stdout=subprocess.PIPE, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PMPATH, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120, cwd=cwd
    )


def one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "bug in pmpath" not in done.stderr
    return lines[0]


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [("recommend", PROFILE), ("schema", "profile"), ("guide",), ("batch", POOL, "--workers", "1")],
)
def test_a_full_standard_output_is_one_line_and_exit_1(args):
    with open(FULL, "w") as full:
        done = run(*args, stdout=full)
    assert done.returncode == 1
    line = one_error_line(done)
    assert "No space left on device" in line


@needs_dev_full
@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_into_a_full_disk_names_the_file_and_exits_1(workers):
    done = run("batch", POOL, "-o", FULL, "--workers", workers)
    assert done.returncode == 1
    line = one_error_line(done)
    assert line.startswith(f"error: {FULL}: cannot write the output: No space left on device")
    assert "Traceback" not in done.stderr


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [("guide", "-o", FULL), ("init", FULL, "--force"), ("diff", POOL, "--base-knowledge",
     str(ROOT / "knowledge"), "-o", FULL)],
)  # fmt: skip
def test_writing_a_named_output_to_a_full_device_is_one_line(args):
    done = run(*args)
    assert done.returncode == 1
    assert "No space left on device" in one_error_line(done)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("guide", "-o", "{bad}/guide.html"), "cannot write the guide"),
        (("init", "{bad}/me.yaml"), "cannot write the template"),
        (("recommend", PROFILE, "--audit-log", "{bad}/audit.jsonl"), "cannot open the audit log"),
        (("batch", POOL, "-o", "{bad}/out.jsonl", "--workers", "1"), "Not a directory"),
    ],
)
def test_an_output_in_a_folder_that_cannot_be_written_is_one_line_and_exit_1(tmp_path, args, what):
    bad = tmp_path / "a-file"  # a file where a folder should be: fails for root as well
    bad.write_text("x")
    done = run(*(a.replace("{bad}", str(bad)) for a in args))
    assert done.returncode == 1, done.stderr
    line = one_error_line(done)
    assert what in line and str(bad) in line
    assert "Usage:" not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(workers):
    batch = subprocess.Popen(
        [*PMPATH, "batch", POOL, "--workers", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = batch.stdout.readline()
    batch.stdout.close()  # as `| head -1` does
    assert batch.wait(timeout=120) == 141
    stderr = batch.stderr.read().decode()
    batch.stderr.close()
    assert first.startswith(b'{"id":')
    assert stderr == "", stderr  # not a record error, not a traceback


def test_guide_and_init_replace_whole_files_and_leave_no_temporary(tmp_path):
    target = tmp_path / "guide.md"
    target.write_text("old")
    assert run("guide", "-o", str(target)).returncode == 0
    assert target.read_text().startswith("# The product manager career path")
    me = tmp_path / "me.yaml"
    assert run("init", str(me)).returncode == 0
    again = run("init", str(me))
    assert again.returncode == 1 and "already exists" in one_error_line(again)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide.md", "me.yaml"]


def test_an_audit_log_that_was_started_but_never_written_is_removed(tmp_path):
    from pmpath import AuditLog

    path = tmp_path / "audit.jsonl"
    AuditLog(path).close()
    assert not path.exists()
    path.write_text("")  # an existing empty log is the user's: kept
    AuditLog(path).close()
    assert path.exists()


def _torn(fail_in: str):
    """An os.writev and an os.write for a disk that fills mid-block: the first call
    puts 7 bytes out; the gather then answers 7, or (``fail_in`` it) fails."""
    real_write = os.write

    def writev(fd, buffers):
        real_write(fd, b"".join(buffers)[:7])
        if fail_in == "writev":
            raise OSError(28, "No space left on device")
        return 7

    def write(fd, data):
        raise OSError(28, "No space left on device")

    return writev, write


@pytest.mark.parametrize("fail_in", ["writev", "write"])
def test_a_torn_write_is_cut_back_to_whole_lines_and_resume_finishes(
    engine, tmp_path, monkeypatch, fail_in
):
    """A disk that fills mid-block: the output keeps only whole lines (ftruncate),
    whether the gathered write fails or the block after a short one does."""
    from pmpath.batch import output
    from pmpath.batch.output import BatchOutput
    from pmpath.errors import BatchError

    out = tmp_path / "out.jsonl"
    writer = BatchOutput(str(out), "jsonl")
    writer.write(b'{"id":"a","ok":true}\n')
    writer.flush()
    writev, write = _torn(fail_in)
    writer.write(b'{"id":"b","ok":true}\n')
    monkeypatch.setattr(output, "_WRITEV", True)
    monkeypatch.setattr(os, "writev", writev, raising=False)
    monkeypatch.setattr(os, "write", write)
    try:
        with pytest.raises(BatchError, match="No space left on device") as caught:
            writer.flush()
    finally:
        monkeypatch.undo()
        writer.close()
    assert caught.value.code == "B004" and "--resume" in caught.value.message
    assert out.read_bytes() == b'{"id":"a","ok":true}\n'


def test_a_short_gathered_write_is_finished_as_one_block(tmp_path, monkeypatch):
    from pmpath.batch import output
    from pmpath.batch.output import BatchOutput

    real_writev = os.writev
    calls = []

    def short(fd, buffers):  # the system takes only the first line of the gather
        calls.append(len(buffers))
        return real_writev(fd, buffers[:1])

    out = tmp_path / "out.jsonl"
    writer = BatchOutput(str(out), "jsonl")
    lines = [b'{"id":"%d","ok":true}\n' % i for i in range(5)]
    for line in lines:
        writer.write(line)
    monkeypatch.setattr(os, "writev", short)
    writer.flush()
    writer.close()
    assert calls == [5] and out.read_bytes() == b"".join(lines)
    assert output._IOV_MAX >= 16


def test_more_lines_than_one_gather_takes_go_out_as_one_block(tmp_path, monkeypatch):
    from pmpath.batch import output
    from pmpath.batch.output import BatchOutput

    monkeypatch.setattr(output, "_IOV_MAX", 3)
    gathered = []
    monkeypatch.setattr(os, "writev", lambda fd, buffers: gathered.append(buffers) or 0)
    out = tmp_path / "out.jsonl"
    writer = BatchOutput(str(out), "jsonl")
    lines = [b'{"id":"%d","ok":true}\n' % i for i in range(4)]
    for line in lines:
        writer.write(line)
    writer.flush()
    writer.close()
    assert gathered == [] and out.read_bytes() == b"".join(lines)
