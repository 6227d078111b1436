"""Worker tasks keeping the stored path set current (:mod:`smarketing.attribution.pathset`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

LOCK = "attribution-path-set"


@db_task()
@lock_task(LOCK)
def build_path_set():
    """Build the path set if it was never built, else fold in what changed (the page
    enqueues this when it finds no path set; writes enqueue it on commit)."""
    from smarketing.attribution import pathset

    return pathset.catch_up()


@db_periodic_task(crontab(minute="*"))
@lock_task(LOCK)
def catch_up_path_set():
    """Every minute: recompute the journeys written since the checkpoint (bulk inserts
    without signals included)."""
    from smarketing.attribution import pathset

    if not pathset.is_built():
        return 0  # built by the demo, an import, the nightly job or the page's request
    return pathset.catch_up()


# The nightly full rebuild runs with the reporting tables' (reporting.tasks, 03:15), which
# call pathset.rebuild() through reporting.facts.rebuild_reporting_tables.
