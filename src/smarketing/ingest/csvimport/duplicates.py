"""Queue uncertain contact duplicates an import produced, for a person to merge or keep apart.

Contacts are merged automatically only on the same normalised email. Two contacts with the
same first and last name (case-insensitive) at the same account but different emails are
likely one person (``ann.lee@acme.com`` and ``a.lee@acme.com``) but not certainly: the pair
goes to the duplicate review queue. Account near misses (names 85–95 % alike) are queued
while the rows are planned (:mod:`smarketing.ingest.csvimport.contacts`).
"""

from __future__ import annotations

from django.db import connection

from smarketing.crm.models import Contact
from smarketing.ingest.csvimport.models import DuplicateCandidate, ExternalRef, ImportJob


def queue_contact_duplicates(job: ImportJob) -> int:
    """Queue same-name, same-account pairs involving contacts this job wrote; returns how many.

    A pair decided before (merged or kept apart) is never queued again.
    """
    contact, ref = Contact._meta.db_table, ExternalRef._meta.db_table
    sql = f"""
        SELECT a.id, b.id FROM {contact} a
        JOIN {contact} b ON b.account_id = a.account_id AND a.id < b.id
            AND lower(a.first_name) = lower(b.first_name)
            AND lower(a.last_name) = lower(b.last_name)
        WHERE a.first_name <> '' AND a.last_name <> '' AND a.account_id IS NOT NULL
          AND (b.id IN (SELECT object_id FROM {ref} WHERE job_id = %s AND object_type = 'contact')
            OR a.id IN (SELECT object_id FROM {ref} WHERE job_id = %s AND object_type = 'contact'))
    """  # noqa: S608 - table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [job.pk, job.pk])
        pairs = cursor.fetchall()
    if not pairs:
        return 0
    before = DuplicateCandidate.objects.filter(kind="contact").count()
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(
                kind="contact",
                existing_id=a,
                incoming_id=b,
                score=100.0,
                reason="same name at the same account, different emails",
                job=job,
            )
            for a, b in pairs
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return DuplicateCandidate.objects.filter(kind="contact").count() - before
