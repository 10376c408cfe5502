"""Server-rendered pages: sign-in, sign-out, home, CSRF and the language switch."""

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_renders_the_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in to Premium Support" in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_it_renders_the_login_page_in_brazilian_portuguese(client):
    response = client.get("/accounts/login/", headers={"accept-language": "pt-BR,pt;q=0.9"})
    assert response.status_code == 200
    assert b'lang="pt-br"' in response.content
    assert b"Entrar no Suporte Premium" in response.content


def test_a_contact_signs_in_and_sees_their_company(client, contact_a, company_a):
    response = client.post("/accounts/login/", {"username": contact_a.email, "password": PASSWORD},
                           follow=True)
    assert response.status_code == 200
    assert company_a.name.encode() in response.content
    assert b"1 / 8" in response.content


def test_a_wrong_password_shows_a_form_error(client, contact_a):
    response = client.post("/accounts/login/", {"username": contact_a.email, "password": "x"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_the_login_page_locks_after_repeated_failures(client, contact_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": contact_a.email, "password": "x"})
    response = client.post("/accounts/login/", {"username": contact_a.email, "password": "x"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_csrf_is_enforced_on_sign_in(contact_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": contact_a.email, "password": PASSWORD})
    assert response.status_code == 403


def test_sign_out_is_a_post_and_ends_the_session(client, contact_a):
    client.force_login(contact_a)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_expired_license_is_explained_to_the_contact(client, contact_a, company_a):
    from datetime import timedelta

    from django.utils import timezone

    company_a.license_valid_until = timezone.localdate() - timedelta(days=1)
    company_a.save()
    client.force_login(contact_a)
    assert b"Your license has expired" in client.get("/").content


def test_the_api_docs_and_schema_are_served_without_a_cdn(client, admin):
    client.force_login(admin)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/companies/" in schema.content
