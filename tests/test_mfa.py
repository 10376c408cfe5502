"""Two-factor sign-in (SPEC §14): mandatory for every staff role, enforced in one place
(pages redirect to enrolment, the API answers 403), optional for contacts unless their
company requires it; the token endpoint takes ``otp``; enrolment through the API."""

import pytest
from allauth.mfa.models import Authenticator

from accounts.audit import Action, AuditEntry
from accounts.models import Role, User
from tests.factories import PASSWORD, TOTP_SECRET, UserFactory, totp_code

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def unenrolled_engineer():
    return UserFactory(role=Role.ENGINEER, mfa=False)


# --- enforcement -----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/queue/", "/tickets/", "/tam/", "/accounts/profile/",
                                  "/signature-requests/", "/admin/"])
def test_pages_send_a_staff_member_without_it_to_enrol(client, unenrolled_engineer, path):
    client.force_login(unenrolled_engineer)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("path", ["/api/v1/queue/", "/api/v1/tickets/", "/api/v1/companies/",
                                  "/api/v1/signature-requests/"])
def test_the_api_refuses_a_staff_member_without_it(api, unenrolled_engineer, path):
    response = api(unenrolled_engineer).get(path)
    assert response.status_code == 403
    assert "Two-factor sign-in is required" in response.json()["detail"]


def test_the_enrolment_endpoints_and_me_stay_open(api, unenrolled_engineer):
    client = api(unenrolled_engineer)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["mfa_enabled"] is False
    assert client.post("/api/v1/me/mfa/totp/").status_code == 200


def test_an_enrolled_staff_member_works_normally(api, engineer, client):
    assert engineer.mfa_enabled
    assert api(engineer).get("/api/v1/queue/").status_code == 200
    client.force_login(engineer)
    assert client.get("/queue/").status_code == 200


def test_a_contact_may_do_without_it(api, contact_a, client):
    assert api(contact_a).get("/api/v1/tickets/").status_code == 200
    client.force_login(contact_a)
    assert client.get("/").status_code == 200


def test_a_company_can_require_it_for_its_contacts(api, admin, contact_a, contact_b, company_a,
                                                   client):
    assert api(admin).patch(f"/api/v1/companies/{company_a.pk}/",
                            {"require_mfa": True}).status_code == 200
    contact_a = User.objects.get(pk=contact_a.pk)  # as the next request loads it
    assert api(contact_a).get("/api/v1/tickets/").status_code == 403
    client.force_login(contact_a)
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"
    # Another company's contacts are not concerned.
    assert api(contact_b).get("/api/v1/tickets/").status_code == 200


