"""REST API of the on-call rota and paging (SPEC §11, §8). Thin: validate, call a service or
selector, serialize. Staff only; rotations and the policy are changed by administrators."""

from typing import Any

from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user, require_admin, require_staff
from accounts.models import User
from support_portal.kernel.api import PatchSerializer, StrictInput
from support_portal.kernel.pagination import Pagination, paginated
from support_portal.kernel.schema import conflict
from tickets.access import access_ticket
from tickets.models import Override, Page, PagingPolicy, RotationLevel
from tickets.oncall import selectors, services
from tickets.oncall.schema import (
    OnCallNowOutput,
    OverrideOutput,
    PageOutput,
    PolicyOutput,
    RotationOutput,
    UserBrief,
)


def _users() -> Any:
    return User.objects.all()


class RotationInput(StrictInput):
    name = serializers.CharField(max_length=120)
    level = serializers.ChoiceField(choices=RotationLevel.choices,
                                    help_text="1 primary, 2 secondary.")
    starts_at = serializers.DateTimeField(help_text="Start of the first shift (ISO 8601).")
    shift_hours = serializers.IntegerField(min_value=1, max_value=24 * 28)
    members = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(queryset=_users()),
        allow_empty=False,
        # As validators, so the schema says them too (minItems, maxItems).
        validators=[MinLengthValidator(1, message=gettext_lazy(
                        "A rotation needs at least one member.")),
                    MaxLengthValidator(services.MAX_MEMBERS, message=gettext_lazy(
                        "A rotation has at most %(limit_value)d members."))],
        help_text="Staff ids in rota order: member i is on call in shift i modulo the list.")


class OverrideInput(StrictInput):
    user = serializers.PrimaryKeyRelatedField(queryset=_users(),
                                              help_text="The staff member on call instead.")
    level = serializers.ChoiceField(choices=RotationLevel.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class PolicyInput(PatchSerializer):
    ack_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)


class NowQuery(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="An instant (ISO 8601 with "
                                   "offset); now when left out.")


class PagesQuery(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False,
                                      help_text="Only this ticket's pages (404 for a ticket "
                                                "that does not exist).")


def _staff(request: Request) -> User:
    user = request_user(request)
    require_staff(user)
    return user


class RotationListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: RotationOutput(many=True)})
    def get(self, request: Request) -> Response:
        _staff(request)
        return paginated(request, self, selectors.rotations(), RotationOutput)

    @extend_schema(request=RotationInput, responses={201: RotationOutput},
                   description="Administrators only.")
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
    pagination_class = Pagination

    @extend_schema(responses={200: OverrideOutput(many=True)})
    def get(self, request: Request) -> Response:
        _staff(request)
        return paginated(request, self, selectors.overrides(), OverrideOutput)

    @extend_schema(request=OverrideInput, responses={201: OverrideOutput}, description=(
        "An administrator, or someone on that level's rota handing over a shift (403 "
        "otherwise)."))
    def post(self, request: Request) -> Response:
        user = _staff(request)
        data = OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        override = services.override_create(actor=user, request=request._request,
                                            **data.validated_data)
        return Response(OverrideOutput(override).data, status=status.HTTP_201_CREATED)


class OverrideDetailApi(APIView):
    @extend_schema(responses={204: None}, description=(
        "An administrator, the override's author, or the person it puts on call (403 "
        "otherwise)."))
    def delete(self, request: Request, override_id: int) -> Response:
        user = _staff(request)
        override = Override.objects.filter(pk=override_id).first()
        if override is None:
            raise Http404(_("No such override."))
        services.override_delete(actor=user, override=override, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallNowApi(APIView):
    @extend_schema(parameters=[NowQuery], responses={200: OnCallNowOutput})
    def get(self, request: Request) -> Response:
        _staff(request)
        query = NowQuery(data=request.query_params.dict())  # an empty ?at= is not "now"
        query.is_valid(raise_exception=True)
        on_call = selectors.on_call(query.validated_data.get("at") or timezone.now())
        return Response({str(level): UserBrief(user).data if user else None
                         for level, user in on_call.items()})


class PolicyApi(APIView):
    @extend_schema(responses={200: PolicyOutput}, description="Administrators only.")
    def get(self, request: Request) -> Response:
        require_admin(_staff(request))
        return Response(PolicyOutput(PagingPolicy.current()).data)

    @extend_schema(request=PolicyInput, responses={200: PolicyOutput},
                   description="Administrators only.")
    def patch(self, request: Request) -> Response:
        user = _staff(request)
        require_admin(user)
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.policy_update(actor=user, request=request._request,
                                        **data.validated_data)
        return Response(PolicyOutput(policy).data)


class PageListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        parameters=[PagesQuery],
        responses={200: PageOutput(many=True)})
    def get(self, request: Request) -> Response:
        user = _staff(request)
        query = PagesQuery(data=request.query_params.dict())  # an empty ?ticket= is a 400
        query.is_valid(raise_exception=True)
        ticket_id = query.validated_data.get("ticket")
        ticket = access_ticket(user, ticket_id) if ticket_id else None
        return paginated(request, self, selectors.pages(ticket), PageOutput)


class PageAckApi(APIView):
    @extend_schema(request=None, responses={
        200: PageOutput, 409: conflict("The page was already acknowledged.")})
    def post(self, request: Request, page_id: int) -> Response:
        user = _staff(request)
        page = Page.objects.select_related("ticket__company").filter(pk=page_id).first()
        if page is None:
            raise Http404(_("No such page."))
        page = services.page_acknowledge(page=page, by=user, request=request._request)
        return Response(PageOutput(selectors.pages().get(pk=page.pk)).data)

