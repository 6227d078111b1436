"""Run an import job: stream the file, plan and write it in batches, checkpoint, resume.

Each batch (5,000 rows by default) is planned in memory and written with bulk statements
in one transaction that also moves the job's checkpoint and stores the batch's row errors.
If the batch hits a data error in the database (a constraint, a value too long for a
column), it is rolled back and written again row by row, each row in its own savepoint, so
the one bad row becomes a row error and the others are imported. Any other exception (a
crash: the database went away, the process is stopped) leaves the committed batches, whole
rows only; running the job again resumes after its checkpoint, and the external refs make a
re-import of already written rows a no-op in any case.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from smarketing.core.audit import record
from smarketing.core.permissions import can
from smarketing.crm.dedupe import AccountIndex
from smarketing.ingest.csvimport.contacts import ContactPlanner
from smarketing.ingest.csvimport.deals import DealPlanner
from smarketing.ingest.csvimport.duplicates import queue_contact_duplicates
from smarketing.ingest.csvimport.fastinsert import frozen_now, import_cache
from smarketing.ingest.csvimport.gcpolicy import bulk_gc
from smarketing.ingest.csvimport.models import ImportJob, ImportRowError
from smarketing.ingest.csvimport.parallel import (
    PARALLEL_MIN_BYTES,
    WorkerResults,
    inline_results,
)
from smarketing.ingest.csvimport.plan import OBJECT_TYPES, OUTCOMES, BatchPlan, Directory
from smarketing.ingest.csvimport.touches import TouchPlanner, flush_touches
from smarketing.ingest.formats import (
    AccountRecord,
    ContactRecord,
    DealRecord,
    ImportFileError,
    RoleRecord,
    RowError,
    StageEventRecord,
    TouchRecord,
    parse_file,
)

#: Errors that make one row fail (and only that row); anything else stops the job.
ROW_ERRORS = (ValidationError, IntegrityError, DataError, ValueError)
BATCH_SIZE = 5000


class ImportRunner:
    """Runs (or resumes) one :class:`ImportJob`.

    ``hook(result)`` is called for every valid row just before it is planned (tests use it
    to simulate a crash in the middle of a file); ``progress(job)`` after every batch.
    ``parallel``: parse in a worker process (``None``: for files of at least
    :data:`~smarketing.ingest.csvimport.parallel.PARALLEL_MIN_BYTES` on a multi-core machine).
    """

    def __init__(
        self,
        job: ImportJob,
        *,
        batch_size: int = BATCH_SIZE,
        hook: Callable | None = None,
        progress: Callable | None = None,
        parallel: bool | None = None,
    ) -> None:
        self.job = job
        self.parallel = parallel
        self.batch_size = batch_size
        self.hook = hook
        self.progress = progress
        self._planners: dict[str, tuple[ContactPlanner, DealPlanner, TouchPlanner]] = {}

    def run(self) -> ImportJob:
        """Import the job's file from its checkpoint on; returns the finished job."""
        job = self.job
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.message = ""
        job.save(update_fields=["status", "started_at", "message"])
        try:
            with (
                parse_file(job.file_path, format=job.format, mapping=job.mapping) as parsed,
                import_cache(),
                bulk_gc(),
            ):
                if job.detected_format != parsed.format_name:
                    job.detected_format = parsed.format_name
                    job.save(update_fields=["detected_format"])
                self.accounts = AccountIndex.from_database()
                fingerprints = self.fingerprints = {}
                self.directory = Directory()
                batch = []
                with self._results(parsed) as results:
                    for result, fp in results:
                        if result.row_number <= job.checkpoint_row:
                            continue  # written by an earlier, interrupted run of this job
                        if result.ok:
                            fingerprints[id(result)] = fp
                        batch.append(result)
                        if len(batch) >= self.batch_size:
                            self._write(batch)
                            batch = []
                            fingerprints.clear()
                if batch:
                    self._write(batch)
            queued = queue_contact_duplicates(job)
        except ImportFileError as exc:
            self._fail(str(exc))
            return job
        except BaseException as exc:
            self._fail(f"stopped after row {job.checkpoint_row}: {type(exc).__name__}: {exc}")
            raise
        job.duplicates_queued += queued
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at", "duplicates_queued"])
        record(
            action="import",
            object_type="csvimport.ImportJob",
            object_id=job.pk,
            changes={"file": job.file_name, "format": job.detected_format, **job.totals},
        )
        return job

    def _results(self, parsed):
        """(RowResult, fingerprint) pairs, parsed in a worker process for big files."""
        job = self.job
        salt = f"{parsed.format_name}|{job.mapping!r}|"
        parallel = self.parallel
        if parallel is None:
            parallel = (
                job.file_size >= PARALLEL_MIN_BYTES
                and (os.cpu_count() or 1) > 1
                and bool(sys.executable)  # (an embedded interpreter cannot start the worker)
            )
        if not parallel:
            return nullcontext(inline_results(parsed, salt))
        return WorkerResults(
            parsed,
            path=job.file_path,
            format_name=job.format,
            mapping=job.mapping,
            salt=salt,
            skip_through=job.checkpoint_row,
        )

    def _fail(self, message: str) -> None:
        job = self.job
        job.status = ImportJob.Status.FAILED
        job.message = message
        job.finished_at = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            status=job.status, message=message, finished_at=job.finished_at
        )

    # -- batches ----------------------------------------------------------------------------
    def _write(self, batch) -> None:
        try:
            self._attempt(batch)
        except ROW_ERRORS:
            # Some row broke a database rule: write the batch again one row at a time.
            for result in batch:
                try:
                    self._attempt([result])
                except ROW_ERRORS as exc:
                    failed = BatchPlan(rows_read=1, rows_with_errors=1, last_row=result.row_number)
                    failed.errors.append(RowError(result.row_number, None, None, _reason(exc)))
                    with transaction.atomic():
                        apply = self._checkpoint(failed)
                    apply()
        if self.progress:
            self.progress(self.job)

    def _attempt(self, batch) -> None:
        self.accounts.begin()
        try:
            with transaction.atomic(), frozen_now():
                plan = self._plan(batch)
                plan.flush(self.job)
                flush_touches(plan)
                apply = self._checkpoint(plan)
        except BaseException:
            self.accounts.rollback()
            raise
        self.accounts.commit()
        apply()

    def _planners_for(self, system: str) -> tuple[ContactPlanner, DealPlanner, TouchPlanner]:
        if system not in self._planners:
            args = {"system": system, "accounts": self.accounts, "directory": self.directory}
            # The importing user's rights (None: the CLI or a system job, which may do all).
            user = self.job.created_by
            amounts = user is None or can(user, "deal.change_amount")
            self._planners[system] = (
                ContactPlanner(**args),
                DealPlanner(**args, may_change_amounts=amounts),
                TouchPlanner(system=system),
            )
        return self._planners[system]

    def _plan(self, batch) -> BatchPlan:
        plan = BatchPlan()
        by_system: dict[str, list] = {}
        for result in batch:
            if result.ok and result.records:
                by_system.setdefault(result.records[0].source_system, []).append(result)
        for system, rows in by_system.items():
            contacts, deals, touches = self._planners_for(system)
            contacts.prefetch(rows)
            deals.prefetch(rows)
            touches.prefetch(rows)
        for result in batch:
            plan.rows_read += 1
            plan.last_row = result.row_number
            if not result.ok:
                plan.errors.extend(result.errors)
                plan.rows_with_errors += 1
                continue
            if self.hook is not None:
                self.hook(result)
            if not result.records:
                continue
            contacts, deals, touches = self._planners_for(result.records[0].source_system)
            before = len(plan.errors)
            kinds = {type(r) for r in result.records}
            fp = self.fingerprints.get(id(result), "")
            if ContactRecord in kinds:
                contacts.plan(result, plan, fp)
            elif DealRecord in kinds:
                deals.plan_deal(result, plan, fp)
            elif StageEventRecord in kinds:
                deals.plan_history(result, plan)
            elif AccountRecord in kinds:
                contacts.plan_account(result, plan, fp)
            elif TouchRecord in kinds:
                touches.plan(result, plan)
            elif RoleRecord in kinds:
                deals.plan_role(result, plan)
            if len(plan.errors) > before:
                plan.rows_with_errors += 1
        return plan

    def _checkpoint(self, plan: BatchPlan) -> Callable[[], None]:
        """Store the batch's progress in its own transaction; returns the in-memory update."""
        job = self.job
        counts = {t: dict(c) for t, c in (job.counts or {}).items()}
        for object_type, outcomes in plan.counts.items():
            mine = counts.setdefault(object_type, {})
            for outcome, n in outcomes.items():
                mine[outcome] = mine.get(outcome, 0) + n
        warnings = Counter(job.warnings or {})
        warnings.update(plan.warnings)
        values = {
            "rows_read": job.rows_read + plan.rows_read,
            "rows_with_errors": job.rows_with_errors + plan.rows_with_errors,
            "checkpoint_row": max(job.checkpoint_row, plan.last_row),
            "counts": _ordered(counts),
            "warnings": dict(warnings),
            "duplicates_queued": job.duplicates_queued + len(plan.candidates),
        }
        if plan.errors:
            ImportRowError.objects.bulk_create(
                [
                    ImportRowError(
                        job_id=job.pk,
                        row_number=e.row_number,
                        column=(e.column or "")[:255],
                        value=e.value or "",
                        reason=e.reason,
                    )
                    for e in plan.errors
                ],
                batch_size=1000,
            )
        ImportJob.objects.filter(pk=job.pk).update(**values)

        def apply() -> None:
            for name, value in values.items():
                setattr(job, name, value)

        return apply


def _ordered(counts: dict) -> dict:
    return {
        t: {o: counts[t].get(o, 0) for o in OUTCOMES}
        for t in (*OBJECT_TYPES, *sorted(set(counts) - set(OBJECT_TYPES)))
        if t in counts
    }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{k}: {', '.join(v)}"
            for k, v in getattr(exc, "message_dict", {"": exc.messages}).items()
        )
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"the database refused the row: {text}"
