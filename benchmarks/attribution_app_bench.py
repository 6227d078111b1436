"""Benchmark: attribution in the app (the database adapter + the engine) on a demo company.

Run (after ``smarketing demo --size medium --no-serve`` into the same data directory)::

    SMARKETING_DATA_DIR=/tmp/attrmed .venv/bin/python benchmarks/attribution_app_bench.py \
        [--conversion won] [--by channel] [--repeat 3] [--models linear,markov]

(``DATABASE_URL=postgres://…`` measures PostgreSQL instead of the SQLite file.)

One run of a model = what ``smarketing attribution --model M --json`` does without
``--input``: build the touch and conversion tables in the database (temporary tables from
the adapter's joins), run the engine there, return the credits. Also timed: the web page's
report (the chosen model, the team split and the 10-model comparison), uncached and then
from the cache. Prints the median (min-max) of ``--repeat`` runs per task and the data size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "custom",
    "markov",
    "shapley",
)


def timed(fn, repeat: int) -> tuple[float, float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversion", default="won")
    parser.add_argument("--by", default="channel")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-report", action="store_true", help="skip the page report timing")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.db import connection

    from smarketing.crm.models import Contact, Touchpoint
    from smarketing.attribution import selectors

    print(
        f"database: {connection.vendor}; contacts {Contact.objects.count():,}, "
        f"touchpoints {Touchpoint.objects.count():,}; conversion {args.conversion}, "
        f"by {args.by}; median (min-max) of {args.repeat} runs; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for model in args.models.split(","):
        params = {"model": model, "by": args.by, "conversion": args.conversion}
        if model == "custom":
            params["weights"] = "first=0.3,middle=0.4,last=0.3"
        query = selectors.parse_query(params)
        result = selectors.run(query)
        med, lo, hi = timed(lambda q=query: selectors.run(q), args.repeat)
        print(
            f"{model:16s} {med:7.2f} s  ({lo:.2f}-{hi:.2f})  "
            f"{result.total_conversions:,.0f} conversions, {len(result.credits)} keys"
        )
    if not args.no_report:
        query = selectors.parse_query(
            {"model": "markov", "by": args.by, "conversion": args.conversion}
        )
        med, lo, hi = timed(lambda: selectors.report(query, use_cache=False), args.repeat)
        print(f"page report, uncached (markov + team split + 10-model comparison) {med:.2f} s")
        selectors.report(query)
        med, lo, hi = timed(lambda: selectors.report(query), args.repeat)
        print(f"page report, cached {med * 1000:.1f} ms")


if __name__ == "__main__":
    main()
