"""Cold start of `pmpath recommend`: wall time, and where it goes.

    python benchmarks/bench_startup.py [--runs 15] [--profile examples/profiles/senior-pm.yaml]

1. **Wall time**: the median (and min, max) of ``--runs`` real subprocess runs
   of ``pmpath recommend PROFILE`` (the installed console script), against the
   0.5 s target, next to a bare ``python -c pass`` for the interpreter's share.
2. **Breakdown**: the same work, phase by phase, timed inside fresh processes
   (one per run, so every phase is cold) and reported as medians: imports,
   profile reading and validation, compiling the JSON Schemas, loading and
   validating knowledge, then rules, hashing (knowledge_version), compiling the
   rules, importing durable_rules and registering the ruleset, inference, render.
3. **Rejections**: how long a YAML alias bomb and a 20 MB file take to be
   turned away (they must be rejected within a second without eating memory),
   with the peak memory of that process.

Nothing here asserts: it prints numbers for people (the guide: speed is
measured by benchmarks, never by timed tests).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5

PHASES = r"""
import json, sys, time
t = time.perf_counter
marks = []
start = t()
def mark(name):
    marks.append((name, t()))

import click
import pmpath.cli.main
mark("import click + pmpath (CLI and engine modules)")
import pmpath.cli.recommend
mark("import the recommend command (render, yaml)")
from pmpath.profile import check_profile, load_profile
profile = load_profile(sys.argv[1])
mark("read and parse the profile")
from pmpath.source import schemas
for name in schemas.NAMES:
    if name.startswith("knowledge-") or name in ("rules", "profile"):
        schemas.fast_validator(name)
mark("compile JSON Schemas (fastjsonschema)")
check_profile(profile)
mark("validate the profile")
from pmpath.model.knowledge_loader import load_knowledge
from pmpath.source.data import content_hash, locate
knowledge, problems, k_files = load_knowledge(locate(None, "pmpath.knowledge"))
mark("load + validate knowledge (11 files)")
from pmpath.model.rules_loader import load_rules
ruleset, problems, r_files = load_rules(locate(None, "pmpath.rules"), knowledge)
mark("load + validate rules")
version = content_hash([("knowledge", k_files), ("rules", r_files)])
mark("hash (knowledge_version)")
from pmpath.inference.compiler import compile_ruleset
compiled = compile_ruleset(ruleset)
mark("compile rules (durable definition)")
import pmpath.inference.rete
mark("import durable_rules")
from pmpath.engine import Engine, Model
from pmpath.model.memo import memo
model = Model(knowledge, ruleset, version, [])
memo(model, "compiled", lambda m: compiled)  # the rules compiled above
engine = Engine(model)
mark("register the ruleset in durable_rules")
rec = engine.recommend(profile)
mark("inference (durable_rules) + assembly")
from pmpath.render import render
text = render(rec, "text")
mark("render text")
engine.close()
mark("close")
out, prev = [], start
for name, when in marks:
    out.append([name, when - prev])
    prev = when
print(json.dumps({"phases": out, "jsonschema_imported": "jsonschema" in sys.modules}))
"""


def pmpath_command() -> list[str]:
    script = Path(sys.executable).with_name("pmpath")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pmpath.cli.main"]


def run_child(cmd: list[str], env: dict | None = None):
    """(exit code, wall seconds, rusage) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage


def timed_runs(cmd: list[str], runs: int, env: dict | None = None) -> tuple[list, list]:
    """Wall seconds and CPU seconds (user + system) of ``runs`` runs of ``cmd``.

    CPU time is close to what the wall time would be on an idle machine (pmpath is
    single-threaded), so it stays meaningful when other work loads the machine.
    """
    walls, cpus = [], []
    for _ in range(runs):
        _, seconds, usage = run_child(cmd, env)
        walls.append(seconds)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return walls, cpus


