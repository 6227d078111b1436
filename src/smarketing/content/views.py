"""The content library page: what sales can send, by persona, stage and topic."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from smarketing.content.selectors import search_assets
from smarketing.crm.choices import ContentKind, LifecycleStage
from smarketing.crm.models import Persona


@login_required
def library(request):
    """Search and filter the content library."""
    try:
        persona_id = int(request.GET.get("persona") or 0) or None
    except ValueError:
        persona_id = None
    filters = {
        "q": request.GET.get("q", "").strip(),
        "persona_id": persona_id,
        "stage": request.GET.get("stage", ""),
        "topic": request.GET.get("topic", "").strip(),
        "kind": request.GET.get("kind", ""),
    }
    return render(
        request,
        "content/library.html",
        {
            "assets": search_assets(**filters),
            "filters": filters,
            "personas": Persona.objects.order_by("name"),
            "stages": LifecycleStage.choices,
            "kinds": ContentKind.choices,
        },
    )
