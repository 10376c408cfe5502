"""The audit log, read (SPEC §14): ``GET /api/v1/audit/`` (JSON pages, or ``format=csv``
streamed) and the page ``/audit/``, for administrators (everything) and TAMs (their own
accounts). Nothing here writes: the log is append-only."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.access import page_user, request_user, visible_audit_entries
from accounts.audit import Action, AuditEntry
from accounts.models import Company, User
from accounts.selectors import audit_entries
from support_portal.kernel.pagination import LIST_PAGE_SIZE, Pagination, paginated

CSV_COLUMNS = ["id", "at", "actor_id", "actor_email", "action", "company_id", "company",
               "object_type", "object_id", "object", "ip"]


class AuditFilter(serializers.Serializer):
    """The query string of the list, the export and the page."""

    company = serializers.IntegerField(required=False, min_value=1)
    actor = serializers.CharField(required=False, allow_blank=True, max_length=254,
                                  help_text="A user id, or an e-mail address.")
    action = serializers.ChoiceField(choices=Action.choices, required=False, allow_blank=True)
    since = serializers.DateTimeField(required=False, help_text="From this instant or date.",
                                      input_formats=["iso-8601", "%Y-%m-%d"])
    until = serializers.DateTimeField(required=False, help_text="Before this instant or date.",
                                      input_formats=["iso-8601", "%Y-%m-%d"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key in ("since", "until"):
            value = attrs.get(key)
            if value is not None and timezone.is_naive(value):
                attrs[key] = timezone.make_aware(value)
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": [_("The period ends before it starts.")]})
        return attrs


def filtered(user: User, params: Any) -> QuerySet[AuditEntry]:
    visible = visible_audit_entries(user)
    # Strict, unlike the page's form: an empty filter is a 400 here, as the schema says.
    data = AuditFilter(data={k: v for k, v in params.items() if k in AuditFilter().fields})
    data.is_valid(raise_exception=True)
    return audit_entries(visible, **data.validated_data)


class AuditOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    company_name = serializers.CharField(source="company.name", default=None, read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "company", "company_name", "object", "ip",
                  "detail"]

    def get_actor(self, entry: AuditEntry) -> dict[str, Any]:
        return {"id": entry.actor_id, "email": entry.actor_email,
                "full_name": entry.actor.full_name if entry.actor is not None else None}

    def get_object(self, entry: AuditEntry) -> dict[str, Any] | None:
        if not entry.object_type:
            return None
        return {"type": entry.object_type, "id": entry.object_id, "label": entry.object_label}


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Any = None) -> bytes:
        return b"" if data is None else str(data.get("detail", "")).encode()  # errors only


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in entries.iterator(chunk_size=2000):
        yield writer.writerow([_cell(v) for v in (
            e.pk, e.at.isoformat(), e.actor_id, e.actor_email, e.action, e.company_id,
            e.company.name if e.company is not None else "", e.object_type, e.object_id,
            e.object_label, e.ip)])


def csv_response(entries: QuerySet[AuditEntry]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


class AuditListApi(APIView):
    pagination_class = Pagination
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        parameters=[AuditFilter, OpenApiParameter(
            "format", OpenApiTypes.STR, enum=["json", "csv"],
            description="csv: every matching entry as a CSV download (streamed).")],
        responses={200: AuditOutput(many=True), (200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> Any:
        entries = filtered(request_user(request), request.query_params)
        if request.accepted_renderer.format == "csv":
            return csv_response(entries)
        return paginated(request, self, entries, AuditOutput)


# --- The page --------------------------------------------------------------------------

@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    visible = visible_audit_entries(user)  # PermissionDenied (403) for anyone else
    data = AuditFilter(data={k: v for k, v in request.GET.items() if k in AuditFilter().fields
                             and v != ""})
    errors: list[str] = []
    if data.is_valid():
        entries = audit_entries(visible, **data.validated_data)
    else:
        errors = [f"{field}: {' '.join(str(m) for m in msgs)}"
                  for field, msgs in data.errors.items()]
        entries = audit_entries(visible)
    page = Paginator(entries, LIST_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    companies = Company.objects.order_by("name").only("pk", "name")
    if not user.is_portal_admin:
        companies = companies.filter(tam=user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/audit.html", {
        "page": page, "errors": errors, "actions": Action.choices, "companies": companies,
        "filters": request.GET, "query": query.urlencode(),
    })

