"""Background work of the funnel (huey): the MQL rule over contacts whose touches arrived in bulk."""

from huey.contrib.djhuey import db_task


@db_task()
def qualify_contacts_task(contact_ids: list[int], trigger: str = "bulk touchpoints") -> int:
    """Apply the MQL rule to these contacts; returns how many were assigned (safe to re-run)."""
    from smarketing.funnel.actions import do_evaluate_leads

    return len(do_evaluate_leads(contact_ids=contact_ids, trigger=trigger))
