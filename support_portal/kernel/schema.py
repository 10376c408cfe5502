"""The OpenAPI schema as a contract (SPEC §8): every operation documents each status code it can
answer, with the one error body of ``kernel.api.exception_handler``; every list its paginated
envelope. ``ContractSchema`` is DRF's ``DEFAULT_SCHEMA_CLASS``.

Which errors an operation can answer follows from what it is, not from a list kept by hand:

- 400: it reads a request body or query parameters (validation, malformed JSON);
- 401, 403: it needs a signed-in user (no or a bad token; a role, tenant or two-factor refusal);
- 404: its path names an object (another tenant's objects do not exist), or it is a list (a
  page past the end);
- 413, 415: it reads a request body (too large; a content type it does not parse);
- 429: it is throttled (the sign-in ceiling).

A view adds what only its service knows (409 for a conflict with the current state, 410 for a
deleted sample) with ``extend_schema(responses={409: OpenApiResponse(description=…)})``; the
error body is filled in here.
"""

import inspect
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from support_portal.kernel.api import PatchSerializer, StrictInput


class ErrorSerializer(serializers.Serializer):
    """Every error answer of ``/api/v1/`` (``kernel.api.exception_handler``)."""

    detail = serializers.CharField(help_text="A readable sentence saying what went wrong.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="On a 400 for invalid input: the messages per field (`non_field_errors` "
                  "for the request as a whole; a nested field as `field.0.name`).")


#: The description of each status code added to an operation.
ERROR_DESCRIPTIONS = {
    "400": "The request is invalid: `detail` says why, `errors` per field.",
    "401": "No valid credentials: send `Authorization: Token <token>` (or a session).",
    "403": "Signed in, but not allowed to do this (role, account or two-factor sign-in).",
    "404": "No such object for this user (another tenant's objects answer 404 too), or a page "
           "past the end of a list.",
    "409": "The request conflicts with the current state.",
    "413": "The request body is too large.",
    "415": "The request body's content type is not accepted here.",
    "429": "Too many attempts: wait and try again.",
}

BODY_METHODS = ("POST", "PUT", "PATCH")

#: A string with no NUL character (Django refuses them in every text field) ...
NO_NUL = r"^[^\x00]*$"
#: ... and, where a field is trimmed and may not be blank, at least one other character.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
#: Text fields whose own format (e-mail, URL, …) already says what they accept.
FORMATTED = (serializers.EmailField, serializers.URLField, serializers.RegexField,
             serializers.SlugField, serializers.IPAddressField, serializers.UUIDField)


_BASE_DOCS = (inspect.getdoc(StrictInput), inspect.getdoc(PatchSerializer))


class ContractSchema(AutoSchema):
    def _map_serializer_field(self, field: Any, direction: Any,
                              bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or "$ref" in schema:
            return schema
        if (direction == "request" and isinstance(field, serializers.CharField)
                and not isinstance(field, FORMATTED)):
            # What DRF refuses, said in the schema: blank after trimming, NUL characters.
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema.setdefault("pattern", NOT_BLANK if blank_refused else NO_NUL)
            if not field.allow_blank:
                schema.setdefault("minLength", 1)
        if direction == "response" and field.default is None:
            # ``default=None``: a missing related object (no release yet, no assignee) is null.
            schema["nullable"] = True
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)
        if schema.get("description") in _BASE_DOCS:
            del schema["description"]  # the base class's docstring is not the input's
        if direction == "request" and isinstance(serializer, StrictInput):
            schema["additionalProperties"] = False  # StrictInput refuses unknown fields
            if isinstance(serializer, PatchSerializer):
                schema["minProperties"] = 1  # "Nothing to change." is a 400
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        schema, required = super()._get_request_for_media_type(serializer, direction)
        patch = isinstance(serializer, PatchSerializer) or (
            inspect.isclass(serializer) and issubclass(serializer, PatchSerializer))
        # A PATCH without a body has nothing to change: a 400, so the body is required.
        return schema, required or patch

    def _error_codes(self) -> list[str]:
        codes: list[str] = []
        has_body = self.method in BODY_METHODS and self._get_request_body() is not None
        query = [p for p in self._get_parameters() if p.get("in") == "query"]
        if has_body or query:
            codes.append("400")
        if self.get_auth() and any(self.get_auth()):
            codes += ["401", "403"]
        if "{" in self.path or (self.method == "GET" and self._is_paginated_list()):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _get_pagination_parameters(self) -> Any:
        # Also for a list with more than one answer format (the audit log's JSON pages).
        if self.method != "GET" or not self._is_paginated_list():
            return []
        return self.view.pagination_class().get_schema_operation_parameters(self.view)

    def _is_paginated_list(self) -> bool:
        """A list answered through ``kernel.pagination.paginated``: its view names the
        ``pagination_class``, which is how the envelope gets into the schema."""
        return getattr(self.view, "pagination_class", None) is not None

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = ErrorSerializer
        for code in self._error_codes():
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in list(responses.items()):
            if code.startswith("4") and "content" not in response:
                description = response.get("description") or ERROR_DESCRIPTIONS.get(code, "")
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(error, description=description), code)
        return dict(sorted(responses.items()))


def conflict(description: str) -> OpenApiResponse:
    """A 409 an operation can answer, with the error body (``extend_schema(responses=…)``)."""
    return OpenApiResponse(ErrorSerializer, description=description)