# --- enrolment through the API -----------------------------------------------------------
def test_enrolment_through_the_api(api, unenrolled_engineer):
    client = api(unenrolled_engineer)
    begun = client.post("/api/v1/me/mfa/totp/").json()
    assert begun["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={begun['secret']}" in begun["otpauth_uri"]
    wrong = client.post("/api/v1/me/mfa/totp/confirm/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "code" in wrong.json()["detail"]
    done = client.post("/api/v1/me/mfa/totp/confirm/", {"code": totp_code(begun["secret"])})
    assert done.status_code == 200
    codes = done.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    unenrolled_engineer.refresh_from_db()
    assert unenrolled_engineer.mfa_enabled
    assert client.get("/api/v1/queue/").status_code == 200
    # The secret is stored encrypted.
    stored = Authenticator.objects.get(user=unenrolled_engineer, type="totp").data["secret"]
    assert stored.startswith("fernet:")
    assert begun["secret"] not in stored
    entry = AuditEntry.objects.get(action=Action.MFA_ENROLLED, actor=unenrolled_engineer)
    assert entry.ip == "127.0.0.1"
    # Enrolling twice is a conflict.
    assert client.post("/api/v1/me/mfa/totp/").status_code == 409


def test_confirm_without_a_started_enrolment_is_400(api, unenrolled_engineer):
    response = api(unenrolled_engineer).post("/api/v1/me/mfa/totp/confirm/", {"code": "123456"})
    assert response.status_code == 400


# --- the token endpoint --------------------------------------------------------------------
def test_the_token_endpoint_needs_otp_once_enrolled(api, engineer):
    body = {"email": engineer.email, "password": PASSWORD}
    missing = api().post(TOKEN, body)
    assert missing.status_code == 401
    assert missing.json()["detail"].startswith("otp")
    assert "otp" in missing.json()["errors"]
    wrong = api().post(TOKEN, {**body, "otp": "000000"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"].startswith("otp")
    ok = api().post(TOKEN, {**body, "otp": totp_code()})
    assert ok.status_code == 200
    assert ok.json()["token"]
    # The same code is not accepted twice.
    assert api().post(TOKEN, {**body, "otp": totp_code()}).status_code == 401


def test_a_recovery_code_works_once_at_the_token_endpoint(api, engineer):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes(Authenticator.objects.get(user=engineer, type="recovery_codes")
                         ).get_unused_codes()[0]
    body = {"email": engineer.email, "password": PASSWORD, "otp": code}
    assert api().post(TOKEN, body).status_code == 200
    assert api().post(TOKEN, body).status_code == 401


def test_wrong_codes_lock_like_wrong_passwords(api, engineer, settings):
    body = {"email": engineer.email, "password": PASSWORD, "otp": "000000"}
    statuses = [api().post(TOKEN, body).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    # Locked: even the right code is refused now.
    assert api().post(TOKEN, {**body, "otp": totp_code()}).status_code == 429
    assert AuditEntry.objects.filter(action=Action.SIGN_IN_LOCKED, object_id=str(engineer.pk)
                                     ).exists()


def test_an_unenrolled_staff_member_gets_a_token_that_can_only_enrol(api, unenrolled_engineer):
    token = api().post(TOKEN, {"email": unenrolled_engineer.email, "password": PASSWORD}
                       ).json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/tickets/").status_code == 403
    assert client.get("/api/v1/me/").status_code == 200


# --- the sign-in page -----------------------------------------------------------------------
def test_the_page_asks_for_a_code_after_the_password(client, engineer):
    response = client.post("/accounts/login/", {"login": engineer.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == engineer.pk
    entry = AuditEntry.objects.filter(action=Action.SIGN_IN, actor=engineer).latest("pk")
    assert entry.detail["method"] == "password+mfa"


def test_wrong_codes_on_the_page_lock_like_passwords(client, engineer, settings):
    client.post("/accounts/login/", {"login": engineer.email, "password": PASSWORD})
    statuses = [client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_an_admin_reset_makes_staff_enrol_again(api, engineer, client):
    from accounts import mfa

    mfa.mfa_reset(user=engineer)
    engineer.refresh_from_db()
    assert not engineer.mfa_enabled
    assert api(engineer).get("/api/v1/queue/").status_code == 403
    assert AuditEntry.objects.filter(action=Action.MFA_RESET, object_id=str(engineer.pk)).exists()


def test_a_polled_fragment_is_refused_not_redirected(client, unenrolled_engineer):
    """The bell's htmx poll must not load the enrolment page (a new secret each time)."""
    client.force_login(unenrolled_engineer)
    response = client.get("/notifications/badge/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403


def test_wrong_codes_from_one_address_meet_a_ceiling_across_accounts(client, settings):
    """Codes are throttled like passwords: per (e-mail, address) by the lock above, and per
    client address across accounts, so guessing codes for many accounts whose passwords leaked
    meets the same ceiling as password spraying."""
    # The configured ceiling is SIGN_IN_RATE per address; scaled down here to keep it quick.
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "30/m/ip"
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/m/ip"}
    for _ in range(3):  # two wrong codes each: below the per-account lock
        user = UserFactory(role=Role.ENGINEER)
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        for _ in range(2):
            assert client.post("/accounts/2fa/authenticate/",
                               {"code": "000000"}).status_code == 200
        client.cookies.clear()
    # Past the ceiling, even the right password and the right code get nobody in from here.
    user = UserFactory(role=Role.ENGINEER)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert "_auth_user_id" not in client.session
