"""Time `smarketing demo --no-serve` for a size on a fresh SQLite (or given) database.

Usage: python benchmarks/demo_bench.py [--size medium] [--runs 3] [--database-url URL]
Prints each run's wall time and peak RSS of the child process, then the median.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(size: str, database_url: str | None) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SMARKETING_DATA_DIR=tmp)
        cmd = [sys.executable, "-m", "smarketing.cli", "demo", "--no-serve", "--size", size]
        if database_url:
            cmd += ["--database-url", database_url, "--reset"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return elapsed, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    times = []
    for i in range(args.runs):
        elapsed, peak_mb = run_once(args.size, args.database_url)
        times.append(elapsed)
        print(f"run {i + 1}: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB", flush=True)
    print(f"median of {args.runs}: {statistics.median(times):.1f} s (size={args.size}, cores={os.cpu_count()})")


if __name__ == "__main__":
    main()
