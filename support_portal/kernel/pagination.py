"""Page sizes, named once, and the paginated answer of every API list
(``{count, next, previous, results}``)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
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
    """``?page=`` (from 1; past the last page: 404) and ``?page_size=`` (1 to
    ``API_MAX_PAGE_SIZE``; anything else is a 400, not silently the default)."""

    page_size = API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = API_MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


def paginated(
    request: Request, view: Any, queryset: Any, serializer: type[serializers.BaseSerializer],
    *, context: dict[str, Any] | None = None, paginator_class: Any = None,
) -> Response:
    """A list answer: one page of ``queryset`` serialized, as ``{count, next, previous,
    results}``. ``paginator_class`` swaps the Django paginator (the queue's deferred join).

    The view names its ``pagination_class`` (``Pagination``): that is how the OpenAPI schema
    knows the answer is this envelope, not a bare array (``kernel.schema``)."""
    paginator = view.pagination_class()
    if paginator_class is not None:
        paginator.django_paginator_class = paginator_class
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context=context or {}).data)


