"""REST API of the monthly reviews (SPEC §8, §15): one account's month as JSON, CSV or PDF, and a
contact's opt-in to the e-mail on the 1st."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_company_report, request_user
from support_portal.kernel.api import PatchSerializer
from tickets.reports.csvexport import csv_lines
from tickets.reports.pdf import render_pdf, report_filename
from tickets.reports.selectors import (
    MonthReport,
    company_tz,
    month_period,
    month_report,
    month_tickets,
    parse_month,
)
from tickets.reports.services import monthly_review_opt_in_set

FORMATS = ("json", "csv", "pdf")


class FormatIsAFile(DefaultContentNegotiation):
    """Here ``?format=`` names the file to download (csv, pdf), not a renderer: the figures and
    every error are JSON."""

    def select_renderer(self, request: Request, renderers: Iterable[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


def _time(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else timezone.localtime(value, tz).isoformat()


def report_data(r: MonthReport) -> dict[str, Any]:
    """The month as JSON; times in ISO 8601 with the company's offset."""
    tz = r.tz
    tam = r.company.tam
    return {
        "company": {"id": r.company.pk, "name": r.company.name, "timezone": r.company.timezone},
        "month": f"{r.month:%Y-%m}",
        "period": {"start": _time(r.period.start, tz), "end": _time(r.period.end, tz)},
        "complete": r.complete,
        "tam": None if tam is None else {"id": tam.pk, "full_name": tam.full_name,
                                         "email": tam.email},
        "filed": {"total": r.filed_total, "by_severity": r.filed},
        "first_response": {"responded": r.sla.responded, "met": r.sla.met,
                           "compliance": r.sla.compliance},
        "breaches": r.sla.breaches,
        "update_compliance": r.update_compliance,
        "first_response_by_severity": r.first_response,
        "signature_requests": r.signatures,
        "weekly": r.weekly,
        "breached_tickets": [
            {"id": t.pk, "number": t.number, "subject": t.subject, "severity": t.severity,
             "status": t.status, "created_at": _time(t.created_at, tz),
             "response_due_at": _time(t.response_due_at, tz),
             "response_breached_at": _time(t.response_breached_at, tz),
             "first_response_at": _time(t.first_response_at, tz)}
            for t in r.breaches
        ],
        "signature_request_list": [
            {"id": s.pk, "ticket": s.ticket_id, "number": s.ticket.number, "type": s.type,
             "status": s.status, "created_at": _time(s.created_at, tz),
             "decided_at": _time(s.decided_at, tz),
             "release": None if s.release is None else {
                 "version": s.release.version,
                 "released_at": _time(s.release.released_at, tz)}}
            for s in r.signature_requests
        ],
        "notes": [
            {"id": n.pk, "title": n.title, "body": n.body, "author_name": n.author.full_name,
             "created_at": _time(n.created_at, tz), "follow_up_on": n.follow_up_on}
            for n in r.notes
        ],
        "generated_at": _time(r.generated_at, tz),
    }


_Figures = inline_serializer("MonthReport", {
    "company": serializers.DictField(), "month": serializers.CharField(),
    "period": serializers.DictField(), "complete": serializers.BooleanField(),
    "tam": serializers.DictField(allow_null=True),
    "filed": serializers.DictField(), "first_response": serializers.DictField(),
    "breaches": serializers.IntegerField(),
    "update_compliance": serializers.FloatField(allow_null=True),
    "first_response_by_severity": serializers.DictField(),
    "signature_requests": serializers.DictField(), "weekly": serializers.ListField(),
    "breached_tickets": serializers.ListField(), "signature_request_list": serializers.ListField(),
    "notes": serializers.ListField(), "generated_at": serializers.DateTimeField(),
})


class ReportApi(APIView):
    content_negotiation_class = FormatIsAFile

    @extend_schema(
        description=(
            "One account's month in the company's time zone (SPEC §15): the figures as JSON, "
            "the month's tickets as CSV, or the printable service review as PDF. For the "
            "account's TAM, administrators and the company's own contacts."
        ),
        parameters=[
            OpenApiParameter("month", str, required=True, pattern=r"^2\d{3}-(0[1-9]|1[0-2])$",
                             description="The month, YYYY-MM, in the company's time zone."),
            OpenApiParameter("format", str, enum=FORMATS, default="json",
                             description="json: the figures; csv: one row per ticket filed in "
                                         "the month; pdf: the printable service review."),
        ],
        responses={
            (200, "application/json"): _Figures,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=(
                "number, subject, severity, created, due, first_response, sla_state, "
                "updates_missed, status, resolved")),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request: Request, company_id: int) -> HttpResponseBase:
        # Queries for the JSON (and the PDF): the user's token or session, the contact, the
        # company, and month_report's nine, whatever the number of tickets; the CSV: the
        # company and one cursor over the month's tickets.
        company = access_company_report(request_user(request), company_id)
        kind = request.query_params.get("format", "json")
        if kind not in FORMATS:
            raise ValidationError({"format": [_("Choose json, csv or pdf.")]})
        month = parse_month(request.query_params.get("month"), company)
        if kind == "csv":
            tickets = month_tickets(company, month_period(company, month))
            response: HttpResponseBase = StreamingHttpResponse(
                csv_lines(tickets, company_tz(company)), content_type="text/csv; charset=utf-8")
        else:
            report = month_report(company, month)
            if kind == "json":
                return Response(report_data(report))
            response = HttpResponse(render_pdf(report), content_type="application/pdf")
        name = report_filename(company, month, kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


class SubscriptionInput(PatchSerializer):
    monthly_report_opt_in = serializers.BooleanField()


class SubscriptionApi(APIView):
    """A contact's choice to receive their company's review by e-mail on the 1st."""

    @extend_schema(responses={200: SubscriptionInput})
    def get(self, request: Request) -> Response:
        user = request_user(request)
        return Response({"monthly_report_opt_in": user.monthly_report_opt_in})

    @extend_schema(request=SubscriptionInput, responses={200: SubscriptionInput})
    def patch(self, request: Request) -> Response:
        data = SubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = monthly_review_opt_in_set(user=request_user(request),
                                         opt_in=data.validated_data["monthly_report_opt_in"])
        return Response({"monthly_report_opt_in": user.monthly_report_opt_in})
