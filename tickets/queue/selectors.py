"""The engineers' priority queue (SPEC §5): its order as SQL, its filters, and the paginator
that joins only the rows of the page."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.utils import timezone

from accounts.models import User
from tickets.models import OPEN_STATUSES, Ticket
from tickets.search import search_tickets


@dataclass(frozen=True)
class QueueFilters:
    severity: int | None = None
    company: int | None = None
    #: "mine", "unassigned", or None for anyone
    assignee: str | None = None
    kind: str | None = None
    status: str | None = None
    search: str = ""


def queue_order(now: datetime) -> list[Combinable]:
    """The order of SPEC §5, as ORDER BY terms.

    1. premium tier first (``priority_tier`` ascending);
    2. tickets still waiting for a first response before answered ones;
    3. among the unanswered: already breached on top, then by ``response_due_at``, then severity;
    4. among the answered: by severity, then age (oldest first).
    """
    unanswered = Q(first_response_at__isnull=True)
    return [
        F("priority_tier").asc(),
        Case(When(unanswered, then=Value(0)), default=Value(1), output_field=IntegerField()),
        Case(
            When(unanswered & (Q(response_breached_at__isnull=False) | Q(response_due_at__lte=now)),
                 then=Value(0)),
            default=Value(1), output_field=IntegerField(),
        ),
        Case(When(unanswered, then=F("response_due_at")), default=None).asc(nulls_last=True),
        F("severity").asc(),
        F("created_at").asc(),
        F("pk").asc(),
    ]


def queue_for(user: User, filters: QueueFilters | None = None,
              now: datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets in queue order, with everything a queue row shows in one query."""
    filters = filters or QueueFilters()
    now = now or timezone.now()
    # A queue row never shows the description: do not carry it for every row.
    qs = Ticket.objects.select_related("company", "plan", "requester", "assignee",
                                       "paging_acked_by").defer(
        "description"
    )
    qs = qs.filter(status=filters.status) if filters.status else qs.filter(
        status__in=OPEN_STATUSES
    )
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.assignee == "mine":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if filters.search:
        # Full text over number, subject, description and every comment (staff read notes
        # too), in queue order (SPEC §16); and, as before, any part of a subject (a fragment
        # such as "SCAN-04" that full text does not split the same way).
        found = search_tickets(user, Ticket.objects.all(), filters.search, ranked=False)
        qs = qs.filter(Q(pk__in=found.values("pk")) | Q(subject__icontains=filters.search))
    return qs.order_by(*queue_order(now))


class QueuePaginator(Paginator):
    """Pages of the queue with a deferred join.

    Sorting the open tickets is cheap on the ticket table alone; what costs is joining company,
    plan, requester and assignee to *every* open ticket before the top-N sort, as a plain
    ``queryset[a:b]`` does (PostgreSQL cannot push the LIMIT below the joins). Here the ORDER BY
    and LIMIT run in a subquery over the bare ticket rows and the joins only touch the page's
    rows, in one query: ``... WHERE id IN (SELECT id ... ORDER BY ... LIMIT n OFFSET m)
    ORDER BY ...``."""

    def page(self, number: int | str) -> Page[Ticket]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        qs: QuerySet[Ticket] = self.object_list  # type: ignore[assignment]
        rows = list(qs.filter(pk__in=qs.values("pk")[bottom:top]))
        return Page(rows, number, self)
