"""Forms of the library's management pages (marketing) and of sharing (sales)."""

from __future__ import annotations

from django import forms

from smarketing.content.kinds import KIND_CHOICES
from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Persona


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class AssetForm(forms.Form):
    """Create or edit a library asset (a file or a URL on creation)."""

    title = forms.CharField(max_length=250)
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Type")
    personas = forms.ModelMultipleChoiceField(
        queryset=Persona.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stages = forms.MultipleChoiceField(
        choices=LifecycleStage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Funnel stages",
    )
    topics = forms.CharField(required=False, help_text="Comma-separated, e.g. roi, pricing")
    industries = forms.CharField(required=False, help_text="Comma-separated")
    review_at = forms.DateField(
        required=False, label="Review by", widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(required=False, help_text="PDF, DOCX, PPTX, HTML, Markdown or text")
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="URL")

    def tag_lists(self) -> dict:
        data = self.cleaned_data
        return {"topics": _split(data["topics"]), "industries": _split(data["industries"])}


class VersionForm(forms.Form):
    """Upload a new version of an asset (or point it at a new URL)."""

    file = forms.FileField(required=False)
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="URL")
    note = forms.CharField(required=False, max_length=300, label="What changed")
