"""The audit log of security events (SPEC §14): who did what, to which company's data, from
where. Append-only: no page or API edits or deletes an entry, ``AuditEntry`` refuses
``save()`` of an existing row and ``delete()``, and on PostgreSQL a trigger refuses UPDATE and
DELETE (migration ``0006``).

Recording is one call, made inside the transaction of the action it records, so an action and
its entry are committed (or rolled back) together::

    from accounts import audit
    audit.record(action=audit.Action.CONTACT_ADDED, actor=user, company=company,
                 object=contact, request=request)

New security-relevant actions are added to ``Action`` (and a migration for its choices).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in locked")
    SSO_REFUSED = "sso_refused", _("Single sign-on refused")
    MFA_ENROLLED = "mfa_enrolled", _("Two-factor sign-in enrolled")
    MFA_RESET = "mfa_reset", _("Two-factor sign-in reset")
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", _("Recovery codes regenerated")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset by e-mail")
    SESSIONS_ENDED = "sessions_ended", _("Other sessions signed out")
    SSO_CONFIGURED = "sso_configured", _("Single sign-on configuration changed")
    MFA_REQUIREMENT_CHANGED = "mfa_requirement_changed", _("Two-factor requirement changed")
    CONTACT_ADDED = "contact_added", _("Contact added")
    CONTACT_DEACTIVATED = "contact_deactivated", _("Contact deactivated")
    CONTACT_REACTIVATED = "contact_reactivated", _("Contact reactivated")
    STAFF_CREATED = "staff_created", _("Staff member created")
    ROLE_CHANGED = "role_changed", _("Role changed")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    ATTACHMENT_DOWNLOADED = "attachment_downloaded", _("Attachment downloaded")
    SAMPLE_DOWNLOADED = "sample_downloaded", _("Sample downloaded")
    ROTATION_CHANGED = "rotation_changed", _("On-call rotation changed")
    OVERRIDE_ADDED = "override_added", _("On-call override added")
    OVERRIDE_REMOVED = "override_removed", _("On-call override removed")
    PAGING_POLICY_CHANGED = "paging_policy_changed", _("Paging policy changed")
    PAGE_ACKNOWLEDGED = "page_acknowledged", _("Page acknowledged")


class AppendOnly(Exception):
    pass


class AuditEntry(models.Model):
    """One security event. ``actor_email`` keeps the address tried when there is no user (a
    failed sign-in for an unknown address) and the actor's address as it was then."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("actor"))
    actor_email = models.CharField(_("actor's e-mail"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("company"))
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        app_label = "accounts"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["company", "-at"], name="audit_company_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("Audit entries are never deleted.")


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the one django-axes resolved, else the socket's peer, trusting
    ``X-Forwarded-For`` only as far as our own proxies (``AXES_PROXY_COUNT``)."""
    if request is None:
        return None
    resolved = getattr(request, "axes_ip_address", None)
    if resolved:
        return str(resolved)
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def company_of(user: Any) -> Any:
    """The company a contact acts for (``None`` for staff): where their events are filed."""
    contact = getattr(user, "contact", None) if user is not None else None
    return contact.company if contact is not None else None


def record(
    *,
    action: str,
    actor: Any = None,  # accounts.models.User (imported by models: no import back)
    company: Any = None,  # accounts.models.Company
    object: Any = None,  # the SPEC's name for the field
    request: HttpRequest | None = None,
    actor_email: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it inside the action's transaction."""
    if actor is not None and getattr(actor, "is_authenticated", False) is False:
        actor = None
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_email=(actor.email if actor is not None else actor_email)[:254],
        company=company,
        object_type=type(object).__name__ if object is not None else "",
        object_id=str(getattr(object, "pk", "") or "") if object is not None else "",
        object_label=str(object)[:300] if object is not None else "",
        ip=client_ip(request),
        detail=detail or {},
    )
