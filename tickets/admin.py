"""Django admin for tickets. The timeline, attachments and the outbox are records: read-only.
A ticket's severity, status and assignee change only through ``services.ticket_change``, so an
edit here is checked against the status machine and lands in the timeline like any other."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from support_portal.kernel.errors import ConflictError
from tickets import services
from tickets.models import (
    Attachment,
    Comment,
    DatabaseRelease,
    InboundEmail,
    Incident,
    Notification,
    OutboundEmail,
    SignaturePolicy,
    SignatureRequest,
    Status,
    Ticket,
    TicketEvent,
    parse_number,
)
from tickets.outbox import outbox_resend


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def download_link(attachment: Attachment) -> str:
    # Through the permission-checked endpoint, which always answers with a download
    # (application/octet-stream, Content-Disposition: attachment): samples may be malware.
    return format_html('<a href="{}" download>{}</a>',
                       reverse("api-attachment-download", args=[attachment.pk]),
                       gettext("Download"))


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = readonly_fields = ("created_at", "author", "internal", "body")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = readonly_fields = ("original_name", "size", "sha256", "uploaded_by", "comment",
                                "created_at", "download")

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> str:
        return download_link(attachment)


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = ("created_at", "kind", "actor", "old_value", "new_value",
                                "internal")
    show_change_link = False


class TicketAdminForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["severity", "status", "assignee"]

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if self.instance.pk and status != self.instance.status \
                and not self.instance.can_move_to(status):
            raise ValidationError(
                gettext("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": self.instance.get_status_display(),
                   "new": Status(status).label}
            )
        return status

    def clean_assignee(self) -> Any:
        assignee = self.cleaned_data["assignee"]
        if assignee is not None and (not assignee.is_support_staff or not assignee.is_active):
            raise ValidationError(gettext("Tickets can only be assigned to support staff."))
        return assignee


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = ["number", "subject", "company", "severity", "status", "assignee",
                    "response_due_at", "responded", "warned", "breached"]
    list_display_links = ["number", "subject"]
    list_filter = ["status", "severity", "kind", "channel", "plan",
                   ("first_response_at", admin.EmptyFieldListFilter),
                   ("response_breached_at", admin.EmptyFieldListFilter)]
    list_select_related = ["company", "assignee"]
    search_fields = ["subject"]
    autocomplete_fields = ["assignee"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [CommentInline, AttachmentInline, TicketEventInline]
    readonly_fields = ["number", "company", "requester", "subject", "description", "kind",
                       "channel", "product", "product_version", "plan", "priority_tier",
                       "created_at",
                       "updated_at", "response_due_at", "response_warn_at", "first_response_at",
                       "response_warned_at", "response_breached_at", "resolved_at", "closed_at"]
    fieldsets = (
        (None, {"fields": ("number", "company", "requester", "subject", "description", "kind",
                           "channel", "product", "product_version")}),
        (_("Triage"), {"fields": ("severity", "status", "assignee")}),
        (_("Response-time SLA"), {"fields": ("created_at", "response_due_at", "response_warn_at",
                                             "first_response_at", "response_warned_at",
                                             "response_breached_at")}),
        (_("Life cycle"), {"fields": ("plan", "priority_tier", "updated_at", "resolved_at",
                                      "closed_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets are filed through the portal, the API, e-mail or a logged phone call, which
        # compute the deadline and notify the customer.
        return False

    @admin.display(description=_("number"), ordering="pk")
    def number(self, ticket: Ticket) -> str:
        return ticket.number

    @admin.display(description=_("responded"), boolean=True)
    def responded(self, ticket: Ticket) -> bool:
        return ticket.first_response_at is not None

    @admin.display(description=_("warned"), boolean=True)
    def warned(self, ticket: Ticket) -> bool:
        return ticket.response_warned_at is not None

    @admin.display(description=_("breached"), boolean=True)
    def breached(self, ticket: Ticket) -> bool:
        return ticket.response_breached_at is not None

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Ticket],
                           search_term: str) -> tuple[QuerySet[Ticket], bool]:
        """Subject words, or a ticket number (``TS-000123`` or ``123``)."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        pk = parse_number(search_term)
        if pk is not None:
            results |= queryset.filter(pk=pk)
        return results, duplicates

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        try:
            services.ticket_change(
                ticket=obj, actor=request.user,  # type: ignore[arg-type]
                severity=form.cleaned_data["severity"], status=form.cleaned_data["status"],
                assignee=form.cleaned_data["assignee"],
            )
        except (ConflictError, ValidationError) as exc:
            text = exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages)
            self.message_user(request, text, messages.ERROR)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "author", "internal", "created_at", "excerpt"]
    list_filter = ["internal"]
    list_select_related = ["ticket", "author"]
    search_fields = ["body"]
    raw_id_fields = ["ticket", "author"]

    @admin.display(description=_("text"))
    def excerpt(self, comment: Comment) -> str:
        return comment.body[:80]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "ticket", "size", "sha256", "uploaded_by", "created_at"]
    list_select_related = ["ticket", "uploaded_by"]
    search_fields = ["original_name", "sha256"]
    # Not ``file``: the admin would link the stored name as if it could be opened in place.
    fields = readonly_fields = ("ticket", "comment", "original_name", "size", "sha256",
                                "uploaded_by", "created_at", "download")

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> str:
        return download_link(attachment)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "actor", "old_value", "new_value", "internal",
                    "created_at"]
    list_filter = ["kind", "internal"]
    list_select_related = ["ticket", "actor"]
    raw_id_fields = ["ticket", "actor"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "message", "ticket", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "ticket"]
    search_fields = ["message", "user__email"]
    raw_id_fields = ["user", "ticket", "event"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox: what waits, what went, and what failed for good (filter "failed"), with a
    resend action for the failed ones once the cause is fixed."""

    list_display = ["to", "subject", "created_at", "sent_at", "attempts", "next_attempt_at",
                    "failed_at", "last_error"]
    list_filter = [("failed_at", admin.EmptyFieldListFilter),
                   ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    raw_id_fields = ["ticket", "event"]
    actions = ["resend"]

    @admin.action(description=_("Resend the selected e-mails that failed"))
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = outbox_resend(emails=queryset)
        self.message_user(request, ngettext(
            "%(count)d e-mail will be sent again.", "%(count)d e-mails will be sent again.",
            count) % {"count": count})


# --- Antivirus-signature change requests (SPEC §7) ------------------------------------------


@admin.register(DatabaseRelease)
class DatabaseReleaseAdmin(admin.ModelAdmin):
    """Releases are records: added here or through the expert pages, never edited (the newest
    one decides which customers may file signature requests). A release that fixed a request is
    protected from deletion."""

    list_display = ["version", "released_at", "expedited", "created_by", "created_at"]
    list_filter = ["expedited"]
    list_select_related = ["created_by"]
    search_fields = ["version"]
    date_hierarchy = "released_at"
    ordering = ["-released_at", "-pk"]
    fields = ["version", "released_at", "expedited", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DatabaseRelease, form: Any,
                   change: bool) -> None:
        obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(SignatureRequest)
class SignatureRequestAdmin(ReadOnlyAdmin):
    """Read-only: the expert steps go through ``signature_request_transition`` (on the request's
    portal page), which records the event and informs the customer. The stored sample is never
    linked in place; the download goes through the permission-checked endpoint."""

    list_display = ["number", "type", "status", "company", "database_version", "sha256",
                    "release", "created_at"]
    list_filter = ["status", "type"]
    list_select_related = ["ticket__company", "release"]
    search_fields = ["sha256", "database_version", "sample_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    # Not ``sample``: the admin would link the stored name as if it could be opened in place.
    fields = readonly_fields = (
        "ticket", "portal_page", "type", "status", "database_version", "object_url",
        "sample_name", "sample_size", "sha256", "sample_download", "release",
        "rejection_reason", "analysis_started_at", "decided_at", "customer_informed_at",
        "verification_state", "verification_at", "verification_due_at", "sample_deleted_at",
        "created_at",
    )

    @admin.display(description=_("number"), ordering="ticket_id")
    def number(self, request: SignatureRequest) -> str:
        return request.ticket.number

    @admin.display(description=_("company"), ordering="ticket__company__name")
    def company(self, request: SignatureRequest) -> str:
        return request.ticket.company.name

    @admin.display(description=_("portal page"))
    def portal_page(self, request: SignatureRequest) -> str:
        return format_html('<a href="{}">{}</a>',
                           reverse("signatures:detail", args=[request.pk]),
                           gettext("Open (expert actions are there)"))

    @admin.display(description=_("sample"))
    def sample_download(self, request: SignatureRequest) -> str:
        if not request.sample:
            return gettext("No file (hash only)")
        # Always an application/octet-stream attachment: the sample may be live malware.
        return format_html('<a href="{}" download>{}</a>',
                           reverse("api-signature-sample", args=[request.pk]),
                           gettext("Download"))


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    """What arrived in the support mailbox and what became of it (the envelope only)."""

    list_display = ["received_at", "sender", "subject", "outcome", "reason", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["sender", "subject", "message_id"]
    list_select_related = ["ticket"]


@admin.register(SignaturePolicy)
class SignaturePolicyAdmin(admin.ModelAdmin):
    """The one row of signature-request terms (SPEC §7, §12): edited, never added twice or
    deleted."""

    list_display = ["__str__", "update_interval", "verification_window", "sample_retention"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SignaturePolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Read-only: incidents are opened, updated and linked on their portal pages (or the API),
    which fan their updates out to every linked ticket."""

    list_display = ["title", "severity", "status", "product", "created_at", "resolved_at"]
    list_filter = ["status", "severity"]
    search_fields = ["title", "product"]
    fields = readonly_fields = ("title", "portal_page", "severity", "status", "product",
                                "description", "created_by", "created_at", "updated_at",
                                "resolved_at")

    @admin.display(description=_("portal page"))
    def portal_page(self, incident: Incident) -> str:
        return format_html('<a href="{}">{}</a>', reverse("incidents:detail", args=[incident.pk]),
                           gettext("Open (updates and linked tickets are there)"))
