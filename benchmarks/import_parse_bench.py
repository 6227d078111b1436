"""Benchmark: parse + normalise a generated HubSpot contacts export (the pure layer only).

Generates an N-row HubSpot contacts export with property labels (default 1,000,000 rows,
25 columns, BOM, quoted commas) to a temporary file, then in a fresh subprocess per run
streams it through ``smarketing.ingest.formats.parse_file`` and consumes every record.
Prints rows/s and the subprocess's peak RSS for each run and the median of the runs.

    .venv/bin/python benchmarks/import_parse_bench.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

HEADERS = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title",
    "Company Name", "Website URL", "Lifecycle Stage", "Lead Status", "Create Date",
    "Original Source", "Original Source Drill-Down 1", "Original Source Drill-Down 2",
    "Contact owner", "Persona", "Became a Lead Date", "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date", "Became an Opportunity Date", "Became a Customer Date",
    "Country/Region", "Industry", "Number of Employees", "Favourite Colour",
]  # fmt: skip
STAGES = ["Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead",
          "Opportunity", "Customer"]  # fmt: skip
SOURCES = ["Organic Search", "Paid Search", "Email Marketing", "Social Media", "Referrals",
           "Direct Traffic", "Offline Sources", "Paid Social", "Other Campaigns"]  # fmt: skip
FIRST = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo", "Kim", "Lena"]
LAST = ["Lee", "Marsh", "Ng", "Oak", "Pine", "Quill", "Reed", "Stone", "Trent", "Ulm"]


def generate(path: str, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(1, rows + 1):
            stage = rng.randrange(len(STAGES))
            created = start + timedelta(minutes=rng.randrange(600_000))
            dates = []
            at = created
            for level in range(1, 6):
                if level <= stage:
                    at = at + timedelta(hours=rng.randrange(1, 400))
                    dates.append(at.strftime("%Y-%m-%d %H:%M"))
                else:
                    dates.append("")
            company = f"Company {i % 50_000}, Inc."
            first, last = rng.choice(FIRST), rng.choice(LAST)
            writer.writerow([
                i, first, last, f" {first}.{last}{i}@Company{i % 50_000}.com", "+1 555 0100",
                "Head of Growth", company, f"https://www.company{i % 50_000}.com/",
                STAGES[stage], "OPEN", created.strftime("%Y-%m-%d %H:%M"), rng.choice(SOURCES),
                "google", "", "Sam Rep", "Marketing Mary", *dates, "Germany", "Software",
                str(rng.randrange(1, 5000)), "teal",
            ])  # fmt: skip


def _peak_rss_kib() -> int:
    # VmHWM is this program's own peak; ru_maxrss can carry the forking parent's peak over exec.
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


def worker(path: str) -> None:
    from smarketing.ingest.formats import parse_file

    began, began_cpu = time.perf_counter(), time.process_time()
    records = errors = 0
    with parse_file(path, format="auto") as parsed:
        for result in parsed:
            records += len(result.records)
            errors += len(result.errors)
        rows = parsed.stats.rows_read
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(f"{rows} {records} {errors} {seconds:.3f} {cpu:.3f} {_peak_rss_kib()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hubspot_contacts.csv")
        began = time.perf_counter()
        generate(path, args.rows)
        size_mb = os.path.getsize(path) / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - began:.1f}s"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
            os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"),
            os.environ.get("PYTHONPATH"),
        ]))}  # fmt: skip
        rates, cpu_rates, peaks = [], [], []
        for run in range(1, args.runs + 1):
            out = subprocess.run(
                [sys.executable, __file__, "--worker", path],
                check=True, capture_output=True, text=True, env=env,
            ).stdout.split()  # fmt: skip
            rows, records, errors = int(out[0]), int(out[1]), int(out[2])
            seconds, cpu, peak_mib = float(out[3]), float(out[4]), int(out[5]) / 1024
            rates.append(rows / seconds)
            cpu_rates.append(rows / cpu)
            peaks.append(peak_mib)
            print(
                f"run {run}: {rows:,} rows, {records:,} records, {errors} errors in "
                f"{seconds:.1f}s wall ({rows / seconds:,.0f} rows/s), {cpu:.1f}s CPU "
                f"({rows / cpu:,.0f} rows/s), peak RSS {peak_mib:.0f} MiB"
            )
        wall = statistics.median(rates)
        print(
            f"median of {args.runs}: {wall:,.0f} rows/s wall ({args.rows / wall:.0f}s for "
            f"{args.rows:,} rows), {statistics.median(cpu_rates):,.0f} rows/s CPU, "
            f"peak RSS {statistics.median(peaks):.0f} MiB"
        )
        print(f"load average during the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
