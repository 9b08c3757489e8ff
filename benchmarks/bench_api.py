"""In-process latency of the embedding API after load (run on demand, not in CI).

    python benchmarks/bench_api.py                 # 3,000 profiles
    python benchmarks/bench_api.py -n 10000 --seed 3

Loads the shipped knowledge once, then times every call on its own over a
few thousand seeded synthetic profiles (every rung, all kinds of work, near
misses) and prints the median, p90 and p99 per call for:

- ``recommend``: validate + infer (durable_rules, lean driver) -> Recommendation
- ``recommend + to_dict`` / ``+ to_json``: the same, serialised (output v1)
- ``fit``: recommend + role-fit explanation, senior_pm opening; with a growth
  specialization; and ``+ to_json``
- ``AuditLog.record``: one fit decision appended to an audit log

The target (issue 6): median under 1 ms per ``recommend``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable

from pmpath import AuditLog, Engine, __version__

WORK = ("feature", "growth", "scaling", "pmf_expansion")
TARGET_MEDIAN_MS = 1.0


def tiered_profiles(n: int, seed: int) -> list[dict]:
    """Seeded profiles aimed at every rung (0 aspiring ... 6 CPO), with noise."""
    rnd = random.Random(seed)

    def near(value: float) -> float:
        return max(0.0, round(value * rnd.uniform(0.6, 1.4), 1))

    out = []
    for i in range(n):
        tier = rnd.randint(0, 6)
        product = 0.0 if tier == 0 else near([0, 1, 3, 6, 9, 12, 16][tier])
        total = round(product + near(rnd.choice([0, 1, 3, 6])), 1)

        def chance(base: float, tier: int = tier) -> bool:
            return rnd.random() < min(0.95, base + 0.22 * tier)

        left, work = product, {}
        for kind in rnd.sample(WORK, rnd.randint(1, 4)):
            years = round(left * rnd.random(), 1)
            work[kind] = years
            left -= years
        out.append(
            {
                "id": f"bench-{i:06d}",
                "experience": {
                    "total_years": total,
                    "product_years": product,
                    "people_management_years": min(total, near([0, 0, 0, 1, 3, 6, 9][tier])),
                },
                "work": work,
                "scope": {
                    "leads_pms": chance(-0.3),
                    "pm_reports": max(0, tier - 2 + rnd.randint(-1, 2)),
                    "managers_reporting": max(0, tier - 4 + rnd.randint(-1, 1)),
                    "cross_functional_reports": chance(-0.5),
                    "owns_roadmap": chance(0.1),
                    "owns_vision": chance(-0.6),
                    "strategy_horizon_months": rnd.choice([0, 1, 3, 6, 12, 18, 36, 48][tier:][:2]),
                    "presents_to_executives": chance(-0.1),
                    "owns_budget": chance(-0.6),
                    "portfolio_products": max(0, tier - 4 + rnd.randint(0, 2)),
                    "external_partnerships": chance(-0.8),
                },
                "strengths": {
                    k: rnd.randint(1, 5)
                    for k in ("technical_data", "communication", "problem_solving")
                    if rnd.random() < 0.7
                },
                "track_record": {
                    "launches": max(0, tier * 2 + rnd.randint(-2, 3)),
                    "certification": rnd.random() < 0.3,
                    "apm_program": tier <= 1 and rnd.random() < 0.3,
                    "mentors_pms": max(0, tier - 2 + rnd.randint(-1, 1)),
                },
            }
        )
    return out


def pool(n: int, seed: int) -> tuple[list[dict], str]:
    """The batch benchmark's candidate pool when it is there (same numbers), else our own."""
    try:
        from bench_batch import synthetic_profiles  # benchmarks/ is on sys.path
    except ImportError:
        return tiered_profiles(n, seed), "bench_api.tiered_profiles"
    return list(synthetic_profiles(n, seed)), "bench_batch.synthetic_profiles"


def timed(call: Callable[[dict], object], profiles: list[dict]) -> list[float]:
    """Seconds per call, one measurement per profile."""
    clock = time.perf_counter_ns
    out = []
    for profile in profiles:
        start = clock()
        call(profile)
        out.append((clock() - start) / 1e9)
    return out


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="profiles (default 3000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    engine = Engine.load()
    load_s = time.perf_counter() - start
    profiles, source = pool(args.n, args.seed)
    levels = Counter(engine.recommend(p).level for p in profiles)  # also warms up

    tmp = tempfile.mkdtemp(prefix="pmpath-bench-")
    audit = AuditLog(os.path.join(tmp, "audit.jsonl"))
    fits = {id(p): engine.fit(p, "senior_pm", "growth").to_dict() for p in profiles}
    kv = engine.knowledge_version

    cases: list[tuple[str, Callable[[dict], object]]] = [
        ("recommend", engine.recommend),
        ("recommend + to_dict", lambda p: engine.recommend(p).to_dict()),
        ("recommend + to_json", lambda p: engine.recommend(p).to_json(indent=None)),
        ("fit senior_pm", lambda p: engine.fit(p, "senior_pm")),
        ("fit senior_pm growth", lambda p: engine.fit(p, "senior_pm", "growth")),
        ("fit + to_json", lambda p: engine.fit(p, "senior_pm", "growth").to_json(indent=None)),
        ("AuditLog.record (fit)", lambda p: audit.record("fit", p, fits[id(p)], kv)),
    ]
    print(f"pmpath {__version__} · Python {platform.python_version()} · {platform.machine()}")
    print(f"{platform.platform()} · {os.cpu_count()} cores · {platform.processor() or '?'}")
    print(f"Engine.load(): {load_s * 1000:.0f} ms; {len(profiles)} profiles from {source}")
    print("levels: " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items())))
    print()
    print(f"{'per call':<24}{'median':>10}{'p90':>10}{'p99':>10}{'calls/s':>10}")
    results = {}
    for name, call in cases:
        seconds = timed(call, profiles)
        med = statistics.median(seconds)
        results[name] = med
        print(
            f"{name:<24}{med * 1e3:>8.3f}ms{quantile(seconds, 0.9) * 1e3:>8.3f}ms"
            f"{quantile(seconds, 0.99) * 1e3:>8.3f}ms{1 / statistics.fmean(seconds):>10.0f}"
        )
    audit.close()
    print()
    rec = results["recommend"] * 1e3
    verdict = "meets" if rec < TARGET_MEDIAN_MS else "MISSES"
    print(f"recommend median {rec:.3f} ms: {verdict} the {TARGET_MEDIAN_MS:g} ms target")
    print(f"fit / recommend: {results['fit senior_pm growth'] / results['recommend']:.1f}×")
    engine.close()
    return 0 if rec < TARGET_MEDIAN_MS else 1


if __name__ == "__main__":
    sys.exit(main())
