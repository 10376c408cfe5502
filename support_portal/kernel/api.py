"""API plumbing shared by every app: the JSON error format and strict PATCH input.

Every error answer is JSON with a readable ``detail`` sentence; validation errors also carry
``errors``, the per-field messages. That holds for every path under ``/api/v1/``: unknown
paths and malformed ids reach ``api_not_found``, and the project's error handlers answer JSON
there (pages keep their HTML error pages).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
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


def _same_json_type(value: Any, key: Any) -> bool:
    if isinstance(value, bool) or isinstance(key, bool):
        return isinstance(value, bool) and isinstance(key, bool)
    return (isinstance(value, str) and isinstance(key, str)) or (
        isinstance(value, int) and isinstance(key, int))


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """What is wrong with the JSON type of ``value`` for ``field`` (``None``: nothing)."""
    if value is None:
        return None  # ``allow_null`` is the field's own check
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Expected true or false.")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return _("Expected an integer.")
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return None if number else _("Expected a number.")
    if isinstance(field, serializers.ChoiceField):
        if any(_same_json_type(value, key) and value == key for key in field.choices):
            return None
        if len(field.choices) > 12:
            return _("Expected one of the values the schema lists.")
        return _("Expected one of: %(choices)s.") % {
            "choices": ", ".join(str(k) for k in field.choices)}
    if isinstance(field, serializers.ListField):
        return None if isinstance(value, list) else _("Expected a list.")
    if isinstance(field, serializers.DictField | serializers.JSONField):
        return None
    if isinstance(field, serializers.FileField):
        return None
    if isinstance(field, serializers.CharField | serializers.DateField
                  | serializers.DateTimeField | serializers.TimeField):
        return None if isinstance(value, str) else _("Expected a string.")
    return None


class StrictInput(serializers.Serializer):
    """A request body exactly as the OpenAPI schema describes it (``kernel.schema`` documents
    it with ``additionalProperties: false``): JSON values of the declared type (``"1"`` is not
    an integer, ``1`` is not a string, ``"true"`` is not a boolean) and no field the operation
    does not name. What the schema allows is accepted; what it forbids is a 400."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({
                    name: [_("Unknown field: this operation does not take it.")]
                    for name in unknown})
            if isinstance(data, QueryDict):
                # Multipart: every value is text; a boolean is spelled true or false.
                errors = {name: [_("Expected true or false.")] for name in writable & set(data)
                          if isinstance(self.fields[name], serializers.BooleanField)
                          and data.get(name) not in ("true", "false", "True", "False")}
                if errors:
                    raise serializers.ValidationError(errors)
            else:
                errors = {name: [message] for name in writable & set(data)
                          if (message := _json_type_error(self.fields[name], data[name]))}
                if errors:
                    raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class PatchSerializer(StrictInput):
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


def _by_field(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as ``{field: [messages]}``, the one shape the schema
    documents (``kernel.schema.ErrorSerializer``): a nested field is ``files.0`` or
    ``contacts.2.email``."""
    if isinstance(errors, dict):
        out: dict[str, list[str]] = {}
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _by_field(value, path).items():
                out.setdefault(field, []).extend(messages)
        return out
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        out = {}
        for index, item in enumerate(errors):
            nested = _by_field(item, f"{prefix}.{index}" if prefix else str(index))
            for field, messages in nested.items():
                out.setdefault(field, []).extend(messages)
        return out
    items = errors if isinstance(errors, list) else [errors]
    return {prefix or "non_field_errors": [str(m) for m in items]}


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
        response.data = {"detail": " ".join(_flatten(errors)), "errors": _by_field(errors)}
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(_flatten(response.data))}
    return response


# --- JSON errors outside the API views (SPEC §8) ----------------------------------------
#: Every path under this prefix answers JSON, also when no API view is reached.
API_PREFIX = "/api/v1/"


def _json_error(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The last pattern under ``/api/v1/``: an unknown path, or an id that is not a number
    (``/api/v1/tickets/null,null/``), answered as JSON like every other API error."""
    hint = ""
    if not request.path.endswith("/"):
        hint = " " + _("API paths end with a slash: %(path)s") % {"path": f"{request.path}/"}
    return _json_error(404, _("Not found: %(path)s is not an address of this API.")
                       % {"path": request.path} + hint)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(400, _("Bad request."))
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(403, str(exception or "") or _("You may not do this."))
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(404, _("Not found."))
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json_error(500, _("Server error: the request was not completed."))
    return defaults.server_error(request)
