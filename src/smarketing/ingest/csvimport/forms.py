"""Forms of the import pages: upload, column mapping, review decisions."""

from __future__ import annotations

from django import forms

from smarketing.ingest.csvimport.actions import FORMAT_CHOICES
from smarketing.ingest.formats import ImportFileError, parse_mapping

#: Uploads above this size are imported by the task worker, with progress on the job page.
INLINE_LIMIT = 2 * 1024 * 1024


class UploadForm(forms.Form):
    """Choose a file, its format (or auto) and optionally a mapping document (YAML/JSON)."""

    file = forms.FileField(help_text="A CSV (or tab-separated) export.")
    format = forms.ChoiceField(choices=[(f, f) for f in FORMAT_CHOICES], initial="auto")
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": 'columns:\n  "Person - Email": email'}
        ),
        help_text="Optional mapping file content (YAML or JSON), as for --mapping.",
    )

    def clean_mapping(self):
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return None
        return load_mapping_text(text, self.data.get("format", "auto"))


def load_mapping_text(text: str, format_name: str) -> dict:
    """Parse and validate a mapping document typed or pasted into a form."""
    import yaml

    try:
        document = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise forms.ValidationError(f"not valid YAML/JSON: {exc}") from None
    try:
        parse_mapping(document, format_name=None if format_name == "auto" else format_name)
    except ImportFileError as exc:
        raise forms.ValidationError(str(exc)) from None
    return document
