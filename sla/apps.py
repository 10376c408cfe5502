from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = _("Response-time SLA")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from sla.jobs import scan_figures
        from sla.models import Holiday, SlaCalendar, SlaPolicy
        from sla.policies import policies_changed
        from support_portal.kernel.probes import register_detail

        register_detail("sla", scan_figures)

        # Every process keeps the policies it read until one of these changes (sla.policies).
        def changed(**kwargs: object) -> None:
            policies_changed()

        for model in (SlaPolicy, SlaCalendar, Holiday):
            for signal in (post_save, post_delete):
                signal.connect(changed, sender=model, weak=False,
                               dispatch_uid=f"sla-policies-{model.__name__}-{signal is post_save}")
