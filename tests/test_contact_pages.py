"""Managing named contacts in the portal (SPEC §1–2): the account's TAM and administrators
list, add (within the plan's limit, with the API's message beyond it), deactivate, reactivate
and send a set-password e-mail whose link lets the contact choose a password and sign in."""

import re

import pytest
from django.core import mail

from accounts.models import Contact, User
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def url(company, contact=None):
    base = f"/tam/accounts/{company.pk}/contacts/"
    return f"{base}{contact.user_id}/" if contact else base


def test_the_tam_sees_the_contacts_and_how_many_slots_are_used(client, tam, company_a,
                                                                contact_a):
    client.force_login(tam)
    page = client.get(url(company_a)).content.decode()
    assert "1 / 8" in page
    assert contact_a.email in page
    dashboard = client.get(f"/tam/accounts/{company_a.pk}/").content.decode()
    assert f'href="{url(company_a)}"' in dashboard


@pytest.mark.parametrize("persona", ["engineer", "expert", "contact_a"])
def test_only_the_accounts_tam_and_admins_manage_contacts(client, request, persona, company_a,
                                                          contact_a):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(company_a)).status_code in (403, 404)
    assert client.post(url(company_a), {"full_name": "X", "email": "x@a.example"}).status_code \
        in (403, 404)
    assert not User.objects.filter(email="x@a.example").exists()


def test_another_tams_account_is_refused_as_by_the_api(client, api, other_tam, company_a):
    client.force_login(other_tam)
    # The same access helper as /api/v1/companies/{id}/contacts/: the same answer.
    assert client.get(url(company_a)).status_code == 403
    assert api(other_tam).get(f"/api/v1/companies/{company_a.pk}/contacts/").status_code == 403


def test_adding_a_contact_sends_a_set_password_email_that_works(client, tam, company_a):
    company_a.timezone = "America/Sao_Paulo"
    company_a.save()
    client.force_login(tam)
    response = client.post(url(company_a), {"full_name": "Maria Silva",
                                            "email": "Maria@A.example", "phone": "+55 11 1"})
    assert response.status_code == 302
    user = User.objects.get(email="maria@a.example")
    assert not user.has_usable_password()
    assert user.timezone == "America/Sao_Paulo"  # a contact starts in the company's zone
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@a.example"]
    assert "Company A" in message.subject
    link = re.search(r"http\S+/accounts/password_reset/key/\S+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0] if form.redirect_chain else "/" + path,
                       {"password1": "a-Long-new-passw0rd", "password2": "a-Long-new-passw0rd"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-Long-new-passw0rd")


def test_beyond_the_limit_the_page_gives_the_apis_message(client, api, tam, company_a):
    for _ in range(8):
        ContactFactory(company=company_a)
    client.force_login(tam)
    refused = client.post(url(company_a), {"full_name": "Nine", "email": "nine@a.example"})
    assert refused.status_code == 409
    from_api = api(tam).post(f"/api/v1/companies/{company_a.pk}/contacts/", {
        "full_name": "Nine", "email": "nine@a.example", "password": "a-long-passw0rd!"})
    assert from_api.status_code == 409
    assert from_api.json()["detail"] in refused.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(email="nine@a.example").exists()
    assert mail.outbox == []


def test_deactivate_reactivate_and_resend(client, tam, company_a, contact_a):
    contact = Contact.objects.get(user=contact_a)
    client.force_login(tam)
    client.post(url(company_a, contact), {"action": "deactivate"})
    contact.refresh_from_db()
    assert not contact.is_active
    assert "0 / 8" in client.get(url(company_a)).content.decode()
    client.post(url(company_a, contact), {"action": "set_password"})
    assert mail.outbox == []  # not to a deactivated contact
    client.post(url(company_a, contact), {"action": "reactivate"})
    contact.refresh_from_db()
    assert contact.is_active
    client.post(url(company_a, contact), {"action": "set_password"})
    assert [m.to for m in mail.outbox] == [[contact_a.email]]


def test_reactivating_beyond_the_limit_is_refused(client, admin, company_a, contact_a):
    contact = Contact.objects.get(user=contact_a)
    client.force_login(admin)
    client.post(url(company_a, contact), {"action": "deactivate"})
    for _ in range(8):
        ContactFactory(company=company_a)
    page = client.post(url(company_a, contact), {"action": "reactivate"}, follow=True)
    assert "allows at most 8 active named contacts" in page.content.decode()
    contact.refresh_from_db()
    assert not contact.is_active


def test_bad_input_is_shown_on_the_form(client, tam, company_a, contact_a):
    client.force_login(tam)
    empty = client.post(url(company_a), {"full_name": "", "email": "not-an-address"})
    assert empty.status_code == 400
    taken = client.post(url(company_a), {"full_name": "Twin", "email": contact_a.email})
    assert taken.status_code == 400
    assert "already exists" in taken.content.decode()


def test_a_contact_of_another_company_is_404(client, tam, company_a, contact_b):
    client.force_login(tam)
    other = Contact.objects.get(user=contact_b)
    assert client.post(url(company_a, other), {"action": "deactivate"}).status_code == 404
