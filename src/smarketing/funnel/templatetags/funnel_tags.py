"""Template helpers of the inbox: an SLA clock as a badge."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def clock_badge(clock):
    """A coloured badge for one SLA clock: met, due in N business hours, or overdue."""
    if clock is None:
        return ""
    due = timezone.localtime(clock.due).strftime("%a %d %b %H:%M")
    if clock.status == "met":
        return format_html('<span class="badge ok" title="due {}">met</span>', due)
    if clock.status == "breached":
        return format_html(
            '<span class="badge bad" title="was due {}">overdue {}h</span>',
            due,
            f"{clock.overdue_hours:.1f}",
        )
    css = "warn" if clock.remaining_hours < 2 else ""
    return format_html(
        '<span class="badge {}" title="due {}">due in {}h</span>',
        css,
        due,
        f"{clock.remaining_hours:.1f}",
    )
