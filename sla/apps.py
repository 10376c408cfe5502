from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = _("Response-time SLA")

    def ready(self) -> None:
        from sla.jobs import scan_figures
        from support_portal.kernel.probes import register_detail

        register_detail("sla", scan_figures)
