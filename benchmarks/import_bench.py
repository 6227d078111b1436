"""Benchmark: import a generated HubSpot contacts export into the database (end to end).

Generates an N-row HubSpot contacts export (the same generator as
``import_parse_bench.py``: property labels, 25 columns, BOM, quoted commas, up to five
"Became a … Date" columns per row, 50,000 companies), then, in a fresh process per run and
on an empty database, runs ``smarketing import`` 's code path (``do_create_job`` +
``do_run_import``) and reports wall time, CPU time of the importing process and of its
parsing worker, the load average before and after, rows/s, the objects written and the peak
RSS of the importing process.

    # SQLite (a fresh database file per run, under a temporary data dir)
    .venv/bin/python benchmarks/import_bench.py --rows 1000000 --runs 3
    # PostgreSQL (the database is dropped and re-created per run)
    .venv/bin/python benchmarks/import_bench.py --rows 1000000 --runs 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/import_bench
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from import_parse_bench import generate  # noqa: E402


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


class ChildMemory:
    """Peak RSS of this process's children (the parsing worker), sampled every 0.2 s.

    ``getrusage(RUSAGE_CHILDREN)`` would count the parent's image copied by the fork before
    the worker's ``exec``, so the worker's own ``VmHWM`` is read from ``/proc`` instead.
    """

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        pid = os.getpid()
        while not self._stop.wait(0.2):
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as handle:
                    children = handle.read().split()
            except OSError:
                continue
            for child in children:
                try:
                    with open(f"/proc/{child}/status") as status:
                        for line in status:
                            if line.startswith("VmHWM"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass


def worker(path: str, batch_size: int, parallel: bool | None) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from smarketing.crm.models import Account, Contact
    from smarketing.funnel.models import StageChange
    from smarketing.ingest.csvimport.actions import do_create_job, do_run_import

    load_before = os.getloadavg()[0]
    began, began_cpu = time.perf_counter(), time.process_time()
    job = do_create_job(path=path, format="auto")
    with ChildMemory() as child_memory:
        summary = do_run_import(job=job, batch_size=batch_size, parallel=parallel)
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    children = os.times()
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                # The parsing worker process (waited for, so counted here).
                "cpu_parser": children.children_user + children.children_system,
                "load": [load_before, os.getloadavg()[0]],
                "rows": summary["rows_read"],
                "errors": summary["rows_with_errors"],
                "contacts": Contact.objects.count(),
                "accounts": Account.objects.count(),
                "stage_changes": StageChange.objects.count(),
                "peak_rss_mib": _peak_rss_kib() / 1024,
                "peak_rss_parser_mib": child_memory.peak_kib / 1024,
                "objects": summary["objects"],
            }
        )
    )


def _reset_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--file", help="Reuse an already generated export.")
    parser.add_argument(
        "--parse", choices=["auto", "worker", "inline"], default="auto",
        help="Parse in a worker process (default: for files of 16 MiB or more) or inline.",
    )  # fmt: skip
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.batch_size, {"worker": True, "inline": False}.get(args.parse))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or os.path.join(tmp, "contacts.csv")
        if not args.file:
            began = time.perf_counter()
            generate(path, args.rows)
            print(
                f"generated {args.rows:,} rows in {time.perf_counter() - began:.0f} s", flush=True
            )
        results = []
        for run in range(args.runs):
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="smarketing.config.settings")
            env["SMARKETING_DATA_DIR"] = os.path.join(tmp, f"data{run}")
            os.makedirs(env["SMARKETING_DATA_DIR"])
            if args.database_url:
                _reset_postgres(args.database_url)
                env["DATABASE_URL"] = args.database_url
            else:
                env.pop("DATABASE_URL", None)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    path,
                    "--batch-size",
                    str(args.batch_size),
                    "--parse",
                    args.parse,
                ],  # fmt: skip
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            results.append(result)
            print(
                f"run {run + 1}: {result['wall']:.0f} s wall, {result['cpu']:.0f} s CPU "
                f"(+ {result['cpu_parser']:.0f} s in the parsing process), "
                f"load average {result['load'][0]:.1f} → {result['load'][1]:.1f}, "
                f"{result['rows'] / result['wall']:,.0f} rows/s, peak RSS "
                f"{result['peak_rss_mib']:.0f} MiB (parser {result['peak_rss_parser_mib']:.0f} MiB), "
                f"{result['contacts']:,} contacts, "
                f"{result['accounts']:,} accounts, {result['stage_changes']:,} stage changes",
                flush=True,
            )
        walls = [r["wall"] for r in results]
        cpus = [r["cpu"] for r in results]
        print(
            f"median of {len(walls)}: {statistics.median(walls):.0f} s wall "
            f"(runs {', '.join(f'{w:.0f}' for w in walls)}), "
            f"{statistics.median(cpus):.0f} s CPU (runs {', '.join(f'{c:.0f}' for c in cpus)}), "
            f"peak RSS max "
            f"{max(r['peak_rss_mib'] for r in results):.0f} MiB"
        )
        print(json.dumps(results[-1]["objects"]))


if __name__ == "__main__":
    main()
