"""Import jobs, their row errors, the external-reference table, the duplicate review queue.

The external-reference table is what makes imports idempotent: one row per record of a
source system (``hubspot`` contact ``1001``) pointing at the smarketing object it became,
with a fingerprint of the values last imported, so a second import of the same file finds
every row unchanged and writes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class ImportJob(models.Model):
    """An ImportJob is one import of one file: format, mapping, progress, counts and outcome.

    ``checkpoint_row`` is the last file row whose writes are committed (updated in the same
    transaction as the rows): a job that crashed resumes after it, so its counts end equal
    to an uninterrupted run's.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    file_path = models.CharField(
        max_length=1000, blank=True, help_text="Where the uploaded file is kept (to run/resume)."
    )
    file_size = models.BigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    format = models.CharField(max_length=50, default="auto", help_text="As requested.")
    detected_format = models.CharField(max_length=50, blank=True)
    mapping = models.JSONField(
        null=True, blank=True, help_text="The mapping document used (for generic/custom files)."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    message = models.TextField(blank=True, help_text="Why the job failed.")
    rows_read = models.PositiveIntegerField(default=0)
    rows_with_errors = models.PositiveIntegerField(default=0)
    checkpoint_row = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="{object type: {created…}}")
    warnings = models.JSONField(default=dict, blank=True, help_text="{message: rows}")
    duplicates_queued = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.file_name} ({self.status})"

    @property
    def totals(self) -> dict[str, int]:
        """created/updated/merged/skipped summed over the object types."""
        out = {"created": 0, "updated": 0, "merged": 0, "skipped": 0}
        for counts in (self.counts or {}).values():
            for key in out:
                out[key] += counts.get(key, 0)
        return out


class ImportRowError(models.Model):
    """An ImportRowError is one refused cell (or row) of an import: row, column, value, reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    value = models.TextField(blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"])]

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


class ExternalRef(models.Model):
    """An ExternalRef ties a source system's record id to the smarketing object it became.

    ``external_id`` is the source's record id (``1001``), or ``email:<address>`` for a contact
    exported without one. ``fingerprint`` is a hash of the values last imported: an unchanged
    row is skipped without a write.
    """

    system = models.CharField(max_length=50)
    object_type = models.CharField(max_length=20)  # contact, account, deal
    external_id = models.CharField(max_length=255)
    object_id = models.BigIntegerField()
    fingerprint = models.CharField(max_length=32, blank=True)
    job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "object_type", "external_id"], name="external_ref_unique"
            )
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.system} {self.object_type} {self.external_id} → #{self.object_id}"


class DuplicateCandidate(models.Model):
    """A DuplicateCandidate is an uncertain match waiting for a person: merge or keep apart.

    ``existing_id`` is the record that was there first, ``incoming_id`` the one the import
    created next to it because the match was not certain enough.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        CONTACT = "contact", "Contact"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        KEPT_APART = "kept_apart", "Kept apart"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    existing_id = models.BigIntegerField()
    incoming_id = models.BigIntegerField()
    score = models.FloatField(help_text="Name similarity 0–100.")
    reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "existing_id", "incoming_id"], name="duplicate_candidate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.existing_id} ~ #{self.incoming_id} ({self.score:.0f})"


class MergeRecord(models.Model):
    """A MergeRecord is one merge of two contacts or accounts: who, when, what moved; undoable.

    ``log`` is the merge log of :mod:`smarketing.crm.dedupe` (the loser's snapshot, the
    winner's changed fields, the ids of every moved row) plus the moved external refs.
    """

    kind = models.CharField(max_length=10, choices=DuplicateCandidate.Kind.choices)
    winner_id = models.BigIntegerField()
    loser_id = models.BigIntegerField()
    loser_label = models.CharField(max_length=300, blank=True)
    candidate = models.ForeignKey(
        DuplicateCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    log = models.JSONField()
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.loser_id} → #{self.winner_id}"

    @property
    def moved_summary(self) -> dict[str, int]:
        """Rows moved per related model label ({"crm.Touchpoint": 12, …})."""
        out: dict[str, int] = {}
        for move in self.log.get("moved", []):
            out[move["model"]] = out.get(move["model"], 0) + len(move["ids"])
        if self.log.get("refs"):
            out["external refs"] = len(self.log["refs"])
        return out
