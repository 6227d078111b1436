"""``smarketing score backtest FILE --since DATE | train [--from-csv FILE --target COL] |
rescore | activate FILE | check FILE`` (exit code 1 with a clear message on bad input)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.analytics.scoring import DefinitionError, ScoringError, load_definition


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate:.0%}"


class Command(BaseCommand):
    # Not a page server: skip the system checks (they import the whole URL configuration).
    requires_system_checks: list = []
    help = "Lead scoring: backtest or activate a definition, rescore, train the predictive model."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate a scoring definition file")
        check.add_argument("file")
        bt = sub.add_parser("backtest", help="replay a definition over past data")
        bt.add_argument("definition", help="the scoring definition YAML file")
        bt.add_argument("--since", required=True, help="YYYY-MM-DD: start of the replay window")
        bt.add_argument("--until", help="YYYY-MM-DD (default: now)")
        bt.add_argument("--json", action="store_true", help="print JSON")
        tr = sub.add_parser("train", help="train the predictive model (closed loop or a CSV)")
        tr.add_argument("--from-csv", dest="csv", help="train and evaluate on any CSV of leads")
        tr.add_argument("--target", help="the outcome column of the CSV (1/0, true/false, yes/no)")
        tr.add_argument("--json", action="store_true", help="print JSON")
        sub.add_parser("rescore", help="rescore every contact with the active definition")
        act = sub.add_parser("activate", help="store a valid definition file, activate, rescore")
        act.add_argument("file")

    # ------------------------------------------------------------------ helpers

    def _read(self, path: str) -> str:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            return file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            raise CommandError(f"{path}: cannot read it ({exc})") from None

    def _definition(self, path: str):
        text = self._read(path)
        try:
            return text, load_definition(text)
        except DefinitionError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(
                f"{path}: {len(exc.errors)} error(s) in the scoring definition; nothing changed"
            ) from None

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2, default=str))

    # ------------------------------------------------------------------ actions

    def handle(self, *args, action: str, **opts):
        getattr(self, f"_{action}")(**opts)

    def _check(self, file, **_):
        _, d = self._definition(file)
        self.stdout.write(
            f"OK: {d.name or 'scoring definition'} v{d.version}: {len(d.fit)} fit rules, "
            f"{len(d.engagement)} engagement rules, half-life {d.half_life_days or 'none'}"
        )

    def _backtest(self, definition, since, until=None, json=False, **_):
        from smarketing.scoring.backtesting import parse_date, run_backtest

        _, candidate = self._definition(definition)
        try:
            start = parse_date(since, name="--since")
            end = parse_date(until, name="--until") if until else None
            result = run_backtest(candidate, since=start, until=end)
        except (ValueError, ScoringError) as exc:
            raise CommandError(str(exc)) from None
        if json:
            self._json(result)
            return
        rows = [("candidate", result["candidate"])]
        if result["active"]:
            rows.append((f"active ({result['active_label']})", result["active"]))
        else:
            self.stdout.write("No definition is active yet: showing the candidate alone.")
        self.stdout.write(
            f"{'definition':<40} {'MQLs':>6} {'SQL':>5} {'won':>5} {'MQL→SQL':>8} "
            f"{'SQL→won':>8} {'MQL→won':>8}"
        )
        for label, r in rows:
            self.stdout.write(
                f"{label[:40]:<40} {r['n_mql']:>6} {r['n_sql']:>5} {r['n_won']:>5} "
                f"{_pct(r['mql_to_sql_rate']):>8} {_pct(r['sql_to_won_rate']):>8} "
                f"{_pct(r['mql_to_won_rate']):>8}"
            )
        if result["overlap"]:
            o = result["overlap"]
            self.stdout.write(
                f"overlap: {o['both']} in both, {o['only_candidate']} only the candidate, "
                f"{o['only_active']} only the active definition"
            )

    def _train(self, csv=None, target=None, json=False, **_):
        if csv:
            result = self._train_csv(csv, target)
        else:
            if target:
                raise CommandError("--target goes with --from-csv (the CRM's target is fixed)")
            from smarketing.scoring.predictive import do_refresh_predictions, do_train_model

            try:
                result = do_train_model()
            except ScoringError as exc:
                raise CommandError(str(exc)) from None
            if result["activated"]:
                do_refresh_predictions()
        if json:
            self._json(result)
            return
        base = result["baseline"]
        self.stdout.write(
            f"{result['chosen_name']}: AUC {result['auc']:.3f} (±{result['auc_std']:.3f}, "
            f"{result['cv']}), lift in the top decile {result['lift_top_decile']:.2f}, "
            f"calibration error {result['calibration']['ece']:.3f}"
        )
        self.stdout.write(
            f"baseline {base['name']}: AUC {base['auc']:.3f}, lift {base['lift_top_decile']:.2f}"
        )
        self.stdout.write(result["note"])
        if "decision" in result:
            self.stdout.write(f"model v{result['version']}: {result['decision']}")

    def _train_csv(self, path: str, target: str | None) -> dict:
        import pandas as pd

        from smarketing.analytics.scoring import train

        if not target:
            raise CommandError("--target COLUMN is required with --from-csv")
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        try:
            frame = pd.read_csv(path)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise CommandError(f"{path}: not a readable CSV ({exc})") from None
        if target not in frame.columns:
            raise CommandError(
                f"{path}: no column '{target}'; the columns are: "
                + ", ".join(map(str, frame.columns))
            )
        try:
            return train(frame, target=target).to_dict()
        except ScoringError as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _rescore(self, **_):
        from smarketing.scoring.actions import do_rescore_all

        summary = do_rescore_all()
        if summary.note:
            raise CommandError(summary.note + " (activate one with `smarketing score activate`)")
        self.stdout.write(json.dumps(summary.to_dict()))

    def _activate(self, file, **_):
        from smarketing.scoring.actions import do_rescore_all, do_save_definition

        text, _ = self._definition(file)
        try:
            row = do_save_definition(text=text, activate=True, rescore=False, note=f"CLI: {file}")
        except ValidationError as exc:  # pragma: no cover - load_definition already passed
            raise CommandError("; ".join(exc.messages)) from None
        summary = do_rescore_all()
        self.stdout.write(
            f"Activated {row}; rescored {summary.contacts} contacts "
            f"({summary.mqls} MQLs, {summary.hand_raisers} hand-raisers)"
        )
