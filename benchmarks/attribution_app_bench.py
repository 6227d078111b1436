"""Benchmark: the attribution page over real HTTP on a demo company (stored path set).

Run (after ``smarketing demo --size medium --no-serve`` into the same data directory)::

    SMARKETING_DATA_DIR=/tmp/attrmed .venv/bin/python benchmarks/attribution_app_bench.py \
        [--port 8140] [--runs 3] [--levels channel,campaign,content] [--models ...]

(``DATABASE_URL=postgres://…`` measures PostgreSQL instead of the SQLite file.)

The script starts ``smarketing serve`` on ``--port`` (waitress, as in production), logs in
as the demo's marketing manager and times, with ``requests`` over HTTP:

- **first view after a data change**: per model and level, a new touchpoint is written
  (ORM, in this process), the path set catches up (``pathset.catch_up()``, what the
  worker does within seconds; timed separately), and the page is requested: the stored
  path set's version changed, so no cache (report cache, memoised paths) can answer;
- **switch model**: the other models on the same level, after that first view;
- **switch level**: the first view of another level at the same version;
- **repeat**: the same URL again (cached report).

Each figure is the median (and max) of ``--runs`` rounds; the load average is printed with
each line (the machine is shared). ``--rebuild`` times a full ``pathset.rebuild()`` first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time

MODELS = (
    "markov",
    "shapley",
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:6.0f} ms, max {max(xs) * 1000:6.0f} ms"


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "smarketing.cli", "serve", "--port", str(port), "--threads", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import requests

    for _ in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=2)
            return proc
        except requests.ConnectionError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def login(base: str, user: str, password: str):
    import requests

    s = requests.Session()
    s.get(f"{base}/login/")
    r = s.post(
        f"{base}/login/",
        data={"username": user, "password": password,
              "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/"},
    )  # fmt: skip
    r.raise_for_status()
    return s


def get(session, url: str) -> float:
    started = time.perf_counter()
    r = session.get(url)
    elapsed = time.perf_counter() - started
    if r.status_code != 200 or b'id="credit-table"' not in r.content:
        raise SystemExit(f"{url}: HTTP {r.status_code}, no credit table:\n{r.text[:500]}")
    return elapsed


def in_process(args) -> None:
    """The page's report computed in this process with every cache cleared (a first view):
    wall time and CPU time (``process_time``; on a loaded machine the CPU time is what an
    idle machine's wall time would be, the work being single-threaded)."""
    from django.core.cache import cache

    from smarketing.attribution import selectors, stored

    for level in args.levels.split(","):
        for model in args.models.split(","):
            walls, cpus = [], []
            for _ in range(args.runs):
                stored.clear()
                cache.clear()
                query = selectors.parse_query(
                    {"model": model, "by": level, "conversion": args.conversion}
                )
                w0, c0 = time.perf_counter(), time.process_time()
                data = selectors.report(query)
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
                assert data["result"] is not None, data
            print(f"in process, first view {level:9s} {model:16s} wall {stats(walls)}; "
                  f"CPU {stats(cpus)}; {load()}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8140)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--levels", default="channel,campaign,content")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--conversion", default="won")
    parser.add_argument("--user", default="maria")
    parser.add_argument("--password", default="smarketing-demo")
    parser.add_argument("--rebuild", action="store_true", help="time a full rebuild first")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the in-process report timing (wall and CPU), no server")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.db import connection

    from smarketing.attribution import pathset
    from smarketing.attribution.models import JourneyPath
    from smarketing.crm.models import Contact, Touchpoint

    print(
        f"database: {connection.vendor}; contacts {Contact.objects.count():,}, "
        f"touchpoints {Touchpoint.objects.count():,}; conversion {args.conversion}; "
        f"{args.runs} rounds; {os.cpu_count()} cores; {load()}",
        flush=True,
    )
    if args.rebuild or not pathset.is_built():
        started = time.perf_counter()
        rows = pathset.rebuild()
        print(f"rebuild: {rows:,} paths ({JourneyPath.objects.count():,} level rows) in "
              f"{time.perf_counter() - started:.1f} s; {load()}", flush=True)  # fmt: skip
    pathset.catch_up()
    in_process(args)
    if args.cpu_only:
        return
    contact = Contact.objects.filter(touchpoints__isnull=False).order_by("-id").first()
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(args.port)
    made: list[int] = []
    try:
        session = login(base, args.user, args.password)
        models = args.models.split(",")
        levels = args.levels.split(",")
        url = f"{base}/attribution/?conversion={args.conversion}"
        get(session, f"{url}&model=linear")  # warm the server process (imports, DuckDB)
        catch_ups: list[float] = []
        for level in levels:
            for model in models:
                firsts, switches, repeats = [], [], []
                for _ in range(args.runs):
                    made.append(Touchpoint.objects.create(
                        kind="page_view", contact=contact, channel="Direct",
                        occurred_at=dt.datetime.now(dt.UTC),
                    ).pk)  # fmt: skip
                    started = time.perf_counter()
                    pathset.catch_up()
                    catch_ups.append(time.perf_counter() - started)
                    page = f"{url}&model={model}&by={level}"
                    firsts.append(get(session, page))
                    other = models[(models.index(model) + 1) % len(models)]
                    switches.append(get(session, f"{url}&model={other}&by={level}"))
                    repeats.append(get(session, page))
                print(f"{level:9s} {model:16s} first view after a change: {stats(firsts)}; "
                      f"switch model: {stats(switches)}; repeat: {stats(repeats)}; {load()}",
                      flush=True)  # fmt: skip
        switch_level = []
        for _ in range(args.runs):
            made.append(Touchpoint.objects.create(kind="page_view", contact=contact,
                        channel="Direct", occurred_at=dt.datetime.now(dt.UTC)).pk)  # fmt: skip
            pathset.catch_up()
            get(session, f"{url}&model=markov&by={levels[0]}")
            for level in levels[1:]:
                switch_level.append(get(session, f"{url}&model=markov&by={level}"))
        print(f"switch level (markov, {', '.join(levels[1:])}): {stats(switch_level)}; {load()}")
        print(f"catch-up of one new touch (the worker): {stats(catch_ups)}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        Touchpoint.objects.filter(pk__in=made).delete()  # the benchmark's touches only
        pathset.mark(contacts=[contact.pk])
        pathset.catch_up()


if __name__ == "__main__":
    main()
