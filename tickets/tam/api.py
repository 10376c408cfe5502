"""REST API for TAM dashboards and proactive notes (SPEC §6, §8)."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import (
    access_company,
    access_company_dashboard,
    request_user,
)
from accounts.models import ProactiveNote
from support_portal.kernel.api import StrictInput
from support_portal.kernel.pagination import Pagination, paginated
from tickets import limits
from tickets.tam.dashboards import Dashboard, dashboard_for
from tickets.tam.notes import access_company_for_notes, note_create, visible_notes


class NoteOutput(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = ProactiveNote
        fields = ["id", "company", "title", "body", "follow_up_on", "shared", "author",
                  "author_name", "created_at"]


class NoteInput(StrictInput):
    title = serializers.CharField(max_length=limits.NOTE_TITLE_MAX)
    body = serializers.CharField(max_length=limits.NOTE_BODY_MAX)
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    shared = serializers.BooleanField(default=False)


def dashboard_data(d: Dashboard) -> dict[str, Any]:
    company = d.company
    return {
        "company": {"id": company.pk, "name": company.name},
        "license": {
            "license": company.license, "plan": company.plan.code,
            "plan_name": company.plan.label, "valid_until": company.license_valid_until,
            "days_left": d.license_days_left, "valid": company.license_is_valid(),
        },
        "contacts": {
            "active": d.contacts_active, "limit": d.contacts_limit,
            "people": [{"id": c.user_id, "full_name": c.user.full_name, "email": c.user.email,
                        "is_active": c.is_active, "last_login": c.user.last_login}
                       for c in d.contacts],
        },
        "open_by_severity": d.open_by_severity,
        "open_by_status": d.open_by_status,
        "compliance_30d": d.compliance_30d,
        "compliance_90d": d.compliance_90d,
        "responded_30d": d.responded_30d,
        "responded_90d": d.responded_90d,
        "breaches_30d": d.breaches_30d,
        "breaches_90d": d.breaches_90d,
        "update_compliance_30d": d.update_compliance_30d,
        "update_compliance_90d": d.update_compliance_90d,
        "updates_due_30d": d.updates_due_30d,
        "updates_due_90d": d.updates_due_90d,
        "first_response_90d": d.first_response,
        "acknowledge_30d": d.acknowledge_30d,
        "weekly": d.weekly,
        "signature_requests_in_flight": [
            {"id": r.pk, "ticket": r.ticket_id, "number": r.ticket.number, "type": r.type,
             "status": r.status, "created_at": r.created_at}
            for r in d.signature_requests
        ],
        "notes": NoteOutput(d.notes, many=True).data,
        "generated_at": d.generated_at,
    }


class DashboardApi(APIView):
    @extend_schema(responses={200: inline_serializer("Dashboard", {
        "contacts": serializers.DictField(), "open_by_severity": serializers.DictField(),
        "compliance_30d": serializers.FloatField(allow_null=True),
        "compliance_90d": serializers.FloatField(allow_null=True),
        "breaches_30d": serializers.IntegerField(),
        "update_compliance_30d": serializers.FloatField(allow_null=True),
        "update_compliance_90d": serializers.FloatField(allow_null=True),
        "acknowledge_30d": inline_serializer("AcknowledgeTimes", {
            "count": serializers.IntegerField(),
            "median_seconds": serializers.IntegerField(allow_null=True),
            "p90_seconds": serializers.IntegerField(allow_null=True),
        }),
    })})
    def get(self, request: Request, company_id: int) -> Response:
        company = access_company_dashboard(request_user(request), company_id)
        data = dashboard_data(dashboard_for(company))
        return Response(serializers.JSONField().to_representation(data))


class NoteListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: NoteOutput(many=True)})
    def get(self, request: Request, company_id: int) -> Response:
        user = request_user(request)
        company = access_company(user, company_id)
        return paginated(request, self, visible_notes(user, company), NoteOutput)

    @extend_schema(request=NoteInput, responses={201: NoteOutput})
    def post(self, request: Request, company_id: int) -> Response:
        user = request_user(request)
        company = access_company_for_notes(user, company_id)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = note_create(company=company, author=user, **data.validated_data)
        return Response(NoteOutput(note).data, status=status.HTTP_201_CREATED)
