"""Import pages: upload → preview and column mapping → run → summary; history; review queue.

Anyone signed in can look; uploading, running, merging and undoing need a manager or admin
(an import writes the shared records of both teams).
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from smarketing.core.audit import acting_as
from smarketing.core.permissions import can
from smarketing.ingest.csvimport import actions, selectors
from smarketing.ingest.csvimport.forms import INLINE_LIMIT, UploadForm, load_mapping_text
from smarketing.ingest.csvimport.models import DuplicateCandidate, ImportJob, MergeRecord
from smarketing.ingest.formats import ImportFileError, get_format, preview, write_error_csv
from smarketing.ingest.formats.records import RowError


def _can_write(user) -> bool:
    return can(user, "import.run")


def _require_write(request) -> None:
    if not _can_write(request.user):
        raise PermissionDenied("importing and merging need a manager or admin")


@login_required
def upload(request):
    """The upload form and the import history."""
    form = UploadForm()
    if request.method == "POST":
        _require_write(request)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            stored = actions.store_upload(form.cleaned_data["file"])
            job = actions.do_create_job(
                path=stored,
                file_name=form.cleaned_data["file"].name,
                format=form.cleaned_data["format"],
                mapping=form.cleaned_data["mapping"],
                user=request.user,
            )
            return redirect("csvimport:preview", pk=job.pk)
    page = Paginator(selectors.import_history(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "csvimport/upload.html",
        {
            "form": form,
            "page": page,
            "can_write": _can_write(request.user),
            "open_duplicates": DuplicateCandidate.objects.filter(status="open").count(),
        },
    )


def _raw_preview(job: ImportJob):
    """The first rows of a file no format recognises (for mapping it by hand), or ``None``."""
    from smarketing.ingest.formats import Preview, open_csv

    try:
        with open_csv(job.file_path) as rows:
            raw = []
            for item in rows:
                if len(raw) >= 20:
                    break
                raw.append(item)
            return Preview("generic", rows.layout, dict.fromkeys(rows.layout.headers), raw, [])
    except ImportFileError:
        return None


def _mapping_fields(format_name: str) -> list[str]:
    fmt = get_format(format_name)
    fields = sorted(fmt.columns)
    if fmt.lifecycle_stages is not None:
        from smarketing.ingest.formats.stages import LIFECYCLE_STAGES

        fields += [f"stage_at:{s}" for s in LIFECYCLE_STAGES]
    return fields


@login_required
def preview_job(request, pk: int):
    """Check before anything is written: format, encoding, column map, the first rows."""
    job = get_object_or_404(ImportJob, pk=pk)
    error = None
    if request.method == "POST":
        _require_write(request)
        error = _update_mapping(request, job)
    try:
        pv = preview(job.file_path, format=job.format, mapping=job.mapping, limit=20)
    except ImportFileError as exc:
        pv = _raw_preview(job)
        if pv is None or job.format not in ("generic", "auto"):
            context = {"job": job, "file_error": str(exc)}
            return render(request, "csvimport/preview.html", context, status=422)
        # Columns no format knows: show them so they can be mapped onto generic fields.
        error = error or f"{exc} Map the columns below."
    errors_by_row: dict[int, list[RowError]] = {}
    for result in pv.results:
        if result.errors:
            errors_by_row[result.row_number] = list(result.errors)
    headers = list(pv.layout.headers)
    rows = [
        {
            "number": n,
            "cells": [raw.get(h, "") for h in headers],
            "errors": errors_by_row.get(n, []),
        }
        for n, raw in pv.raw_rows
    ]
    mapping_format = (job.mapping or {}).get("format") or (
        job.format if job.format != "auto" else pv.format_name
    )
    return render(
        request,
        "csvimport/preview.html",
        {
            "job": job,
            "pv": pv,
            "headers": headers,
            "rows": rows,
            "column_map": list(pv.column_map.items()),
            "fields": _mapping_fields(mapping_format),
            "editable": pv.format_name == "generic" or bool(job.mapping),
            "can_run": bool(pv.results) or not pv.raw_rows,
            "mapping_error": error,
            "can_write": _can_write(request.user),
            "inline": job.file_size <= INLINE_LIMIT,
        },
    )


def _update_mapping(request, job: ImportJob) -> str | None:
    """Store the mapping edited column by column on the preview page (generic files)."""
    columns = {}
    for key, value in request.POST.items():
        if key.startswith("col:") and value:
            columns[key[4:]] = value
    document = dict(job.mapping or {})
    document.setdefault("format", "generic" if job.format == "auto" else job.format)
    document["columns"] = columns
    try:
        import yaml

        document = load_mapping_text(yaml.safe_dump(document), document["format"])
    except Exception as exc:  # a forms.ValidationError: show it next to the table
        return "; ".join(getattr(exc, "messages", [str(exc)]))
    job.mapping = document
    job.save(update_fields=["mapping"])
    return None


@login_required
@require_POST
def run_job(request, pk: int):
    """Run the job: inline for small files, in the task worker for big ones."""
    _require_write(request)
    job = get_object_or_404(ImportJob, pk=pk)
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        messages.info(request, f"Import #{job.pk} is {job.get_status_display().lower()}.")
        return redirect("csvimport:job", pk=job.pk)
    if job.file_size > INLINE_LIMIT:
        from smarketing.ingest.csvimport.tasks import run_import_job

        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PENDING)
        run_import_job(job.pk)
        messages.info(request, "The import runs in the background; this page shows its progress.")
    else:
        with acting_as(request.user):
            try:
                actions.do_run_import(job=job)
            except Exception:  # the job is marked failed with the reason; show it
                job.refresh_from_db()
    return redirect("csvimport:job", pk=job.pk)


@login_required
def job_detail(request, pk: int):
    """The summary of one import: counts, warnings, errors, progress while it runs."""
    job = get_object_or_404(ImportJob, pk=pk)
    summary = selectors.job_summary(job, errors=False)
    errors = selectors.job_errors(job)[:200]
    return render(
        request,
        "csvimport/job.html",
        {
            "job": job,
            "summary": summary,
            "errors": errors,
            "running": job.status in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
            and job.started_at is not None,
            "can_write": _can_write(request.user),
        },
    )


@login_required
def errors_csv(request, pk: int):
    """Download a job's row errors as CSV (row_number, column, value, reason)."""
    job = get_object_or_404(ImportJob, pk=pk)
    out = io.StringIO()
    write_error_csv(
        (
            RowError(e.row_number, e.column or None, e.value or None, e.reason)
            for e in selectors.job_errors(job).iterator()
        ),
        out,
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
def duplicates(request):
    """The duplicate review queue: both records side by side; recent merges with undo."""
    return render(
        request,
        "csvimport/duplicates.html",
        {
            "items": selectors.open_duplicates(),
            "merges": selectors.recent_merges(),
            "can_write": _can_write(request.user),
        },
    )


@login_required
@require_POST
def resolve_duplicate(request, pk: int):
    """Merge a queued pair (keeping the existing or the incoming record) or keep it apart."""
    _require_write(request)
    candidate = get_object_or_404(DuplicateCandidate, pk=pk)
    decision = request.POST.get("decision", "")
    keep = request.POST.get("keep", "existing")
    try:
        with acting_as(request.user):
            merge = actions.do_resolve_duplicate(
                candidate=candidate, decision=decision, by=request.user, keep=keep
            )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("csvimport:duplicates")
    if merge:
        messages.success(request, f"Merged {merge.loser_label} into #{merge.winner_id}.")
    else:
        messages.success(request, "Kept apart: this pair will not be suggested again.")
    return redirect("csvimport:duplicates")


@login_required
@require_POST
def undo_merge(request, pk: int):
    """Undo a merge: the merged-away record and everything moved come back."""
    _require_write(request)
    merge = get_object_or_404(MergeRecord, pk=pk)
    try:
        with acting_as(request.user):
            actions.do_undo_merge(merge=merge, by=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"Merge undone: {merge.loser_label} is back.")
    return redirect("csvimport:duplicates")
