"""The SLA policies kept per process (``sla.policies``): filing a ticket reads no policy,
calendar or holiday once the process has read them, and an administrator's edit reaches the
next ticket filed — in this process and in any other (the version token in Redis).

Transactional tests: the edit's token is put in the cache when its transaction commits.
"""

import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sla import policies
from sla.models import Holiday, SlaCalendar, SlaPolicy
from tests.factories import CompanyFactory, ContactFactory, file_ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contact(reference_data):
    return ContactFactory(company=CompanyFactory()).user


def queries_of(action) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [q["sql"] for q in captured.captured_queries]


def policy_reads(sql: list[str]) -> list[str]:
    return [q for q in sql if '"sla_' in q]


def test_filing_reads_the_policy_once_per_process(contact):
    first = queries_of(lambda: file_ticket(contact, severity=2))
    again = queries_of(lambda: file_ticket(contact, severity=2))
    # The first look-up reads the policy with its calendar, and the calendar's holidays.
    assert len(policy_reads(first)) == 2, first
    assert policy_reads(again) == []
    assert len(again) == len(first) - 2
    # Another severity is another policy: read once too.
    assert len(policy_reads(queries_of(lambda: file_ticket(contact, severity=1)))) == 2


def test_an_edited_target_reaches_the_next_ticket(contact):
    before = file_ticket(contact, severity=2)
    assert before.response_due_at - before.created_at == timedelta(hours=4)
    policy = SlaPolicy.objects.get(plan=contact.active_contact.company.plan, severity=2)
    policy.target = timedelta(hours=3)
    policy.save()  # as the admin does
    after = file_ticket(contact, severity=2)
    assert after.response_due_at - after.created_at == timedelta(hours=3)
    again = queries_of(lambda: file_ticket(contact, severity=2))
    assert policy_reads(again) == []  # kept again, under the new version


def test_a_new_holiday_moves_a_business_hours_deadline(contact):
    business = SlaCalendar.objects.get(name="Business hours (UTC)")  # weekdays 09:00-18:00
    policy = SlaPolicy.objects.get(plan=contact.active_contact.company.plan, severity=2)
    policy.calendar = business
    policy.save()
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        assert file_ticket(contact, severity=2).response_due_at == monday + timedelta(hours=4)
        Holiday.objects.create(calendar=business, date=date(2026, 11, 2), name="Bank holiday")
        # Tuesday 09:00 + 4 open hours.
        assert file_ticket(contact, severity=2).response_due_at == datetime(
            2026, 11, 3, 13, 0, tzinfo=UTC)


@pytest.mark.slow_subprocess
def test_an_edit_in_another_process_reaches_this_one(contact):
    file_ticket(contact, severity=3)  # kept here
    plan_id = contact.active_contact.company.plan_id
    code = (
        "import django; django.setup()\n"
        "from datetime import timedelta\n"
        "from sla.models import SlaPolicy\n"
        f"p = SlaPolicy.objects.get(plan_id={plan_id}, severity=3)\n"
        "p.target = timedelta(minutes=90); p.save()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120,  # noqa: S603
                   env={**os.environ,
                        "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE":
                        "support_portal.settings"})
    ticket = file_ticket(contact, severity=3)
    assert ticket.response_due_at - ticket.created_at == timedelta(minutes=90)


def test_without_the_cache_it_reads_the_database_and_still_files(contact, settings):
    """Redis unreachable (nothing listens on the port): every look-up reads the database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    first = queries_of(lambda: file_ticket(contact, severity=2))
    again = queries_of(lambda: file_ticket(contact, severity=2))
    assert len(policy_reads(first)) == len(policy_reads(again)) == 2
    assert policies._current_version() is None


def _database_url() -> str:
    settings_dict = connection.settings_dict
    return (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}")


def test_filing_through_the_api_and_the_portal_costs_few_queries(contact):
    """Per request, once the policy is kept: nothing is read twice."""
    body = {"subject": "Scanner stops", "description": "It stops.", "severity": 2}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=contact).key}")
    assert api.post("/api/v1/tickets/", body, format="json").status_code == 201  # warm
    sql = queries_of(lambda: api.post("/api/v1/tickets/", body, format="json"))
    # The token with its user; the contact with company and plan (two-factor check, then
    # reused by filing); the ticket, its event and the acknowledgement e-mail, in BEGIN …
    # COMMIT. No policy, calendar or holiday, no second company.
    assert len(sql) == 7, "\n".join(sql)
    assert policy_reads(sql) == []

    portal = Client()
    portal.force_login(contact)
    form = {**body, "kind": "incident"}
    assert portal.post("/tickets/new/", form).status_code == 302
    sql = queries_of(lambda: portal.post("/tickets/new/", form))
    # The session, the user, the contact with company and plan; then BEGIN, a savepoint
    # (the view's transaction around the service's), the three INSERTs, the savepoint's
    # release and COMMIT.
    assert len(sql) == 10, "\n".join(sql)
    assert sum('FROM "accounts_company"' in q for q in sql) == 0
