from django.apps import AppConfig


class CsvImportConfig(AppConfig):
    """CSV import of CRM exports: jobs, row errors, upserts, dedupe review, merges."""

    name = "smarketing.ingest.csvimport"
    label = "csvimport"
    verbose_name = "CSV import"
