from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data-subject requests: export everything about a person, erase it (no models of its own)."""

    name = "smarketing.privacy"
    label = "privacy"
    verbose_name = "Privacy: export and erasure"
