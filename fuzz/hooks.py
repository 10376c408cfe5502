"""Schemathesis hooks for ``fuzz/run.py`` (loaded through ``SCHEMATHESIS_HOOKS``).

A schema says which requests are well formed; it cannot say which ids exist, which password is
right, or what "now" is. For a request the fuzzer generated as *valid* (positive mode), this
fills in exactly that, the way a real client would, from the seeded fixture (``FUZZ_SEED``)
and the role it runs as (``FUZZ_ROLE``):

- ids of existing objects in the body (``requester``, ``company``, ``tam``, ``assignee``,
  ``ticket``): the seeded ones, which the client would have listed first;
- fields only staff may send (``company``, ``requester``, ``channel``, ``received_at`` on a new
  ticket, ``internal`` on a comment): left out for a contact; and a staff-filed ticket names
  its ``requester``;
- times that must be recent and not in the future (``received_at``, ``released_at``) and a
  report ``month`` that has started: now, and the current month;
- the on-call rota (SPEC §11): a rotation's ``members`` and an override's ``user`` are seeded
  staff, a rotation starts now and an override covers the next hours (it may not be over
  already); the pages of the seeded severity-1 ticket (``?ticket=``), and its page and the
  seeded override by id in the path (acknowledged, removed: later calls answer 409, 404);
- sign-in (``/auth/token/``): the seeded contact's e-mail address and password; two-factor
  enrolment (``/me/mfa/totp/confirm/``): the current code of the secret just begun; a new
  account's password: one that passes Django's password validators;
- values that must be unique across the portal (a new user's e-mail address, a company's
  name, a release's version): fresh ones; a rejection's reason; a published database version
  on a new signature request; an audit period that does not end before it
  starts.

Invalid (negative) requests are sent as generated: the server must refuse every one of them.
"""

import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import schemathesis

from fuzz.run import totp_now

SEED: dict[str, Any] = json.loads(os.environ.get("FUZZ_SEED", "{}") or "{}")
ROLE = os.environ.get("FUZZ_ROLE", "")
IDS: dict[str, int] = SEED.get("ids", {})
STAFF_ONLY = ("company", "requester", "channel", "received_at")


def _positive(case: Any) -> bool:
    meta = case.meta
    return bool(meta is not None and meta.generation.mode.is_positive)


def _recent() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def _soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _oncall(case: Any, path: str, method: str, body: dict[str, Any] | None) -> None:
    """Ids and instants of the on-call operations (SPEC §11) a client would have known."""
    if path == "/api/v1/pages/" and isinstance(case.query, dict) and "ticket" in case.query:
        case.query["ticket"] = IDS["paged_ticket"]
    elif path == "/api/v1/pages/{page_id}/ack/" and isinstance(case.path_parameters, dict):
        case.path_parameters["page_id"] = IDS["page"]
    elif (path == "/api/v1/oncall/overrides/{override_id}/"
          and isinstance(case.path_parameters, dict)):
        case.path_parameters["override_id"] = IDS["override"]
    if body is None or method != "POST":
        return
    if path == "/api/v1/oncall/rotations/":
        staff = [IDS["engineer"], IDS["tam"], IDS["admin"]]
        body["members"] = [staff[i % len(staff)] for i in range(len(body.get("members", [])))]
        body["starts_at"] = _recent()
    elif path == "/api/v1/oncall/overrides/":
        body.update(user=IDS["admin"], starts_at=_soon(1), ends_at=_soon(3))


def _ticket_body(body: dict[str, Any]) -> None:
    if ROLE == "contact":
        for name in STAFF_ONLY:
            body.pop(name, None)
        return
    body["requester"] = IDS["contact"]
    if "company" in body:
        body["company"] = IDS["company"]
    if "received_at" in body:
        body["received_at"] = _recent()


def _totp_code(case: Any) -> str | None:
    """Begin enrolment as the fuzzed user and answer with the code of the new secret."""
    base = os.environ["FUZZ_BASE"]
    auth = case.headers.get("Authorization") if case.headers else None
    headers = {"Authorization": auth} if auth else {}
    begun = requests.post(f"{base}/api/v1/me/mfa/totp/", headers=headers, timeout=10)
    if begun.status_code != 200:
        return None  # already enrolled: the confirmation answers 409, as documented
    return totp_now(begun.json()["secret"])


