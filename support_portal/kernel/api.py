"""API plumbing shared by every app: the JSON error format and strict PATCH input.

Every error answer is JSON with a readable ``detail`` sentence; validation errors also carry
``errors``, the per-field messages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from support_portal.kernel.errors import ConflictError


def authenticated_user(request: Request) -> Any:
    """The signed-in user of an API request, or 401 (the default permission already refuses
    anonymous requests; this keeps a view that relaxed it honest). ``accounts.access``
    gives it its type."""
    if not request.user or not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return request.user


class PatchSerializer(serializers.Serializer):
    """Input of a PATCH: only the declared fields may be sent, and at least one of them.
    A field this endpoint cannot change is an error, not silently ignored."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                _("These fields cannot be changed here: %(fields)s.")
                % {"fields": ", ".join(sorted(unknown))}
            )
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        out: list[str] = []
        for key, value in errors.items():
            label = "" if key in ("non_field_errors", "__all__", "detail") else str(key)
            path = f"{prefix}.{label}" if prefix and label else label or prefix
            out.extend(_flatten(value, path))
        return out
    if isinstance(errors, list):
        return [m for item in errors for m in _flatten(item, prefix)]
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(detail=exc.message_dict)
        else:
            exc = exceptions.ValidationError(detail={"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        response.data = {"detail": " ".join(_flatten(errors)), "errors": errors}
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(_flatten(response.data))}
    return response
