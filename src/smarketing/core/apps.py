from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Users, teams, roles, API tokens and the audit log."""

    name = "smarketing.core"
    label = "core"
    verbose_name = "Core: people, teams and audit"

    def ready(self) -> None:
        from smarketing.core import (
            audit,  # noqa: F401  (connects the audit signal handlers)
            checks,  # noqa: F401  (registers the deploy checks)
        )