def import_self_times(runs: int, env: dict) -> dict[str, float]:
    """Median self time (seconds) of each module that ``pmpath recommend`` imports."""
    samples: dict[str, list[float]] = {}
    code = "import pmpath.cli.main, pmpath.cli.recommend"
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        for line in out.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            samples.setdefault(name.strip(), []).append(int(own) / 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def stale_bytecode() -> list[str]:
    """pmpath modules whose cached bytecode is missing or older than the source."""
    import importlib.util

    import pmpath
    import pmpath.cli

    out = []
    for package in (pmpath, pmpath.cli):
        for source in sorted(Path(package.__file__).parent.glob("*.py")):
            cached = Path(importlib.util.cache_from_source(str(source)))
            if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                out.append(f"{package.__name__}.{source.stem}".removesuffix(".__init__"))
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", default=str(ROOT / "examples" / "profiles" / "senior-pm.yaml"))
    args = parser.parse_args()
    runs = max(args.runs, 3)
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = [*pmpath_command(), "recommend", args.profile]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)  # warm the OS file cache

    print(f"pmpath recommend {os.path.relpath(args.profile, ROOT)}: {runs} cold runs each")
    stale = stale_bytecode()
    if stale:
        print(
            f"note: {len(stale)} pmpath modules have no up-to-date .pyc "
            f"({', '.join(stale[:4])}{', ...' if len(stale) > 4 else ''}), so they compile"
            + (" on every run (PYTHONDONTWRITEBYTECODE is set)" if sys.dont_write_bytecode else "")
            + "; `python -m compileall engine cli` gives the numbers of a pip install"
        )
    print()
    py_wall, py_cpu = timed_runs([sys.executable, "-c", "pass"], runs)
    total, cpu = timed_runs(cmd, runs, env)
    median = statistics.median(total)
    print(f"{'':<44}{'wall':>10}{'cpu':>11}")
    print(
        f"{'python -c pass (interpreter start)':<44}"
        f"{ms(statistics.median(py_wall))}{ms(statistics.median(py_cpu))}"
    )
    print(
        f"{'pmpath recommend (median)':<44}{ms(median)}{ms(statistics.median(cpu))}"
        f"   wall min {ms(min(total)).strip()}, max {ms(max(total)).strip()}"
    )
    verdict = "under" if median < TARGET_SECONDS else "OVER"
    print(f"{'target (wall)':<44}{ms(TARGET_SECONDS)}   {verdict} ({median / TARGET_SECONDS:.2f}x)")
    load = os.getloadavg()[0]
    print(f"{'load average (1 min) / CPUs':<44}{load:7.2f} / {os.cpu_count()}\n")

    samples: dict[str, list[float]] = {}
    jsonschema_imported = False
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PHASES, args.profile],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        data = json.loads(out.stdout)
        jsonschema_imported |= data["jsonschema_imported"]
        for name, seconds in data["phases"]:
            samples.setdefault(name, []).append(seconds)
    print("breakdown inside the process (median of fresh processes):")
    in_process = 0.0
    for name, values in samples.items():
        value = statistics.median(values)
        in_process += value
        print(f"  {name:<50}{ms(value)}")
    print(f"  {'sum of phases':<50}{ms(in_process)}")
    print(f"  {'interpreter start + site (python -c pass)':<50}{ms(statistics.median(py_wall))}")
    print(f"  jsonschema imported on the happy path: {'yes' if jsonschema_imported else 'no'}\n")

    own = import_self_times(runs, env)
    print("slowest imports (median self time, python -X importtime):")
    for name, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<50}{ms(seconds)}")
    print(f"  {'all ' + str(len(own)) + ' modules':<50}{ms(sum(own.values()))}\n")

    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.yaml"
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        bomb.write_text("\n".join(lines) + "\n")
        huge = Path(tmp) / "huge.yaml"
        huge.write_bytes(b"name: x\n" + b"# padding\n" * 2_000_000)
        print("rejections (one process each; exit code 1 expected):")
        for label, path in (("YAML alias bomb (9**9 values)", bomb), ("20 MB file", huge)):
            code, seconds, usage = run_child([*pmpath_command(), "recommend", str(path)], env)
            peak = usage.ru_maxrss / 1024
            print(f"  {label:<50}{ms(seconds)}   peak {peak:5.1f} MB   exit {code}")


if __name__ == "__main__":
    main()
