"""``GET /api/v1/queue/``: the priority queue of SPEC §5 with its filters, for staff. The page
``/queue/`` validates its query string with the same ``QueueFiltersInput``."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user, require_staff
from support_portal.kernel.pagination import Pagination, paginated
from tickets.api import TicketOutput
from tickets.models import Kind, Status, Ticket
from tickets.queue.selectors import QueueFilters, QueuePaginator, queue_for


class QueueRowOutput(TicketOutput):
    company_name = serializers.CharField(source="company.name", read_only=True)
    plan = serializers.CharField(source="plan.code", read_only=True)
    requester_name = serializers.CharField(source="requester.full_name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.full_name", read_only=True,
                                          default=None)
    seconds_to_deadline = serializers.SerializerMethodField()

    class Meta(TicketOutput.Meta):
        # Everything a queue row shows; the description stays on the ticket itself.
        fields = [*(f for f in TicketOutput.Meta.fields if f != "description"),
                  "priority_tier", "company_name", "plan", "requester_name", "assignee_name",
                  "seconds_to_deadline"]

    def get_seconds_to_deadline(self, ticket: Ticket) -> int | None:
        """Seconds left to the first-response deadline (negative: breached that long ago);
        ``None`` once answered."""
        if ticket.first_response_at is not None:
            return None
        return int((ticket.response_due_at - self.context["now"]).total_seconds())


class QueueFiltersInput(serializers.Serializer):
    severity = serializers.IntegerField(min_value=1, max_value=4, required=False)
    company = serializers.IntegerField(min_value=1, required=False)
    assignee = serializers.ChoiceField(choices=["mine", "unassigned", "anyone"], required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @classmethod
    def from_query(cls, query: Any) -> "QueueFiltersInput":
        """A plain HTML form sends empty fields; an empty filter means "no filter"."""
        return cls(data={k: v for k, v in query.items() if v not in ("", None)})

    def to_filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(
            severity=data.get("severity"), company=data.get("company"),
            assignee=None if data.get("assignee") in (None, "anyone") else data["assignee"],
            kind=data.get("kind"), status=data.get("status"), search=data.get("q", "").strip(),
        )


class QueueApi(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=[QueueFiltersInput], responses={200: QueueRowOutput(many=True)})
    def get(self, request: Request) -> Response:
        user = request_user(request)
        require_staff(user)
        # Strict, unlike the page's form: an empty filter is a 400 here, as the schema says.
        params = QueueFiltersInput(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        now = timezone.now()
        return paginated(request, self, queue_for(user, params.to_filters(), now),
                         QueueRowOutput, context={"now": now}, paginator_class=QueuePaginator)
