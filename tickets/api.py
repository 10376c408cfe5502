"""REST API for tickets, comments and attachments (SPEC §8). Thin: validate, call a service or
selector, serialize."""

from typing import Any

from django.db import transaction
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from accounts.access import request_user, require_staff
from accounts.models import Company, Role, User
from accounts.selectors import company_with_plan
from support_portal.kernel.api import PatchSerializer, StrictInput
from support_portal.kernel.files import private_download
from support_portal.kernel.pagination import Pagination, paginated
from support_portal.kernel.parsers import BoundedJSONParser
from support_portal.kernel.schema import conflict
from tickets import limits, services
from tickets.access import (
    access_attachment,
    access_ticket,
    visible_attachments,
    visible_comments,
    visible_tickets,
)
from tickets.models import Attachment, Channel, Comment, Kind, Status, Ticket
from tickets.search import search_tickets


class PagingOutput(serializers.Serializer):
    """What the customer may know of on-call paging (SPEC §11): when, and who acknowledged
    (a name only)."""

    paged_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    engineer = serializers.CharField(allow_null=True,
                                     help_text="The name of who acknowledged, else null.")


class TicketOutput(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    sla_state = serializers.SerializerMethodField()
    paging = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "number", "company", "requester", "subject", "description", "severity",
                  "kind", "channel", "status", "assignee", "product", "product_version",
                  "created_at", "updated_at", "response_due_at", "first_response_at",
                  "response_warned_at", "response_breached_at", "sla_state", "resolved_at",
                  "closed_at", "update_due_at", "updates_missed", "paging"]

    def get_sla_state(self, ticket: Ticket) -> str:
        return ticket.sla_state(self.context.get("now"))

    @extend_schema_field(PagingOutput(allow_null=True))
    def get_paging(self, ticket: Ticket) -> dict[str, Any] | None:
        """``null`` when the ticket never paged."""
        if ticket.paged_at is None:
            return None
        by = ticket.paging_acked_by if ticket.paging_acked_by_id else None
        return PagingOutput({"paged_at": ticket.paged_at,
                             "acknowledged_at": ticket.paging_acked_at,
                             "engineer": by.full_name if by is not None else None}).data


