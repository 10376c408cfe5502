"""REST API for sign-in, staff, companies and contacts (SPEC §8). Views stay thin:
validate input, call one service or selector, serialize the answer."""

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.access import (
    access_company,
    access_company_for_contact_management,
    access_contact,
    request_user,
    require_admin,
    visible_companies,
)
from accounts.auth import token_signed_in
from accounts.forms import second_factor_failed, second_factor_locked
from accounts.mfa import verify_second_factor
from accounts.models import (
    STAFF_ROLES,
    Company,
    Contact,
    LicenseType,
    Plan,
    Role,
    User,
    known_time_zones,
)
from accounts.selectors import companies_with_counts, contacts_of
from support_portal.kernel.api import PatchSerializer, StrictInput
from support_portal.kernel.pagination import Pagination, paginated
from support_portal.kernel.schema import ErrorSerializer, conflict

#: IANA time zone names, as the schema's ``TimeZoneEnum`` lists them.
TIME_ZONES = sorted(known_time_zones())


class SignInThrottle(AnonRateThrottle):
    """Per-address ceiling on the token endpoint, on top of django-axes' per-account lock."""

    scope = "sign_in"


# --- Token ---------------------------------------------------------------------------------
class TokenInput(StrictInput):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)
    otp = serializers.CharField(
        required=False, allow_blank=True, max_length=32,
        help_text="The current code of the authenticator app, or an unused recovery code: "
                  "required once two-factor sign-in is set up for the account.",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


def _refused(detail: str, errors: dict[str, list[str]] | None = None) -> Response:
    """Credentials that do not sign in: 401 (a well-formed request is not a 400 because the
    password is wrong; the schema cannot know the password)."""
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status=status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": 'Token realm="api"'})


class TokenApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInThrottle]

    @extend_schema(request=TokenInput, auth=[], responses={
        200: TokenOutput,
        401: OpenApiResponse(ErrorSerializer, description=(
            "The e-mail address and password do not sign in, or the account uses two-factor "
            "sign-in and `otp` is missing or not valid.")),
    })
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            # AxesMiddleware swaps in the 429 lockout answer on the way out.
            return Response({"detail": _("Too many failed sign-in attempts.")}, status=429)
        if user is None:
            return _refused(_("Unable to sign in with this e-mail address and password."))
        if user.mfa_enabled:
            # The second factor, counted by django-axes like the password.
            refusal = self._check_otp(request, user, data.validated_data.get("otp", ""))
            if refusal is not None:
                return refusal
        token_signed_in(request._request, user)
        return Response({"token": services.token_for(user, request=request._request).key})

    @staticmethod
    def _check_otp(request: Request, user: User, otp: str) -> Response | None:
        if second_factor_locked(request._request, user):
            return Response({"detail": _("Too many failed sign-in attempts.")}, status=429)
        if not otp:
            return _refused(_("otp: this account uses two-factor sign-in; send the current code "
                              "of the authenticator app (or a recovery code) as otp."),
                            {"otp": [_("This field is required.")]})
        if not verify_second_factor(user, otp):
            second_factor_failed(request._request, user)
            if getattr(request._request, "axes_locked_out", False):
                return Response({"detail": _("Too many failed sign-in attempts.")}, status=429)
            return _refused(_("otp: this code is not valid (it may have been used already)."),
                            {"otp": [_("Invalid code.")]})
        return None


# --- Staff ---------------------------------------------------------------------------------
class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "is_active"]


class StaffInput(StrictInput):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False, write_only=True)
    role = serializers.ChoiceField(choices=sorted(STAFF_ROLES))


class StaffCreateApi(APIView):
    @extend_schema(request=StaffInput, responses={201: UserOutput})
    def post(self, request: Request) -> Response:
        require_admin(request_user(request))
        data = StaffInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.staff_create(**data.validated_data, actor=request_user(request),
                                     request=request._request)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


# --- Companies -----------------------------------------------------------------------------
class CompanyOutput(serializers.ModelSerializer):
    plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    contact_limit = serializers.IntegerField(source="plan.contact_limit", read_only=True)
    active_contacts = serializers.IntegerField(read_only=True)
    license_valid = serializers.SerializerMethodField()
    sso_client_secret_set = serializers.SerializerMethodField(
        help_text="Whether a client secret is stored (the secret itself is never returned).")

    class Meta:
        model = Company
        fields = ["id", "name", "license", "plan", "tam", "timezone", "license_valid_from",
                  "license_valid_until", "license_valid", "contact_limit", "active_contacts",
                  "sso_issuer", "sso_client_id", "sso_client_secret_set", "require_mfa"]

    def get_license_valid(self, company: Company) -> bool:
        return company.license_is_valid()

    def get_sso_client_secret_set(self, company: Company) -> bool:
        return bool(company.sso_client_secret)


