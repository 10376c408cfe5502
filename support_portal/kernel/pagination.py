"""Page sizes, named once, and the paginated answer of every API list
(``{count, next, previous, results}``)."""

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

#: Rows per page of every API list, unless the client asks for ``page_size``.
API_PAGE_SIZE = 25
#: The most rows a client may ask for in one API page.
API_MAX_PAGE_SIZE = 200
#: Rows per page of the portal's lists (tickets, signature requests, releases).
LIST_PAGE_SIZE = 25
#: Rows per page of the engineers' queue.
QUEUE_PAGE_SIZE = 50
#: Notifications per page of the bell's list.
NOTIFICATIONS_PAGE_SIZE = 30


class Pagination(PageNumberPagination):
    page_size = API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = API_MAX_PAGE_SIZE


def paginated(
    request: Request, view: Any, queryset: Any, serializer: type[serializers.BaseSerializer],
    *, context: dict[str, Any] | None = None, paginator_class: Any = None,
) -> Response:
    """A list answer: one page of ``queryset`` serialized, as ``{count, next, previous,
    results}``. ``paginator_class`` swaps the Django paginator (the queue's deferred join)."""
    paginator = Pagination()
    if paginator_class is not None:
        paginator.django_paginator_class = paginator_class
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context=context or {}).data)


