"""Hostile requests through gunicorn (defect 5 of the issue "Nothing lost, nothing late"):
deeply nested JSON, huge strings, invalid UTF-8, wrong types and malformed bodies, on the
endpoints that write. Never a 5xx, every refusal a JSON 400 with a ``detail``, and nothing
written by refused input."""

import json
from collections import Counter

import pytest

from accounts.models import Contact, User
from accounts.services import token_for
from tests.factories import UserFactory, file_ticket
from tests.faults.http import call
from tests.smtp_fault_server import free_port
from tickets.models import Comment, OutboundEmail, Ticket, TicketEvent

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

GOOD = {"subject": "Scanner stops", "description": "It stops.", "severity": 2}


def _bodies() -> list[tuple[str, bytes]]:
    """(label, body) of every kind of hostile JSON body, as a client could send it."""
    dumps = lambda value: json.dumps(value).encode()  # noqa: E731
    return [
        ("nested-arrays", b"[" * 1000 + b"]" * 1000),
        ("nested-arrays-unclosed", b"[" * 50_000),
        ("nested-objects", b'{"a":' * 2000 + b"1" + b"}" * 2000),
        ("nested-in-field", dumps({**GOOD, "subject": 1}).replace(b"1", b"[" * 900 + b"]" * 900)),
        ("huge-description-2M", dumps({**GOOD, "description": "x" * 2_000_000})),
        ("long-description", dumps({**GOOD, "description": "y" * 60_000})),
        ("long-subject", dumps({**GOOD, "subject": "s" * 5_000})),
        ("long-product", dumps({**GOOD, "product": "p" * 1_000})),
        ("invalid-utf8", b'{"subject": "\xff\xfe\xfd", "description": "x", "severity": 2}'),
        ("overlong-utf8", b'{"subject": "\xc0\xaf", "description": "x", "severity": 2}'),
        ("lone-surrogate", b'{"subject": "\\ud800", "description": "\\udfff", "severity": 2}'),
        ("nul-bytes", dumps({**GOOD, "subject": "a\u0000b"})),
        ("severity-string", dumps({**GOOD, "severity": "critical"})),
        ("severity-float", dumps({**GOOD, "severity": 2.5})),
        ("severity-huge", b'{"subject": "s", "description": "d", "severity": 1' + b"0" * 5000
         + b"}"),
        ("severity-inf", b'{"subject": "s", "description": "d", "severity": 1e999}'),
        ("subject-object", dumps({**GOOD, "subject": {"$gt": ""}})),
        ("subject-list", dumps({**GOOD, "subject": ["a", "b"]})),
        ("subject-null", dumps({**GOOD, "subject": None})),
        ("top-level-list", dumps([GOOD])),
        ("top-level-string", dumps("ticket")),
        ("truncated", b'{"subject": "s", "descr'),
        ("empty", b""),
        ("binary", bytes(range(256)) * 4),
        ("staff-fields", dumps({**GOOD, "company": 1, "channel": "phone"})),
    ]


def test_a_thousand_hostile_requests_never_5xx_and_write_nothing(portal, people, scale, report):
    port = free_port()
    portal.gunicorn(port, workers=2, threads=2)
    contact = people["contacts"][0]
    token = token_for(contact).key
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    admin_token = token_for(admin).key
    ticket = file_ticket(contact)
    company = people["company"]
    targets = [
        ("POST", "/api/v1/tickets/", token),
        ("POST", f"/api/v1/tickets/{ticket.pk}/comments/", token),
        ("PATCH", f"/api/v1/tickets/{ticket.pk}/", admin_token),
        ("POST", f"/api/v1/companies/{company.pk}/contacts/", admin_token),
        ("POST", "/api/v1/auth/token/", ""),
    ]
    counts = lambda: (Ticket.objects.count(), Comment.objects.count(),  # noqa: E731
                      TicketEvent.objects.count(), OutboundEmail.objects.count(),
                      User.objects.count(), Contact.objects.count())
    before = counts()
    bodies = _bodies()
    statuses: Counter[int] = Counter()
    bad: list[str] = []
    total = scale.int("hostile_requests")
    for n in range(total):
        label, body = bodies[n % len(bodies)]
        method, path, who = targets[(n // len(bodies)) % len(targets)]
        content_type = "application/json; charset=utf-8" if n % 7 else "application/json"
        answer = call(port, method, path, body, token=who, content_type=content_type)
        statuses[answer.status] += 1
        detail = (answer.json() or {}).get("detail") if answer.status else None
        if answer.status >= 500 or answer.status == 0 or not detail:
            bad.append(f"{label} {method} {path}: {answer.status} {answer.error} "
                       f"{answer.body[:200]!r}")
    after = counts()
    figures = {"requests": total, "statuses": dict(sorted(statuses.items())),
               "server_errors": sum(v for k, v in statuses.items() if k >= 500 or k == 0),
               "answers_without_detail": len(bad), "rows_written": sum(after) - sum(before)}
    report(**figures)
    assert bad == [], (bad[:10], portal.log("gunicorn")[-3000:])
    assert set(statuses) <= {400, 403, 429}, figures  # 429: the sign-in ceiling
    assert after == before, (before, after)
