"""Batch throughput and memory, for the shipped knowledge (run on demand, not in CI).

    python benchmarks/bench_batch.py              # the full table (takes a few minutes)
    python benchmarks/bench_batch.py --quick      # smaller sizes, one run each

Generates N seeded synthetic profiles (a realistic candidate pool: every level
from aspiring to CPO, all four kinds of product work, near misses, unrated
strengths) and prints medians of several runs:

- in-process throughput (profiles/s) of each stage: parse + validate, infer
  (lean driver, durable's stock Host, the reference evaluator), serialise
  (the compact fast path and plain json.dumps of to_dict);
- ``pmpath batch`` end to end (a real subprocess): 1 worker and all cores, the
  scaling ratio, and peak RSS (parent and largest worker) at 10k and 100k.

Also importable: `synthetic_profiles(n, seed)` is what tests use to build pools.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator

LEVELS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")
#: a candidate pool: many PMs and seniors, fewer leaders, some people breaking in
POOL_WEIGHTS = (15, 12, 25, 22, 13, 8, 5)
BACKGROUNDS = (
    "engineering",
    "design",
    "data",
    "marketing",
    "sales",
    "customer_success",
    "operations",
    "consulting",
    "other",
)
WORK_KINDS = ("feature", "growth", "scaling", "pmf_expansion")
SKILLS = (
    "technical_data",
    "communication",
    "problem_solving",
    "user_understanding",
    "strategic_thinking",
)


def _years(rng: random.Random, low: float, high: float) -> float | int:
    value = rng.uniform(low, high)
    return int(value) if rng.random() < 0.6 else round(value, 1)


def synthetic_profile(rng: random.Random, i: int) -> dict:
    """One plausible candidate aimed at a random rung, sometimes just short of it."""
    rung = rng.choices(range(len(LEVELS)), weights=POOL_WEIGHTS)[0]
    miss = rng.random() < 0.2  # a near miss: one requirement of the rung left out
    product = {
        0: 0,
        1: _years(rng, 0.2, 1.9),
        2: _years(rng, 2, 5),
        3: _years(rng, 5, 8),
        4: _years(rng, 7, 11),
        5: _years(rng, 10, 15),
        6: _years(rng, 12, 22),
    }[rung]
    total = round(product + _years(rng, 0, 8), 1) if rung else _years(rng, 0, 12)
    if rung == 6:
        total = max(total, 15 + rng.randint(0, 8))
    management = 0
    if rung >= 4:
        management = min(total, _years(rng, 2 if rung == 4 else 5, 12))
    experience: dict = {"total_years": total, "product_years": product}
    if management or rng.random() < 0.5:
        experience["people_management_years"] = management
    if rng.random() < 0.7:
        experience["background"] = rng.choice(BACKGROUNDS)
    if rng.random() < 0.3:
        experience["current_title"] = rng.choice(
            ["Product Manager", "Senior PM", "Head of Product", "Analyst", "Engineer", "Designer"]
        )
    profile: dict = {"id": f"cand-{i:06d}"}
    if rng.random() < 0.5:
        profile["name"] = f"Candidate {i}"
    profile["experience"] = experience
    if rng.random() < 0.6:
        education = {"degree": rng.choice(["bachelor", "master", "bootcamp", "none", "phd"])}
        if rng.random() < 0.7:
            education["field"] = rng.choice(
                ["computer_science", "engineering", "business", "design", "other"]
            )
        if rung <= 1 and rng.random() < 0.4:
            education["recent_graduate"] = True
        profile["education"] = education
    if rung == 0 or rng.random() < 0.5:
        profile["employment"] = {
            "employed": rng.random() < 0.8,
            "company_has_product_team": rng.random() < 0.6,
        }
    if product:
        kinds = rng.sample(WORK_KINDS, k=rng.choice([1, 1, 2, 3, 4] if rung >= 4 else [1, 1, 2]))
        shares = [rng.random() + 0.1 for _ in kinds]
        # floored to a tenth: the kinds share the years in product, never exceed them
        work = {
            k: math.floor(product * s / sum(shares) * 10) / 10
            for k, s in zip(kinds, shares, strict=True)
        }
        profile["work"] = work
    scope: dict = {}
    track: dict = {}
    if rung >= 2:
        track["launches"] = rng.randint(1, 3) if rung == 2 else rng.randint(3, 40)
    elif rung == 1:
        track["launches"] = rng.randint(0, 1)
    if rung <= 1:
        for key in ("certification", "side_project", "end_to_end_project"):
            if rng.random() < 0.4:
                track[key] = True
        if rung == 1 and rng.random() < 0.3:
            track["apm_program"] = True
    if rung >= 3:
        scope.update(
            leads_pms=True,
            owns_roadmap=True,
            strategy_horizon_months=rng.choice([3, 6, 9]),
            presents_to_executives=True,
        )
    elif rung == 2 and rng.random() < 0.5:
        scope.update(owns_roadmap=rng.random() < 0.5, strategy_horizon_months=rng.choice([0, 1, 3]))
    if rung >= 4:
        scope["pm_reports"] = rng.randint(2, 12)
        track["mentors_pms"] = rng.randint(2, 8)
    if rung >= 5:
        scope.update(
            cross_functional_reports=True,
            owns_budget=True,
            owns_vision=True,
            strategy_horizon_months=rng.choice([12, 18, 24]),
        )
        scope["pm_reports"] = rng.randint(6, 40)
    if rung >= 6:
        scope.update(
            portfolio_products=rng.randint(2, 6),
            managers_reporting=rng.randint(2, 6),
            strategy_horizon_months=rng.choice([36, 48, 60]),
            external_partnerships=True,
        )
    if miss:
        pool = [
            k
            for k in ("leads_pms", "presents_to_executives", "owns_budget", "owns_vision")
            if k in scope
        ]
        pool += [k for k in ("mentors_pms", "launches") if k in track]
        if pool:
            key = rng.choice(pool)
            if key in scope:
                scope[key] = False
            else:
                track[key] = 0
    if scope:
        profile["scope"] = scope
    if track:
        profile["track_record"] = track
    if rng.random() < 0.7:
        rated = rng.sample(SKILLS, k=rng.randint(1, 5))
        profile["strengths"] = {s: rng.randint(1, 5) for s in rated}
    if rng.random() < 0.3:
        profile["goals"] = {
            "target": rng.choice(["next", "pm", "senior_pm", "director", "vp", "cpo"]),
            "path": rng.choice(["internal", "external", "either"]) if rung == 0 else "either",
        }
    return profile


def synthetic_profiles(n: int, seed: int = 7) -> Iterator[dict]:
    """``n`` seeded synthetic profiles (the same ``seed`` gives the same pool)."""
    rng = random.Random(seed)
    for i in range(n):
        yield synthetic_profile(rng, i)


def write_jsonl(path: str, n: int, seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for profile in synthetic_profiles(n, seed):
            fh.write(json.dumps(profile, separators=(",", ":")) + "\n")


# -- measuring ----------------------------------------------------------------------


def _median_rate(fn: Callable[[], int], runs: int) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def stage_rates(n: int, runs: int) -> dict:
    """Profiles/s of each stage, in this process (1 core), on ``n`` pool profiles."""
    from pmpath import Engine
    from pmpath.profile.reader import parse_profile
    from pmpath.results.recommendation import Recommendation

    lean = Engine.load()
    host = Engine.load(backend="host")
    lines = [json.dumps(p, separators=(",", ":")) for p in synthetic_profiles(n)]
    prepared = [lean.prepare(parse_profile(line, "bench", "json")) for line in lines]
    recs = [lean.recommend(parse_profile(line, "bench", "json")) for line in lines]
    answers = [(r.profile, r.derived, r.fired) for r in recs]
    gc.collect()
    gc.freeze()  # the inputs held here are not what a batch worker's collector sees
    out: dict = {}

    def parse_validate() -> int:
        for line in lines:
            lean.prepare(parse_profile(line, "bench", "json"))
        return n

    def infer(engine) -> Callable[[], int]:
        def go() -> int:
            for normalised, derived in prepared:
                engine.infer(normalised, derived)
            return n

        return go

    def infer_reference() -> int:
        for normalised, derived in prepared:
            lean.infer_reference(normalised, derived)
        return n

    def serialise_fast(model) -> Callable[[], int]:
        def go() -> int:
            for profile, derived, fired in answers:  # fresh objects, as batch makes them
                Recommendation(model, profile, derived, fired).to_json(indent=None)
            return n

        return go

    def serialise_dumps() -> int:
        for profile, derived, fired in answers:
            json.dumps(
                Recommendation(lean.model, profile, derived, fired).to_dict(),
                ensure_ascii=False,
                separators=(",", ":"),
            )
        return n

    def whole(engine, reference: bool = False) -> Callable[[], int]:
        recommend = engine.recommend_reference if reference else engine.recommend

        def go() -> int:
            for line in lines:
                recommend(parse_profile(line, "bench", "json")).to_json(indent=None)
            return n

        return go

    out["parse + validate"] = _median_rate(parse_validate, runs)
    out["infer: lean driver"] = _median_rate(infer(lean), runs)
    out["infer: durable Host"] = _median_rate(infer(host), runs)
    out["infer: reference evaluator"] = _median_rate(infer_reference, runs)
    cold = Engine.load()  # nothing cached yet: the first pass builds every plan it needs
    out["serialise: compact, first pass"] = _median_rate(serialise_fast(cold.model), 1)
    out["serialise: compact, warm"] = _median_rate(serialise_fast(lean.model), runs)
    out["serialise: json.dumps(to_dict())"] = _median_rate(serialise_dumps, runs)
    out["all stages: lean"] = _median_rate(whole(lean), runs)
    out["all stages: Host"] = _median_rate(whole(host), runs)
    out["all stages: reference"] = _median_rate(whole(lean, reference=True), runs)
    gc.unfreeze()
    out["_levels"] = Counter(r.level for r in recs)
    out["_specializations"] = Counter(r.specialization for r in recs)
    out["_fired"] = statistics.mean(len(r.fired) for r in recs)
    out["_plans"] = len({frozenset(r.fired) for r in recs})
    out["_bytes_per_record"] = statistics.mean(len(r.to_json(indent=None)) for r in recs[:2000])
    return out


_RSS_PROBE = r"""
import json, os, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: its stat stays
elapsed = time.perf_counter() - start
with open(f"/proc/{proc.pid}/stat") as fh:  # utime, stime: the batch process alone
    fields = fh.read().rsplit(")", 1)[1].split()
