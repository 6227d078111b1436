from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company generator."""

    name = "smarketing.demo"
    label = "demo"
    verbose_name = "The demo company generator"
