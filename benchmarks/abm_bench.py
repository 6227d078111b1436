"""ABM speed on a generated company: account engagement for every account, the ABM dashboard,
the target accounts page and the timeline of the account with the most touches.

    SMARKETING_DATA_DIR=<dir with a demo database> .venv/bin/python benchmarks/abm_bench.py [--runs 5]

(Generate the company first: ``smarketing demo --size medium --no-serve``; ``DATABASE_URL`` for
PostgreSQL.) Prints the median and the max of ``--runs`` runs, the data size and the load
average: the machine is shared. Pages are rendered in-process through the test client with a
logged-in manager (server time: view, queries, template).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")


def _time(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from smarketing.abm.actions import do_recompute_accounts
    from smarketing.crm.models import Account, Touchpoint

    accounts = Account.objects.count()
    touches = Touchpoint.objects.count()
    print(f"{accounts:,} accounts, {touches:,} touchpoints; load average {os.getloadavg()[0]:.2f}")
    recompute = _time(lambda: do_recompute_accounts(account_ids=None), max(2, args.runs // 2))
    print(f"engagement of every account: median {statistics.median(recompute):.2f} s, "
          f"max {max(recompute):.2f} s")  # fmt: skip
    user = get_user_model().objects.filter(is_superuser=True).first()
    client = Client()
    client.force_login(user)
    busiest = (
        Touchpoint.objects.filter(account__isnull=False)
        .values("account_id").annotate(n=Count("id")).order_by("-n").first()
    )  # fmt: skip
    pages = {
        "/abm/": "ABM dashboard",
        "/abm/targets/": "target accounts",
        f"/abm/accounts/{busiest['account_id']}/": f"account timeline ({busiest['n']:,} touches)",
    }
    for url, label in pages.items():
        client.get(url)  # warm-up (imports, caches of the ICP)
        times = _time(lambda url=url: client.get(url), args.runs)
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms, "
              f"p95/max {max(times) * 1000:.0f} ms")  # fmt: skip
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
