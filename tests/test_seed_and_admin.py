"""The demo seed is idempotent, and the admin site manages every model within the rules."""

import pytest
from django.core.management import call_command

from accounts.models import Company, Contact, Plan, User
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Company.objects.count(), Contact.objects.count()


def test_it_seeds_once_and_only_once():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == first
    assert first[1] >= 3
    plans = set(Company.objects.values_list("plan__code", flat=True))
    assert plans == {"enhanced", "standard"}


def test_the_plans_are_seeded_as_data():
    enhanced = Plan.objects.get(code="enhanced")
    assert enhanced.contact_limit == 8
    assert enhanced.required_license == "plus"
    assert Plan.objects.get(code="standard").priority_tier > enhanced.priority_tier


@pytest.mark.parametrize("model", ["user", "plan", "company", "contact"])
def test_the_admin_lists_and_adds_every_model(client, admin, model):
    client.force_login(admin)
    assert client.get(f"/admin/accounts/{model}/").status_code == 200
    assert client.get(f"/admin/accounts/{model}/add/").status_code == 200


def test_the_admin_cannot_add_a_ninth_contact(client, admin, company_a):
    for _ in range(8):
        ContactFactory(company=company_a)
    client.force_login(admin)
    response = client.post("/admin/accounts/contact/add/", {
        "company": company_a.pk, "email": "ninth@example.com", "full_name": "Ninth",
        "phone": "", "password": "a-long-enough-password",
    })
    assert response.status_code == 200  # the form again, with the error
    assert b"at most 8 active named contacts" in response.content
    assert company_a.contacts.count() == 8


def test_the_admin_adds_a_contact_through_the_service(client, admin, company_a):
    client.force_login(admin)
    response = client.post("/admin/accounts/contact/add/", {
        "company": company_a.pk, "email": "Added@Example.com", "full_name": "Added",
        "phone": "+1 555", "password": "a-long-enough-password",
    })
    assert response.status_code == 302, response.content[:2000]
    contact = Contact.objects.get(user__email="added@example.com")
    assert contact.company == company_a
    assert contact.user.role == "contact"


def test_non_admin_staff_cannot_open_the_admin(client, engineer):
    client.force_login(engineer)
    assert client.get("/admin/").status_code == 302


def test_each_start_of_the_demo_shows_a_fresh_spread():
    """The demo's current tickets are dated relative to now at every start, so an hour later
    the queue still shows tickets on track and at risk, not only breached ones."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from tickets.models import Ticket

    def unanswered_states() -> set[str]:
        now = timezone.now()
        return {t.sla_state(now) for t in Ticket.objects.filter(
            company__name="Northwind Bank", first_response_at__isnull=True,
            description__endswith="since this morning.")}

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert {"on_track", "at_risk"} <= unanswered_states()
    total = Ticket.objects.count()
    with time_machine.travel(timezone.now() + timedelta(hours=10), tick=False):
        assert unanswered_states() == {"breached"}  # what a stale demo looked like
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert {"on_track", "at_risk"} <= unanswered_states()
    assert Ticket.objects.count() == total  # replaced, not added
