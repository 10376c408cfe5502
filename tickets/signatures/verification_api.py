"""The customer's fix confirmation and the sample's chain of custody in the API (SPEC §7):
``POST /api/v1/signature-requests/{id}/confirm/`` and
``GET /api/v1/signature-requests/{id}/custody/``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user
from support_portal.kernel.api import StrictInput
from support_portal.kernel.pagination import Pagination, paginated
from tickets.models import SignatureRequest
from tickets.signatures.access import access_signature_request
from tickets.signatures.api import SignatureRequestOutput, _with_events
from tickets.signatures.custody import custody_for
from tickets.signatures.verification import signature_request_confirm


class ConfirmInput(StrictInput):
    fixed = serializers.BooleanField(
        help_text="`true`: the released databases fixed it. `false`: still detected (or still "
                  "missed); the request goes back to the expert group with the note.")
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Optional; shown in the request's timeline.")


class CustodyOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    who = serializers.CharField()
    email = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    form = serializers.ChoiceField(choices=["file", "zip"],
                                   help_text="The sample as stored, or the encrypted zip.")


class ConfirmApi(APIView):
    @extend_schema(request=ConfirmInput, responses={
        200: SignatureRequestOutput,
        403: OpenApiResponse(description="Only a contact of the customer confirms a fix."),
        409: OpenApiResponse(description="No released fix awaits an answer (not released yet, "
                                         "or already answered)."),
    })
    def post(self, request: Request, request_id: int) -> Response:
        user = request_user(request)
        found = access_signature_request(user, request_id)
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        signature_request_confirm(request=found, actor=user, **data.validated_data)
        return Response(SignatureRequestOutput(
            _with_events(SignatureRequest.objects).get(pk=found.pk)).data)


class CustodyApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: CustodyOutput(many=True)})
    def get(self, request: Request, request_id: int) -> Response:
        found = access_signature_request(request_user(request), request_id)
        return paginated(request, self, custody_for(found), CustodyOutput)
