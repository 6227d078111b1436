"""Benchmark rule scoring: full rescore in bulk and single-contact rescore latency.

Usage::

    .venv/bin/python benchmarks/scoring_bench.py [--contacts 1000000] [--touches 10000000]
        [--runs 3] [--single-runs 200]

Generates a seeded synthetic company (contacts with account fields joined, touchpoints spread
over a year with realistic kinds, URLs, campaigns, channels), then times
:func:`smarketing.analytics.scoring.score_contacts` with the shipped default definition (median
of ``--runs``) and :func:`smarketing.analytics.scoring.score_contact` for contacts with a
typical and a heavy touch history (median and 95th percentile of ``--single-runs``). The data
build is not timed. Figures go into ``docs/scoring.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from smarketing.analytics.scoring import (  # noqa: E402
    load_default_definition,
    score_contact,
    score_contacts,
)

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = np.array(
    ["page_view", "email_open", "email_click", "form_submit", "ad_click", "content_view",
     "webinar", "event", "chat", "sales_call", "sales_email", "meeting", "demo",
     "content_share"]
)  # fmt: skip
KIND_P = np.array([0.45, 0.18, 0.07, 0.03, 0.06, 0.08, 0.01, 0.01, 0.01, 0.04, 0.03, 0.015,
                   0.005, 0.01])  # fmt: skip
PAGES = ["/", "/pricing", "/product", "/blog/a", "/blog/b", "/careers", "/demo", "/contact",
         "/docs", "/customers", "/integrations", "/security", "/about"]  # fmt: skip
SENIORITY = np.array(["c_level", "vp", "director", "manager", "individual", ""], dtype=object)
INDUSTRY = np.array(
    ["software", "saas", "financial services", "healthcare", "manufacturing", "retail",
     "education", "government", "media", ""], dtype=object
)  # fmt: skip
COUNTRY = np.array(["US", "GB", "DE", "FR", "IN", "BR", "AU", "CA", "NL", "JP"], dtype=object)
TITLES = np.array(
    ["VP Marketing", "Head of Sales", "Growth Manager", "CTO", "Software Engineer", "Student",
     "Demand Generation Director", "Revenue Operations Analyst", "CEO", "Intern", ""],
    dtype=object,
)  # fmt: skip
DOMAINS = np.array(
    [f"company{i}.com" for i in range(2000)] + ["gmail.com", "yahoo.com", "outlook.com"],
    dtype=object,
)


def make_contacts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic contacts with joined account fields."""
    ids = np.arange(1, n + 1)
    domain = DOMAINS[rng.integers(0, len(DOMAINS), n)]
    email = pd.Series([f"p{i}@" for i in ids], dtype=object) + pd.Series(domain, dtype=object)
    employees = np.round(rng.lognormal(5, 1.6, n)).astype(float)
    employees[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "contact_id": ids,
            "email": email.astype(str),
            "title": pd.Series(TITLES[rng.integers(0, len(TITLES), n)], dtype=str),
            "seniority": pd.Series(SENIORITY[rng.integers(0, len(SENIORITY), n)], dtype=str),
            "industry": pd.Series(INDUSTRY[rng.integers(0, len(INDUSTRY), n)], dtype=str),
            "employees": employees,
            "country": pd.Series(COUNTRY[rng.integers(0, len(COUNTRY), n)], dtype=str),
            "target_account": rng.random(n) < 0.05,
        }
    )


def make_touchpoints(n: int, n_contacts: int, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic touchpoints over the year before AS_OF (skewed: few contacts are very active)."""
    contact = (rng.pareto(1.2, n) * n_contacts / 20).astype(np.int64) % n_contacts + 1
    kind_codes = rng.choice(len(KINDS), size=n, p=KIND_P / KIND_P.sum())
    seconds = rng.integers(0, 365 * 86_400, n)
    occurred = pd.Timestamp(AS_OF) - pd.to_timedelta(seconds, unit="s")
    urls = np.array([f"https://example.com{p}" for p in PAGES] + [None], dtype=object)
    url_codes = rng.integers(0, len(PAGES), n)
    url_codes[kind_codes != 0] = len(PAGES)  # only page views carry a page URL here
    forms = kind_codes == 3
    url_codes[forms] = rng.choice([6, 7, 8], size=int(forms.sum()))
    campaigns = np.array([f"campaign-{i}" for i in range(60)], dtype=object)
    channels = np.array(["organic", "paid_search", "social", "email", "direct", "referral",
                         "events", "sales"], dtype=object)  # fmt: skip
    return pd.DataFrame(
        {
            "contact_id": contact,
            "occurred_at": occurred,
            "kind": pd.Series(KINDS[kind_codes], dtype=str),
            "url": pd.Series(urls[url_codes], dtype=str),
            "campaign": pd.Series(campaigns[rng.integers(0, 60, n)], dtype=str),
            "channel": pd.Series(channels[rng.integers(0, 8, n)], dtype=str),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--single-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    definition = load_default_definition()
    start = time.perf_counter()
    contacts = make_contacts(args.contacts, rng)
    touches = make_touchpoints(args.touches, args.contacts, rng)
    print(f"data: {len(contacts):,} contacts, {len(touches):,} touchpoints "
          f"(built in {time.perf_counter() - start:.1f} s, not timed)")  # fmt: skip
    print(f"cores visible: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")

    timings = []
    for run in range(args.runs):
        start = time.perf_counter()
        scores = score_contacts(definition, contacts=contacts, touchpoints=touches, as_of=AS_OF)
        timings.append(time.perf_counter() - start)
        print(f"  bulk run {run + 1}: {timings[-1]:.2f} s")
    print(f"bulk rescore: median {statistics.median(timings):.2f} s "
          f"({len(contacts):,} contacts, {len(touches):,} touchpoints); "
          f"MQLs {int(scores['is_mql'].sum()):,}, hand-raisers {int(scores['hand_raiser'].sum()):,}")  # fmt: skip

    counts = touches["contact_id"].value_counts()
    typical = int(counts.index[np.argmin(np.abs(counts.to_numpy() - 30))])
    heavy = int(counts.index[0])
    by_contact = touches.set_index("contact_id")
    for label, cid in (("typical", typical), ("heavy", heavy)):
        row = contacts.iloc[cid - 1].to_dict()
        own = by_contact.loc[[cid]].reset_index().to_dict("records")
        latencies = []
        for _ in range(args.single_runs):
            start = time.perf_counter()
            score_contact(definition, contact=row, touchpoints=own, as_of=AS_OF)
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"single rescore ({label}: {len(own)} touchpoints): median "
              f"{statistics.median(latencies) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
