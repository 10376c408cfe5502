from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connect the receivers: sign-in log and audit, two-factor flag and audit, the
        # browser's language remembered at sign-in.
        from accounts import auth, mfa, preferences  # noqa: F401
