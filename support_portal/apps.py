from django.apps import AppConfig


class SupportPortalConfig(AppConfig):
    """The composition root as an app, for its management commands (``seed_demo``). It has no
    models."""

    name = "support_portal"
    verbose_name = "Support portal"
