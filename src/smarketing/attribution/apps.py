from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Attribution in the app: the database adapter, the stored path set, the page, the API,
    the CLI and the dashboards' attribution card."""

    name = "smarketing.attribution"
    label = "attribution"
    verbose_name = "Attribution"

    def ready(self) -> None:
        from smarketing.attribution import pathset, signals
        from smarketing.core import derived

        signals.connect()
        # Listed in the one registry (rebuild_all, the nightly pass, the docs); the path set
        # keeps its per-journey marks in its own PathSetState / PathDirty tables.
        derived.register(
            "attribution.paths",
            rebuild=pathset.rebuild,
            catch_up=pathset.catch_up,
            is_stale=pathset.is_stale,
            tables=("attribution_journeypath", "attribution_pathtiming", "attribution_pathkey"),
        )