class TicketCreateInput(StrictInput):
    subject = serializers.CharField(max_length=limits.SUBJECT_MAX)
    description = serializers.CharField(max_length=limits.DESCRIPTION_MAX)
    severity = serializers.IntegerField(min_value=1, max_value=4)
    kind = serializers.ChoiceField(choices=[Kind.INCIDENT, Kind.SERVICE_REQUEST],
                                   default=Kind.INCIDENT)
    product = serializers.CharField(max_length=limits.PRODUCT_MAX, required=False,
                                    allow_blank=True, default="")
    product_version = serializers.CharField(max_length=limits.PRODUCT_VERSION_MAX,
                                            required=False, allow_blank=True, default="")
    # Staff only: filing on behalf of a contact.
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False,
        help_text="Staff only: the requester's company (default: theirs).")
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CONTACT), required=False,
        help_text="Staff only, and then **required** (400 without it): the id of the contact "
                  "filing, as `GET /api/v1/companies/{id}/contacts/` lists it.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False,
                                      help_text="Staff only (default: phone).")
    received_at = serializers.DateTimeField(
        required=False, help_text="Staff only: when the call came in, within the last day "
                                  "(starts the SLA clock).")

    STAFF_ONLY = ("company", "requester", "channel", "received_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user: User = self.context["user"]
        if user.is_support_staff:
            if "requester" not in attrs:
                raise serializers.ValidationError(
                    {"requester": _("Staff filing a ticket must name the requesting contact.")}
                )
        else:
            given = [f for f in self.STAFF_ONLY if f in self.initial_data]
            if given:
                raise serializers.ValidationError(
                    _("Only support staff may set: %(fields)s.") % {"fields": ", ".join(given)}
                )
        return attrs


class TicketPatchInput(PatchSerializer):
    severity = serializers.IntegerField(min_value=1, max_value=4, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.exclude(role=Role.CONTACT).filter(is_active=True),
        allow_null=True, required=False,
    )


class TicketListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Status.values,
                                     description="Only tickets in this status."),
                    OpenApiParameter(
            "q", str, description="Full-text search over the number, subject, description and "
            "comments (a contact's covers public comments only), English and Portuguese "
            "stemming; results best match first. Quotes, `or` and `-word` work as in a web "
            "search.")],
        responses={200: TicketOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        tickets = visible_tickets(user).select_related("paging_acked_by") \
            .order_by("-created_at", "-pk")
        state = request.query_params.get("status")
        if state:
            if state not in Status.values:
                return Response({"detail": _("Unknown status filter.")}, status=400)
            tickets = tickets.filter(status=state)
        # ``?q=``: full-text search, best match first (SPEC §16).
        tickets = search_tickets(user, tickets, request.query_params.get("q", ""))
        return paginated(request, self, tickets, TicketOutput, context={"now": timezone.now()})

    @extend_schema(request=TicketCreateInput, responses={201: TicketOutput}, description=(
        "A contact files for their own company (`company`, `requester`, `channel` and "
        "`received_at` are refused: 400). Staff file on a contact's behalf and must name the "
        "`requester` (400 without it)."))
    def post(self, request: Request) -> Response:
        user = request_user(request)
        data = TicketCreateInput(data=request.data, context={"user": user})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if user.is_support_staff:
            requester = fields.pop("requester")
            fields.setdefault("channel", Channel.PHONE)
            ticket = services.ticket_create(requester=requester, created_by=user, **fields)
        else:
            contact = user.active_contact
            if contact is not None and "company" not in fields:
                # As the two-factor check read it in this request: no second read.
                fields["company"] = company_with_plan(contact)
            ticket = services.ticket_create(requester=user, channel=Channel.API, **fields)
        return Response(TicketOutput(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    @extend_schema(responses={200: TicketOutput})
    def get(self, request: Request, ticket_id: int) -> Response:
        return Response(TicketOutput(access_ticket(request_user(request), ticket_id)).data)

    @extend_schema(request=TicketPatchInput, responses={
        200: TicketOutput,
        409: conflict("The ticket cannot move to this status from its current one.")})
    def patch(self, request: Request, ticket_id: int) -> Response:
        user = request_user(request)
        ticket = access_ticket(user, ticket_id)
        require_staff(user)
        data = TicketPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_change(ticket=ticket, actor=user, **data.validated_data)
        return Response(TicketOutput(ticket).data)


class AttachmentOutput(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "sha256", "created_at", "download_url"]

    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("api-attachment-download", args=[attachment.pk])


class CommentOutput(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)
    attachments = AttachmentOutput(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "ticket", "author", "author_name", "body", "internal", "automatic",
                  "created_at", "attachments"]


class CommentJsonInput(StrictInput):
    body = serializers.CharField(max_length=limits.COMMENT_MAX)
    internal = serializers.BooleanField(default=False, help_text="Staff only: an internal note.")


class CommentInput(CommentJsonInput):
    """As multipart, a comment may carry files."""

    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class CommentListApi(APIView):
    pagination_class = Pagination
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(responses={200: CommentOutput(many=True)})
    def get(self, request: Request, ticket_id: int) -> Response:
        user = request_user(request)
        ticket = access_ticket(user, ticket_id)
        return paginated(request, self, visible_comments(user, ticket), CommentOutput)

    @extend_schema(request={"application/json": CommentJsonInput,
                            "multipart/form-data": CommentInput}, responses={
        201: CommentOutput, 409: conflict("The ticket is closed.")})
    def post(self, request: Request, ticket_id: int) -> Response:
        user = request_user(request)
        ticket = access_ticket(user, ticket_id)
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(ticket=ticket, author=user, **data.validated_data)
        return Response(CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class AttachmentInput(StrictInput):
    file = serializers.FileField()


class AttachmentListApi(APIView):
    pagination_class = Pagination
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: AttachmentOutput(many=True)})
    def get(self, request: Request, ticket_id: int) -> Response:
        user = request_user(request)
        ticket = access_ticket(user, ticket_id)
        return paginated(request, self, visible_attachments(user, ticket), AttachmentOutput)

    @extend_schema(request={"multipart/form-data": AttachmentInput},
                   responses={201: AttachmentOutput, 409: conflict("The ticket is closed.")})
    def post(self, request: Request, ticket_id: int) -> Response:
        user = request_user(request)
        ticket = access_ticket(user, ticket_id)
        data = AttachmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_add(ticket=ticket, uploaded_by=user,
                                             upload=data.validated_data["file"])
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, attachment_id: int) -> HttpResponseBase:
        user = request_user(request)
        attachment = access_attachment(user, attachment_id)
        with transaction.atomic():
            audit.record(action=audit.Action.ATTACHMENT_DOWNLOADED, actor=user,
                         company=attachment.ticket.company, object=attachment,
                         request=request._request,
                         detail={"ticket": attachment.ticket.number, "sha256": attachment.sha256})
            return private_download(attachment.file, attachment.safe_name)
