"""Benchmark: library search over generated assets (SQLite FTS5 / PostgreSQL tsvector + GIN).

Run (a database of its own; ``--n`` assets are generated once, then reused)::

    SMARKETING_DATA_DIR=/tmp/contentbench .venv/bin/python benchmarks/content_bench.py \
        [--n 100000] [--queries 300]

(``DATABASE_URL=postgres://…/smk_bench`` measures PostgreSQL instead of the SQLite file.)

Bodies have realistic lengths (log-normal, median 350 words, 50 to 4,000) drawn from the
demo library's sentences plus a long tail of rarer words (Zipf-like), titles of 4 to 9 words,
each asset with 1-2 personas, 1-3 stages, 1-2 topics and a kind. Timed per query: what the
library page and ``GET /api/content/assets`` run, ``search_assets`` (ranked ids, count,
snippets, the assets with their use counts), for a mix of common words, rarer words, two- and
three-word phrases, prefixes, filters and typos. Prints p50 / p95 / max in ms, the load average.
Also timed: recording a tracked-link view (``do_start_visit``) and a beat.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    from smarketing.demo.content_library import BANK

    sentences = [s.strip() + "." for paras in BANK.values() for p in paras for s in p.split(". ")]
    syllables = ["ra", "to", "mi", "ne", "sa", "lu", "ko", "ve", "da", "pri", "cor", "tan", "el"]
    tail = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(40000)})
    return sentences, tail


def body(rng, sentences, tail) -> str:
    target = int(min(4000, max(50, rng.lognormvariate(math.log(350), 0.8))))
    out, n = [], 0
    while n < target:
        if rng.random() < 0.7:
            s = rng.choice(sentences)
        else:  # a sentence with rarer words, Zipf-like: low ranks far more often
            words = [
                tail[min(int(rng.paretovariate(1.1)) * 7 % len(tail), len(tail) - 1)]
                for _ in range(rng.randint(6, 16))
            ]
            s = " ".join(words).capitalize() + "."
        out.append(s)
        n += s.count(" ") + 1
    return " ".join(out)


def populate(n: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from smarketing.content.kinds import KIND_CHOICES
    from smarketing.content.models import SearchDocument
    from smarketing.content.search import tag_key, tags_text
    from smarketing.crm.models import ContentAsset, Persona

    have = ContentAsset.objects.count()
    if have >= n:
        return
    personas = [
        Persona.objects.get_or_create(slug=s, defaults={"name": s.replace("-", " ").title()})[0]
        for s in ("marketing-mary", "sales-sam", "ops-olivia", "finance-fred")
    ]
    sentences, tail = vocabulary(rng)
    kinds = [k for k, _ in KIND_CHOICES]
    stages = ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"]
    topics = [
        "sla",
        "scoring",
        "attribution",
        "pipeline",
        "roi",
        "pricing",
        "security",
        "integrations",
        "reporting",
        "product",
        "competitors",
        "abm",
        "onboarding",
    ]
    started = time.perf_counter()
    batch = 2000
    for start in range(have, n, batch):
        assets, docs = [], []
        for _ in range(start, min(n, start + batch)):
            text = body(rng, sentences, tail)
            title = (
                " ".join(text.split()[rng.randint(0, 30) :][: rng.randint(4, 9)]).strip(".").title()
            )
            a = ContentAsset(
                title=title[:250],
                kind=rng.choice(kinds),
                stages=rng.sample(stages, rng.randint(1, 3)),
                topics=rng.sample(topics, rng.randint(1, 2)),
                body=text,
            )
            assets.append((a, rng.sample(personas, rng.randint(1, 2))))
        with transaction.atomic():
            ContentAsset.objects.bulk_create([a for a, _ in assets])
            through = ContentAsset.personas.through
            through.objects.bulk_create(
                [through(contentasset_id=a.pk, persona_id=p.pk) for a, ps in assets for p in ps]
            )
            for a, ps in assets:
                keys = [
                    tag_key("k", a.kind),
                    *(tag_key("p", p.pk) for p in ps),
                    *(tag_key("s", s) for s in a.stages),
                    *(tag_key("t", t) for t in a.topics),
                ]
                docs.append(
                    SearchDocument(asset_id=a.pk, title=a.title, body=a.body, tags=tags_text(keys))
                )
            SearchDocument.objects.bulk_create(docs)
        print(
            f"  {min(n, start + batch):>7} assets ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("INSERT INTO content_search_fts(content_search_fts) VALUES ('optimize')")
            cur.execute("ANALYZE")
        else:
            cur.execute("VACUUM ANALYZE content_searchdocument")


QUERIES = [
    {"q": "lead"},
    {"q": "pipeline"},
    {"q": "pricing"},
    {"q": "attribution"},
    {"q": "sales"},
    {"q": "marketing"},
    {"q": "payback period"},
    {"q": "single sign-on"},
    {"q": "ten percent discount"},
    {"q": "closed-loop reporting"},
    {"q": "buying committee"},
    {"q": "markov removal effects"},
    {"q": "lead", "kind": "deck"},
    {"q": "roi", "stage": "opportunity"},
    {"q": "routing", "topic": "product"},
    {"q": "scor"},
    {"q": "attrib"},
    {"q": "pricng"},
    {"q": "atribution modles"},
    {"q": "webhooks", "persona": "ops-olivia"},
    {"q": "security audit log", "persona": "finance-fred", "stage": "sql"},
]
#: Browsing without words (title order), filtered or not: timed apart from search.
BROWSE = [{"q": ""}, {"q": "", "stage": "mql", "kind": "blog"}, {"q": "", "persona": "sales-sam"}]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1)]


def bench_search(rounds: int, queries=QUERIES) -> list[float]:
    from smarketing.content.search import vocabulary
    from smarketing.content.selectors import search_assets
    from smarketing.crm.models import Persona

    slugs = dict(Persona.objects.values_list("slug", "pk"))
    vocabulary()  # the typo vocabulary is cached for minutes; warm it like a running server
    times, per = [], {}
    for r in range(rounds):
        spec = dict(queries[r % len(queries)])
        if "persona" in spec:
            spec["persona_id"] = slugs.get(spec.pop("persona"))
        t = time.perf_counter()
        assets, result = search_assets(limit=20, **spec)
        ms = (time.perf_counter() - t) * 1000
        times.append(ms)
        per.setdefault(str(queries[r % len(queries)]), []).append((ms, result.total))
    worst = sorted(per.items(), key=lambda kv: -statistics.median(m for m, _ in kv[1]))[:5]
    for name, runs in worst:
        print(
            f"    slowest: {name}: median {statistics.median(m for m, _ in runs):.1f} ms, {runs[0][1]} matches"
        )
    return times


def bench_view(rounds: int) -> list[float]:
    from django.contrib.auth import get_user_model

    from smarketing.content.actions import do_record_pages, do_share, do_start_visit
    from smarketing.crm.models import Contact, ContentAsset

    user, _ = get_user_model().objects.get_or_create(username="bench-rep")
    contact, _ = Contact.objects.get_or_create(email="bench@prospect.example")
    link = do_share(asset=ContentAsset.objects.order_by("pk").first(), contact=contact, by=user)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        visit = do_start_visit(link=link, user_agent="Mozilla/5.0 Chrome/130")
        do_record_pages(visit=visit, pages={"1": 12.0}, last_page=1)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=230)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor}; generating up to {args.n} assets")
    populate(args.n, random.Random(args.seed))
    from smarketing.crm.models import ContentAsset

    words = [
        len((b or "").split()) for b in ContentAsset.objects.values_list("body", flat=True)[:2000]
    ]
    print(
        f"assets: {ContentAsset.objects.count()}, body words median {statistics.median(words):.0f} (sample)"
    )
    bench_search(len(QUERIES))  # warm the caches once
    times = bench_search(args.queries)
    print(
        f"search ({len(times)} queries): p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms"
    )
    browse = bench_search(60, BROWSE)
    print(
        f"browse ({len(browse)} pages): p50 {pct(browse, 50):.1f} ms, p95 {pct(browse, 95):.1f} ms"
    )
    view = bench_view(50)
    print(f"tracked view + beat (50): p50 {pct(view, 50):.1f} ms, p95 {pct(view, 95):.1f} ms")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus {os.cpu_count()}")


if __name__ == "__main__":
    main()
