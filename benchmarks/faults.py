"""The fault table of docs/reliability.md, produced by trying each fault for real.

    python benchmarks/faults.py            # print the table
    python benchmarks/faults.py --write    # and write docs/reliability.md

Each fault runs real ``pmpath`` processes in a scratch directory on a seeded
pool, the way a user would meet it: kills at several moments, Ctrl-C, a worker
killed or stopped, a full disk, a folder that cannot be written, a closed pipe,
eight processes appending to one audit log, broken knowledge, bad records. For
each it records what the user sees (the first line on standard error), the exit
status, and whether anything was lost: the output after ``--resume`` is compared
byte for byte with an uninterrupted run. Nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PMPATH = [sys.executable, "-m", "pmpath.cli.main"]
POOL_SIZE = 6000


def _pool(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_batch", HERE / "bench_batch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_jsonl(str(path), POOL_SIZE, seed=404)


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMPATH_TEST_")}
    env.update(extra)
    return env


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", _env())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def _first_line(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.strip():
            return line.strip()
    return "(nothing)"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


class Faults:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pool = tmp / "pool.jsonl"
        _pool(self.pool)
        self.full = tmp / "full.jsonl"
        done = _run([*PMPATH, "batch", str(self.pool), "-o", str(self.full), "--workers", "2"])
        assert done.returncode == 0, done.stderr
        self.expected = self.full.read_bytes()
        self.rows: list[tuple[str, str, str, str]] = []

    def row(self, fault: str, seen: str, status: object, kept: str) -> None:
        def cell(text: str) -> str:  # the scratch folder's name changes every run
            return text.replace(str(self.tmp), "$TMP").replace("|", "\\|")

        self.rows.append((cell(fault), cell(seen), str(status), cell(kept)))
        print(f"  {fault}: exit {status}; {kept}", file=sys.stderr, flush=True)

    def _batch(self, out: Path, *extra: str) -> list[str]:
        return [*PMPATH, "batch", str(self.pool), "-o", str(out), "--workers", "2", *extra]

    def _resumed(self, out: Path) -> str:
        done = _run(self._batch(out, "--resume"))
        if done.returncode != 0:
            return f"resume failed (exit {done.returncode}): {_first_line(done.stderr)}"
        same = out.read_bytes() == self.expected
        return (
            "`--resume` finished it: byte-identical to an uninterrupted run"
            if same
            else "LOST OR CHANGED RECORDS after --resume"
        )

    def interrupt(self, sig: signal.Signals, share: float) -> None:
        out = self.tmp / f"int-{sig.name}-{share}.jsonl"
        proc = subprocess.Popen(
            self._batch(out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.stat().st_size >= share * len(self.expected):
                break
            time.sleep(0.002)
        proc.send_signal(sig)
        status = proc.wait(timeout=120)
        stderr = proc.stderr.read().decode()
        proc.stderr.close()
        whole = out.read_bytes()
        kept = whole.count(b"\n")
        torn = "" if whole.endswith(b"\n") else " (one torn last line, cut on resume)"
        seen = _first_line(stderr) if sig == signal.SIGINT else "(killed: nothing)"
        if sig == signal.SIGINT:
            seen = next((x for x in stderr.splitlines() if x.startswith("interrupted")), seen)
        self.row(
            f"`{sig.name}` to `pmpath batch` at {share:.0%} of the output",
            seen,
            status,
            f"{kept:,} whole lines kept{torn}; " + self._resumed(out),
        )

    def worker_killed(self) -> None:
        out = self.tmp / "crash.jsonl"
        victim = json.loads(self.pool.read_text().splitlines()[2500])["id"]
        flag = self.tmp / "crashed-once"
        done = _run(
            self._batch(out),
            env=_env(PMPATH_TEST_CRASH_ID=victim, PMPATH_TEST_CRASH_ONCE=str(flag)),
        )
        same = out.read_bytes() == self.expected
        self.row(
            "a worker process dies mid-run (exits abruptly once)",
            _first_line(done.stderr),
            done.returncode,
            "its records retried one by one; output byte-identical" if same else "OUTPUT DIFFERS",
        )

    def worker_stopped(self) -> None:
        out = self.tmp / "stopped.jsonl"
        proc = subprocess.Popen(
            self._batch(out, "--stall-timeout", "3"),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        stopped = None
        deadline = time.monotonic() + 60
        while stopped is None and proc.poll() is None and time.monotonic() < deadline:
            kids = _children(proc.pid)
            if kids and out.exists() and out.stat().st_size > 0:
                stopped = kids[0]
                os.kill(stopped, signal.SIGSTOP)
            time.sleep(0.01)
        status = proc.wait(timeout=300)
        stderr = proc.stderr.read().decode()
        proc.stderr.close()
        same = out.read_bytes() == self.expected
        self.row(
            "a worker process stops answering (SIGSTOP), `--stall-timeout 3`",
            _first_line(stderr),
            status,
            "stopped, replaced, its records retried; output byte-identical"
            if same
            else "OUTPUT DIFFERS",
        )

    def full_disk(self) -> None:
        if not os.path.exists("/dev/full"):
            return
        done = _run(self._batch(Path("/dev/full")))
        self.row(
            "the output's disk is full (`-o /dev/full`)",
            _first_line(done.stderr),
            done.returncode,
            "every line written is whole; `--resume` finishes once there is room",
        )
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*PMPATH, "recommend", str(ROOT / "examples/profiles/senior-pm.yaml")],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(),
            )
        self.row(
            "standard output is on a full disk (`pmpath recommend > /dev/full`)",
            _first_line(done.stderr),
            done.returncode,
            "nothing to lose",
        )

    def unwritable(self) -> None:
        folder = self.tmp / "a-file"
        folder.write_text("not a folder")
        target = "/sys/pmpath-out.jsonl" if os.path.isdir("/sys") else str(folder / "o.jsonl")
        done = _run(self._batch(Path(target)))
        self.row(
            f"the output's folder cannot be written (`-o {target}`)",
            _first_line(done.stderr),
            done.returncode,
            "refused before any work",
        )
        done = _run(
            [*PMPATH, "recommend", str(ROOT / "examples/profiles/senior-pm.yaml"),
             "--audit-log", str(folder / "audit.jsonl")]
        )  # fmt: skip
        self.row(
            "the audit log's folder cannot be written",
            _first_line(done.stderr),
            done.returncode,
            "refused before any work",
        )

    def closed_pipe(self) -> None:
        proc = subprocess.Popen(
            [*PMPATH, "batch", str(self.pool), "--workers", "2"],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        proc.stdout.readline()
        proc.stdout.close()
        status = proc.wait(timeout=120)
        stderr = proc.stderr.read().decode()
        proc.stderr.close()
        self.row(
            "the reader of standard output goes away (`pmpath batch ... | head -1`)",
            _first_line(stderr),
            status,
            "the reader had what it wanted; ends quietly with the SIGPIPE status",
        )

    def audit_writers(self) -> None:
        log = self.tmp / "audit.jsonl"
        profile = str(ROOT / "examples/profiles/senior-pm.yaml")
        per = 5
        script = (
            "import subprocess, sys\n"
            f"for _ in range({per}):\n"
            f"    subprocess.run({[*PMPATH, 'recommend', profile, '--audit-log', str(log)]!r},"
            " stdout=subprocess.DEVNULL, check=True)\n"
        )
        writers = [subprocess.Popen([sys.executable, "-c", script], env=_env()) for _ in range(8)]
        codes = [w.wait(timeout=300) for w in writers]
        lines = log.read_bytes().splitlines()
        valid = sum(1 for line in lines if json.loads(line)["kind"] == "recommend")
        self.row(
            f"8 processes append to one audit log at once ({8 * per} decisions)",
            "(nothing)",
            max(codes),
            f"{valid} of {8 * per} lines, every one whole JSON",
        )

    def broken_knowledge(self) -> None:
        knowledge = self.tmp / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py"))
        path = knowledge / "thresholds.yaml"
        path.write_text(path.read_text().replace("    value: 2\n", "    value: two\n", 1))
        done = _run(self._batch(self.tmp / "k.jsonl", "--knowledge", str(knowledge)))
        self.row(
            "broken knowledge (`--knowledge` with a threshold `value: two`)",
            _first_line(done.stderr),
            done.returncode,
            "refused before any work; every problem listed as file:line: code",
        )

    def bad_records(self) -> None:
        src = self.tmp / "bad.jsonl"
        good = self.pool.read_text().splitlines()[:100]
        src.write_text("\n".join([*good[:50], "{broken", '{"experience": 5}', *good[50:]]) + "\n")
        out = self.tmp / "bad-out.jsonl"
        done = _run([*PMPATH, "batch", str(src), "-o", str(out)])
        lines = out.read_bytes().splitlines()
        errors = sum(1 for line in lines if b'"ok":false' in line)
        self.row(
            "bad records inside a batch (broken JSON, a wrong type)",
            next((x for x in done.stderr.splitlines() if x.startswith("scored")), ""),
            done.returncode,
            f"{len(lines)} records in, {len(lines)} out: {errors} error records, the run goes on",
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write docs/reliability.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        f = Faults(Path(tmp))
        for share in (0.05, 0.5, 0.95):
            f.interrupt(signal.SIGKILL, share)
        f.interrupt(signal.SIGINT, 0.5)
        f.worker_killed()
        f.worker_stopped()
        f.full_disk()
        f.unwritable()
        f.closed_pipe()
        f.audit_writers()
        f.broken_knowledge()
        f.bad_records()
        rows = f.rows
    table = ["| fault | what the user sees | exit | lost? |", "|---|---|---:|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(table)
    print(text)
    if args.write:
        doc = ROOT / "docs" / "reliability.md"
        doc.write_text(
            "# Reliability: what happens when things go wrong\n\n"
            "Each row is a fault tried for real by `python benchmarks/faults.py --write`,\n"
            f"on a seeded pool of {POOL_SIZE:,} profiles with `--workers 2` unless the row\n"
            'says otherwise; rerun it to check the table on your machine. "What the user\n'
            'sees" is the first line on standard error. Exit statuses: 0 done, 1 an error\n'
            "(one line, or error records in the output), 2 a usage mistake, 130 Ctrl-C,\n"
            "141 standard output closed by its reader.\n\n"
            + text
            + "\n\nThe suite tests each of these (tests/batch/test_parallel.py,\n"
            "tests/batch/test_batch_stress.py, tests/source/test_file_faults.py,\n"
            "tests/cli/test_small_faults.py, tests/batch/test_batch_cli.py,\n"
            "tests/batch/test_audit.py); this table is what they look like from a shell.\n"
        )
        print(f"wrote {doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
