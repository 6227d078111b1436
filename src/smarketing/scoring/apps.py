from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """Scoring rules, predictive models, score storage."""

    name = "smarketing.scoring"
    label = "scoring"
    verbose_name = "Scoring rules, predictive models, score storage"

    def ready(self) -> None:
        from smarketing.scoring import receivers

        receivers.connect()
