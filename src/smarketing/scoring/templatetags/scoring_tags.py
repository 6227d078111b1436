"""``{% load scoring_tags %}{% lead_explanation contact_id %}``: a lead's score explanation.

For a list of leads, prefer passing ``explanations_for(ids)`` into the page and
``{% include "scoring/_explanation.html" with explanation=... %}`` (one query for all).
"""

from django import template

from smarketing.scoring.selectors import explanation_for

register = template.Library()


@register.inclusion_tag("scoring/_explanation.html")
def lead_explanation(contact_id, rules=True):
    """Render ``scoring/_explanation.html`` for one contact."""
    from smarketing.scoring.selectors import explanations_for

    if not rules:
        return {"explanation": explanations_for([contact_id], rules=False)[contact_id]}
    return {"explanation": explanation_for(contact_id)}
