"""A ticket keeps the service terms it was filed under when its company changes plan
(README, "Plan changes"): its queue tier, its deadlines, and the targets a severity change
recomputes with. Tickets filed after the change get the new plan's terms."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts import services as account_services
from tests.factories import file_ticket, plan
from tickets import services
from tickets.queue.selectors import queue_for

pytestmark = pytest.mark.django_db

# A Monday morning: the standard plan's business-hours targets would differ from 24x7 ones.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_it_keeps_the_tier_and_deadlines_of_the_plan_a_ticket_was_filed_under(
    contact_a, company_a, engineer
):
    with time_machine.travel(T0, tick=False):
        before = file_ticket(contact_a, severity=2)
    assert before.plan.code == "enhanced"
    assert before.priority_tier == plan("enhanced").priority_tier
    assert before.response_due_at == T0 + timedelta(hours=4)

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        account_services.company_update(company=company_a, plan=plan("standard"),
                                        license="standard")
        after = file_ticket(contact_a, severity=2)

    before.refresh_from_db()
    assert before.plan.code == "enhanced"
    assert before.priority_tier == plan("enhanced").priority_tier
    assert before.response_due_at == T0 + timedelta(hours=4)
    # The new plan's terms apply to what is filed after the change: standard S2 is 8
    # business hours (Mon-Fri 09-18 UTC), so 10:05 Monday + 8 h = 09:05 Tuesday.
    assert after.plan.code == "standard"
    assert after.priority_tier == plan("standard").priority_tier
    assert after.response_due_at == datetime(2026, 3, 3, 9, 5, tzinfo=UTC)
    # The queue serves the older ticket in the premium tier still.
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert list(queue_for(engineer)) == [before, after]


def test_a_severity_change_recomputes_with_the_plan_the_ticket_was_filed_under(
    contact_a, company_a, engineer
):
    with time_machine.travel(T0, tick=False):
        ticket = file_ticket(contact_a, severity=2)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        account_services.company_update(company=company_a, plan=plan("standard"),
                                        license="standard")
        ticket = services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    # Enhanced S1 is 30 minutes around the clock (standard S1 would be 2 hours).
    assert ticket.response_due_at == T0 + timedelta(minutes=30)
