"""Writes of the CSV import: create and run jobs, dry runs, merge or keep apart, undo merges."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smarketing.crm import dedupe
from smarketing.crm.models import Account, Contact
from smarketing.ingest.csvimport.models import (
    DuplicateCandidate,
    ExternalRef,
    ImportJob,
    MergeRecord,
)
from smarketing.ingest.csvimport.runner import BATCH_SIZE, ImportRunner
from smarketing.ingest.csvimport.selectors import job_summary

#: The formats of the ``--format`` option.
FORMAT_CHOICES = (
    "auto", "hubspot-contacts", "hubspot-deals", "salesforce-leads", "salesforce-opportunities",
    "salesforce-opportunity-history", "mautic-contacts", "generic",
)  # fmt: skip


def upload_dir() -> Path:
    """Where uploaded import files are kept (under MEDIA_ROOT)."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read in chunks (a re-run of the same file finds its failed job)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_upload(upload) -> Path:
    """Save an uploaded file under :func:`upload_dir` with a unique name; returns the path."""
    name = Path(upload.name).name or "upload.csv"
    target = upload_dir() / f"{uuid.uuid4().hex}-{name}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def do_create_job(
    *, path: str | os.PathLike, file_name: str | None = None, format: str = "auto",  # noqa: A002
    mapping: dict | None = None, user=None,
) -> ImportJob:  # fmt: skip
    """Create a pending job for a file on disk (nothing is read or written yet)."""
    if format not in FORMAT_CHOICES:
        raise ValidationError(
            {"format": f"unknown format {format!r}; use one of {', '.join(FORMAT_CHOICES)}"}
        )
    path = Path(path)
    if not path.is_file():
        raise ValidationError({"path": f"{path} is not a file"})
    return ImportJob.objects.create(
        file_name=(file_name or path.name)[:255],
        file_path=str(path.resolve()),
        file_size=path.stat().st_size,
        file_sha256=file_sha256(path),
        format=format,
        mapping=mapping,
        created_by=user if getattr(user, "pk", None) else None,
    )


def find_resumable(*, path: str | os.PathLike, format: str, mapping: dict | None):  # noqa: A002
    """The latest failed job of the same file content, format and mapping, if any."""
    digest = file_sha256(path)
    job = (
        ImportJob.objects.filter(file_sha256=digest, format=format, status=ImportJob.Status.FAILED)
        .order_by("-created_at", "-id")
        .first()
    )
    if job is not None and job.mapping == mapping and job.checkpoint_row > 0:
        job.file_path = str(Path(path).resolve())
        job.save(update_fields=["file_path"])
        return job
    return None


def do_run_import(
    *, job: ImportJob, batch_size: int = BATCH_SIZE, hook=None, progress=None, parallel=None
):
    """Run (or resume) a job; returns its summary. A crash re-raises after marking it failed.

    ``parallel``: parse in a worker process (``None``: decided by the file's size).
    """
    ImportRunner(job, batch_size=batch_size, hook=hook, progress=progress, parallel=parallel).run()
    return job_summary(job)


class _DryRun(Exception):
    pass


def do_dry_run(
    *, path: str | os.PathLike, file_name: str | None = None, format: str = "auto",  # noqa: A002
    mapping: dict | None = None, user=None, batch_size: int = BATCH_SIZE, parallel=None,
) -> dict:  # fmt: skip
    """Run the import inside a transaction that is rolled back: the summary of what *would*
    happen (the same code, so the same numbers as the real run), and nothing written."""
    summary: dict = {}
    try:
        with transaction.atomic():
            job = do_create_job(
                path=path, file_name=file_name, format=format, mapping=mapping, user=user
            )
            summary = do_run_import(job=job, batch_size=batch_size, parallel=parallel)
            raise _DryRun
    except _DryRun:
        pass
    summary["job"] = None
    summary["dry_run"] = True
    return summary


def delete_upload(job: ImportJob) -> None:
    """Remove a job's uploaded copy (only files under the upload directory)."""
    path = Path(job.file_path)
    if path.is_file() and upload_dir() in path.resolve().parents:
        path.unlink()


# --------------------------------------------------------------------------- review queue
_MODELS = {"contact": Contact, "account": Account}


@transaction.atomic
def do_resolve_duplicate(
    *, candidate: DuplicateCandidate, decision: str, by=None, keep: str = "existing"
):
    """Merge the pair (``decision="merge"``) or keep both (``"keep_apart"``).

    ``keep`` says which record survives a merge: ``"existing"`` (default) or ``"incoming"``.
    Returns the :class:`MergeRecord` of a merge, else ``None``.
    """
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise ValidationError(
            {"decision": f"this pair was already {candidate.get_status_display().lower()}"}
        )
    if decision == "keep_apart":
        candidate.status = DuplicateCandidate.Status.KEPT_APART
        candidate.resolved_by = by if getattr(by, "pk", None) else None
        candidate.resolved_at = timezone.now()
        candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
        return None
    if decision != "merge":
        raise ValidationError({"decision": "choose merge or keep_apart"})
    if keep not in ("existing", "incoming"):
        raise ValidationError({"keep": "keep the existing or the incoming record"})
    model = _MODELS[candidate.kind]
    ids = (candidate.existing_id, candidate.incoming_id)
    if keep == "incoming":
        ids = ids[::-1]
    records = model.objects.in_bulk(ids)
    if len(records) != 2:
        raise ValidationError({"decision": "one of the two records no longer exists"})
    merge = do_merge(kind=candidate.kind, winner=records[ids[0]], loser=records[ids[1]], by=by)
    merge.candidate = candidate
    merge.save(update_fields=["candidate"])
    candidate.status = DuplicateCandidate.Status.MERGED
    candidate.resolved_by = merge.by
    candidate.resolved_at = merge.at
    candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
    return merge


@transaction.atomic
def do_merge(*, kind: str, winner, loser, by=None) -> MergeRecord:
    """Merge two contacts or accounts, move their external refs, record who and what moved."""
    label = str(loser)[:300]
    refs = list(
        ExternalRef.objects.filter(object_type=kind, object_id=loser.pk).values_list(
            "pk", flat=True
        )
    )
    if kind == "contact":
        log = dedupe.do_merge_contacts(winner=winner, loser=loser)
    else:
        log = dedupe.do_merge_accounts(winner=winner, loser=loser)
    ExternalRef.objects.filter(pk__in=refs).update(object_id=winner.pk)
    log["refs"] = refs
    return MergeRecord.objects.create(
        kind=kind,
        winner_id=winner.pk,
        loser_id=log["loser"],
        loser_label=label,
        log=log,
        by=by if getattr(by, "pk", None) else None,
    )


@transaction.atomic
def do_undo_merge(*, merge: MergeRecord, by=None) -> None:
    """Split a merged pair again: the loser, its rows and its external refs come back."""
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": "this merge was already undone"})
    try:
        dedupe.do_undo_merge(log=merge.log)
    except ValueError as exc:
        raise ValidationError({"merge": str(exc)}) from None
    ExternalRef.objects.filter(pk__in=merge.log.get("refs", []), object_id=merge.winner_id).update(
        object_id=merge.loser_id
    )
    merge.undone_at = timezone.now()
    merge.undone_by = by if getattr(by, "pk", None) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    if merge.candidate_id:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            status=DuplicateCandidate.Status.OPEN, resolved_by=None, resolved_at=None
        )


def copy_to_uploads(path: str | os.PathLike) -> Path:
    """Copy a local file into the upload directory (so a background task can read it)."""
    target = upload_dir() / f"{uuid.uuid4().hex}-{Path(path).name}"
    shutil.copyfile(path, target)
    return target