def _declared_fields() -> dict[tuple[str, str, str], set[str] | None]:
    """(method, path, media type) → the fields its request body names, when it names exactly
    those (``additionalProperties: false``), from the schema ``run.py`` saved."""
    path = os.environ.get("FUZZ_SCHEMA")
    if not path:
        return {}
    with open(path) as f:
        schema = json.load(f)
    components = schema.get("components", {}).get("schemas", {})
    out: dict[tuple[str, str, str], set[str] | None] = {}
    for url, item in schema["paths"].items():
        for method, op in item.items():
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                body = content.get("schema", {})
                if "$ref" in body:
                    body = components[body["$ref"].rsplit("/", 1)[-1]]
                strict = body.get("additionalProperties") is False
                out[(method.upper(), url, media)] = set(body.get("properties", {})) if strict \
                    else None
    return out


DECLARED = _declared_fields()


def _drop_undeclared(case: Any, body: dict[str, Any]) -> None:
    """Schemathesis sometimes adds a key learnt from an error answer (``errors``) to a case it
    still counts as valid; the schema forbids it (``additionalProperties: false``)."""
    fields = DECLARED.get((case.method.upper(), case.operation.path, case.media_type or ""))
    if fields is not None:
        for key in set(body) - fields:
            del body[key]


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    params = case.path_parameters
    if isinstance(params, dict) and params.get("contact_id") == IDS.get("contact"):
        # The roles run side by side: the contact being fuzzed keeps its account.
        params["contact_id"] = IDS["spare_contact"]
    if not _positive(case):
        return
    path, method = case.operation.path, case.method.upper()
    body = case.body if isinstance(case.body, dict) else None
    if method == "GET" and path.endswith("/report/") and isinstance(case.query, dict):
        case.query["month"] = datetime.now(UTC).strftime("%Y-%m")
    if path.startswith(("/api/v1/oncall/", "/api/v1/pages/")):
        _oncall(case, path, method, body)
    if path == "/api/v1/audit/" and isinstance(case.query, dict) and "since" in case.query:
        case.query.pop("until", None)  # a period that ends before it starts is a 400
    if body is None:
        return
    _drop_undeclared(case, body)
    if "password" in body and path != "/api/v1/auth/token/":
        # Django's password validators (length, common, numeric, like the e-mail address).
        body["password"] = f"Fuzz-{secrets.token_hex(8)}"
    if "email" in body and path != "/api/v1/auth/token/":
        body["email"] = f"fuzz-{secrets.token_hex(6)}@example.com"  # unique across the portal
    if path == "/api/v1/database-releases/" and method == "POST":
        body["version"] = f"fuzz.{secrets.token_hex(6)}"  # a release is recorded once
    if path in ("/api/v1/companies/", "/api/v1/companies/{company_id}/") and "name" in body:
        body["name"] = f"Fuzz company {secrets.token_hex(4)}"  # company names are unique
    if path == "/api/v1/signature-requests/" and method == "POST":
        body["database_version"] = SEED.get("release", "2026.01.01.01")  # a published one
    if path.endswith("/transition/"):
        if body.get("to") == "rejected" and not str(body.get("reason", "")).strip():
            body["reason"] = "The detection is correct."  # a rejection says why
        if body.get("to") == "released":
            body["release_version"] = f"fuzz.{secrets.token_hex(6)}"
    if path == "/api/v1/auth/token/":
        body.update(email="spare@fuzz.example", password=SEED["password"])
        body.pop("otp", None)
    elif path == "/api/v1/me/mfa/totp/confirm/":
        code = _totp_code(case)
        if code is not None:
            body["code"] = code
    elif path == "/api/v1/tickets/" and method == "POST":
        _ticket_body(body)
    elif path == "/api/v1/tickets/{ticket_id}/comments/" and ROLE == "contact":
        body["internal"] = False  # internal notes are for staff
    elif path == "/api/v1/tickets/{ticket_id}/" and body.get("assignee") is not None:
        body["assignee"] = IDS["engineer"]
    elif path.startswith("/api/v1/companies/") and "contacts" not in path:
        if body.get("tam") is not None:
            body["tam"] = IDS["tam"]
        if "plan" in body:
            body["plan"] = "enhanced"  # plans are data an administrator edits
    elif path == "/api/v1/incidents/{incident_id}/tickets/":
        body["ticket"] = IDS["ticket"]
    if "released_at" in body:
        body["released_at"] = _recent()
