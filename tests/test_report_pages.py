"""The reports pages (SPEC §15): /reports/ for a company's contacts (months, downloads, the
e-mail opt-in), the picker on the TAM's account page, and the opt-in API."""

import re

import pytest
import time_machine

from tests.report_history import local
from tests.test_tam_pages import text

pytestmark = pytest.mark.django_db

NOW = local(7, 2, 9)  # 2 July 2026 in São Paulo
LIST = "/reports/"
SUBSCRIPTION_API = "/api/v1/me/report-subscription/"


@pytest.fixture
def company(company_a):
    company_a.timezone = "America/Sao_Paulo"
    company_a.save()
    type(company_a).objects.filter(pk=company_a.pk).update(created_at=local(4, 10, 9))
    company_a.refresh_from_db()
    return company_a


def get(client, user, url, **extra):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(url, **extra)


def test_a_contact_sees_the_company_months_with_their_files(client, contact_a, company):
    response = get(client, contact_a, LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-month="([\d-]+)"', html) == ["2026-07", "2026-06", "2026-05",
                                                          "2026-04"]
    api = f"/api/v1/companies/{company.pk}/report/"
    assert f'href="{api}?month=2026-06&amp;format=pdf"' in html
    assert f'href="{api}?month=2026-06&amp;format=csv"' in html
    page = text(html)
    assert "Service reviews of Company A" in page
    assert "July 2026 so far" in page
    assert 'aria-current="page">Reports</a>' in html  # the contact's navigation


def test_the_page_is_in_portuguese_for_a_portuguese_reader(client, contact_a, company):
    response = get(client, contact_a, LIST, HTTP_ACCEPT_LANGUAGE="pt-br")
    page = text(response.content.decode())
    assert "Revisões de serviço de Company A" in page
    assert "Junho de 2026" in page
    assert "Enviar-me a revisão por e-mail no dia 1º de cada mês" in page


def test_the_page_costs_the_same_queries_for_any_history(client, contact_a, company,
                                                         django_assert_num_queries):
    # session, user, contact, company (access), first ticket, the notification badge's
    # none (htmx loads it later)
    with time_machine.travel(NOW, tick=False):
        client.force_login(contact_a)
        with django_assert_num_queries(5):
            assert client.get(LIST).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("expert", 403),
                                             ("tam", 302), ("admin", 302)])
def test_staff_are_sent_to_the_accounts_or_refused(client, personas, who, status):
    response = get(client, personas[who], LIST)
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == "/tam/"


def test_a_contact_opts_in_and_out_on_the_page(client, contact_a, company):
    client.force_login(contact_a)
    response = client.post("/reports/subscription/", {"monthly_report_opt_in": "on"},
                           follow=True)
    assert "You will receive the review by e-mail on the 1st of each month." in \
        response.content.decode()
    contact_a.refresh_from_db()
    assert contact_a.monthly_report_opt_in is True
    assert 'id="monthly-report-opt-in" checked' in response.content.decode()
    client.post("/reports/subscription/", {})
    contact_a.refresh_from_db()
    assert contact_a.monthly_report_opt_in is False


def test_staff_cannot_opt_in_and_a_get_is_refused(client, tam, contact_a):
    client.force_login(tam)
    assert client.post("/reports/subscription/", {"monthly_report_opt_in": "on"}
                       ).status_code == 403
    client.force_login(contact_a)
    assert client.get("/reports/subscription/").status_code == 405


def test_the_opt_in_api(api, contact_a, tam):
    client = api(contact_a)
    assert client.get(SUBSCRIPTION_API).json() == {"monthly_report_opt_in": False}
    response = client.patch(SUBSCRIPTION_API, {"monthly_report_opt_in": True})
    assert response.json() == {"monthly_report_opt_in": True}
    contact_a.refresh_from_db()
    assert contact_a.monthly_report_opt_in is True
    bad = client.patch(SUBSCRIPTION_API, {"monthly_report_opt_in": True, "email": "x@y.z"})
    assert bad.status_code == 400
    assert "email" in bad.json()["detail"]
    assert client.patch(SUBSCRIPTION_API, {}).status_code == 400
    refused = api(tam).patch(SUBSCRIPTION_API, {"monthly_report_opt_in": True})
    assert refused.status_code == 403
    assert "TAM always receives" in refused.json()["detail"]


class TestPicker:
    def url(self, company) -> str:
        return f"/tam/accounts/{company.pk}/"

    @pytest.mark.parametrize("who", ["tam", "admin"])
    def test_the_account_page_has_the_reports_picker(self, client, personas, company, who):
        html = get(client, personas[who], self.url(company)).content.decode()
        assert 'id="reports"' in html
        assert f'action="/api/v1/companies/{company.pk}/report/"' in html
        options = re.findall(r'<option value="(\d{4}-\d{2})"( selected)?>', html)
        assert [m for m, _s in options] == ["2026-07", "2026-06", "2026-05", "2026-04"]
        assert [m for m, s in options if s] == ["2026-06"]  # the month just ended
        assert 'name="format" value="pdf"' in html
        assert 'name="format" value="csv"' in html

    def test_who_cannot_download_reports_sees_no_picker(self, client, engineer, company):
        response = get(client, engineer, self.url(company))
        # 403 once dashboards are their TAM's and admins' only (SPEC §1)
        assert response.status_code in (200, 403)
        assert 'id="reports"' not in response.content.decode()


def test_a_contact_opts_in_on_the_profile(client, contact_a):
    client.force_login(contact_a)
    assert 'name="monthly_report_opt_in"' in client.get("/accounts/profile/").content.decode()
    settings = {"full_name": contact_a.full_name, "language": "en", "timezone": "UTC"}
    client.post("/accounts/profile/", {**settings, "monthly_report_opt_in": "on"})
    contact_a.refresh_from_db()
    assert contact_a.monthly_report_opt_in is True
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="id_monthly_report_opt_in" checked' in page
    client.post("/accounts/profile/", settings)
    contact_a.refresh_from_db()
    assert contact_a.monthly_report_opt_in is False


def test_staff_profiles_have_no_opt_in_and_keep_saving(client, tam):
    client.force_login(tam)
    assert 'name="monthly_report_opt_in"' not in client.get("/accounts/profile/").content.decode()
    response = client.post("/accounts/profile/", {"full_name": "T A M", "language": "en",
                                                  "timezone": "UTC",
                                                  "monthly_report_opt_in": "on"})
    assert response.status_code == 302
    tam.refresh_from_db()
    assert (tam.full_name, tam.monthly_report_opt_in) == ("T A M", False)
