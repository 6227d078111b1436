"""``smarketing attribution``: credit conversions to touches from the app DB or a path file.

    smarketing attribution --model NAME [--by LEVEL] [--conversion KIND]
        [--input FILE.csv|FILE.parquet] [--path-column C --conversions-column C
        --value-column C --nulls-column C --separator S] [--engine duckdb|spark] [--json]

Without ``--input`` it reads the app's database (see docs/attribution.md, "In the app").
Bad input prints a clear message and exits with status 1 (no traceback).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from smarketing.analytics.attribution import (
    AttributionError,
    AttributionResult,
    attribute_paths,
    compare_paths,
    read_input,
)


def _optional_column(value: str | None) -> str | None:
    """``--value-column ''`` (or ``none``) means the file has no such column."""
    return None if value is None or value.strip().lower() in ("", "none") else value


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = (
        "Multi-touch attribution: credit conversions (lead, mql, sql, opportunity, won) to "
        "channels, campaigns, content, keywords, subject lines, touch kinds or teams. Reads "
        "the app database, or a path file (CSV/Parquet) with --input."
    )

    def add_arguments(self, parser):
        # Choices are validated in handle() (exit status 1 with a clear message), not by
        # argparse (which would exit with status 2).
        parser.add_argument("--model", help="first_touch, last_touch, ..., markov, shapley")
        parser.add_argument("--by", default="channel", help="level credited (default channel)")
        parser.add_argument(
            "--conversion", default=None, help="lead, mql, sql, opportunity, won (default won)"
        )
        parser.add_argument("--input", help="a path-format file (.csv or .parquet)")
        parser.add_argument("--path-column", default="path")
        parser.add_argument("--conversions-column", default="total_conversions")
        parser.add_argument(
            "--value-column", default="total_conversion_value", help="'' if the file has none"
        )
        parser.add_argument("--nulls-column", default="total_null", help="'' if none")
        parser.add_argument("--separator", default=" > ")
        parser.add_argument("--engine", default="duckdb", help="duckdb (default) or spark")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--order", default=None, help="Markov order 1-4 (default 1)")
        parser.add_argument("--lookback-days", default=None, help="default 90")
        parser.add_argument("--half-life-days", default=None, help="time_decay, default 7")
        parser.add_argument("--weights", default=None, help="custom: first=.4,middle=.2,last=.4")
        parser.add_argument("--account-level", action="store_true", help="account journeys")
        parser.add_argument("--since", default=None, help="conversions from (YYYY-MM-DD)")
        parser.add_argument("--until", default=None, help="conversions up to (inclusive day)")
        parser.add_argument("--intervals", action="store_true", help="bootstrap (markov/shapley)")
        parser.add_argument("--n-boot", default=None, help="bootstrap resamples (default 100)")
        parser.add_argument("--compare", action="store_true", help="every model side by side")

    def handle(self, *args, **opts):
        from smarketing.attribution.selectors import QueryError

        if not opts["model"] and not opts["compare"]:
            raise CommandError("--model is required (e.g. --model markov)")
        try:
            if opts["input"]:
                payload, result = self._from_file(opts)
            else:
                payload, result = self._from_db(opts)
        except (AttributionError, QueryError) as exc:
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        elif opts["compare"]:
            self._print_comparison(payload)
        else:
            self._print_result(result)

    def _params(self, opts) -> dict:
        return {
            "model": opts["model"] or "linear",
            "by": opts["by"],
            "conversion": opts["conversion"],
            "since": opts["since"],
            "until": opts["until"],
            "account_level": opts["account_level"],
            "order": opts["order"],
            "lookback_days": opts["lookback_days"],
            "half_life_days": opts["half_life_days"],
            "weights": opts["weights"],
            "intervals": opts["intervals"],
            "n_boot": opts["n_boot"],
        }

    def _from_db(self, opts):
        from smarketing.attribution import selectors

        if opts["engine"] != "duckdb":
            raise CommandError(
                "--engine applies to --input files; the app database runs on its own engine"
            )
        query = selectors.parse_query(self._params(opts))
        if opts["compare"]:
            with selectors.inputs(query) as (tp, cv):
                from smarketing.analytics.attribution import compare_models

                cmp = compare_models(
                    tp, cv, models=selectors.COMPARED_MODELS, by=query.by,
                    conversion_kind=query.kind, lookback_days=query.lookback_days,
                    order=query.order, half_life_days=query.half_life_days,
                )  # fmt: skip
            return cmp.to_dict(), None
        result = selectors.run(query)
        return result.to_dict(), result

    def _from_file(self, opts):
        from smarketing.attribution import selectors

        for flag in ("conversion", "since", "until", "lookback_days", "half_life_days"):
            if opts[flag] is not None:
                name = "--" + flag.replace("_", "-")
                raise CommandError(
                    f"{name} applies to the app database; a path file already holds the "
                    "conversions of each path"
                )
        if opts["account_level"]:
            raise CommandError("--account-level applies to the app database, not to --input")
        engine = opts["engine"]
        if engine not in ("duckdb", "spark"):
            raise CommandError(f"--engine must be duckdb or spark, got {engine!r}")
        # The level and model options are validated like the app's (same messages).
        params = self._params(opts)
        params.update(conversion=None, since=None, until=None)
        query = selectors.parse_query(params)
        try:
            table = read_input(opts["input"], engine=engine)
        except AttributionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a file the engine cannot parse
            raise CommandError(f"could not read {opts['input']!r}: {exc}") from None
        columns = {
            "path_column": opts["path_column"],
            "conversions_column": opts["conversions_column"],
            "value_column": _optional_column(opts["value_column"]),
            "nulls_column": _optional_column(opts["nulls_column"]),
            "separator": opts["separator"],
        }
        if opts["compare"]:
            models = [m for m in selectors.COMPARED_MODELS if m != "time_decay"]
            cmp = compare_paths(table, models=models, order=query.order, **columns)
            return cmp.to_dict(), None
        result = attribute_paths(
            table, model=query.model, by=query.by, order=query.order,
            weights=dict(query.weights) if query.weights else None,
            intervals=query.intervals, n_boot=query.n_boot, **columns,
        )  # fmt: skip
        return result.to_dict(), result

    def _console(self):
        from rich.console import Console

        return Console(file=self.stdout, width=120)

    def _print_result(self, result: AttributionResult) -> None:
        from rich.table import Table

        data = result.to_dict()
        has_cost = any("cost" in c for c in data["credits"])
        bounds = {i["key"]: i for i in data.get("intervals", {}).get("keys", [])}
        table = Table(
            title=(
                f"{result.model} by {result.by}: {result.total_conversions:,.2f} conversions, "
                f"value {result.total_value:,.2f}"
            )
        )
        table.add_column(result.by)
        for name in ("conversions", "value", "share"):
            table.add_column(name, justify="right")
        if bounds:
            table.add_column(f"{data['intervals']['confidence']:.0%} interval", justify="right")
        if has_cost:
            for name in ("cost", "cost/conv.", "ROI"):
                table.add_column(name, justify="right")
        for c in data["credits"]:
            row = [c["key"], f"{c['conversions']:,.2f}", f"{c['value']:,.2f}", f"{c['share']:.1%}"]
            if bounds:
                b = bounds.get(c["key"])
                row.append(f"{b['conversions_low']:,.2f}-{b['conversions_high']:,.2f}" if b else "")
            if has_cost:
                cpc, roi = c.get("cost_per_conversion"), c.get("roi")
                row += [
                    f"{c.get('cost', 0):,.2f}",
                    "-" if cpc is None else f"{cpc:,.2f}",
                    "-" if roi is None else f"{roi:.0%}",
                ]
            table.add_row(*row)
        self._console().print(table)

    def _print_comparison(self, data: dict) -> None:
        from rich.table import Table

        table = Table(title=f"Share of credit by {data['by']} under every model")
        table.add_column(data["by"])
        for m in data["models"]:
            table.add_column(m, justify="right")
        table.add_column("spread", justify="right")
        for row in data["rows"]:
            table.add_row(
                row["key"],
                *(f"{row['shares'][m]:.1%}" for m in data["models"]),
                f"{row['spread']:.1%}",
            )
        self._console().print(table)
