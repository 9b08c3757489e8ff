"""The figures of the performance issue, measured side by side in one run (on demand).

    python benchmarks/bench_perf.py                 # 20,000 profiles, 3 interleaved runs
    python benchmarks/bench_perf.py -n 100000 --runs 5

Prints medians (and the spread, min-max, of the runs) of:

- ``pmpath batch`` end to end, a real subprocess: ``--detail full`` and
  ``--detail summary`` with 1 worker, the reference evaluator for comparison,
  ``--workers 2`` against ``--workers 1`` per pair of runs, and ``--role
  senior_pm`` against no role;
- the bytes per output record of each detail;
- in-process ``Engine.recommend`` and ``Engine.fit``, median and p99 per call;
- the calls into durable_rules' C core per profile (``assert_fact``,
  ``complete_and_start_action``) and the rules fired;
- each stage of a profile timed alone, and in-process scoring end to end with
  durable_rules, the reference evaluator and the rules as straight-line Python
  (``straightline.py``: the limit), as ratios to the limit;
- with ``--before PYTHON`` (an environment with an older pmpath installed, for
  example a worktree of an earlier commit), the 1-worker batch runs of that one
  too, interleaved, and the after/before ratios;
- the batch process's own share of the CPU time (with 2 workers: what the parent
  costs, reading, shipping and writing every record).

Every configuration runs once before any runs again, so a machine that slows down
affects all of them alike. Ratios are of medians from this run only.
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
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import machine, run_cli, synthetic_profiles, write_jsonl

#: label -> (workers, options)
CONFIGS = {
    "full 1w": (1, ("--detail", "full")),
    "summary 1w": (1, ("--detail", "summary")),
    "summary 2w": (2, ("--detail", "summary")),
    "full 2w": (2, ("--detail", "full")),
    "role 1w": (1, ("--detail", "full", "--role", "senior_pm")),
    "reference 1w": (1, ("--detail", "full", "--evaluator", "reference")),
}


#: the configurations also run with ``--before PYTHON`` (an older pmpath), for after/before
BEFORE_CONFIGS = ("full 1w", "full 2w", "summary 1w", "role 1w")


def before_configs(before: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    """`BEFORE_CONFIGS` as the older pmpath can run them: one from before ``--detail``
    (Assessment v1, 1bd66cf) writes the full record without the option, and has no
    summary to compare."""
    usage = subprocess.run(
        [before, "-m", "pmpath.cli.main", "batch", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = {}
    for label in BEFORE_CONFIGS:
        workers, extra = CONFIGS[label]
        if "--detail" not in usage:
            if "summary" in extra:
                continue
            extra = tuple(x for x in extra if x not in ("--detail", "full"))
        out[label] = (workers, extra)
    return out


def batch_rates(n: int, runs: int, before: str | None = None) -> dict[str, list[dict]]:
    """Every configuration once per run, interleaved; with ``before`` (the Python of an
    environment with an older pmpath installed) `BEFORE_CONFIGS` again with it, each
    right after the same configuration of this one."""
    older = before_configs(before) if before else {}
    grid = []
    for label, config in CONFIGS.items():
        grid.append((label, config, sys.executable))
        if label in older:
            grid.append((f"{label} before", older[label], before))
    results: dict[str, list[dict]] = {label: [] for label, _, _ in grid}
    with tempfile.TemporaryDirectory() as tmp:
        pool = os.path.join(tmp, "pool.jsonl")
        write_jsonl(pool, n)
        out = os.path.join(tmp, "out.jsonl")
        for i in range(runs):
            for label, (workers, extra), python in grid:
                result = run_cli(pool, out, workers, extra, python=python)
                result["bytes"] = os.path.getsize(out)
                os.remove(out)
                results[label].append(result)
                print(f"  run {i + 1}: {label:<18} {result['rate']:>7,.0f} profiles/s",
                      file=sys.stderr, flush=True)  # fmt: skip
    return results


def _median(values) -> float:
    return statistics.median(values)


def calls_per_profile(profiles: list[dict]) -> dict[str, float]:
    """Calls into durable's C core per profile, counted by wrapping the driver's functions."""
    from pmpath import Engine
    from pmpath.inference import rete

    counts = {"assert_fact": 0, "complete_and_start_action": 0, "retract_facts": 0}
    real = rete._dre

    def counted(name: str):
        fn = getattr(real, name)

        def call(*args):
            counts[name] += 1
            return fn(*args)

        return call

    names = [n for n in dir(real) if not n.startswith("__")]
    rete._dre = types.SimpleNamespace(
        **{n: counted(n) if n in counts else getattr(real, n) for n in names}
    )
    try:
        engine = Engine.load()
        fired = sum(len(engine.recommend(p).fired) for p in profiles)
    finally:
        rete._dre = real
    out = {name: count / len(profiles) for name, count in counts.items()}
    out["rules fired"] = fired / len(profiles)
    return out


def shared_breakdowns(profiles: list[dict], runs: int = 5) -> list[tuple[float, float]]:
    """``assess`` + compact JSON per recommendation, µs, with one `ScoreBreakdown` per
    distinct set of counts (shipped) and with one per fit (as before): paired runs."""
    from pmpath import Engine
    from pmpath.results import score

    engine = Engine.load()
    recs = [engine.recommend(p) for p in profiles]
    shared = score._shared_breakdown
    pairs = []
    try:
        for _ in range(runs):
            pair = []
            for make in (score._make_breakdown, shared):
                score._shared_breakdown = make
                start = time.perf_counter()
                for rec in recs:
                    score.assess(rec, "senior_pm").to_json(indent=None)
                pair.append((time.perf_counter() - start) / len(recs) * 1e6)
            pairs.append(tuple(pair))
    finally:
        score._shared_breakdown = shared
    return pairs


def stages(lines: list[str], runs: int = 3) -> dict[str, float]:
    """µs per profile of each stage of a recommendation, each timed alone (best of ``runs``)."""
    from pmpath import Engine
    from pmpath.profile.checker import check_profile
    from pmpath.profile.fields import sections
    from pmpath.profile.reader import parse_profile
    from pmpath.results.recommendation import Recommendation
    from pmpath.results.summary import summary_json

    engine = Engine.load()
    out: dict[str, float] = {}

    def timed(label: str, call, items: list) -> list:
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            results = [call(item) for item in items]
            best = min(best, time.perf_counter() - start)
        out[label] = best / len(items) * 1e6
        return results

    profiles = timed("parse the JSON line", lambda text: parse_profile(text, "x", "json"), lines)
    checked = timed("validate + normalise", check_profile, profiles)
    done = timed("implications", engine.complete, checked)
    derived = timed("derived fields", lambda d: engine.derive(d[0]), done)
    pairs = [(d[0], dv) for d, dv in zip(done, derived, strict=True)]
    facts = timed("encode the fact", lambda p: engine._encoder.encode(*p), pairs)
    fired = timed("durable", lambda fact: engine._session.run_encoded(fact), facts)
    timed("reference evaluator", lambda p: engine.infer_reference(*p), pairs)
    import straightline

    decide = straightline.load(engine.model.ruleset, engine.compiled.silent)
    facts_of = [sections(*p) for p in pairs]
    timed("straight-line rules (limit)", decide, facts_of)
    made = [(d, dv, tuple(f)) for (d, dv), f in zip(pairs, fired, strict=True)]

    def fresh(item) -> Recommendation:  # nothing computed yet
        return Recommendation(engine.model, item[0], item[1], item[2])

    timed("summary JSON", lambda item: summary_json(fresh(item)), made)
    timed("output v1 compact JSON", lambda item: fresh(item).to_json(indent=None), made)
    return out


def against_the_limit(lines: list[str], runs: int = 3) -> dict[str, list[float]]:
    """In-process scoring of JSONL records end to end (parse, validate, infer,
    serialise), profiles/s per run, with each way of inferring: durable_rules, the
    reference evaluator, and the rules as straight-line Python (`straightline`, the
    limit; held to the reference evaluator's answers first)."""
    import straightline

    from pmpath import Engine
    from pmpath.batch.scorer import Scorer
    from pmpath.profile.fields import sections

    engine = Engine.load()
    decide = straightline.load(engine.model.ruleset, engine.compiled.silent)
    prepared = [engine.prepare(json.loads(line)) for line in lines[:2000]]
    straightline.check(engine, prepared)
    limit = Engine(engine.model)  # the same engine, inferring with the generated code
    limit.infer = lambda normalised, derived: tuple(decide(sections(normalised, derived)))
    records = [("jsonl", "pool.jsonl", i + 1, line.encode()) for i, line in enumerate(lines)]
    scorers = {}
    for detail in ("summary", "full"):
        for label, kwargs in (
            ("durable", {"engine": engine}),
            ("reference", {"engine": engine, "evaluator": "reference"}),
            ("limit", {"engine": limit}),
        ):
            scorer = Scorer(engine.model, detail=detail, **kwargs)
            scorer.setup()
            for record in records[:300]:  # warm
                scorer.run(record)
            scorers[f"{detail} {label}"] = scorer
    rates: dict[str, list[float]] = {label: [] for label in scorers}
    for _ in range(runs):
        for label, scorer in scorers.items():
            start = time.perf_counter()
            for record in records:
                scorer.run(record)
            rates[label].append(len(records) / (time.perf_counter() - start))
    return rates


def in_process(profiles: list[dict]) -> dict[str, tuple[float, float]]:
    from pmpath import Engine

    engine = Engine.load()
    for p in profiles[:200]:  # warm: caches of the compact JSON, the fastjsonschema code
        engine.recommend(p).to_json(indent=None)
    out = {}
    for label, call in (
        ("Engine.recommend", engine.recommend),
        ("Engine.fit (senior_pm)", lambda p: engine.fit(p, "senior_pm")),
        ("recommend + to_json", lambda p: engine.recommend(p).to_json(indent=None)),
    ):
        times = []
        for p in profiles:
            t = time.perf_counter()
            call(p)
            times.append(time.perf_counter() - t)
        times.sort()
        out[label] = (_median(times) * 1e3, times[int(len(times) * 0.99)] * 1e3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20000, help="profiles per batch run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=3000, help="profiles for the in-process part")
    parser.add_argument(
        "--before",
        metavar="PYTHON",
        help="the Python of an environment with an older pmpath: its batch runs interleaved",
    )
    args = parser.parse_args(argv)
    print(machine())
    profiles = list(synthetic_profiles(args.calls, seed=13))
    print(f"\nin-process, {len(profiles):,} generated profiles (median, p99 per call):")
    for label, (median, p99) in in_process(profiles).items():
        print(f"  {label:<24} {median:6.3f} ms   p99 {p99:6.3f} ms")
    lines = [json.dumps(p) for p in profiles]
    print(f"\nstages, {len(lines):,} profiles, each timed alone (best of 3), µs per profile:")
    for label, micros in stages(lines).items():
        print(f"  {label:<28} {micros:7.1f}")
    pairs = shared_breakdowns(profiles)
    ratios = [old / new for old, new in pairs]
    print(
        "  fit + JSON, one ScoreBreakdown per fit / shared: "
        f"{_median(p[0] for p in pairs):,.0f} / {_median(p[1] for p in pairs):,.0f} µs, "
        f"ratio {_median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
    )
    limits = against_the_limit(lines)
    print(f"\nin-process scoring, {len(lines):,} JSONL records end to end, profiles/s (spread):")
    for label, rates in limits.items():
        print(f"  {label:<18} {_median(rates):>7,.0f} ({min(rates):,.0f}-{max(rates):,.0f})")
    for detail in ("summary", "full"):
        for who in ("durable", "reference"):
            ratios = [
                a / b
                for a, b in zip(limits[f"{detail} {who}"], limits[f"{detail} limit"], strict=True)
            ]
            print(
                f"  {detail} {who} / straight-line limit: {_median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
    print("\ncalls into durable_rules per profile:")
    for name, value in calls_per_profile(profiles).items():
        print(f"  {name:<26} {value:6.2f}")
    print(f"\npmpath batch, {args.n:,} generated profiles, {args.runs} interleaved runs:")
    results = batch_rates(args.n, args.runs, args.before)
    rate = {label: _median(r["rate"] for r in rows) for label, rows in results.items()}
    for label, rows in results.items():
        rates = [r["rate"] for r in rows]
        print(
            f"  {label:<18} {rate[label]:>7,.0f} profiles/s ({min(rates):,.0f}-{max(rates):,.0f})"
            f"  {_median(r['bytes'] for r in rows) / args.n:>8,.0f} bytes/record"
            f"  peak RSS {max(r['maxrss_kb'] for r in rows) / 1024:4.0f} MB"
            f"  parent CPU {_median(r['parent_cpu'] / r['cpu'] for r in rows):4.0%} of all"
        )

    def pairs(a: str, b: str) -> str:
        ratios = [x["rate"] / y["rate"] for x, y in zip(results[a], results[b], strict=True)]
        return f"{_median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"

    print("\nratios (median of the per-run ratios, spread):")
    print(f"  summary 2 workers / 1 worker   {pairs('summary 2w', 'summary 1w')}  (issue: >= 1.8)")
    print(f"  full 2 workers / 1 worker      {pairs('full 2w', 'full 1w')}")
    print(f"  time with --role / without     {pairs('full 1w', 'role 1w')}  (issue: <= 1.5)")
    print(f"  summary / full, 1 worker       {pairs('summary 1w', 'full 1w')}")
    print(f"  durable full / reference full  {pairs('full 1w', 'reference 1w')}")
    for label in BEFORE_CONFIGS:
        if f"{label} before" in results:
            name = f"{label} after / before"
            print(f"  {name:<31}{pairs(label, label + ' before')}")
    print("\ntargets (issue): summary 1 worker >= 10,000/s, full >= 6,000/s; "
          f"here {rate['summary 1w']:,.0f} and {rate['full 1w']:,.0f}")  # fmt: skip
    json.dump({"rates": rate}, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
