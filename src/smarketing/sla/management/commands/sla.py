"""``smarketing sla check FILE | activate FILE | report --month YYYY-MM [--json] | sweep``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.analytics.sla import SlaError, load_sla
from smarketing.analytics.sla.compliance import ComplianceError, parse_month


def _fmt(value, suffix="") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{suffix}"
    return f"{value}{suffix}"


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate:.0%}"


class Command(BaseCommand):
    # `sla check` must work on any machine, even before the site is fully configured.
    requires_system_checks: list = []
    help = "The SLA document: validate, activate, report compliance, run the breach sweep."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate an SLA YAML file (exit 1 when invalid)")
        check.add_argument("file")
        activate = sub.add_parser("activate", help="store a valid SLA file and put it in force")
        activate.add_argument("file")
        report = sub.add_parser("report", help="compliance figures of a month")
        report.add_argument("--month", required=True, help="YYYY-MM")
        report.add_argument("--json", action="store_true", help="print JSON")
        sub.add_parser("sweep", help="evaluate open SLA clocks now (what the periodic task does)")

    def _load(self, path: str):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        text = file.read_text(encoding="utf-8")
        try:
            return text, load_sla(text)
        except SlaError as exc:
            for issue in exc.errors:
                self.stderr.write(f"{path}: {issue}")
            raise CommandError(
                f"{path}: {len(exc.errors)} error(s); the SLA was not changed", returncode=1
            ) from None

    def handle(self, *args, action: str, **opts):
        if action == "check":
            _, doc = self._load(opts["file"])
            s = doc.sales
            self.stdout.write(f"OK: {doc.name} v{doc.version}, effective {doc.effective}")
            self.stdout.write(
                f"  calendar {doc.calendar.timezone}"
                + (f" ({doc.calendar.country})" if doc.calendar.country else "")
                + f"; first touch {dict(s.first_touch)} business hours; "
                f"{s.min_attempts} attempts within {s.attempts_within_business_days} business "
                f"days; decision within {s.decision_within_hours:g} h"
            )
            m = doc.marketing
            self.stdout.write(
                f"  marketing: {_fmt(m.mqls_per_month)} MQLs/month, MQL->SQL >= "
                f"{_pct(m.min_mql_to_sql_rate)}, pipeline {_fmt(m.pipeline_per_quarter)}/quarter"
            )
            return
        if action == "activate":
            from smarketing.sla.actions import do_save_sla_version

            text, _ = self._load(opts["file"])
            try:
                version = do_save_sla_version(text=text, activate=True)
            except ValidationError as exc:  # pragma: no cover - load_sla already passed
                raise CommandError("; ".join(exc.messages), returncode=1) from None
            self.stdout.write(f"Activated {version} (id {version.pk})")
            return
        if action == "sweep":
            from smarketing.sla.actions import do_sweep

            self.stdout.write(json.dumps(do_sweep().to_dict()))
            return
        self._report(opts["month"], as_json=opts["json"])

    def _report(self, month: str, *, as_json: bool) -> None:
        from smarketing.sla.selectors import compliance

        try:
            parse_month(month)
        except ComplianceError as exc:
            raise CommandError(f"--month: {exc}", returncode=2) from None
        data = compliance(month)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2, default=str))
            return
        self.stdout.write(
            f"SLA compliance {month} ({data['sla']['name']} v{data['sla']['version']})"
        )
        head = (
            f"{'scope':<6} {'who':<14} {'leads':>5} {'touched':>7} {'med h':>6} {'p90 h':>6} "
            f"{'att/lead':>8} {'1st%':>6} {'att%':>6} {'dec%':>6} {'breaches':>8}"
        )
        self.stdout.write(head)
        for r in data["sales"]:
            self.stdout.write(
                f"{r['scope']:<6} {r['key'] or 'everyone':<14} {r['leads_received']:>5} "
                f"{r['leads_touched']:>7} {_fmt(r['median_first_touch_hours']):>6} "
                f"{_fmt(r['p90_first_touch_hours']):>6} {_fmt(r['attempts_per_lead']):>8} "
                f"{_fmt(r['first_touch_met_pct']):>6} {_fmt(r['attempts_met_pct']):>6} "
                f"{_fmt(r['decision_met_pct']):>6} {sum(r['breaches'].values()):>8}"
            )
        m = data["marketing"]
        self.stdout.write(
            f"marketing: {m['mqls_delivered']} MQLs (committed {_fmt(m['mqls_committed'])}); "
            f"MQL->SQL {_pct(m['mql_to_sql_rate'])} (min {_pct(m['min_mql_to_sql_rate'])}); "
            f"pipeline {m['quarter']} to date {m['pipeline_quarter_to_date']:.0f} "
            f"(committed {_fmt(m['pipeline_committed'])})"
        )
