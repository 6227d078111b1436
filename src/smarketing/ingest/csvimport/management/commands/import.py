"""``smarketing import PATH``: import a CRM export (HubSpot, Salesforce, Mautic, generic CSV)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from smarketing.core.audit import acting_as
from smarketing.ingest.csvimport.actions import (
    FORMAT_CHOICES,
    do_create_job,
    do_dry_run,
    do_run_import,
    find_resumable,
)
from smarketing.ingest.formats import ImportFileError, parse_mapping


class Command(BaseCommand):
    help = (
        "Import a CSV export of contacts, deals or stage history. Rows are upserted on the "
        "source's record id (importing a file twice changes nothing), repeated people are "
        "merged, bad rows are reported and skipped. Re-running a file whose import crashed "
        "resumes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file.")
        parser.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
        parser.add_argument("--mapping", metavar="FILE", help="A YAML or JSON column mapping.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args, path, format, mapping, dry_run, json: bool, **options):  # noqa: A002
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        document = _load_mapping(mapping, format) if mapping else None
        with acting_as(None, "import"):
            try:
                if dry_run:
                    summary = do_dry_run(path=path, format=format, mapping=document)
                else:
                    job = find_resumable(path=path, format=format, mapping=document)
                    resumed = job is not None
                    if job is None:
                        job = do_create_job(path=path, format=format, mapping=document)
                    summary = do_run_import(job=job, progress=self._progress(json))
                    summary["resumed"] = resumed
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        if json:
            self.stdout.write(_json_dumps(summary))
        else:
            self._print(summary)
        if summary["status"] == "failed":
            raise CommandError(summary["message"])

    def _progress(self, quiet: bool):
        if quiet or not sys.stderr.isatty():
            return None

        def report(job):
            sys.stderr.write(f"\r{job.rows_read:,} rows read, {job.rows_with_errors:,} with errors")
            sys.stderr.flush()

        return report

    def _print(self, summary: dict) -> None:
        out = self.stdout.write
        head = "DRY RUN (nothing written): " if summary["dry_run"] else ""
        out(f"{head}{summary['file']} as {summary['format']}: {summary['status']}")
        out(
            f"rows read {summary['rows_read']}, imported {summary['rows_imported']}, "
            f"with errors {summary['rows_with_errors']}"
        )
        out(f"{'object':<18}{'created':>9}{'updated':>9}{'merged':>9}{'skipped':>9}")
        for name, c in summary["objects"].items():
            out(f"{name:<18}{c['created']:>9}{c['updated']:>9}{c['merged']:>9}{c['skipped']:>9}")
        for warning in summary["warnings"]:
            out(f"warning: {warning}")
        if summary["duplicates_queued"]:
            out(f"{summary['duplicates_queued']} possible duplicates queued for review")
        for error in summary["errors"][:50]:
            out(f"row {error['row']} {error['column'] or ''}: {error['reason']}")
        if len(summary["errors"]) > 50:
            out(f"… {len(summary['errors']) - 50} more errors (use --json for all)")


def _load_mapping(path: str, format_name: str) -> dict:
    """Read and validate a mapping file; its document is stored on the job."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--mapping {path}: {exc.strerror}") from None
    try:
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CommandError(f"--mapping {path}: not valid YAML/JSON ({exc})") from None
    try:
        parse_mapping(document, format_name=None if format_name == "auto" else format_name)
    except ImportFileError as exc:
        raise CommandError(f"--mapping {path}: {exc}") from None
    return document


def _json_dumps(summary: dict) -> str:
    import json as _json

    return _json.dumps(summary, indent=2, default=str)
