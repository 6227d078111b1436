"""Parsing in a worker process writes exactly what parsing inline writes; crashes still resume.

Big files are parsed in a worker process (``smarketing.ingest.csvimport.parallel``); these
tests force it on the small sample exports and compare every written row with the inline
path's, column by column (ids compared by their order, clock readings masked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.db import models, transaction
from django.utils import timezone

from smarketing.crm.models import Account, Contact, Deal, DealContact, DealStageChange
from smarketing.funnel.models import StageChange
from smarketing.ingest.csvimport import parallel
from smarketing.ingest.csvimport.actions import do_create_job, do_run_import
from smarketing.ingest.csvimport.models import (
    DuplicateCandidate,
    ExternalRef,
    ImportJob,
    ImportRowError,
)
from smarketing.ingest.formats import parse_file

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db

#: Imported in this order (OpportunityHistory needs its opportunities first).
SEQUENCE = [
    ("hubspot_contacts_labels.csv", None),
    ("hubspot_contacts_internal.csv", None),
    ("salesforce_opportunities.csv", None),
    ("salesforce_opportunity_history.csv", None),
    ("salesforce_leads.csv", None),
    ("mautic_contacts_cp1252.csv", None),
    ("generic_contacts.tsv", None),
    ("hubspot_deals.csv", None),
    ("hubspot_contacts_labels.csv", None),  # again: every row skipped
    ("pipedrive_persons.csv", "pipedrive_mapping.yaml"),
]
TABLES = (
    Account, Contact, Deal, DealContact, DealStageChange, StageChange, ExternalRef,
    DuplicateCandidate, ImportRowError,
)  # fmt: skip
_OBJECT_TYPES = {"contact": Contact, "account": Account, "deal": Deal}


def import_all(parallel_parse: bool) -> list[dict]:
    summaries = []
    for name, mapping in SEQUENCE:
        kwargs = {"mapping": yaml.safe_load((SAMPLES / mapping).read_text())} if mapping else {}
        job = do_create_job(path=SAMPLES / name, **kwargs)
        summary = do_run_import(job=job, parallel=parallel_parse)
        summary.pop("job")
        summaries.append(summary)
    return summaries


def dump(since: dt.datetime) -> dict:
    """Every row of the import's tables; ids as their rank in the table, clocks masked."""
    ranks = {
        model: {pk: i for i, pk in enumerate(model._base_manager.order_by("pk").values_list("pk", flat=True))}
        for model in (*TABLES, ImportJob)
    }  # fmt: skip
    out = {}
    for model in TABLES:
        fields = model._meta.concrete_fields
        rows = []
        for obj in model._base_manager.order_by("pk"):
            row = []
            for f in fields:
                value = getattr(obj, f.attname)
                if f.primary_key:
                    value = ranks[model][value]
                elif isinstance(f, models.ForeignKey) and value is not None:
                    value = ranks.get(f.related_model, {}).get(value, value)
                elif model is ExternalRef and obj.object_type == "deal_stage_guess":
                    # external_id / object_id: a DealStageChange id; fingerprint: a Deal id.
                    if f.attname in ("external_id", "object_id"):
                        value = ranks[DealStageChange].get(int(value), "gone")
                    elif f.attname == "fingerprint":
                        value = ranks[Deal][int(value)]
                elif model is ExternalRef and f.attname == "object_id":
                    value = ranks[_OBJECT_TYPES[obj.object_type]][value]
                elif model is DuplicateCandidate and f.attname in ("existing_id", "incoming_id"):
                    value = ranks[_OBJECT_TYPES[obj.kind]].get(value, value)
                elif isinstance(value, dt.datetime) and value >= since:
                    value = "now"
                row.append(value)
            rows.append(row)
        out[model.__name__] = rows
    return out


class _Undo(Exception):
    pass


def test_worker_process_writes_exactly_what_inline_parsing_writes():
    since = timezone.now() - dt.timedelta(seconds=1)
    try:
        with transaction.atomic():
            inline = import_all(False)
            inline_rows = dump(since)
            raise _Undo
    except _Undo:
        pass
    assert Contact.objects.count() == 0
    worker = import_all(True)
    assert worker == inline
    assert dump(since) == inline_rows
    assert sum(len(rows) for rows in inline_rows.values()) > 100


def test_worker_results_equal_inline_results_row_by_row():
    path = SAMPLES / "hubspot_contacts_labels.csv"
    with parse_file(path) as parsed:
        inline = list(parallel.inline_results(parsed, "salt|"))
    with parse_file(path) as parsed:
        results = parallel.WorkerResults(
            parsed, path=str(path), format_name="auto", mapping=None, salt="salt|"
        )
        with results:
            worker = list(results)
        assert parsed.stats.as_dict()["rows_read"] == len(worker)
    assert worker == inline
    assert all(len(fp) == 32 for r, fp in worker if r.ok)


def test_worker_skips_rows_before_the_checkpoint():
    path = SAMPLES / "salesforce_leads.csv"
    with parse_file(path) as parsed:
        inline = [(r, fp) for r, fp in parallel.inline_results(parsed, "") if r.row_number > 3]
        with parallel.WorkerResults(
            parsed, path=str(path), format_name="auto", mapping=None, salt="", skip_through=3
        ) as results:
            assert list(results) == inline


def test_worker_failure_is_raised(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("Record ID,Email,Lifecycle Stage\n1,a@x.io,Lead\n", encoding="utf-8")
    with parse_file(path) as parsed:
        results = parallel.WorkerResults(
            parsed, path=str(tmp_path / "gone.csv"), format_name="auto", mapping=None, salt=""
        )
        with results, pytest.raises(OSError):
            list(results)


class Crash(RuntimeError):
    pass


def test_crash_with_worker_then_resume_finishes_without_duplicates(tmp_path):
    lines = ["Record ID,Email,Lifecycle Stage,Became a Lead Date"]
    lines += [f"{n},p{n}@x.io,Lead,2025-03-0{1 + n % 8} 10:00" for n in range(1, 11)]
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = do_create_job(path=path)

    def hook(result):
        if result.row_number == 8:
            raise Crash("disk on fire")

    with pytest.raises(Crash):
        do_run_import(job=job, batch_size=3, hook=hook, parallel=True)
    job.refresh_from_db()
    assert job.status == "failed" and job.checkpoint_row == 7
    assert Contact.objects.count() == 6
    summary = do_run_import(job=job, batch_size=3, parallel=True)  # resume
    assert summary["status"] == "done"
    assert summary["objects"]["contact"]["created"] == 10
    assert Contact.objects.count() == 10 and StageChange.objects.count() == 10


def test_import_restores_the_connections_sqlite_settings():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")

    def settings():
        with connection.cursor() as cursor:
            return [
                cursor.execute(f"PRAGMA {n}").fetchone()[0]
                for n in ("cache_size", "wal_autocheckpoint")
            ]

    before = settings()
    do_run_import(job=do_create_job(path=SAMPLES / "salesforce_leads.csv"))
    assert settings() == before
