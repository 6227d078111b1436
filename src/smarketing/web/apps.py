from django.apps import AppConfig


class WebConfig(AppConfig):
    """Base templates, navigation, pages."""

    name = "smarketing.web"
    label = "web"
    verbose_name = "Base templates, navigation, pages"
