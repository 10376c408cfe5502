"""Company single sign-on (SPEC §14) against a real OpenID Connect provider run by the test
(``tests/oidc_provider.py``): authorization code with PKCE, discovery, nonce and the id token's
signature; only active named contacts of the company get in, and nothing is ever created."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from accounts.audit import Action, AuditEntry
from accounts.models import Company, Contact, User
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def round_trip(client, email, next_url=None):
    """Portal -> IdP -> portal, following real HTTP redirects at the IdP."""
    query = {"email": email}
    if next_url:
        query["next"] = next_url
    start = client.get("/accounts/sso/", query)
    assert start.status_code == 302, start.content.decode()[:500]
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302, at_idp.text
    back = urlsplit(at_idp.headers["Location"])
    assert back.path == "/accounts/sso/callback/"
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def test_a_named_contact_signs_in_through_their_company_idp(client, sso_company, contact_a, oidc):
    oidc.identity = {"sub": "idp-1", "email": contact_a.email.upper(), "email_verified": True}
    response = round_trip(client, contact_a.email)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == contact_a.pk
    assert client.get("/").status_code == 200
    # The authorization request carried PKCE (S256) and a nonce; the token endpoint (which
    # checks the verifier) was called once.
    asked = oidc.authorizations[-1]
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) >= 43
    assert len(asked["nonce"]) >= 20
    assert asked["redirect_uri"] == "http://testserver/accounts/sso/callback/"
    assert oidc.token_requests == 1
    entry = AuditEntry.objects.filter(action=Action.SIGN_IN).latest("pk")
    assert entry.actor_id == contact_a.pk
    assert entry.company_id == sso_company.pk
    assert entry.detail["method"] == "socialaccount"


def test_next_is_followed_when_it_is_a_local_address(client, sso_company, contact_a, oidc):
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": True}
    assert round_trip(client, contact_a.email, "/tickets/new/")["Location"] == "/tickets/new/"


def test_an_unknown_address_is_refused_and_nothing_is_created(client, sso_company, contact_a,
                                                             oidc):
    users, contacts = User.objects.count(), Contact.objects.count()
    stranger = "mallory@" + contact_a.email.split("@")[1]
    oidc.identity = {"sub": "idp-2", "email": stranger, "email_verified": True}
    # The entry resolves the company by the address's domain, the IdP vouches for the
    # address, and the portal refuses it.
    response = round_trip(client, stranger)
    assert response.status_code == 403
    assert "is not an active named support contact of Company A" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert (User.objects.count(), Contact.objects.count()) == (users, contacts)
    from allauth.socialaccount.models import SocialAccount

    assert not SocialAccount.objects.exists()
    refusal = AuditEntry.objects.get(action=Action.SSO_REFUSED)
    assert refusal.actor_email == stranger
    assert refusal.company_id == sso_company.pk


def test_a_deactivated_contact_is_refused(client, sso_company, contact_a, oidc):
    from accounts import services

    ContactFactory(company=sso_company)  # the company still has active contacts
    services.contact_update(contact=contact_a.contact, is_active=False)
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": True}
    assert round_trip(client, "someone@" + contact_a.email.split("@")[1]).status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_unverified_address_is_refused(client, sso_company, contact_a, oidc):
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": False}
    assert round_trip(client, contact_a.email).status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_contact_of_another_company_is_refused(client, sso_company, contact_a, contact_b,
                                                oidc):
    # Company A's IdP vouches for a contact of company B: not A's contact, refused.
    oidc.identity = {"sub": "idp-9", "email": contact_b.email, "email_verified": True}
    start = client.get("/accounts/sso/", {"email": contact_a.email})
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_idp.headers["Location"])
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_forged_id_token_is_refused(client, sso_company, contact_a, oidc):
    oidc.forge = True  # signed with a key that is not in the provider's JWKS
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": True}
    response = round_trip(client, contact_a.email)
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=Action.SSO_REFUSED, company=sso_company).exists()


def test_a_wrong_nonce_is_refused(client, sso_company, contact_a, oidc):
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": True,
                     "nonce": "not-the-one-sent"}
    response = round_trip(client, contact_a.email)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_replayed_callback_is_refused(client, sso_company, contact_a, oidc):
    oidc.identity = {"sub": "idp-1", "email": contact_a.email, "email_verified": True}
    start = client.get("/accounts/sso/", {"email": contact_a.email})
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_idp.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert client.get(back.path, query).status_code == 302
    client.logout()
    again = client.get(back.path, query)
    assert again.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_address_without_sso_gets_a_clear_answer(client, company_b, contact_b):
    response = client.get("/accounts/sso/", {"email": contact_b.email})
    assert response.status_code == 200
    assert "Single sign-on is not set up for" in response.content.decode()


def test_the_sign_in_page_links_to_sso(client):
    assert b'href="/accounts/sso/"' in client.get("/accounts/login/").content


def test_a_contact_with_two_factor_still_enters_a_code_after_sso(client, sso_company, oidc):
    from tests.factories import totp_code

    contact = ContactFactory(company=sso_company, user__mfa=True).user
    oidc.identity = {"sub": "idp-3", "email": contact.email, "email_verified": True}
    response = round_trip(client, contact.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == contact.pk


class TestConfiguration:
    def url(self, company):
        return f"/api/v1/companies/{company.pk}/"

    def test_an_admin_sets_it_and_the_secret_is_write_only(self, api, admin, company_a):
        body = {"sso_issuer": "https://idp.example.com/realms/a", "sso_client_id": "portal",
                "sso_client_secret": "top-secret-value", "require_mfa": True}
        response = api(admin).patch(self.url(company_a), body)
        assert response.status_code == 200, response.json()
        data = response.json()
        assert data["sso_issuer"] == body["sso_issuer"]
        assert data["sso_client_id"] == "portal"
        assert data["sso_client_secret_set"] is True
        assert data["require_mfa"] is True
        assert "top-secret-value" not in response.content.decode()
        assert "top-secret-value" not in api(admin).get(self.url(company_a)).content.decode()
        stored = Company.objects.get(pk=company_a.pk).sso_client_secret
        assert stored.startswith("fernet:")
        assert "top-secret-value" not in stored
        actions = list(AuditEntry.objects.filter(company=company_a).values_list("action",
                                                                                  flat=True))
        assert Action.SSO_CONFIGURED in actions
        assert Action.MFA_REQUIREMENT_CHANGED in actions
        entry = AuditEntry.objects.get(action=Action.SSO_CONFIGURED)
        assert entry.actor_id == admin.pk
        assert entry.detail["fields"] == ["sso_issuer", "sso_client_id", "sso_client_secret"]

    @pytest.mark.parametrize("issuer", ["http://idp.example.com", "ftp://idp.example.com",
                                        "https://idp.example.com/?x=1"])
    def test_an_issuer_must_be_https(self, api, admin, company_a, issuer):
        response = api(admin).patch(self.url(company_a), {"sso_issuer": issuer})
        assert response.status_code == 400
        assert "sso_issuer" in response.json()["detail"]

    def test_only_an_admin_configures_it(self, api, tam, company_a):
        response = api(tam).patch(self.url(company_a), {"sso_issuer": "https://idp.example.com"})
        assert response.status_code == 403
