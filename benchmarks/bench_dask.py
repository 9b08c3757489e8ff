"""`pmpath batch --engine dask` on 2 local workers against `pmpath batch --workers 2`,
side by side in one run (on demand, not in CI).

    python benchmarks/bench_dask.py                     # 100k and 1M profiles
    python benchmarks/bench_dask.py --sizes 100000 --rounds 3

For each size it writes a seeded synthetic pool (JSONL, streamed: nothing held
in memory), then alternates, ``--rounds`` times:

- **processes**: ``pmpath batch POOL -o OUT --workers 2`` as a subprocess;
- **dask**: a `LocalCluster` of 2 worker processes (one thread each) started in
  this process, then `score_files` into a part directory.

It prints profiles/s (median of the rounds, with the spread), the ratio
dask/processes, the cluster's start time, and peak memory (RSS): of the
processes run's biggest process, of the dask client (this process) and of
each dask worker. The target (issue 15): dask at least as fast as processes on
2 local workers, and flat memory from 100k to 1M.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_batch import write_jsonl

from pmpath import __version__


def mib(kib: int) -> float:
    return kib / 1024


def processes_run(pool: str, out: str) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "batch", pool, "-o", out, "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode()[-2000:])
    return wall, mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def dask_run(pool: str, out: str, block_size: int) -> dict:
    import dask
    from distributed import Client, LocalCluster

    from pmpath.dask import score_files

    started = time.perf_counter()
    # as `pmpath batch --engine dask` starts its own cluster: no sampling profiler
    with (
        dask.config.set({"distributed.worker.profile.enabled": False}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        up = time.perf_counter() - started
        begun = time.perf_counter()
        score_files([pool], out, client=client, block_size=block_size)
        wall = time.perf_counter() - begun
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {
        "wall": wall,
        "start": up,
        "client": mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "workers": sorted(mib(v) for v in workers.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--block-size", type=int, default=2 * 1024 * 1024)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"pmpath {__version__} · Python {platform.python_version()} · {os.cpu_count()} cores · "
        f"sizes {sizes} · {args.rounds} round(s) · block {args.block_size // 1024} KiB"
    )
    print(
        f"{'profiles':>10} {'processes/s':>12} {'dask/s':>10} {'ratio':>6} "
        f"{'start s':>8} {'proc MiB':>9} {'client MiB':>11} {'worker MiB':>14}"
    )
    scratch = tempfile.mkdtemp(prefix="pmpath-bench-dask-")
    try:
        for n in sizes:
            pool = os.path.join(scratch, f"pool-{n}.jsonl")
            write_jsonl(pool, n, args.seed)
            proc_rates, dask_rates, starts, ratios = [], [], [], []
            proc_mem, dask_mem = 0.0, {}
            for _ in range(args.rounds):
                wall, proc_mem = processes_run(pool, os.path.join(scratch, "out.jsonl"))
                proc_rates.append(n / wall)
                parts = os.path.join(scratch, "parts")
                shutil.rmtree(parts, ignore_errors=True)
                dask_mem = dask_run(pool, parts, args.block_size)
                dask_rates.append(n / dask_mem["wall"])
                starts.append(dask_mem["start"])
                ratios.append(dask_rates[-1] / proc_rates[-1])
            spread = f" (ratios {min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
            print(
                f"{n:>10,} {statistics.median(proc_rates):>12,.0f} "
                f"{statistics.median(dask_rates):>10,.0f} {statistics.median(ratios):>6.2f} "
                f"{statistics.median(starts):>8.2f} {proc_mem:>9.0f} {dask_mem['client']:>11.0f} "
                f"{' / '.join(f'{w:.0f}' for w in dask_mem['workers']):>14}{spread}"
            )
            os.remove(pool)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
