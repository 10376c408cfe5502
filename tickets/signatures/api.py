"""REST API for signature change requests and database releases (SPEC §7, §8)."""

import io
from typing import Any

import pyzipper
from django.db import transaction
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from accounts.access import request_user, require_staff
from accounts.models import User
from support_portal.kernel.api import StrictInput
from support_portal.kernel.files import private_download
from support_portal.kernel.pagination import Pagination, paginated
from support_portal.kernel.schema import conflict
from tickets import limits
from tickets.models import (
    DatabaseRelease,
    SignatureRequest,
    SignatureStatus,
    SignatureType,
    VerificationState,
)
from tickets.signatures import services as sig
from tickets.signatures.access import access_signature_request, visible_signature_requests

#: The convention for exchanging malware samples: an encrypted zip with this password.
SAMPLE_ZIP_PASSWORD = b"infected"


class SignatureEventOutput(serializers.Serializer):
    status = serializers.CharField(source="new_value")
    previous = serializers.CharField(source="old_value")
    at = serializers.DateTimeField(source="created_at")
    by = serializers.CharField(source="actor.full_name", default=None)


class VerificationOutput(serializers.Serializer):
    """SPEC §7 item 4: the customer's answer after a release."""

    state = serializers.ChoiceField(choices=VerificationState.choices)
    at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="While pending: when no "
                                       "answer is taken as fixed.")


class SignatureRequestOutput(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id")
    number = serializers.CharField(source="ticket.number")
    product = serializers.CharField(source="ticket.product")
    product_version = serializers.CharField(source="ticket.product_version")
    description = serializers.CharField(source="ticket.description")
    release_version = serializers.CharField(source="release.version", default=None)
    released_at = serializers.DateTimeField(source="release.released_at", default=None)
    sample_url = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    verification = serializers.SerializerMethodField()

    class Meta:
        model = SignatureRequest
        fields = ["id", "ticket", "number", "type", "status", "product", "product_version",
                  "database_version", "description", "object_url", "sha256", "sample_name",
                  "sample_size", "sample_url", "release_version", "released_at",
                  "rejection_reason", "customer_informed_at", "created_at", "events",
                  "verification", "sample_deleted_at"]

    @extend_schema_field(VerificationOutput(allow_null=True))
    def get_verification(self, request: SignatureRequest) -> dict[str, Any] | None:
        """``None`` until the first release."""
        if not request.verification_state:
            return None
        return VerificationOutput({"state": request.verification_state,
                                   "at": request.verification_at,
                                   "due_at": request.verification_due_at}).data

    def get_sample_url(self, request: SignatureRequest) -> str | None:
        if not request.sample:
            return None
        return reverse("api-signature-sample", args=[request.pk])

    def get_events(self, request: SignatureRequest) -> Any:
        events = [e for e in request.ticket.events.all() if e.kind == "signature"]
        return SignatureEventOutput(events, many=True).data


def _with_events(qs: Any) -> Any:
    return qs.select_related("ticket", "release").prefetch_related("ticket__events__actor")


class SignatureRequestInput(StrictInput):
    type = serializers.ChoiceField(choices=SignatureType.choices)
    product = serializers.CharField(max_length=limits.PRODUCT_MAX)
    product_version = serializers.CharField(max_length=limits.PRODUCT_VERSION_MAX)
    database_version = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=limits.DESCRIPTION_MAX)
    sample = serializers.FileField(required=False, allow_empty_file=True)
    sha256 = serializers.RegexField(r"^\s*[0-9a-fA-F]{64}\s*$", max_length=80, required=False,
                                    allow_blank=True, default="",
                                    help_text="The sample's SHA-256, 64 hexadecimal characters.")
    object_url = serializers.URLField(max_length=500, required=False, allow_blank=True,
                                      default="")


class TransitionInput(StrictInput):
    to = serializers.ChoiceField(choices=SignatureStatus.choices)
    release_version = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                            default="")
    released_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SignatureRequestListApi(APIView):
    pagination_class = Pagination
    parser_classes = [MultiPartParser]

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=SignatureStatus.values,
                                                description="Only requests in this status.")],
                   responses={200: SignatureRequestOutput(many=True)})
    def get(self, request: Request) -> Response:
        qs = visible_signature_requests(request_user(request))
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in SignatureStatus.values:
                return Response({"detail": _("Unknown status filter.")}, status=400)
            qs = qs.filter(status=wanted)
        return paginated(request, self, _with_events(qs), SignatureRequestOutput)

    @extend_schema(request={"multipart/form-data": SignatureRequestInput},
                   responses={201: SignatureRequestOutput})
    def post(self, request: Request) -> Response:
        user = request_user(request)
        if not user.is_contact:
            return Response({"detail": _("Signature change requests are filed by a customer's "
                                         "named contacts.")}, status=403)
        data = SignatureRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = sig.signature_request_create(requester=user, **data.validated_data)
        created = _with_events(SignatureRequest.objects).get(pk=created.pk)
        return Response(SignatureRequestOutput(created).data, status=status.HTTP_201_CREATED)


