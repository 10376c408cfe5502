from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from support_portal.kernel.probes import register_detail
        from tickets.outbox import outbox_figures

        register_detail("outbox", outbox_figures)
