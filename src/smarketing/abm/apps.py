from django.apps import AppConfig


class AbmConfig(AppConfig):
    """Account-based marketing: target accounts and tiers, the ICP, account engagement and
    fit, buying-committee coverage, the account funnel and timeline, the ABM dashboard."""

    name = "smarketing.abm"
    label = "abm"
    verbose_name = "Account-based marketing"

    def ready(self) -> None:
        from smarketing.abm import receivers

        receivers.connect()
