"""Forms of the ingest settings pages: tracking sites, webhook endpoints, inbound forms, rules."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError

from smarketing.ingest.channels import ChannelRules, ChannelRulesError
from smarketing.ingest.models import WEBHOOK_KIND_LABELS, InboundForm, TrackingSite, WebhookEndpoint


def _lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


class TrackingSiteForm(forms.ModelForm):
    """A tracking site; origins one per line (or comma-separated)."""

    origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://www.example.com"}),
        help_text="Origins allowed to send events, one per line; * allows any.",
    )

    class Meta:
        model = TrackingSite
        fields = ["name", "key_rate_limit", "ip_rate_limit", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["origins"].initial = "\n".join(self.instance.allowed_origins)

    def clean_origins(self):
        origins = TrackingSite.normalize_origins(_lines(self.cleaned_data.get("origins", "")))
        self.instance.allowed_origins = origins
        return origins


class WebhookEndpointForm(forms.ModelForm):
    """An outbound webhook endpoint with its subscribed kinds (none ticked = all)."""

    url = forms.URLField(max_length=500, assume_scheme="https")
    kinds = forms.MultipleChoiceField(
        choices=[(k, f"{label} ({k})") for k, label in WEBHOOK_KIND_LABELS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every kind.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "format", "kinds", "active"]


class InboundFormForm(forms.ModelForm):
    """An inbound form webhook with its field mapping as JSON."""

    mapping = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text='JSON {field: "dotted.path"}, e.g. {"email": "data.email", "submission_id": "id"}',
        initial='{\n  "email": "email",\n  "submission_id": "id"\n}',
    )

    class Meta:
        model = InboundForm
        fields = ["name", "default_campaign", "default_channel", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["mapping"].initial = json.dumps(self.instance.field_mapping, indent=2)

    def clean_mapping(self):
        try:
            mapping = json.loads(self.cleaned_data["mapping"])
        except json.JSONDecodeError as exc:
            raise ValidationError(f"not valid JSON: {exc}") from None
        InboundForm.check_mapping(mapping)
        self.instance.field_mapping = mapping
        return mapping


class ChannelRulesForm(forms.Form):
    """The channel grouping rule document (JSON or YAML)."""

    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 24, "class": "mono"}))

    def clean_document(self):
        text = self.cleaned_data["document"]
        try:
            rules = (
                ChannelRules.from_json(text)
                if text.lstrip().startswith("{")
                else ChannelRules.from_yaml(text)
            )
        except ChannelRulesError as exc:
            raise ValidationError(str(exc)) from None
        return rules.to_dict()
