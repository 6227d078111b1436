"""``smarketing plan``: work a revenue goal backwards to the leads needed.

    smarketing plan --revenue 10000 [--deal-size 1000] [--lead-to-customer 0.02]
                    [--rate mql_to_sql=0.4 ...] [--period 2026-Q1] [--by channel] [--save] [--json]

Inputs not given are measured from the app's own history (StageChange, Deal) over the last
365 days (``--measure-from/--measure-to`` to change the window). When every input the plan
needs is given (``--deal-size`` and ``--lead-to-customer`` or the four stage rates) and
nothing asks for the database (``--by``, ``--save``, ``--measure-*``), nothing is measured:
the plan is the given numbers alone, and ``smarketing plan`` then runs without Django.
"""

from __future__ import annotations

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.analytics.planning import RATE_NAMES, PlanningError, reverse_funnel
from smarketing.planning.groups import RATE_GROUPS


def _positive(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number") from None
        return value

    parse.__name__ = name
    return parse


def _day(text: str) -> date:
    return date.fromisoformat(text)


def needs_database(opts: dict) -> bool:
    """Whether the plan of these options reads the app's database (anything to measure or save).

    Not when the deal size and the lead-to-customer rate (or all four stage rates) are given
    and neither ``--by``, ``--save`` nor a measuring window is asked for.
    """
    given = {item.partition("=")[0] for item in opts.get("rate") or []}
    reaches_leads = opts.get("lead_to_customer") is not None or set(RATE_NAMES) <= given
    asks = ("by", "save", "measure_from", "measure_to")
    return opts.get("deal_size") is None or not reaches_leads or any(opts.get(k) for k in asks)


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Work a revenue goal backwards: customers, opportunities, SQLs, MQLs and leads needed."

    def add_arguments(self, parser):
        parser.add_argument("--revenue", type=_positive("revenue"), required=True)
        parser.add_argument("--deal-size", type=_positive("deal-size"))
        parser.add_argument("--lead-to-customer", type=_positive("lead-to-customer"))
        parser.add_argument(
            "--rate",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"stage-rate override; NAME in {', '.join(RATE_NAMES)}",
        )
        parser.add_argument("--period", help="2026-Q1, 2026-03, 2026-H1 or 2026")
        parser.add_argument("--measure-from", type=_day, help="measuring window start (date)")
        parser.add_argument("--measure-to", type=_day, help="measuring window end (exclusive)")
        parser.add_argument("--by", choices=RATE_GROUPS, help="also print measured rates per group")
        parser.add_argument("--save", action="store_true", help="save as the period's goal")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **opts):
        rates = {}
        for item in opts["rate"]:
            name, sep, value = item.partition("=")
            if not sep or name not in RATE_NAMES:
                raise CommandError(
                    f"--rate {item!r}: use NAME=VALUE, NAME in {', '.join(RATE_NAMES)}"
                )
            try:
                rates[name] = float(value)
            except ValueError:
                raise CommandError(f"--rate {item!r}: {value!r} is not a number") from None
        window = {"start": opts["measure_from"], "end": opts["measure_to"]}
        try:
            if needs_database(opts):
                from smarketing.planning import selectors

                measured = selectors.measured_funnel(**window)
            else:
                measured = None
            plan = reverse_funnel(
                revenue=opts["revenue"],
                deal_size=opts["deal_size"],
                lead_to_customer=opts["lead_to_customer"],
                rates=rates or None,
                period=opts["period"],
                measured=measured,
            )
        except PlanningError as exc:
            raise CommandError(str(exc)) from None
        out = plan.to_dict()
        if opts["by"]:
            from smarketing.planning import selectors

            groups = selectors.measured_by(opts["by"], **window)
            out["rates_by_" + opts["by"]] = {
                str(k): {n: (r.value if r else None) for n, r in m.rates.items()}
                | {"lead_to_customer": m.lead_to_customer.value if m.lead_to_customer else None}
                for k, m in groups.items()
            }
        if opts["save"]:
            if not opts["period"]:
                raise CommandError("--save needs --period")
            from smarketing.planning.actions import do_save_goal

            try:
                do_save_goal(
                    period=opts["period"],
                    revenue=opts["revenue"],
                    deal_size=opts["deal_size"],
                    lead_to_customer=opts["lead_to_customer"],
                    rates=rates,
                )
            except ValidationError as exc:
                raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2))
            return
        self._print(out)

    def _print(self, out: dict) -> None:
        w = self.stdout.write
        ds = out["deal_size"]
        w(f"Plan{' for ' + out['period'] if out['period'] else ''}")
        w(f"  revenue goal   {out['revenue']:>14,.2f}")
        w(f"  deal size      {ds['value']:>14,.2f}  ({ds['source']})")
        for key in ("customers", "opportunities", "sqls", "mqls", "leads"):
            value = out[key]
            timing = out["timing"].get(key)
            when = f"  needed {timing['from']} .. {timing['by']}" if timing else ""
            w(f"  {key:<14} {('-' if value is None else f'{value:,}'):>14}{when}")
        w("Rates used:")
        for name, r in out["rates"].items():
            w(f"  {name:<24} {r['value']:.4f}  ({r['source']})")
        for key, groups in out.items():
            if key.startswith("rates_by_"):
                w(f"Measured rates by {key[9:]}:")
                for g, rs in groups.items():
                    cells = "  ".join(
                        f"{n}={'-' if v is None else f'{v:.3f}'}" for n, v in rs.items()
                    )
                    w(f"  {g:<20} {cells}")