class SignatureRequestDetailApi(APIView):
    @extend_schema(responses={200: SignatureRequestOutput})
    def get(self, request: Request, request_id: int) -> Response:
        found = access_signature_request(request_user(request), request_id)
        return Response(SignatureRequestOutput(
            _with_events(SignatureRequest.objects).get(pk=found.pk)).data)


class SignatureTransitionApi(APIView):
    @extend_schema(request=TransitionInput, responses={
        200: SignatureRequestOutput,
        409: conflict("The transition is not allowed from the current status, or the release "
                      "is already recorded.")})
    def post(self, request: Request, request_id: int) -> Response:
        user = request_user(request)
        found = access_signature_request(user, request_id)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = sig.signature_request_transition(request=found, actor=user, **data.validated_data)
        return Response(SignatureRequestOutput(
            _with_events(SignatureRequest.objects).get(pk=moved.pk)).data)


def _record_sample_download(request: Request, user: User, found: SignatureRequest,
                            form: str) -> None:
    """Chain of custody: every download of a sample, who, when and from where (SPEC §7, §14)."""
    audit.record(action=audit.Action.SAMPLE_DOWNLOADED, actor=user, company=found.ticket.company,
                 object=found, request=request._request,
                 detail={"ticket": found.ticket.number, "sha256": found.sha256, "as": form})


SAMPLE_GONE = OpenApiResponse(description="The sample's bytes were deleted after the retention "
                                          "that follows closing; hash, size and name stay.")


def _no_sample(found: SignatureRequest) -> Response:
    if found.sample_deleted_at is not None:
        # Chain of custody (SPEC §7): the bytes are gone after the retention; the hash stays.
        return Response({"detail": _("The sample was deleted on %(at)s, after the request was "
                                     "closed; its SHA-256 is %(sha256)s.") % {
            "at": found.sample_deleted_at.isoformat(), "sha256": found.sha256}}, status=410)
    return Response({"detail": _("This request has no sample file.")}, status=404)


class SampleDownloadApi(APIView):
    """The sample as stored, always as a download (never rendered)."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 410: SAMPLE_GONE})
    def get(self, request: Request, request_id: int) -> HttpResponseBase | Response:
        user = request_user(request)
        found = access_signature_request(user, request_id)
        if not found.sample:
            return _no_sample(found)
        with transaction.atomic():
            _record_sample_download(request, user, found, "file")
            return private_download(found.sample, f"{found.ticket.number}-sample.bin")


class SampleZipApi(APIView):
    """Staff only: the sample inside an AES-encrypted zip, password ``infected``."""

    @extend_schema(responses={(200, "application/zip"): bytes, 410: SAMPLE_GONE})
    def get(self, request: Request, request_id: int) -> HttpResponseBase | Response:
        user = request_user(request)
        found = access_signature_request(user, request_id)
        require_staff(user)
        if not found.sample:
            return _no_sample(found)
        buffer = io.BytesIO()
        with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED,
                                 encryption=pyzipper.WZ_AES) as archive:
            archive.setpassword(SAMPLE_ZIP_PASSWORD)
            with found.sample.open("rb") as sample:
                archive.writestr(f"{found.sha256}.bin", sample.read())
        with transaction.atomic():
            _record_sample_download(request, user, found, "zip")
            return private_download(buffer.getvalue(), f"{found.ticket.number}-sample.zip",
                                content_type="application/zip")


class DatabaseReleaseOutput(serializers.ModelSerializer):
    class Meta:
        model = DatabaseRelease
        fields = ["id", "version", "released_at", "expedited"]


class DatabaseReleaseInput(StrictInput):
    version = serializers.CharField(max_length=64)
    released_at = serializers.DateTimeField(required=False)
    expedited = serializers.BooleanField(default=False)


class DatabaseReleaseListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses={200: DatabaseReleaseOutput(many=True)})
    def get(self, request: Request) -> Response:
        releases = DatabaseRelease.objects.order_by("-released_at", "-pk")
        return paginated(request, self, releases, DatabaseReleaseOutput)

    @extend_schema(request=DatabaseReleaseInput, responses={201: DatabaseReleaseOutput})
    def post(self, request: Request) -> Response:
        data = DatabaseReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        release = sig.database_release_create(actor=request_user(request), **data.validated_data)
        return Response(DatabaseReleaseOutput(release).data, status=status.HTTP_201_CREATED)
