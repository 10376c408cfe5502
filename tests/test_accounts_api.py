"""API tests for sign-in, staff, companies and contacts (SPEC §1, §2, §8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company, Contact, Role, User
from tests.factories import PASSWORD, CompanyFactory, ContactFactory, plan

pytestmark = pytest.mark.django_db

STAFF_URL = "/api/v1/staff/"
COMPANIES_URL = "/api/v1/companies/"


def contacts_url(company) -> str:
    return f"/api/v1/companies/{company.pk}/contacts/"


def valid_company(**overrides):
    body = {
        "name": "Initech", "license": "plus", "plan": "enhanced", "timezone": "Europe/Berlin",
        "license_valid_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }
    body.update(overrides)
    return body


# --- token -----------------------------------------------------------------------------------
class TestToken:
    url = "/api/v1/auth/token/"

    def test_it_returns_a_token_that_authenticates(self, api, contact_a):
        response = api().post(self.url, {"email": contact_a.email, "password": PASSWORD})
        assert response.status_code == 200
        token = response.json()["token"]
        client = api()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get(COMPANIES_URL).status_code == 200

    def test_it_accepts_the_email_in_any_case(self, api, contact_a):
        response = api().post(self.url, {"email": contact_a.email.upper(), "password": PASSWORD})
        assert response.status_code == 200

    def test_it_refuses_a_wrong_password_with_a_message(self, api, contact_a):
        response = api().post(self.url, {"email": contact_a.email, "password": "nope"})
        assert response.status_code == 401
        assert "Unable to sign in" in response.json()["detail"]

    @pytest.mark.parametrize("body", [{}, {"email": "x@example.com"}, {"email": "not-an-email",
                                                                         "password": "x"}])
    def test_it_answers_bad_input_with_400(self, api, body):
        response = api().post(self.url, body, format="json")
        assert response.status_code == 400
        assert response.json()["detail"]

    def test_it_refuses_an_inactive_user(self, api, contact_a):
        User.objects.filter(pk=contact_a.pk).update(is_active=False)
        response = api().post(self.url, {"email": contact_a.email, "password": PASSWORD})
        assert response.status_code == 401

    def test_it_locks_an_email_and_address_after_five_failures(self, api, contact_a, settings):
        client = api()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post(self.url, {"email": contact_a.email, "password": "bad"}
                               ).status_code == 401
        locked = client.post(self.url, {"email": contact_a.email, "password": "bad"})
        assert locked.status_code == 429
        assert "Too many failed sign-in attempts" in locked.json()["detail"]
        # Even the right password is refused from this address while the lock lasts ...
        again = client.post(self.url, {"email": contact_a.email, "password": PASSWORD})
        assert again.status_code == 429
        # ... but the real contact, from their own address, still signs in.
        own = api().post(self.url, {"email": contact_a.email, "password": PASSWORD},
                         REMOTE_ADDR="198.51.100.7")
        assert own.status_code == 200

    def test_the_lock_ends_after_the_cool_off(self, api, contact_a, settings):
        import time_machine

        client = api()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(self.url, {"email": contact_a.email, "password": "bad"})
        assert client.post(self.url, {"email": contact_a.email, "password": PASSWORD}
                           ).status_code == 429
        later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
        with time_machine.travel(later, tick=False):
            assert client.post(self.url, {"email": contact_a.email, "password": PASSWORD}
                               ).status_code == 200

    def test_it_logs_sign_ins_and_refusals(self, api, contact_a, caplog):
        caplog.set_level("INFO", logger="accounts.signin")
        api().post(self.url, {"email": contact_a.email, "password": "bad"})
        api().post(self.url, {"email": contact_a.email, "password": PASSWORD})
        messages = [r.getMessage() for r in caplog.records if r.name == "accounts.signin"]
        assert any("refused" in m and contact_a.email in m for m in messages)
        assert any(f"sign-in ok user={contact_a.pk}" in m for m in messages)
        assert not any(PASSWORD in m for m in messages)


# --- staff ----------------------------------------------------------------------------------
class TestStaff:
    body = {"email": "new.engineer@vendor.example", "full_name": "New Engineer",
            "password": "a-long-enough-password", "role": "engineer"}

    def test_an_admin_creates_staff_of_each_role(self, api, admin):
        for role in ("engineer", "tam", "expert", "admin"):
            response = api(admin).post(STAFF_URL, {**self.body, "email": f"{role}@v.example",
                                                   "role": role})
            assert response.status_code == 201, response.content
            assert response.json()["role"] == role
            assert "password" not in response.json()
        assert User.objects.get(email="admin@v.example").is_staff

    @pytest.mark.parametrize("who", ["engineer", "tam", "expert", "contact_a"])
    def test_others_are_refused(self, api, personas, who):
        response = api(personas[who]).post(STAFF_URL, self.body)
        assert response.status_code == 403
        assert response.json()["detail"]
        assert not User.objects.filter(email=self.body["email"]).exists()

    def test_anonymous_is_asked_to_authenticate(self, api):
        assert api().post(STAFF_URL, self.body).status_code == 401

    @pytest.mark.parametrize(("change", "field"), [
        ({"email": None}, "email"),
        ({"email": "nope"}, "email"),
        ({"full_name": None}, "full_name"),
        ({"password": None}, "password"),
        ({"password": "short"}, "password"),
        ({"role": "contact"}, "role"),
        ({"role": "wizard"}, "role"),
        ({"role": 3}, "role"),
    ])
    def test_bad_input_is_400_and_writes_nothing(self, api, admin, change, field):
        body = {k: v for k, v in {**self.body, **change}.items() if v is not None}
        before = User.objects.count()
        response = api(admin).post(STAFF_URL, body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert response.json()["detail"]
        assert User.objects.count() == before

    def test_a_duplicate_email_is_400_in_any_case(self, api, admin, engineer):
        response = api(admin).post(STAFF_URL, {**self.body, "email": engineer.email.upper()})
        assert response.status_code == 400
        assert "already exists" in response.json()["detail"]


# --- companies ------------------------------------------------------------------------------
class TestCompanies:
    def test_an_admin_creates_a_company(self, api, admin, tam):
        response = api(admin).post(COMPANIES_URL, valid_company(tam=tam.pk))
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["plan"] == "enhanced"
        assert data["contact_limit"] == 8
        assert data["active_contacts"] == 0
        assert data["tam"] == tam.pk

    @pytest.mark.parametrize("who", ["engineer", "tam", "expert", "contact_a"])
    def test_only_an_admin_creates(self, api, personas, who):
        response = api(personas[who]).post(COMPANIES_URL, valid_company())
        assert response.status_code == 403
        assert not Company.objects.filter(name="Initech").exists()

    @pytest.mark.parametrize(("change", "field"), [
        ({"license": "gold"}, "license"),
        ({"plan": "platinum"}, "plan"),
        ({"license": "standard", "plan": "enhanced"}, "plan"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"license_valid_until": "soon"}, "license_valid_until"),
        ({"name": ""}, "name"),
        ({"name": ["a list"]}, "name"),
        ({"tam": 999999}, "tam"),
    ])
    def test_bad_input_is_400_and_writes_nothing(self, api, admin, change, field):
        before = Company.objects.count()
        response = api(admin).post(COMPANIES_URL, valid_company(**change), format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"]
        assert Company.objects.count() == before

    def test_the_enhanced_plan_requires_plus_with_a_readable_message(self, api, admin):
        response = api(admin).post(COMPANIES_URL, valid_company(license="standard"))
        assert "requires a Plus license" in response.json()["detail"]

    def test_a_tam_field_must_name_a_tam(self, api, admin, engineer):
        response = api(admin).post(COMPANIES_URL, valid_company(tam=engineer.pk))
        assert response.status_code == 400
        assert "tam" in response.json()["errors"]

    def test_a_duplicate_name_is_400(self, api, admin, company_a):
        response = api(admin).post(COMPANIES_URL, valid_company(name=company_a.name))
        assert response.status_code == 400

    @pytest.mark.parametrize("who", ["admin", "engineer", "tam", "other_tam", "expert"])
    def test_staff_read_every_company(self, api, personas, company_a, company_b, who):
        response = api(personas[who]).get(COMPANIES_URL)
        assert response.status_code == 200
        assert {c["id"] for c in response.json()["results"]} == {company_a.pk, company_b.pk}
        assert set(response.json()) == {"count", "next", "previous", "results"}

    def test_a_contact_reads_only_their_company(self, api, contact_a, company_a, company_b):
        client = api(contact_a)
        listed = client.get(COMPANIES_URL).json()["results"]
        assert [c["id"] for c in listed] == [company_a.pk]
        assert client.get(f"{COMPANIES_URL}{company_a.pk}/").status_code == 200
        other = client.get(f"{COMPANIES_URL}{company_b.pk}/")
        assert other.status_code == 404
        assert other.json()["detail"]

    def test_an_unknown_company_is_404(self, api, admin):
        assert api(admin).get(f"{COMPANIES_URL}987654/").status_code == 404

    def test_the_read_shape_has_the_counts(self, api, admin, company_a):
        ContactFactory(company=company_a)
        ContactFactory(company=company_a, is_active=False)
        data = api(admin).get(f"{COMPANIES_URL}{company_a.pk}/").json()
        assert data["active_contacts"] == 1
        assert data["contact_limit"] == 8
        for key in ("name", "license", "plan", "tam", "timezone", "license_valid_until"):
            assert key in data

    def test_an_admin_patches(self, api, admin, company_a):
        response = api(admin).patch(f"{COMPANIES_URL}{company_a.pk}/", {"timezone": "Asia/Tokyo"})
        assert response.status_code == 200
        company_a.refresh_from_db()
        assert company_a.timezone == "Asia/Tokyo"

    @pytest.mark.parametrize("who", ["engineer", "tam", "expert", "contact_a"])
    def test_others_cannot_patch(self, api, personas, company_a, who):
        response = api(personas[who]).patch(f"{COMPANIES_URL}{company_a.pk}/", {"name": "X"})
        assert response.status_code == 403
        company_a.refresh_from_db()
        assert company_a.name == "Company A"

    def test_a_contact_patching_another_company_gets_404(self, api, contact_a, company_b):
        response = api(contact_a).patch(f"{COMPANIES_URL}{company_b.pk}/", {"name": "X"})
        assert response.status_code == 404

    def test_a_patch_cannot_break_the_license_rule(self, api, admin, company_a):
        response = api(admin).patch(f"{COMPANIES_URL}{company_a.pk}/", {"license": "standard"})
        assert response.status_code == 400
        company_a.refresh_from_db()
        assert company_a.license == "plus"

    def test_moving_to_a_smaller_plan_with_too_many_contacts_is_409(self, api, admin, company_a):
        for _ in range(5):
            ContactFactory(company=company_a)
        response = api(admin).patch(f"{COMPANIES_URL}{company_a.pk}/", {"plan": "standard"})
        assert response.status_code == 409
        assert "allows 4 active contacts" in response.json()["detail"]


# --- contacts -------------------------------------------------------------------------------
class TestContacts:
    body = {"email": "new.contact@customer.example", "full_name": "New Contact",
            "phone": "+49 30 1234", "password": "a-long-enough-password"}

    @pytest.mark.parametrize("who", ["admin", "tam"])
    def test_admin_and_the_accounts_tam_add_and_list(self, api, personas, company_a, who):
        client = api(personas[who])
        response = client.post(contacts_url(company_a), self.body)
        assert response.status_code == 201, response.content
        assert response.json()["email"] == self.body["email"]
        listed = client.get(contacts_url(company_a))
        assert listed.status_code == 200
        emails = [c["email"] for c in listed.json()["results"]]
        assert self.body["email"] in emails
        assert len(emails) == company_a.contacts.count() == 2  # with ``contact_a``
        user = User.objects.get(email=self.body["email"])
        assert user.role == Role.CONTACT
        assert user.check_password(self.body["password"])

    @pytest.mark.parametrize("who", ["other_tam", "engineer", "expert", "contact_a"])
    def test_others_are_refused(self, api, personas, company_a, who):
        client = api(personas[who])
        assert client.post(contacts_url(company_a), self.body).status_code == 403
        assert client.get(contacts_url(company_a)).status_code == 403
        assert not User.objects.filter(email=self.body["email"]).exists()

    def test_a_contact_of_another_company_gets_404(self, api, contact_b, company_a):
        client = api(contact_b)
        assert client.post(contacts_url(company_a), self.body).status_code == 404
        assert client.get(contacts_url(company_a)).status_code == 404

    def test_the_ninth_contact_is_409_naming_the_limit(self, api, admin, company_a):
        for _ in range(8):
            ContactFactory(company=company_a)
        response = api(admin).post(contacts_url(company_a), self.body)
        assert response.status_code == 409
        assert "at most 8 active named contacts" in response.json()["detail"]
        assert not User.objects.filter(email=self.body["email"]).exists()
        assert company_a.contacts.filter(is_active=True).count() == 8

    @pytest.mark.parametrize(("change", "field"), [
        ({"email": None}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"full_name": None}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"password": None}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"phone": ["x"]}, "phone"),
    ])
    def test_bad_input_is_400_and_writes_nothing(self, api, admin, company_a, change, field):
        body = {k: v for k, v in {**self.body, **change}.items() if v is not None}
        response = api(admin).post(contacts_url(company_a), body, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"]
        assert Contact.objects.count() == 0
        assert not User.objects.filter(role=Role.CONTACT).exists()

    def test_a_duplicate_email_is_400_across_companies(self, api, admin, company_a, contact_b):
        response = api(admin).post(contacts_url(company_a),
                                   {**self.body, "email": contact_b.email.title()})
        assert response.status_code == 400
        assert "already exists" in response.json()["detail"]
        assert company_a.contacts.count() == 0

    def test_deactivating_frees_the_slot_and_keeps_the_history(self, api, tam, company_a):
        contacts = [ContactFactory(company=company_a) for _ in range(8)]
        client = api(tam)
        gone = contacts[0]
        url = f"{contacts_url(company_a)}{gone.user_id}/"
        response = client.patch(url, {"is_active": False}, format="json")
        assert response.status_code == 200
        assert response.json()["is_active"] is False
        assert response.json()["deactivated_at"]
        assert client.post(contacts_url(company_a), self.body).status_code == 201
        gone.refresh_from_db()
        gone.user.refresh_from_db()
        assert gone.user.is_active is False
        assert Contact.objects.filter(pk=gone.pk).exists()

    def test_reactivating_into_a_full_company_is_409(self, api, admin, company_a):
        old = ContactFactory(company=company_a, is_active=False)
        for _ in range(8):
            ContactFactory(company=company_a)
        url = f"{contacts_url(company_a)}{old.user_id}/"
        response = api(admin).patch(url, {"is_active": True}, format="json")
        assert response.status_code == 409
        old.refresh_from_db()
        assert old.is_active is False

    def test_patching_another_companys_contact_through_this_url_is_404(
        self, api, admin, company_a, contact_b
    ):
        url = f"{contacts_url(company_a)}{contact_b.pk}/"
        assert api(admin).patch(url, {"is_active": False}, format="json").status_code == 404
        contact_b.refresh_from_db()
        assert contact_b.is_active

    @pytest.mark.parametrize("body", [{}, {"is_active": "maybe"}, {"email": "x@y.example"}])
    def test_a_bad_patch_is_400(self, api, admin, company_a, body):
        contact = ContactFactory(company=company_a)
        url = f"{contacts_url(company_a)}{contact.user_id}/"
        response = api(admin).patch(url, body, format="json")
        assert response.status_code == 400
        assert response.json()["detail"]
        contact.refresh_from_db()
        assert contact.is_active

    def test_the_tam_of_another_account_cannot_deactivate(self, api, other_tam, company_a):
        contact = ContactFactory(company=company_a)
        url = f"{contacts_url(company_a)}{contact.user_id}/"
        assert api(other_tam).patch(url, {"is_active": False}, format="json").status_code == 403
        contact.refresh_from_db()
        assert contact.is_active


def test_a_standard_company_has_its_own_limit(api, admin):
    company = CompanyFactory(license="standard", plan=plan("standard"))
    for _ in range(4):
        ContactFactory(company=company)
    response = api(admin).post(contacts_url(company), TestContacts.body)
    assert response.status_code == 409
    assert "at most 4" in response.json()["detail"]


def test_a_new_staff_member_can_sign_in_for_a_token(api, admin):
    api(admin).post(STAFF_URL, TestStaff.body)
    response = api().post("/api/v1/auth/token/", {"email": TestStaff.body["email"],
                                                   "password": TestStaff.body["password"]})
    assert response.status_code == 200
    assert User.objects.get(email=TestStaff.body["email"]).role == Role.ENGINEER