parent = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
proc.wait()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "elapsed": elapsed, "maxrss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime, "parent_cpu": parent,
                  "stderr": err.decode()[-3000:]}))
"""


def run_cli(
    inp: str, out: str, workers: int, extra: tuple[str, ...] = (), *, python: str | None = None
) -> dict:
    """One real ``pmpath batch`` run: its rate, wall and CPU time (all its processes, and
    the batch process alone: ``parent_cpu``), largest RSS of its processes."""
    cmd = [python or sys.executable, "-m", "pmpath.cli.main", "batch", inp, "-o", out]
    cmd += ["--workers", str(workers), *extra]
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, *cmd], capture_output=True, text=True, check=True
    )
    result = json.loads(probe.stdout)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"pmpath batch failed:\n{result['stderr']}")
    for line in result["stderr"].splitlines():  # "N records in T s, R profiles/s (...)"
        if " profiles/s " in line:
            result["rate"] = float(line.split(", ")[1].split(" ")[0].replace(",", ""))
    return result


def cli_rates(configs: list[tuple[str, int, tuple[str, ...]]], runs: int) -> list[dict]:
    """``pmpath batch`` for each (label, profiles, extra options), 1 worker and all cores.

    The runs are interleaved (every configuration once, then again), so a machine
    that slows down or speeds up over time affects each configuration alike.
    """
    cores = _cores()
    grid = [(label, n, extra, w) for label, n, extra in configs for w in sorted({1, cores})]
    results: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted({n for _, n, _ in configs}):
            write_jsonl(os.path.join(tmp, f"pool-{n}.jsonl"), n)
        out = os.path.join(tmp, "out.jsonl")
        for i in range(runs):
            for label, n, extra, workers in grid:
                inp = os.path.join(tmp, f"pool-{n}.jsonl")
                result = run_cli(inp, out, workers, extra)
                os.remove(out)
                results.setdefault((label, n, workers), []).append(result)
                print(
                    f"  run {i + 1}: {label:<10} {n:>7,} profiles  {workers} worker(s)  "
                    f"{result['rate']:>7,.0f} profiles/s",
                    file=sys.stderr,
                    flush=True,
                )
    rows = []
    for label, n, _extra, workers in grid:
        done = results[(label, n, workers)]
        row = {
            "label": label,
            "profiles": n,
            "workers": workers,
            "rate": statistics.median(r["rate"] for r in done),
            "spread": (min(r["rate"] for r in done), max(r["rate"] for r in done)),
            "wall": statistics.median(r["elapsed"] for r in done),
            "cpu": statistics.median(r["cpu"] for r in done),
            "maxrss_mb": max(r["maxrss_kb"] for r in done) / 1024,
        }
        rows.append(row)
        low, high = row["spread"]
        print(
            f"  {label:<10} {n:>7,} profiles  {workers} worker{'s' * (workers > 1)}  "
            f"{row['rate']:>7,.0f} profiles/s ({low:,.0f}-{high:,.0f})  "
            f"wall {row['wall']:6.2f} s  CPU {row['cpu']:6.2f} s  "
            f"peak RSS {row['maxrss_mb']:4.0f} MB",
            flush=True,
        )
    return rows


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover


def machine() -> str:
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {_cores()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}, durable-rules {version('durable-rules')}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (median)")
    parser.add_argument("--stage-profiles", type=int, default=None)
    parser.add_argument("--big", type=int, default=None, help="profiles in the large run")
    parser.add_argument("--skip-stages", action="store_true")
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 5)
    stage_n = args.stage_profiles or (2_000 if args.quick else 10_000)
    small = 2_000 if args.quick else 10_000
    big = args.big or (5_000 if args.quick else 100_000)
    cores = _cores()

    print(f"machine: {machine()}")
    if not args.skip_stages:
        print(f"stages, in one process, {stage_n:,} pool profiles, median of {runs}:")
        stages = stage_rates(stage_n, runs)
        for name, rate in stages.items():
            if not name.startswith("_"):
                print(f"  {name:<36} {rate:>9,.0f} profiles/s  {1e6 / rate:>7.1f} µs each")
        lean, ref, host = (
            stages["all stages: lean"],
            stages["all stages: reference"],
            stages["all stages: Host"],
        )
        print(f"  lean / reference: {lean / ref:.2f}x   lean / Host: {lean / host:.2f}x")
        levels = {lv: stages["_levels"][lv] for lv in LEVELS}
        print(f"  levels: {levels}")
        print(f"  specializations: {dict(stages['_specializations'])}")
        print(
            f"  {stages['_fired']:.1f} rules fire per profile; {stages['_plans']:,} distinct "
            f"fired-rule sets; {stages['_bytes_per_record']:,.0f} bytes of output each"
        )

    cli_runs = 1 if args.quick else max(1, min(runs, 3))
    print(f"pmpath batch end to end (real process, JSONL in and out), median of {cli_runs}:")
    configs = [
        ("lean", small, ()),
        ("host", small, ("--backend", "host")),
        ("reference", small, ("--evaluator", "reference")),
        ("lean", big, ()),
    ]
    rows = cli_rates(configs, cli_runs)

    def rate(label: str, n: int, workers: int) -> float:
        return next(
            r["rate"]
            for r in rows
            if r["label"] == label and r["profiles"] == n and r["workers"] == workers
        )

    for n in (small, big):
        if cores > 1:
            ratio = rate("lean", n, cores) / rate("lean", n, 1)
            print(f"  scaling, lean, {n:,} profiles: {ratio:.2f}x on {cores} workers")
    for w in sorted({1, cores}):
        lean = rate("lean", small, w)
        by_ref, by_host = lean / rate("reference", small, w), lean / rate("host", small, w)
        print(
            f"  {w} worker{'s' * (w > 1)}: lean / reference {by_ref:.2f}x, "
            f"lean / host {by_host:.2f}x"
        )
    print("  (rates include starting the workers; peak RSS is the largest process's)")


if __name__ == "__main__":
    main()
