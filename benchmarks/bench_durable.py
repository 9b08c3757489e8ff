"""What durable_rules' C core costs for variants of the compiled ruleset (on demand).

    python benchmarks/bench_durable.py            # 2,000 pool profiles, 5 interleaved runs

Asserts each pool profile's fact into each stage's registered ruleset (stage 1's
fact with the flags stage 0 concluded, as the driver makes it), runs every action
it wakes (asserting nothing), and retracts it; prints the median µs per profile
and actions per profile of:

- ``shipped``: the stage as the engine registers it (its fact only: derived
  facts of the stage's own stratum are not asserted here);
- ``no absent $or``: every "test, or not given" (``{"$or": [test, {"$nex": ...}]}``)
  cut to the test alone. The answers are wrong; it bounds what a cheaper encoding
  of unknowns could save;
- ``profile only`` (stage 0): every rule cut to its pattern on the profile fact,
  no joins, as if every derived fact were inlined into field tests.

The variants other than ``shipped`` are measurements, not answers: nothing reads
what their rules conclude.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import durable_rules_engine as dre

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import machine, synthetic_profiles


def _without_absent_or(node):
    if isinstance(node, dict):
        alternatives = node.get("$or")
        if (
            len(node) == 1
            and isinstance(alternatives, list)
            and len(alternatives) == 2
            and isinstance(alternatives[1], dict)
            and "$nex" in alternatives[1]
        ):
            return _without_absent_or(alternatives[0])
        return {k: _without_absent_or(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_absent_or(v) for v in node]
    return node


def _profile_only(definition: dict) -> dict:
    out = {}
    for rule_id, rule in definition.items():
        patterns = [p for p in rule["all"] if '"profile"' in json.dumps(p)]
        if patterns:
            out[rule_id] = {"all": patterns[:1]}
    return out


def _count(node, key: str) -> int:
    if isinstance(node, dict):
        return sum((k == key) + _count(v, key) for k, v in node.items())
    if isinstance(node, list):
        return sum(_count(v, key) for v in node)
    return 0


def run(handle: int, facts: list[str]) -> tuple[float, float]:
    actions = 0
    start = time.perf_counter()
    for message in facts:
        _, state = dre.assert_fact(handle, message)
        started = dre.start_action_for_state(handle, state)
        while started is not None:
            actions += 1
            started = dre.complete_and_start_action(handle, state)
        dre.retract_fact(handle, message)
    return (time.perf_counter() - start) / len(facts) * 1e6, actions / len(facts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="profiles")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from pmpath import Engine
    from pmpath.inference.facts import PROFILE_HEAD
    from pmpath.profile.checker import check_profile

    engine = Engine.load()
    session = engine._session
    facts: dict[int, list[str]] = {i: [] for i in range(len(engine.compiled.stages))}
    for profile in synthetic_profiles(args.n, seed=13):
        completed, _ = engine.complete(check_profile(profile))
        derived = engine.derive(completed)
        first, later = engine._encoder.encode(completed, derived)
        fired = engine.infer(completed, derived)
        for stage in facts:  # each stage's fact as the driver makes it (flags from below)
            head = PROFILE_HEAD % "1"  # the driver writes it, with its state id, before each
            facts[stage].append(
                head + first if stage == 0 else session._stage_fact(head + later, fired)
            )
    variants: dict[str, tuple[int, dict]] = {}
    for i, stage in enumerate(engine.compiled.stages):
        shipped = stage.definition
        variants[f"stage {i}: shipped"] = (i, shipped)
        variants[f"stage {i}: no absent $or"] = (i, _without_absent_or(shipped))
        if i == 0:
            variants["stage 0: profile only"] = (0, _profile_only(shipped))
    handles = {
        label: dre.create_ruleset(f"bench-{i}", json.dumps(copy.deepcopy(d)))
        for i, (label, (_, d)) in enumerate(variants.items())
    }
    times: dict[str, list[float]] = {label: [] for label in variants}
    actions: dict[str, float] = {}
    for _ in range(args.runs):
        for label, handle in handles.items():
            micros, actions[label] = run(handle, facts[variants[label][0]])
            times[label].append(micros)
    print(machine())
    print(f"\n{args.n:,} pool profiles, {args.runs} interleaved runs; µs per stage fact")
    print("(assert, run its actions, retract), median (spread):")
    for label, (stage, definition) in variants.items():
        base = statistics.median(times[f"stage {stage}: shipped"])
        median = statistics.median(times[label])
        print(
            f"  {label:<24} rules {len(definition):>4}  $or {_count(definition, '$or'):>4}  "
            f"{median:7.1f} µs ({min(times[label]):.1f}-{max(times[label]):.1f})  "
            f"actions {actions[label]:5.1f}  ratio to shipped {median / base:.2f}"
        )
    for handle in handles.values():
        dre.delete_ruleset(handle)


if __name__ == "__main__":
    main()
