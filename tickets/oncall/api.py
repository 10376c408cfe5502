"""REST API of the on-call rota and paging (SPEC §11, §8). Thin: validate, call a service or
selector, serialize. Staff only; rotations and the policy are changed by administrators."""

from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user, require_admin, require_staff
from accounts.models import User
from support_portal.kernel.api import PatchSerializer
from support_portal.kernel.pagination import paginated
from tickets.access import access_ticket
from tickets.models import Override, Page, PagingPolicy, RotationLevel
from tickets.oncall import selectors, services
from tickets.oncall.schema import (
    ERRORS,
    ErrorOutput,
    OnCallNowOutput,
    OverrideOutput,
    PageOutput,
    PolicyOutput,
    RotationOutput,
    UserBrief,
    paginated_schema,
)


def _users() -> Any:
    return User.objects.all()


class RotationInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    level = serializers.ChoiceField(choices=RotationLevel.choices,
                                    help_text="1 primary, 2 secondary.")
    starts_at = serializers.DateTimeField(help_text="Start of the first shift (ISO 8601).")
    shift_hours = serializers.IntegerField(min_value=1, max_value=24 * 28)
    members = serializers.PrimaryKeyRelatedField(
        queryset=_users(), many=True, allow_empty=False,
        help_text="Staff ids in rota order: member i is on call in shift i modulo the list.")


class OverrideInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=_users(),
                                              help_text="The staff member on call instead.")
    level = serializers.ChoiceField(choices=RotationLevel.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class PolicyInput(PatchSerializer):
    ack_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)


class NowQuery(serializers.Serializer):
    at = serializers.DateTimeField(required=False)


class PagesQuery(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


def _staff(request: Request) -> User:
    user = request_user(request)
    require_staff(user)
    return user


class RotationListApi(APIView):
    @extend_schema(responses={200: paginated_schema(RotationOutput), **ERRORS})
    def get(self, request: Request) -> Response:
        _staff(request)
        return paginated(request, self, selectors.rotations(), RotationOutput)

    @extend_schema(request=RotationInput, responses={201: RotationOutput, 400: ErrorOutput,
                                                     **ERRORS})
    def post(self, request: Request) -> Response:
        user = _staff(request)
        require_admin(user)
        data = RotationInput(data=request.data)
        data.is_valid(raise_exception=True)
        rotation = services.rotation_create(actor=user, request=request._request,
                                            **data.validated_data)
        return Response(RotationOutput(selectors.rotations().get(pk=rotation.pk)).data,
                        status=status.HTTP_201_CREATED)


class OverrideListApi(APIView):
    @extend_schema(responses={200: paginated_schema(OverrideOutput), **ERRORS})
    def get(self, request: Request) -> Response:
        _staff(request)
        return paginated(request, self, selectors.overrides(), OverrideOutput)

    @extend_schema(request=OverrideInput, responses={201: OverrideOutput, 400: ErrorOutput,
                                                     **ERRORS})
    def post(self, request: Request) -> Response:
        user = _staff(request)
        data = OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        override = services.override_create(actor=user, request=request._request,
                                            **data.validated_data)
        return Response(OverrideOutput(override).data, status=status.HTTP_201_CREATED)


class OverrideDetailApi(APIView):
    @extend_schema(responses={204: None, 404: ErrorOutput, **ERRORS})
    def delete(self, request: Request, override_id: int) -> Response:
        user = _staff(request)
        override = Override.objects.filter(pk=override_id).first()
        if override is None:
            raise Http404(_("No such override."))
        services.override_delete(actor=user, override=override, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallNowApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("at", str,
                                     description="An instant (ISO 8601 with offset); now "
                                                 "when left out.")],
        responses={200: OnCallNowOutput, 400: ErrorOutput, **ERRORS})
    def get(self, request: Request) -> Response:
        _staff(request)
        query = NowQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on_call = selectors.on_call(query.validated_data.get("at") or timezone.now())
        return Response({str(level): UserBrief(user).data if user else None
                         for level, user in on_call.items()})


class PolicyApi(APIView):
    @extend_schema(responses={200: PolicyOutput, **ERRORS})
    def get(self, request: Request) -> Response:
        require_admin(_staff(request))
        return Response(PolicyOutput(PagingPolicy.current()).data)

    @extend_schema(request=PolicyInput, responses={200: PolicyOutput, 400: ErrorOutput,
                                                   **ERRORS})
    def patch(self, request: Request) -> Response:
        user = _staff(request)
        require_admin(user)
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.policy_update(actor=user, request=request._request,
                                        **data.validated_data)
        return Response(PolicyOutput(policy).data)


class PageListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("ticket", int, description="Only this ticket's pages.")],
        responses={200: paginated_schema(PageOutput), 400: ErrorOutput, 404: ErrorOutput, **ERRORS})
    def get(self, request: Request) -> Response:
        user = _staff(request)
        query = PagesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        ticket_id = query.validated_data.get("ticket")
        ticket = access_ticket(user, ticket_id) if ticket_id else None
        return paginated(request, self, selectors.pages(ticket), PageOutput)


class PageAckApi(APIView):
    @extend_schema(request=None, responses={
        200: PageOutput, 404: ErrorOutput,
        409: OpenApiResponse(ErrorOutput, description="The page was already acknowledged."),
        **ERRORS})
    def post(self, request: Request, page_id: int) -> Response:
        user = _staff(request)
        page = Page.objects.select_related("ticket__company").filter(pk=page_id).first()
        if page is None:
            raise Http404(_("No such page."))
        page = services.page_acknowledge(page=page, by=user, request=request._request)
        return Response(PageOutput(selectors.pages().get(pk=page.pk)).data)

