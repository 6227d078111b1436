"""Batch event ingest throughput into PostgreSQL: the bulk function and the real HTTP endpoints.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/ingest_bench.py [--events 100000] [--runs 3]

Creates (and drops) a scratch database ``smarketing_ingest_bench`` on that server, migrates it,
adds 2,000 contacts, then for each run:

1. **bulk**: ``parse_server_event`` + ``do_ingest_events`` in batches of 1,000 (half the events
   name a known contact by email, half are anonymous page views), then the same batches again
   (the idempotent retry: must add nothing);
2. **http api**: the same through ``POST /api/ingest/events`` (token auth) served by waitress
   (4 threads) in a separate process, two client threads;
3. **http collect**: browser events through the public ``POST /ingest/collect``.

Prints touchpoints/s per path (median of the runs) and checks that every retry added nothing.
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
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BATCH = 1000
BENCH_DB = "smarketing_ingest_bench"


def _setup(base_url: str) -> str:
    import psycopg

    parts = urlsplit(base_url)
    admin = psycopg.connect(base_url, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    admin.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    url = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SMARKETING_DATA_DIR", tempfile.mkdtemp(prefix="ingest-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _events(run: int, n: int, kind: str) -> list[list[dict]]:
    batches = []
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            if kind == "server":
                if i % 2:
                    batch.append({
                        "external_id": f"r{run}-mail-{i}", "kind": "email_click",
                        "occurred_at": "2025-03-04T10:00:00Z", "email": f"p{i % 2000}@bench.io",
                        "source": "newsletter", "medium": "email", "email_subject": "March",
                    })  # fmt: skip
                else:
                    batch.append({
                        "external_id": f"r{run}-ad-{i}", "kind": "ad_click",
                        "occurred_at": "2025-03-04T10:00:00Z", "anonymous_id": f"v{i % 50000}",
                        "source": "google", "medium": "cpc", "keyword": "crm software",
                        "url": "https://www.example.com/landing?utm_source=google",
                    })  # fmt: skip
            else:
                batch.append({
                    "type": "page_view", "anonymous_id": f"v{i % 50000}", "event_id": f"r{run}-{i}",
                    "url": f"https://www.example.com/p/{i % 300}?utm_source=linkedin&utm_medium=paid_social",
                    "referrer": "https://www.linkedin.com/", "title": "Pricing",
                })  # fmt: skip
        batches.append(batch)
    return batches


def _count() -> int:
    from smarketing.crm.models import Touchpoint

    return Touchpoint.objects.count()


def bench_bulk(batches) -> tuple[float, float]:
    from django.utils import timezone

    from smarketing.ingest.actions import do_ingest_events
    from smarketing.ingest.events import parse_server_event

    def run_all():
        now = timezone.now()
        for batch in batches:
            clean = [parse_server_event(raw, i, now=now) for i, raw in enumerate(batch)]
            do_ingest_events(events=clean)

    n = sum(len(b) for b in batches)
    before = _count()
    t0 = time.perf_counter()
    run_all()
    first = n / (time.perf_counter() - t0)
    assert _count() - before == n, "bulk: not every event was stored"
    t0 = time.perf_counter()
    run_all()
    retry = n / (time.perf_counter() - t0)
    assert _count() - before == n, "bulk retry added rows"
    return first, retry


def _post(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def bench_http(url: str, batches, headers: dict, threads: int = 2) -> tuple[float, float]:
    bodies = [json.dumps({"events": b}).encode() for b in batches]
    n = sum(len(b) for b in batches)

    def run_all() -> int:
        with ThreadPoolExecutor(threads) as pool:
            return sum(r["created"] for r in pool.map(lambda b: _post(url, b, headers), bodies))

    before = _count()
    t0 = time.perf_counter()
    created = run_all()
    first = n / (time.perf_counter() - t0)
    assert created == n and _count() - before == n, f"http: stored {created} of {n}"
    t0 = time.perf_counter()
    again = run_all()
    retry = n / (time.perf_counter() - t0)
    assert again == 0 and _count() - before == n, "http retry added rows"
    return first, retry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server (the benchmark creates its own db)")
    url = _setup(base)
    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]

    from smarketing.core.actions import do_create_token, do_create_user
    from smarketing.crm.models import Contact
    from smarketing.ingest.models import TrackingSite

    Contact.objects.bulk_create(Contact(email=f"p{i}@bench.io") for i in range(2000))
    user = do_create_user(username="bench", password="bench-bench-1", role="admin")
    _, token = do_create_token(user=user, name="bench", scopes=["ingest"])
    site = TrackingSite.objects.create(
        name="bench", allowed_origins=["*"], key_rate_limit=0, ip_rate_limit=0
    )
    env = {**os.environ, "DATABASE_URL": url, "DB_CONN_MAX_AGE": "600"}
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{args.port}", "--threads=4",
         "smarketing.config.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    results: dict[str, list[float]] = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        api = f"http://127.0.0.1:{args.port}/api/ingest/events"
        collect = f"http://127.0.0.1:{args.port}/ingest/collect?key={site.public_key}"
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        beacon = {"Content-Type": "text/plain", "Origin": "https://www.example.com"}
        for run in range(args.runs):
            for name, value in zip(
                ("bulk", "bulk retry"), bench_bulk(_events(run, args.events, "server"))
            ):
                results.setdefault(name, []).append(value)
            api_batches = _events(run + 100, args.events, "server")
            for name, value in zip(
                ("http api", "http api retry"), bench_http(api, api_batches, auth)
            ):
                results.setdefault(name, []).append(value)
            web = _events(run + 200, args.events, "browser")
            for name, value in zip(
                ("http collect", "http collect retry"), bench_http(collect, web, beacon)
            ):
                results.setdefault(name, []).append(value)
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()))
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{args.events:,} touchpoints per path per run, batches of {BATCH}, "
          f"median of {args.runs} runs, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for name, values in results.items():
        print(f"  {name:20s} {statistics.median(values):>10,.0f} touchpoints/s")
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    threading.current_thread().name = "bench"
    main()
