from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Accounts, contacts, personas, campaigns, touchpoints, deals, content assets."""

    name = "smarketing.crm"
    label = "crm"
    verbose_name = "Accounts, contacts, personas, campaigns, touchpoints, deals, content assets"
