"""Instructions per profile, counted by valgrind's callgrind (on demand).

    python benchmarks/bench_instructions.py                       # this pmpath
    python benchmarks/bench_instructions.py --before /older/venv/bin/python

Time on a shared, noisy machine varies by 10-25% between runs of the same code;
the number of instructions a program executes does not (callgrind counts them,
the same total twice whatever else the machine does). This script counts them
for what a profile costs once everything is loaded:

- ``durable``: the durable_rules run alone (`DurableSession.run_encoded` on
  profiles already encoded as facts): the C core and the driver around it;
- ``recommend``: `Engine.recommend` on a profile dict (validate, complete, derive,
  encode, durable), the answer left lazy as the API returns it;
- ``fit``: `Engine.fit` for a senior PM opening (the issue's in-process figure);
- ``record``: `Engine.recommend` and output v1 as compact JSON (what a ``--detail
  full`` batch record costs, less reading and writing);
- ``role-record``: ``record`` and then the fit for a senior PM and its compact
  JSON, as a ``--role senior_pm`` batch makes them (so ``role-record / record``
  is the role's share of a record, free of the machine's speed);
- ``summary``: `Engine.recommend` and the ``--detail summary`` record as the
  batch writes it (its JSONL line, as bytes).

Each is the difference of two runs of a child process that differ only in how
many times they go over the same generated profiles (``--passes``), divided by
the profiles run in between: loading Python, pmpath and the profiles cancels
out. With ``--before``, the same child runs under an older pmpath's Python too,
and the ratio is printed. Instructions are not time (a cache miss costs more
than an add), so read them beside `bench_perf.py`'s timings, not instead of them.
Needs valgrind (Debian's ``valgrind``); a run takes a minute or two.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("durable", "recommend", "fit", "record", "role-record", "summary")


def child(mode: str, n: int, passes: int) -> None:
    """What valgrind runs: load, prepare ``n`` profiles, go over them ``passes`` times."""
    sys.path.insert(0, str(HERE))
    from bench_batch import synthetic_profiles

    from pmpath import Engine

    engine = Engine.load()
    profiles = list(synthetic_profiles(n, seed=13))
    if mode == "durable":
        items = [engine._encoder.encode(*engine.prepare(p)) for p in profiles]
        call = engine._session.run_encoded
    else:
        items = profiles
        # made for the mode asked only: an older pmpath may lack what another reads
        call = {
            "recommend": lambda: engine.recommend,
            "fit": lambda: lambda p: engine.fit(p, "senior_pm"),
            "record": lambda: lambda p: engine.recommend(p).to_json(indent=None),
            "role-record": lambda: _role_record(engine),
            "summary": lambda: _summary_record(engine),
        }[mode]()
    for item in items[:50]:  # warm: the first calls fill caches that later ones reuse
        call(item)
    for _ in range(passes):
        for item in items:
            call(item)
    engine.close()


def _role_record(engine):
    from pmpath.results.score import assess

    def call(profile):
        rec = engine.recommend(profile)
        rec.to_json(indent=None)  # output v1 first, as the batch scorer writes it
        return assess(rec, "senior_pm").to_json(indent=None)

    return call


def _summary_record(engine):
    from pmpath.batch.records import Outcome, jsonl_summary

    def call(profile):
        return jsonl_summary(Outcome("id", "pool.jsonl", 1, engine.recommend(profile)))

    return call


def collected(python: str, mode: str, n: int, passes: int) -> int:
    """Instructions callgrind counted for one child run."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/callgrind.out",
            python,
            str(Path(__file__).resolve()),
            "--child",
            mode,
            "-n",
            str(n),
            "--passes",
            str(passes),
        ]
        # one string hash seed for every run: dicts probe alike, so counts repeat
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed ({' '.join(command)}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_profile(python: str, mode: str, n: int, passes: int) -> float:
    return (collected(python, mode, n, passes) - collected(python, mode, n, 0)) / (n * passes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="generated profiles")
    parser.add_argument("--passes", type=int, default=2, help="times over them, counted")
    parser.add_argument("--mode", choices=MODES, action="append", help="default: all")
    parser.add_argument("--before", metavar="PYTHON", help="an older pmpath's Python")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.passes)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(HERE))
    from bench_batch import machine

    print(machine())
    print(
        f"\ninstructions per profile ({args.n:,} generated profiles, {args.passes} passes "
        "counted, callgrind):"
    )
    counted: dict[str, float] = {}
    for mode in args.mode or MODES:
        now = counted[mode] = per_profile(sys.executable, mode, args.n, args.passes)
        line = f"  {mode:<12} {now:>10,.0f}"
        if args.before:
            before = per_profile(args.before, mode, args.n, args.passes)
            line += f"   before {before:>10,.0f}   after / before {now / before:.3f}"
        print(line, flush=True)
    if "record" in counted and "role-record" in counted:
        share = counted["role-record"] / counted["record"]
        print(f"  role-record / record: {share:.3f} (the issue asks --role to cost <= 1.5x)")


if __name__ == "__main__":
    main()
