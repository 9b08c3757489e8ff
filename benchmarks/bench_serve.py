"""The HTTP service against the in-process call, side by side in one run (on demand, not in CI).

    python benchmarks/bench_serve.py                      # 2,000 requests per setting
    python benchmarks/bench_serve.py --requests 5000 --rounds 3

Starts ``pmpath serve`` (a real subprocess, loopback only, a free port) with 1
and then 2 workers, and sends ``POST /v1/recommend`` at concurrency 1 (one
keep-alive connection, one request at a time) and 8 (eight connections), from
one asyncio client process that speaks HTTP/1.1 on raw sockets (so the client
costs as little as it can). In the same run it times, in this process, the
call the service makes for each request:

- ``Engine.recommend``: the decision alone;
- ``+ to_json``: the decision serialised, as every answer needs;
- ``Service.recommend``: request bytes to answer bytes (parse, check, decide,
  serialise, envelope), what a worker does apart from HTTP.

It prints requests/s and p50/p99 latency per setting, and the service's p50 at
concurrency 1 minus each in-process p50: the target (issue 13) is at most
1 ms over the in-process call. Profiles are seeded and varied (every rung).
With ``--rounds`` above 1 each setting is measured that many times, alternating,
and the spread (min-max of the medians) is printed: this machine is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_api import tiered_profiles

from pmpath import Engine, __version__
from pmpath.serve.service import Service

TARGET_OVERHEAD_MS = 1.0
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")


def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pmpath.cli.main",
            "serve",
            "--port",
            "0",
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PMPATH_TOKEN"},
    )
    deadline = time.monotonic() + 120
    for line in process.stdout:
        match = _LISTENING.search(line)
        if match:
            return process, int(match.group(1))
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit(f"pmpath serve did not start: {line}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


async def _connection(port: int, bodies: list[bytes], times: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            request = (
                b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            ) + body
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
            answer = await reader.readexactly(length)
            times.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected answer: {head[:40]!r} {answer[:200]!r}")
    finally:
        writer.close()


def load(port: int, bodies: list[bytes], concurrency: int) -> dict:
    """Send every body, ``concurrency`` connections at a time; latencies and rate."""
    times: list[float] = []
    shares = [bodies[i::concurrency] for i in range(concurrency)]

    async def run() -> None:
        await asyncio.gather(*(_connection(port, share, times) for share in shares))

    started = time.perf_counter()
    asyncio.run(run())
    wall = time.perf_counter() - started
    return summary(times, wall)


def summary(times: list[float], wall: float | None = None) -> dict:
    ordered = sorted(times)
    out = {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }
    out["rate"] = len(times) / wall if wall else 1000 / out["p50"]
    return out


def in_process(profiles: list[dict]) -> dict[str, dict]:
    engine = Engine.load()
    service = Service(engine, max_batch=1000)
    bodies = [json.dumps({"input": p}).encode() for p in profiles]
    calls = {
        "Engine.recommend": lambda i: engine.recommend(profiles[i]),
        "+ to_json": lambda i: engine.recommend(profiles[i]).to_json(indent=None),
        "Service.recommend": lambda i: service.recommend(bodies[i], "bench"),
    }
    out = {}
    for name, call in calls.items():
        for i in range(min(200, len(profiles))):  # warm
            call(i)
        times = []
        for i in range(len(profiles)):
            started = time.perf_counter()
            call(i)
            times.append(time.perf_counter() - started)
        out[name] = summary(times)
    engine.close()
    return out


def label(workers: int) -> str:
    return f"{workers} worker{'s' * (workers > 1)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per setting")
    parser.add_argument("--rounds", type=int, default=1, help="measure each setting this often")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    profiles = tiered_profiles(args.requests, args.seed)
    bodies = [json.dumps({"input": p}).encode() for p in profiles]
    print(
        f"pmpath {__version__} · Python {platform.python_version()} · {os.cpu_count()} cores · "
        f"{args.requests} requests per setting · {args.rounds} round(s)"
    )
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for name, value in in_process(profiles).items():
            results.setdefault(f"in-process {name}", []).append(value)
        for workers in (1, 2):
            process, port = start_server(workers)
            try:
                load(port, bodies[: min(300, len(bodies))], 1)  # warm: connections, caches
                for concurrency in (1, 8):
                    key = (
                        f"service, {workers} worker{'s' * (workers > 1)}, concurrency {concurrency}"
                    )
                    results.setdefault(key, []).append(load(port, bodies, concurrency))
            finally:
                stop_server(process)
    print(f"{'':52} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 spread':>12}")
    medians = {}
    for key, runs in results.items():
        p50s = [r["p50"] for r in runs]
        medians[key] = statistics.median(p50s)
        rate = statistics.median(r["rate"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        spread = f"{min(p50s):.3f}-{max(p50s):.3f}" if len(runs) > 1 else "-"
        print(f"{key:52} {rate:8.0f} {medians[key]:8.3f} {p99:8.3f} {spread:>12}")
    print()
    for workers in (1, 2):
        service = medians[f"service, {label(workers)}, concurrency 1"]
        for name in ("Engine.recommend", "+ to_json", "Service.recommend"):
            added = service - medians[f"in-process {name}"]
            print(
                f"{label(workers)}, concurrency 1: service p50 adds "
                f"{added:.3f} ms over in-process {name} (target <= {TARGET_OVERHEAD_MS} ms over "
                "Engine.recommend)"
            )


if __name__ == "__main__":
    main()
