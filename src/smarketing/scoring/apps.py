from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """Scoring rules, predictive models, score storage."""

    name = "smarketing.scoring"
    label = "scoring"
    verbose_name = "Scoring rules, predictive models, score storage"

    def ready(self) -> None:
        from smarketing.scoring import receivers

        receivers.connect()

        from smarketing.demo.signals import demo_generated

        demo_generated.connect(_score_demo, dispatch_uid="scoring.demo")


def _score_demo(sender, *, now, **kwargs) -> dict[str, int]:
    """Score the demo company and train its first predictive model."""
    from smarketing.scoring.actions import score_all

    out = score_all(now=now)
    counts = {"scored contacts": out["rescore"]["contacts"]}
    model = out.get("model", {})
    if model.get("activated"):
        counts["predictive model version"] = model["version"]
    return counts
