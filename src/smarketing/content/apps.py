from django.apps import AppConfig


class ContentConfig(AppConfig):
    """Content library, search, tracked sharing, recommendations, influence, gaps."""

    name = "smarketing.content"
    label = "content"
    verbose_name = "Content library, recommendations, usage, gaps"

    def ready(self) -> None:
        from smarketing.content import signals  # noqa: F401
