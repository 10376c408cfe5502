"""REST API of major incidents (SPEC §13, §8). Thin: validate, call a service or selector,
serialize. Staff open incidents, link tickets and post updates; a contact lists and reads only
the incidents their company is affected by, and never sees how many tickets or which other
companies an incident has (no counts, no tickets in what they read)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user, require_staff
from support_portal.kernel.api import StrictInput
from support_portal.kernel.pagination import Pagination, paginated
from tickets.access import access_ticket
from tickets.api import TicketOutput
from tickets.incident_links import incident_link
from tickets.incidents import services
from tickets.incidents.access import access_incident, visible_incidents
from tickets.incidents.selectors import (
    delivery_progress,
    linked_tickets,
    updates_of,
    with_latest_update,
)
from tickets.models import Incident, IncidentStatus, IncidentUpdate


class LatestUpdateOutput(serializers.Serializer):
    body = serializers.CharField()
    at = serializers.DateTimeField()


class IncidentOutput(serializers.ModelSerializer):
    latest_update = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "title", "description", "severity", "status", "product", "created_at",
                  "updated_at", "resolved_at", "latest_update"]

    @extend_schema_field(LatestUpdateOutput(allow_null=True))
    def get_latest_update(self, incident: Incident) -> dict[str, Any] | None:
        """The latest update (``None`` before the first): annotated by the selector."""
        at = getattr(incident, "latest_at", None)
        if at is None:
            return None
        return LatestUpdateOutput({"body": incident.latest_body,  # type: ignore[attr-defined]
                                   "at": at}).data


class IncidentInput(StrictInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    severity = serializers.IntegerField(min_value=1, max_value=4)
    status = serializers.ChoiceField(
        choices=[s for s in IncidentStatus.choices if s[0] != IncidentStatus.RESOLVED],
        default=IncidentStatus.INVESTIGATING,
        help_text="An incident opens unresolved; an update resolves it.")
    product = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                    default="")


class IncidentUpdateOutput(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = IncidentUpdate
        fields = ["id", "incident", "body", "status", "created_at", "author_name"]


class PostedUpdateOutput(IncidentUpdateOutput):
    """Staff only: the update with its fan-out (``tickets_posted`` of ``tickets_total``)."""

    tickets_posted = serializers.SerializerMethodField()

    class Meta(IncidentUpdateOutput.Meta):
        fields = [*IncidentUpdateOutput.Meta.fields, "tickets_total", "tickets_posted"]

    def get_tickets_posted(self, update: IncidentUpdate) -> int:
        return delivery_progress([update.pk]).get(update.pk, 0)


class IncidentUpdateInput(StrictInput):
    body = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False,
                                     help_text="The incident's status after this update (default: "
                                               "unchanged); `resolved` resolves every linked "
                                               "ticket with this update.")


class LinkInput(StrictInput):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                      help_text="The id of the ticket to link.")


def _incidents(request: Request) -> Any:
    return with_latest_update(visible_incidents(request_user(request))).order_by(
        "-created_at", "-pk")


class IncidentListApi(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=IncidentStatus.values,
                                                description="Only incidents in this status.")],
                   responses={200: IncidentOutput(many=True)})
    def get(self, request: Request) -> Response:
        incidents = _incidents(request)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in IncidentStatus.values:
                return Response({"detail": _("Unknown status filter.")}, status=400)
            incidents = incidents.filter(status=wanted)
        return paginated(request, self, incidents, IncidentOutput)

    @extend_schema(request=IncidentInput, responses={201: IncidentOutput})
    def post(self, request: Request) -> Response:
        user = request_user(request)
        require_staff(user)
        data = IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_create(actor=user, **data.validated_data)
        created = with_latest_update(Incident.objects.all()).get(pk=incident.pk)
        return Response(IncidentOutput(created).data, status=status.HTTP_201_CREATED)


class IncidentDetailApi(APIView):
    @extend_schema(responses={200: IncidentOutput})
    def get(self, request: Request, incident_id: int) -> Response:
        found = access_incident(request_user(request), incident_id)
        return Response(IncidentOutput(_incidents(request).get(pk=found.pk)).data)


class IncidentTicketsApi(APIView):
    """Staff only: the linked tickets, and linking one more."""
    pagination_class = Pagination

    @extend_schema(responses={200: TicketOutput(many=True)})
    def get(self, request: Request, incident_id: int) -> Response:
        user = request_user(request)
        found = access_incident(user, incident_id)
        require_staff(user)
        return paginated(request, self, linked_tickets(found), TicketOutput)

    @extend_schema(request=LinkInput, responses={
        201: TicketOutput, 200: OpenApiResponse(TicketOutput, description="Already linked to "
                                                "this incident: nothing changed."),
        409: OpenApiResponse(description="The ticket is linked to another incident, or this "
                                         "incident is resolved.")})
    def post(self, request: Request, incident_id: int) -> Response:
        user = request_user(request)
        found = access_incident(user, incident_id)
        require_staff(user)
        data = LinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = access_ticket(user, data.validated_data["ticket"])
        _link, created = incident_link(incident=found, ticket=ticket, actor=user)
        ticket.refresh_from_db()
        return Response(TicketOutput(ticket).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class IncidentUpdatesApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: IncidentUpdateOutput(many=True)})
    def get(self, request: Request, incident_id: int) -> Response:
        found = access_incident(request_user(request), incident_id)
        return paginated(request, self, updates_of(found), IncidentUpdateOutput)

    @extend_schema(request=IncidentUpdateInput, responses={
        201: PostedUpdateOutput,
        409: OpenApiResponse(description="The incident is resolved: it takes no more updates."),
    })
    def post(self, request: Request, incident_id: int) -> Response:
        user = request_user(request)
        found = access_incident(user, incident_id)
        require_staff(user)
        data = IncidentUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.incident_post_update(incident=found, author=user,
                                               **data.validated_data)
        return Response(PostedUpdateOutput(update).data, status=status.HTTP_201_CREATED)
