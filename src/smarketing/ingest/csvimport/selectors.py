"""Reads of the CSV import: job summaries, errors, history list, the duplicate review queue."""

from __future__ import annotations

from django.db.models import QuerySet

from smarketing.crm.models import Account, Contact
from smarketing.ingest.csvimport.models import (
    DuplicateCandidate,
    ImportJob,
    ImportRowError,
    MergeRecord,
)
from smarketing.ingest.csvimport.plan import OUTCOMES


def job_summary(job: ImportJob, *, errors: bool = True) -> dict:
    """The import summary (the ``--json`` contract): rows, counts per object type, errors.

    ``created``/``updated``/``merged``/``skipped`` are totals over the object types;
    ``objects`` has them per type (contact, account, deal, stage_change, deal_stage_change).
    """
    job.refresh_from_db()
    totals = job.totals
    summary = {
        "job": job.pk,
        "file": job.file_name,
        "format": job.detected_format or job.format,
        "status": job.status,
        "dry_run": False,
        "rows_read": job.rows_read,
        "rows_imported": job.rows_read - job.rows_with_errors,
        "rows_with_errors": job.rows_with_errors,
        **totals,
        "objects": {t: {o: c.get(o, 0) for o in OUTCOMES} for t, c in (job.counts or {}).items()},
        "errors": [],
        "error_count": job.row_errors.count(),
        "warnings": [f"{message} ({n} rows)" for message, n in (job.warnings or {}).items()],
        "duplicates_queued": job.duplicates_queued,
        "message": job.message,
    }
    if errors:
        summary["errors"] = [
            {"row": e.row_number, "column": e.column or None, "value": e.value, "reason": e.reason}
            for e in job.row_errors.all().iterator()
        ]
    return summary


def job_errors(job: ImportJob) -> QuerySet[ImportRowError]:
    """A job's row errors in file order."""
    return job.row_errors.order_by("row_number", "id")


def import_history(*, user=None) -> QuerySet[ImportJob]:
    """Import jobs, newest first."""
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def open_duplicates() -> list[dict]:
    """Open review-queue entries with both records loaded, for side-by-side display."""
    items = list(DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)[:200])
    ids = {"contact": set(), "account": set()}
    for item in items:
        ids[item.kind].update((item.existing_id, item.incoming_id))
    contacts = Contact.objects.select_related("account", "owner").in_bulk(ids["contact"])
    accounts = Account.objects.in_bulk(ids["account"])
    rows = []
    for item in items:
        source = contacts if item.kind == "contact" else accounts
        existing, incoming = source.get(item.existing_id), source.get(item.incoming_id)
        if existing is None or incoming is None:
            continue
        rows.append(
            {
                "item": item,
                "existing": existing,
                "incoming": incoming,
                "fields": _side_by_side(item.kind, existing, incoming),
            }
        )
    return rows


_FIELDS = {
    "contact": ["email", "first_name", "last_name", "title", "phone", "account",
                "lifecycle_stage", "owner", "original_channel", "created_at"],
    "account": ["name", "domain", "industry", "employees", "country", "created_at"],
}  # fmt: skip


def _side_by_side(kind: str, a, b) -> list[tuple[str, object, object, bool]]:
    out = []
    for name in _FIELDS[kind]:
        left, right = getattr(a, name), getattr(b, name)
        out.append((name.replace("_", " "), left, right, left != right))
    if kind == "contact":
        out.append(("touchpoints", a.touchpoints.count(), b.touchpoints.count(), False))
        out.append(("stage changes", a.stage_changes.count(), b.stage_changes.count(), False))
    else:
        out.append(("contacts", a.contacts.count(), b.contacts.count(), False))
        out.append(("deals", a.deals.count(), b.deals.count(), False))
    return out


def recent_merges(limit: int = 50) -> QuerySet[MergeRecord]:
    """Merges, newest first (undone ones included)."""
    return MergeRecord.objects.select_related("by", "undone_by")[:limit]
