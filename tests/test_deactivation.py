"""Deactivating a contact ends their sessions and API tokens at once and keeps history."""

import pytest
from django.test import Client

from accounts import services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in_client(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.email, "password": PASSWORD}
                       ).status_code == 302
    assert client.get("/").status_code == 200
    return client


def test_it_ends_the_web_session_at_once(contact_a):
    client = signed_in_client(contact_a)
    services.contact_update(contact=contact_a.contact, is_active=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reactivation_does_not_revive_old_sessions(contact_a):
    client = signed_in_client(contact_a)
    services.contact_update(contact=contact_a.contact, is_active=False)
    services.contact_update(contact=contact_a.contact, is_active=True)
    assert client.get("/").status_code == 302
    # The contact can sign in again with a new session.
    assert signed_in_client(contact_a).get("/").status_code == 200


def test_it_revokes_api_tokens(api, contact_a):
    token = api().post("/api/v1/auth/token/", {"email": contact_a.email, "password": PASSWORD}
                       ).json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/companies/").status_code == 200
    services.contact_update(contact=contact_a.contact, is_active=False)
    assert client.get("/api/v1/companies/").status_code == 401
    assert api().post("/api/v1/auth/token/", {"email": contact_a.email, "password": PASSWORD}
                      ).status_code == 401


def test_other_contacts_keep_their_sessions(company_a, contact_a):
    from tests.factories import ContactFactory

    colleague = ContactFactory(company=company_a).user
    client = signed_in_client(colleague)
    services.contact_update(contact=contact_a.contact, is_active=False)
    assert client.get("/").status_code == 200


def test_deactivation_keeps_the_contact_and_user_rows(contact_a):
    contact = contact_a.contact
    services.contact_update(contact=contact, is_active=False)
    contact.refresh_from_db()
    contact_a.refresh_from_db()
    assert contact.deactivated_at is not None
    assert contact_a.email  # still there, still attributable
    assert contact.company_id is not None