class CompanyInput(StrictInput):
    name = serializers.CharField(max_length=200)
    license = serializers.ChoiceField(choices=LicenseType.choices)
    plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(
        slug_field="code", queryset=Plan.objects.all()
    )
    tam = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.TAM, is_active=True), allow_null=True,
        required=False,
    )
    timezone = serializers.ChoiceField(choices=TIME_ZONES, required=False,
                                       help_text="An IANA time zone name (default UTC).")
    license_valid_from = serializers.DateField(allow_null=True, required=False)
    license_valid_until = serializers.DateField()
    sso_issuer = serializers.URLField(max_length=300, required=False, allow_blank=True)
    sso_client_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sso_client_secret = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                              write_only=True, trim_whitespace=False)
    require_mfa = serializers.BooleanField(required=False)


SECURITY_FIELDS = ("sso_issuer", "sso_client_id", "sso_client_secret", "require_mfa")


def _company_out(company: Company) -> Any:
    # Re-read through the selector so the answer carries the same annotated counts as a GET.
    return CompanyOutput(companies_with_counts().get(pk=company.pk)).data


class CompanyListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: CompanyOutput(many=True)})
    def get(self, request: Request) -> Response:
        return paginated(request, self, visible_companies(request_user(request)), CompanyOutput)

    @extend_schema(request=CompanyInput, responses={201: CompanyOutput})
    def post(self, request: Request) -> Response:
        require_admin(request_user(request))
        data = CompanyInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        security = {k: fields.pop(k) for k in list(fields) if k in SECURITY_FIELDS}
        company = services.company_create(**fields)
        if security:
            company = services.company_update(company=company, actor=request_user(request),
                                              request=request._request, **security)
        return Response(_company_out(company), status=status.HTTP_201_CREATED)


class CompanyDetailApi(APIView):
    @extend_schema(responses={200: CompanyOutput})
    def get(self, request: Request, company_id: int) -> Response:
        return Response(CompanyOutput(access_company(request_user(request), company_id)).data)

    @extend_schema(request=CompanyInput(partial=True), responses={
        200: CompanyOutput,
        409: conflict("The new plan allows fewer active contacts than the company has.")})
    def patch(self, request: Request, company_id: int) -> Response:
        company = access_company(request_user(request), company_id)
        require_admin(request_user(request))
        data = CompanyInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        company = services.company_update(company=company, actor=request_user(request),
                                          request=request._request, **data.validated_data)
        return Response(_company_out(company))


# --- Contacts ------------------------------------------------------------------------------
class ContactOutput(serializers.ModelSerializer):
    id = serializers.IntegerField(
        source="user_id", read_only=True,
        help_text="The contact's one id: the user id a ticket's `requester` takes and returns.")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    last_login = serializers.DateTimeField(
        source="user.last_login", allow_null=True,
        help_text="`null` until the contact first signs in.")

    class Meta:
        model = Contact
        fields = ["id", "company", "email", "full_name", "phone", "is_active", "created_at",
                  "deactivated_at", "last_login"]


class ContactInput(StrictInput):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    password = serializers.CharField(trim_whitespace=False, write_only=True)


class ContactPatchInput(PatchSerializer):
    is_active = serializers.BooleanField(required=False)
    full_name = serializers.CharField(max_length=150, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class ContactListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: ContactOutput(many=True)})
    def get(self, request: Request, company_id: int) -> Response:
        company = access_company_for_contact_management(request_user(request), company_id)
        return paginated(request, self, contacts_of(company), ContactOutput)

    @extend_schema(request=ContactInput, responses={
        201: ContactOutput,
        409: conflict("The company already has as many active contacts as its plan allows.")})
    def post(self, request: Request, company_id: int) -> Response:
        company = access_company_for_contact_management(request_user(request), company_id)
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_create(company=company, **data.validated_data,
                                          actor=request_user(request), request=request._request)
        return Response(ContactOutput(contact).data, status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    @extend_schema(responses={200: ContactOutput})
    def get(self, request: Request, company_id: int, contact_id: int) -> Response:
        company = access_company_for_contact_management(request_user(request), company_id)
        contact = access_contact(request_user(request), company, contact_id)
        return Response(ContactOutput(contact).data)

    @extend_schema(request=ContactPatchInput, responses={
        200: ContactOutput,
        409: conflict("Reactivating would exceed the plan's contact limit.")})
    def patch(self, request: Request, company_id: int, contact_id: int) -> Response:
        company = access_company_for_contact_management(request_user(request), company_id)
        contact = access_contact(request_user(request), company, contact_id)
        data = ContactPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_update(contact=contact, **data.validated_data,
                                          actor=request_user(request), request=request._request)
        return Response(ContactOutput(contact).data)
