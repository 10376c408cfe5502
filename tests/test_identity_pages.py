"""Sign-in throttling per client address, password reset and change, the profile page and
/api/v1/me/ (SPEC §10, §14), and the Content-Security-Policy on every page."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.audit import Action, AuditEntry
from accounts.models import User
from tests.factories import PASSWORD, ContactFactory

pytestmark = pytest.mark.django_db


# --- a ceiling per client address ----------------------------------------------------------
def test_the_sign_in_page_has_a_ceiling_per_address(company_a, capsys):
    """Password spraying: a different e-mail each time from one address. The per-(e-mail,
    address) lock never trips; the per-address ceiling does (SIGN_IN_RATE, 30/min)."""
    client = Client()
    statuses = [client.post("/accounts/login/", {"login": f"spray{i}@example.com",
                                                 "password": "Winter2026!"}).status_code
                for i in range(40)]
    allowed = statuses.index(429)
    with capsys.disabled():
        print(f"\nsign-in page: {allowed} attempts from one address before 429")
    assert allowed == 30
    assert set(statuses[:30]) == {200}
    assert set(statuses[30:]) == {429}


def test_the_token_endpoint_has_the_same_ceiling(api, capsys):
    statuses = [api().post("/api/v1/auth/token/", {"email": f"spray{i}@example.com",
                                                    "password": "Winter2026!"}).status_code
                for i in range(40)]
    allowed = statuses.index(429)
    with capsys.disabled():
        print(f"\ntoken endpoint: {allowed} attempts from one address before 429")
    assert allowed == 30


def test_the_ceiling_is_per_address(company_a):
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    for i in range(30):
        first.post("/accounts/login/", {"login": f"a{i}@example.com", "password": "x"})
    assert first.post("/accounts/login/", {"login": "b@example.com", "password": "x"}
                      ).status_code == 429
    assert second.post("/accounts/login/", {"login": "b@example.com", "password": "x"}
                       ).status_code == 200


def test_the_old_username_field_still_signs_in(client, contact_a):
    response = client.post("/accounts/login/", {"username": contact_a.email,
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == contact_a.pk


# --- password reset and change ---------------------------------------------------------------
def reset_link() -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password_reset/key/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_password_reset_by_email_is_single_use(client, contact_a):
    response = client.post("/accounts/password_reset/", {"email": contact_a.email.upper()})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [contact_a.email]
    link = reset_link()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    new = "a-brand-new-password-2026"
    done = client.post(action, {"password1": new, "password2": new})
    assert done.status_code == 302
    contact_a.refresh_from_db()
    assert contact_a.check_password(new)
    assert AuditEntry.objects.filter(action=Action.PASSWORD_RESET, actor=contact_a).exists()
    # The link works once.
    again = Client().get(link, follow=True)
    assert b"password1" not in again.content
    assert "invalid" in again.content.decode().lower()


def test_reset_answers_the_same_for_an_unknown_address(client, contact_a):
    known = client.post("/accounts/password_reset/", {"email": contact_a.email})
    unknown = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1  # nothing is sent to an unknown address


def test_reset_is_throttled(client, contact_a):
    statuses = [client.post("/accounts/password_reset/", {"email": contact_a.email}).status_code
                for _ in range(8)]
    assert 429 in statuses
    assert len(mail.outbox) <= 5


def test_the_reset_mail_is_in_the_users_language(client, contact_a):
    User.objects.filter(pk=contact_a.pk).update(language="pt-br")
    client.post("/accounts/password_reset/", {"email": contact_a.email})
    assert "senha" in (mail.outbox[0].subject + mail.outbox[0].body).lower()


def test_password_change_keeps_this_session_and_ends_the_others(client, contact_a):
    other = Client()
    other.force_login(contact_a)
    client.post("/accounts/login/", {"login": contact_a.email, "password": PASSWORD})
    new = "another-new-password-2026"
    response = client.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert AuditEntry.objects.filter(action=Action.PASSWORD_CHANGED).exists()


# --- the profile and /api/v1/me/ ------------------------------------------------------------
def test_me_answers_the_spec_fields(api, contact_a, company_a, engineer):
    data = api(contact_a).get("/api/v1/me/").json()
    assert set(data) == {"id", "email", "full_name", "role", "language", "timezone", "company",
                         "mfa_enabled"}
    assert data["company"] == company_a.pk
    assert data["mfa_enabled"] is False
    staff = api(engineer).get("/api/v1/me/").json()
    assert staff["company"] is None
    assert staff["mfa_enabled"] is True


def test_time_zones_start_with_the_company_or_the_portal(api, admin, settings):
    settings.PORTAL_TIME_ZONE = "America/Sao_Paulo"
    company = api(admin).post("/api/v1/companies/", {
        "name": "Zoned", "license": "plus", "plan": "enhanced", "timezone": "Asia/Tokyo",
        "license_valid_until": "2099-01-01"}).json()
    contact = api(admin).post(f"/api/v1/companies/{company['id']}/contacts/", {
        "email": "z@example.com", "full_name": "Z", "password": "a-long-enough-password"}).json()
    assert User.objects.get(email="z@example.com").timezone == "Asia/Tokyo"
    assert contact["email"] == "z@example.com"
    staff = api(admin).post("/api/v1/staff/", {"email": "s@example.com", "full_name": "S",
                                               "password": "a-long-enough-password",
                                               "role": "engineer"})
    assert User.objects.get(pk=staff.json()["id"]).timezone == "America/Sao_Paulo"


def test_me_patch_changes_name_language_and_zone(api, contact_a):
    response = api(contact_a).patch("/api/v1/me/", {"full_name": "Ana Souza", "language": "pt-br",
                                                    "timezone": "America/Sao_Paulo"})
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Sao_Paulo"
    contact_a.refresh_from_db()
    assert (contact_a.full_name, contact_a.language) == ("Ana Souza", "pt-br")


@pytest.mark.parametrize(("body", "field"), [({"timezone": "Mars/Olympus"}, "timezone"),
                                             ({"language": "fr"}, "language"),
                                             ({"email": "x@example.com"}, "email"), ({}, "")])
def test_me_patch_refuses_bad_input(api, contact_a, body, field):
    response = api(contact_a).patch("/api/v1/me/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_the_profile_page_saves_settings(client, contact_a):
    client.force_login(contact_a)
    page = client.get("/accounts/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign out everywhere else" in html
    assert "Two-factor sign-in" in html
    bad = client.post("/accounts/profile/", {"full_name": "A", "language": "en",
                                             "timezone": "Nowhere/Land"})
    assert "is not a known time zone" in bad.content.decode()
    ok = client.post("/accounts/profile/", {"full_name": "A B", "language": "en",
                                            "timezone": "Europe/Berlin"})
    assert ok.status_code == 302
    contact_a.refresh_from_db()
    assert contact_a.timezone == "Europe/Berlin"


def test_sign_out_everywhere_else(client, contact_a):
    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"login": contact_a.email, "password": PASSWORD})
    client.post("/accounts/login/", {"login": contact_a.email, "password": PASSWORD})
    assert "Only this browser" not in client.get("/accounts/profile/").content.decode()
    assert client.post("/accounts/profile/sessions/end-others/").status_code == 302
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert AuditEntry.objects.filter(action=Action.SESSIONS_ENDED).exists()


# --- Content-Security-Policy ----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password_reset/",
                                  "/accounts/sso/"])
def test_every_page_forbids_inline_script(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]+)", policy).group(1)
    assert script.strip() == "'self'"
    assert "unsafe-inline" not in script
    assert "unsafe-eval" not in script


def test_signed_in_pages_carry_it_too(client, contact_a, engineer, tam):
    client.force_login(contact_a)
    for path in ("/", "/tickets/new/", "/accounts/profile/", "/signature-requests/"):
        assert "script-src 'self'" in client.get(path)["Content-Security-Policy"], path
    client.force_login(engineer)
    for path in ("/queue/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
    client.force_login(tam)
    for path in ("/tam/",):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path


def test_no_template_has_inline_script_or_handlers():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "json" in tag, f"{template}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), template


def test_a_deactivated_colleague_cannot_reset(client, company_a):
    from accounts import services

    colleague = ContactFactory(company=company_a)
    services.contact_update(contact=colleague, is_active=False)
    client.post("/accounts/password_reset/", {"email": colleague.user.email})
    assert mail.outbox == []
