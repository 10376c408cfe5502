"""The priority phone line is shown where it matters: severity 1 and outside business hours."""

from datetime import UTC, datetime

import pytest
import time_machine

from tickets.templatetags.portal_tags import outside_business_hours

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("when", "outside"), [
    (datetime(2026, 11, 23, 11, 59, tzinfo=UTC), True),   # Mon 08:59 in São Paulo (UTC-3)
    (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), False),   # Mon 09:00 there: open
    (datetime(2026, 11, 23, 20, 59, tzinfo=UTC), False),  # Mon 17:59 there
    (datetime(2026, 11, 23, 21, 0, tzinfo=UTC), True),    # Mon 18:00 there: closed
    (datetime(2026, 11, 28, 15, 0, tzinfo=UTC), True),    # Saturday
])
def test_it_knows_business_hours_in_the_customers_zone(company_a, when, outside):
    company_a.timezone = "America/Sao_Paulo"
    assert outside_business_hours(company_a, when) is outside


def test_the_filing_page_shows_the_line_after_hours(client, contact_a, company_a, settings):
    company_a.timezone = "UTC"
    company_a.save()
    with time_machine.travel(datetime(2026, 11, 28, 22, 0, tzinfo=UTC), tick=False):
        client.force_login(contact_a)  # inside the travel, so the session is fresh then
        night = client.get("/tickets/new/").content.decode()
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), tick=False):
        client.force_login(contact_a)
        day = client.get("/tickets/new/").content.decode()
    assert "outside business hours" in night
    assert settings.PRIORITY_PHONE_LINE in night
    assert "outside business hours" not in day
    assert "Severity 1: also call the priority line." in day
