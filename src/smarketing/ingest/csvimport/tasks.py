"""Background import of big files (the web page enqueues; the CLI runs in the foreground)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from smarketing.core.audit import acting_as


@db_task()
def run_import_job(job_id: int) -> None:
    """Run or resume an import job; safe to retry (the job resumes after its checkpoint)."""
    from smarketing.ingest.csvimport.actions import do_run_import
    from smarketing.ingest.csvimport.models import ImportJob

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return
    with acting_as(job.created_by, None if job.created_by else "import"):
        do_run_import(job=job)
