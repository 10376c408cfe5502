"""Finding tickets (SPEC §16): full-text, ranked, English and Portuguese stemming, over the
number, subject, description and comments — public comments only for contacts, internal notes
too for staff. The index and its triggers: ``tickets.models.search``.

``search_tickets`` narrows a queryset the caller has already limited to what the user may see
(``tickets.access.visible_tickets``), so the tenant rule stays in one place. On a database
without full-text search (the SQLite demo) it falls back to a case-insensitive substring match
with the same visibility rule.

``sort_tickets`` orders a ticket list by a validated column key (``SORT_KEYS``).
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tickets.models import Comment, Ticket, parse_number

#: Longest query looked at; anything past it is ignored.
MAX_QUERY_LENGTH = 200
#: The text-search configurations every text is indexed with.
CONFIGS = ("english", "portuguese")

#: ``?sort=`` keys of the ticket lists → their ORDER BY (a leading ``-`` reverses the column).
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "number": ("pk",),
    "subject": ("subject", "pk"),
    "company": ("company__name", "-pk"),
    "severity": ("severity", "-pk"),
    "status": ("status", "-pk"),
    "created": ("created_at", "pk"),
    "requester": ("requester__full_name", "-pk"),
}
SORT_LABELS = {
    "number": _("Number"), "subject": _("Subject"), "company": _("Company"),
    "severity": _("Severity"), "status": _("Status"), "created": _("Created"),
    "requester": _("Requester"),
}
DEFAULT_SORT = "-created"


def clean_query(text: str | None) -> str:
    """The words of a query; a NUL character (which PostgreSQL refuses in any text) separates
    words like a space."""
    return " ".join((text or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def _full_text_query(text: str) -> SearchQuery:
    """The words as a web-search query (quotes, ``or``, ``-word``), stemmed either way."""
    query = SearchQuery(text, config=CONFIGS[0], search_type="websearch")
    for config in CONFIGS[1:]:
        query = query | SearchQuery(text, config=config, search_type="websearch")
    return query


def search_tickets(user: User, tickets: QuerySet[Ticket], text: str, *,
                   ranked: bool = True) -> QuerySet[Ticket]:
    """The tickets of ``tickets`` matching ``text``: ``ranked``, best match first (then
    newest, each with ``search_rank``); otherwise in the caller's order (the queue keeps its
    own). An empty query returns ``tickets`` unchanged."""
    text = clean_query(text)
    if not text:
        return tickets
    column = "search__everything" if user.is_support_staff else "search__public"
    if connection.vendor != "postgresql":
        found = _substring_search(user, tickets, text)
        return found.order_by("-created_at", "-pk") if ranked else found
    query = _full_text_query(text)
    if not ranked:
        return tickets.filter(**{column: query})
    return tickets.filter(**{column: query}).annotate(
        search_rank=SearchRank(F(column), query)
    ).order_by("-search_rank", "-created_at", "-pk")


def _substring_search(user: User, tickets: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """The embedded demo's fallback: every word somewhere in the subject, description or a
    comment the user may read, or the ticket's number."""
    comments = Comment.objects.filter(ticket=OuterRef("pk"))
    if not user.is_support_staff:
        comments = comments.filter(internal=False)
    match = Q()
    for word in text.split():
        match &= (Q(subject__icontains=word) | Q(description__icontains=word)
                  | Q(Exists(comments.filter(body__icontains=word))))
    number = parse_number(text)
    if number:
        match |= Q(pk=number)
    return tickets.filter(match)


def parse_sort(value: str | None, *, allowed: frozenset[str] | None = None) -> str:
    """A valid ``?sort=`` value (``created``, ``-severity``, …), or the default for anything
    else: a list is never broken by a hand-edited address."""
    value = (value or "").strip()
    key = value.removeprefix("-")
    if key in SORT_KEYS and (allowed is None or key in allowed):
        return value
    return DEFAULT_SORT


def sort_tickets(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    """``tickets`` in the order of a value ``parse_sort`` accepted."""
    descending = sort.startswith("-")
    terms = SORT_KEYS[sort.removeprefix("-")]
    # A term's own ``-`` and the requested direction combine: a reversed list reverses the
    # tie-breaker too.
    order = [("-" if descending != t.startswith("-") else "") + t.removeprefix("-")
             for t in terms]
    return tickets.order_by(*order)
