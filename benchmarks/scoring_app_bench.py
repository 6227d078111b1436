"""Benchmark: lead scoring through the app (database read, vectorised scoring, upsert).

Run on a scratch database (it is filled with synthetic contacts the first time)::

    SMARKETING_DATA_DIR=/tmp/scorebench .venv/bin/python benchmarks/scoring_app_bench.py \
        [--contacts 1000000] [--touches 5000000] [--runs 3] [--singles 200]

(``DATABASE_URL=postgres://…/scorebench`` measures PostgreSQL instead of the SQLite file.)

Measured:

1. **full rescore** = ``do_rescore_all`` with the shipped default definition: read contacts
   (accounts and personas joined) and touchpoints through Ibis, ``score_contacts``, compare
   with the stored scores, upsert the changed rows and append history. Run 1 starts from an
   empty score table (every row and a first history row written); the next runs score one
   day later, so every engaged contact's decayed engagement changes and its row is rewritten.
2. **one touchpoint** = ``Touchpoint.objects.create`` of one page view, whose ``post_save``
   rescores the contact (what an ingest request waits for), and ``do_rescore_contacts`` alone.

Data building (``bulk_insert``-style raw inserts, COPY on PostgreSQL) is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

import numpy as np

PAGES = ["/", "/pricing", "/blog/a", "/blog/b", "/product", "/careers", "/demo-request",
         "/contact-sales", "/ebook"]  # fmt: skip
KINDS = ["page_view", "email_open", "email_click", "ad_click", "form_submit", "content_view",
         "webinar", "sales_call"]  # fmt: skip
KIND_P = [0.5, 0.15, 0.07, 0.1, 0.05, 0.06, 0.02, 0.05]


def build(n_contacts: int, n_touches: int, now: dt.datetime) -> None:
    """Fill the scratch database with accounts, contacts and touchpoints (not timed)."""
    from django.db import connection, transaction

    from smarketing.crm.models import Account, Contact, Touchpoint
    from smarketing.demo.bulk import bulk_insert, reset_sequences

    rng = np.random.default_rng(11)
    n_accounts = max(1, n_contacts // 20)
    industries = np.array(["software", "retail", "healthcare", "education", "manufacturing"])
    with transaction.atomic():
        bulk_insert(
            Account,
            [
                "id",
                "name",
                "domain",
                "industry",
                "employees",
                "country",
                "region",
                "segment",
                "is_target",
                "created_at",
            ],  # fmt: skip
            (
                (
                    i,
                    f"Account {i}",
                    f"a{i}.example",
                    str(industries[i % 5]),
                    int(rng.integers(2, 20000)),
                    "US" if i % 3 else "DE",
                    "",
                    "",
                    bool(i % 7 == 0),
                    now,
                )  # fmt: skip
                for i in range(1, n_accounts + 1)
            ),
        )
        seniority = np.array(["", "individual", "manager", "director", "vp", "c_level"])
        sen = rng.integers(0, 6, n_contacts)
        acc = rng.integers(1, n_accounts + 1, n_contacts)
        free = rng.random(n_contacts) < 0.2
        bulk_insert(
            Contact,
            [
                "id",
                "email",
                "first_name",
                "last_name",
                "title",
                "seniority",
                "phone",
                "country",
                "account_id",
                "lifecycle_stage",
                "status",
                "original_source",
                "original_channel",
                "email_consent",
                "do_not_contact",
                "created_at",
                "updated_at",
            ],  # fmt: skip
            (
                (
                    i + 1,
                    f"p{i}@{'gmail.com' if free[i] else f'a{acc[i]}.example'}",
                    "P",
                    str(i),
                    "Marketing manager" if i % 4 == 0 else "Engineer",
                    str(seniority[sen[i]]),
                    "",
                    "",
                    int(acc[i]),
                    "lead",
                    "new",
                    "",
                    "organic",
                    False,
                    False,
                    now,
                    now,
                )  # fmt: skip
                for i in range(n_contacts)
            ),
        )
        contact = rng.integers(1, n_contacts + 1, n_touches)
        kind = rng.choice(len(KINDS), n_touches, p=KIND_P)
        page = rng.integers(0, len(PAGES), n_touches)
        age = rng.random(n_touches) * 365 * 86400
        kinds = np.array(KINDS)
        bulk_insert(
            Touchpoint,
            [
                "occurred_at",
                "contact_id",
                "anonymous_id",
                "kind",
                "team",
                "channel",
                "source",
                "medium",
                "keyword",
                "email_subject",
                "url",
                "referrer",
                "outcome",
                "properties",
            ],  # fmt: skip
            (
                (
                    now - dt.timedelta(seconds=float(age[i])),
                    int(contact[i]),
                    "",
                    str(kinds[kind[i]]),
                    "marketing",
                    "organic",
                    "",
                    "",
                    "",
                    "",
                    f"https://demo.example.com{PAGES[page[i]]}" if kind[i] in (0, 4) else "",
                    "",
                    "",
                    {},
                )  # fmt: skip
                for i in range(n_touches)
            ),
        )
        reset_sequences([Account, Contact, Touchpoint])
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from smarketing.analytics.scoring import default_definition_text
    from smarketing.crm.models import Contact, Touchpoint
    from smarketing.scoring.actions import do_rescore_all, do_rescore_contacts, do_save_definition
    from smarketing.scoring.models import LeadScore, ScoreHistory, ScoringDefinition

    call_command("migrate", verbosity=0)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    if not Contact.objects.exists():
        start = time.perf_counter()
        build(args.contacts, args.touches, now)
        print(f"built data in {time.perf_counter() - start:.0f} s (not timed below)")
    n_contacts, n_touches = Contact.objects.count(), Touchpoint.objects.count()
    print(f"{connection.vendor}: {n_contacts:,} contacts, {n_touches:,} touchpoints; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if not ScoringDefinition.objects.filter(active=True).exists():
        do_save_definition(text=default_definition_text(), activate=True, rescore=False)
    LeadScore.objects.all().delete()
    ScoreHistory.objects.all().delete()

    runs, cpus = [], []
    for run in range(args.runs):
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        summary = do_rescore_all(as_of=now + dt.timedelta(days=run))
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        runs.append(took)
        cpus.append(cpu)
        # CPU time of this process: what a run costs when it does not wait for other workers.
        print(f"full rescore run {run + 1}: {took:.1f} s (cpu {cpu:.1f} s, load average "
              f"{load:.1f} -> {os.getloadavg()[0]:.1f})  {summary.seconds}  written "
              f"{summary.written:,}, history {summary.history:,}, MQLs {summary.mqls:,}")  # fmt: skip
    print(f"full rescore: median {statistics.median(runs):.1f} s over {len(runs)} runs "
          f"(min {min(runs):.1f}, max {max(runs):.1f}); cpu median "
          f"{statistics.median(cpus):.1f} s")  # fmt: skip

    rng = np.random.default_rng(5)
    ids = rng.integers(1, n_contacts + 1, args.singles).tolist()
    saves, direct = [], []
    for contact_id in ids:
        start = time.perf_counter()
        Touchpoint.objects.create(
            contact_id=contact_id, occurred_at=now, kind="page_view",
            url="https://demo.example.com/pricing",
        )  # fmt: skip
        saves.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        do_rescore_contacts([contact_id])
        direct.append((time.perf_counter() - start) * 1000)
    for label, values in (("touchpoint save + post_save rescore", saves),
                          ("do_rescore_contacts([id]) alone", direct)):  # fmt: skip
        values.sort()
        print(f"{label}: median {statistics.median(values):.2f} ms, "
              f"p95 {values[int(len(values) * 0.95) - 1]:.2f} ms over {len(values)}")  # fmt: skip


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when piped to a file
    main()
