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


def worker(path: str) -> None:
    import resource

    from smarketing.ingest.formats import parse_file

    began = time.perf_counter()
    records = errors = 0
    with parse_file(path, format="auto") as parsed:
        for result in parsed:
            records += len(result.records)
            errors += len(result.errors)
        rows = parsed.stats.rows_read
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{rows} {records} {errors} {seconds:.3f} {peak_kib}")


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
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - began:.1f}s")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
            os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"),
            os.environ.get("PYTHONPATH"),
        ]))}  # fmt: skip
        rates, peaks = [], []
        for run in range(1, args.runs + 1):
            out = subprocess.run(
                [sys.executable, __file__, "--worker", path],
                check=True, capture_output=True, text=True, env=env,
            ).stdout.split()  # fmt: skip
            rows, records, errors, seconds, peak_kib = (
                int(out[0]), int(out[1]), int(out[2]), float(out[3]), int(out[4]),
            )  # fmt: skip
            rates.append(rows / seconds)
            peaks.append(peak_kib / 1024)
            print(
                f"run {run}: {rows:,} rows, {records:,} records, {errors} errors in "
                f"{seconds:.1f}s = {rows / seconds:,.0f} rows/s, peak RSS {peak_kib / 1024:.0f} MiB"
            )
        print(
            f"median: {statistics.median(rates):,.0f} rows/s, "
            f"peak RSS {statistics.median(peaks):.0f} MiB "
            f"({args.rows:,} rows / {statistics.median(rates):,.0f} = "
            f"{args.rows / statistics.median(rates):.0f}s)"
        )


if __name__ == "__main__":
    main()
