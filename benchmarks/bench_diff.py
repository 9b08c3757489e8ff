"""``pmpath diff`` against ``pmpath batch`` on the same pool, in the same run (on demand).

    python benchmarks/bench_diff.py            # 10k and 100k profiles, 3 interleaved runs
    python benchmarks/bench_diff.py --quick    # 10k and 20k, one run

The change diffed is the one from issue 10: ``senior_pm_min_product_years``
lowered from 5 to 4 in a copy of the shipped knowledge. Both commands run as
real subprocesses with the same number of workers, one after the other (batch,
diff, batch, diff, ...), so a machine that drifts slows both alike. Printed:
medians with their spread, the diff/batch wall-time ratio of each pair (target:
at most 2.5, since diff runs two engines), and the peak RSS of the largest
process of each (target: flat between the two sizes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _bench_batch():
    spec = importlib.util.spec_from_file_location("bench_batch", HERE / "bench_batch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed_knowledge(to: Path) -> Path:
    knowledge = to / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py"))
    path = knowledge / "thresholds.yaml"
    old = "  - id: senior_pm_min_product_years\n    value: 5"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, "  - id: senior_pm_min_product_years\n    value: 4"))
    return knowledge


def _probe(bb, cmd: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", bb._RSS_PROBE, *cmd], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[2:5])} failed:\n{result['stderr']}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 20k, one run")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    bb = _bench_batch()
    sizes = (10_000, 20_000) if args.quick else (10_000, 100_000)
    runs = args.runs or (1 if args.quick else 3)
    pmpath = [sys.executable, "-m", "pmpath.cli.main"]
    print(f"machine: {bb.machine()}")
    print(f"workers: {args.workers}, runs: {runs} (interleaved)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        knowledge = _changed_knowledge(tmp)
        for n in sizes:
            pool = tmp / f"pool-{n}.jsonl"
            bb.write_jsonl(str(pool), n)
            w = ["--workers", str(args.workers)]
            batch = [*pmpath, "batch", str(pool), "-o", str(tmp / "out.jsonl"), *w]
            diff = [*pmpath, "diff", str(pool), "--base-knowledge", str(ROOT / "knowledge")]
            diff += ["--knowledge", str(knowledge), "--format", "json"]
            diff += ["-o", str(tmp / "diff.json"), *w]
            pairs = []
            for i in range(runs):
                b, d = _probe(bb, batch), _probe(bb, diff)
                pairs.append((b, d))
                print(
                    f"  run {i + 1}: {n:>7,} profiles  batch {b['elapsed']:6.2f} s  "
                    f"diff {d['elapsed']:6.2f} s  ratio {d['elapsed'] / b['elapsed']:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
            ratios = [d["elapsed"] / b["elapsed"] for b, d in pairs]
            row = {
                "profiles": n,
                "batch_rate": statistics.median(n / b["elapsed"] for b, _ in pairs),
                "diff_rate": statistics.median(n / d["elapsed"] for _, d in pairs),
                "ratio": statistics.median(ratios),
                "ratio_spread": (min(ratios), max(ratios)),
                "batch_rss_mb": max(b["maxrss_kb"] for b, _ in pairs) / 1024,
                "diff_rss_mb": max(d["maxrss_kb"] for _, d in pairs) / 1024,
            }
            rows.append(row)
            report = json.loads((tmp / "diff.json").read_text())["summary"]
            print(
                f"{n:>9,} profiles: batch {row['batch_rate']:>7,.0f}/s, diff "
                f"{row['diff_rate']:>7,.0f}/s, diff/batch wall {row['ratio']:.2f} "
                f"({row['ratio_spread'][0]:.2f}-{row['ratio_spread'][1]:.2f}); peak RSS "
                f"batch {row['batch_rss_mb']:.0f} MB, diff {row['diff_rss_mb']:.0f} MB; "
                f"{report['requirements_changed']:,} requirements changed, "
                f"{report['level_changed']:,} levels",
                flush=True,
            )
    small, large = rows[0], rows[-1]
    print(
        f"diff peak RSS {small['diff_rss_mb']:.0f} MB at {small['profiles']:,} -> "
        f"{large['diff_rss_mb']:.0f} MB at {large['profiles']:,} "
        f"({large['diff_rss_mb'] / small['diff_rss_mb']:.2f}x)"
    )


if __name__ == "__main__":
    main()
