from django.apps import AppConfig


class ContentConfig(AppConfig):
    """Content library, recommendations, usage, gaps."""

    name = "smarketing.content"
    label = "content"
    verbose_name = "Content library, recommendations, usage, gaps"
