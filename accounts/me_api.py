"""``/api/v1/me/``: the signed-in user's own settings, and two-factor enrolment (SPEC §10,
§14). A user who must enrol may call these (``IsAuthenticated`` alone) and nothing else."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import mfa, services
from accounts.access import request_user
from accounts.api import TIME_ZONES
from accounts.audit import company_of
from accounts.models import Role, User
from support_portal.kernel.api import PatchSerializer, StrictInput
from support_portal.kernel.schema import conflict


class MeOutput(serializers.ModelSerializer):
    company = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "language", "timezone", "company",
                  "mfa_enabled"]

    def get_company(self, user: User) -> int | None:
        company = company_of(user) if user.role == Role.CONTACT else None
        return company.pk if company is not None else None


class MePatchInput(PatchSerializer):
    full_name = serializers.CharField(max_length=150, required=False)
    language = serializers.ChoiceField(choices=[code for code, _ in settings.LANGUAGES],
                                       required=False)
    timezone = serializers.ChoiceField(choices=TIME_ZONES, required=False,
                                       help_text="An IANA time zone name, e.g. Europe/Berlin.")


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request_user(request)).data)

    @extend_schema(request=MePatchInput, responses={200: MeOutput})
    def patch(self, request: Request) -> Response:
        data = MePatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request_user(request), **data.validated_data)
        return Response(MeOutput(user).data)


class TotpBeginOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret for the authenticator app.")
    otpauth_uri = serializers.CharField(help_text="The same as an otpauth:// URI (QR code).")


class TotpConfirmInput(StrictInput):
    code = serializers.CharField(max_length=16)


class TotpConfirmOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(),
                                           help_text="Single-use codes; shown this once.")


class TotpBeginApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={
        200: TotpBeginOutput,
        409: conflict("Two-factor sign-in is already set up for this account.")})
    def post(self, request: Request) -> Response:
        secret, uri = mfa.totp_begin(user=request_user(request))
        return Response({"secret": secret, "otpauth_uri": uri})


class TotpConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=TotpConfirmInput, responses={
        200: TotpConfirmOutput,
        409: conflict("Two-factor sign-in is already set up for this account.")})
    def post(self, request: Request) -> Response:
        data = TotpConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes: list[Any] = mfa.totp_confirm(user=request_user(request),
                                            code=data.validated_data["code"])
        return Response({"recovery_codes": codes})
