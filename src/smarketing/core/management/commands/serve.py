"""``smarketing serve``: run the web app with waitress, a production-grade WSGI server."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> list[str]:
    """Names of migrations not yet applied to the default database."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def serve(*, host: str, port: int, threads: int = 8, stdout=None) -> None:
    """Serve the WSGI application until interrupted."""
    from waitress import serve as waitress_serve

    from smarketing.config.wsgi import application

    if stdout:
        stdout.write(f"smarketing is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="smarketing")


class Command(BaseCommand):
    help = "Serve smarketing with waitress (production WSGI server)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"the database has {len(pending)} unapplied migration(s) "
                f"({', '.join(pending[:3])}…); run `smarketing migrate` first"
            )
        serve(host=host, port=port, threads=threads, stdout=self.stdout)
