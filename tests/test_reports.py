"""The monthly service review (SPEC §15): a known month's figures in the company's time zone, the
agreement with the dashboard, access, bad input, the streamed CSV, the PDF and flat query
budgets."""

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import CompanyFactory, ContactFactory
from tests.report_history import END_OF_JUNE, answered, filed, june_history, local
from tickets.reports import csvexport
from tickets.reports.selectors import available_months, month_report
from tickets.tam.dashboards import dashboard_for

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 1)
AFTER_JUNE = local(7, 2, 9)  # when the tests read June's report


def report_url(company, month="2026-06", kind=None) -> str:
    url = f"/api/v1/companies/{company.pk}/report/?month={month}"
    return url + (f"&format={kind}" if kind else "")


@pytest.fixture
def june(company_a, contact_a, engineer, tam):
    return june_history(company_a, contact_a, engineer, tam)


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


# --- The figures -----------------------------------------------------------------------------


def test_it_computes_the_month_in_the_company_time_zone(june, company_a):
    r = month_report(company_a, JUNE, AFTER_JUNE)
    # A was filed on 31 May local time (1 June UTC) and F on 30 June local (1 July UTC).
    assert r.filed == {"1": 2, "2": 2, "3": 1, "4": 1}
    assert r.filed_total == 6
    # Responded in June: A 20 min, B 1 h, C 45 min (late), D 2 h, E 5 h (late).
    assert (r.sla.responded, r.sla.met, r.sla.compliance) == (5, 3, 60.0)
    # C and E; F's breach is at 00:00 on 1 July, the first instant of July.
    assert r.sla.breaches == 2
    assert [t.pk for t in r.breaches] == [june["C"].pk, june["E"].pk]
    assert r.first_response["1"] == {"count": 2, "median_seconds": 1950, "p90_seconds": 2550}
    assert r.first_response["2"] == {"count": 2, "median_seconds": 10800, "p90_seconds": 16560}
    assert r.first_response["3"] == {"count": 1, "median_seconds": 7200, "p90_seconds": 7200}
    assert r.first_response["4"]["count"] == 0
    assert r.update_compliance is None  # no update of the cadence (SPEC §12) was due in June
    assert r.complete is True
    assert [(w["week"], w["filed"], w["responded"], w["met"], w["compliance"])
            for w in r.weekly] == [
        ("2026-06-01", 1, 2, 2, 100.0), ("2026-06-08", 1, 1, 0, 0.0),
        ("2026-06-15", 2, 2, 1, 50.0), ("2026-06-22", 0, 0, 0, None),
        ("2026-06-29", 2, 0, 0, None),
    ]
    # Shared notes of June only: never the internal one, nor May's.
    assert [n.title for n in r.notes] == ["Upgrade to 12.1"]


def test_the_dashboard_and_the_report_agree_on_the_same_month(api, tam, june, company_a):
    """June has 30 days: at 00:00 on 1 July in São Paulo the dashboard's last 30 days are
    exactly the report's June."""
    with timezone.override(company_a.timezone):
        d = dashboard_for(company_a, END_OF_JUNE)
        r = month_report(company_a, JUNE, END_OF_JUNE)
    assert (d.responded_30d, d.compliance_30d, d.breaches_30d) == (
        r.sla.responded, r.sla.compliance, r.sla.breaches) == (5, 60.0, 2)
    # The weekly chart: the dashboard's last five weeks are June's, week for week.
    assert d.weekly[-5:] == r.weekly
    # And the two endpoints say the same.
    with time_machine.travel(END_OF_JUNE, tick=False):
        dashboard = api(tam).get(f"/api/v1/companies/{company_a.pk}/dashboard/").json()
        report = api(tam).get(report_url(company_a)).json()
    assert dashboard["compliance_30d"] == report["first_response"]["compliance"] == 60.0
    assert dashboard["breaches_30d"] == report["breaches"] == 2
    assert dashboard["responded_30d"] == report["first_response"]["responded"] == 5


def test_the_current_month_is_the_month_so_far(june, company_a):
    r = month_report(company_a, JUNE, local(6, 16, 12))
    assert r.complete is False


def test_the_months_run_from_the_first_ticket_to_now(june, company_a):
    months = available_months(company_a, local(7, 2, 9))
    assert months == [date(2026, 7, 1), date(2026, 6, 1), date(2026, 5, 1), date(2026, 4, 1)]


# --- The API ---------------------------------------------------------------------------------


def test_the_json_carries_the_figures_with_local_times(api, contact_a, june, company_a):
    with time_machine.travel(AFTER_JUNE, tick=False):
        data = api(contact_a).get(report_url(company_a)).json()
    assert data["month"] == "2026-06"
    assert data["period"] == {"start": "2026-06-01T00:00:00-03:00",
                              "end": "2026-07-01T00:00:00-03:00"}
    assert data["filed"] == {"total": 6, "by_severity": {"1": 2, "2": 2, "3": 1, "4": 1}}
    assert data["first_response"] == {"responded": 5, "met": 3, "compliance": 60.0}
    assert data["breaches"] == 2
    assert data["update_compliance"] is None
    assert data["signature_requests"] == {"filed": 0, "released": 0, "rejected": 0,
                                          "median_seconds_to_release": None}
    assert [t["number"] for t in data["breached_tickets"]] == [june["C"].number,
                                                               june["E"].number]
    assert data["breached_tickets"][0]["response_due_at"] == "2026-06-10T09:30:00-03:00"
    assert [n["title"] for n in data["notes"]] == ["Upgrade to 12.1"]
    assert data["tam"]["id"] == company_a.tam_id


class TestAccess:
    """TAM / other TAM / admin / own contact / other contact / engineer (SPEC §1, §15)."""

    @pytest.mark.parametrize(("who", "status"), [
        ("tam", 200), ("other_tam", 404), ("admin", 200), ("contact_a", 200),
        ("contact_b", 404), ("engineer", 403), ("expert", 403),
    ])
    @pytest.mark.parametrize("kind", ["json", "csv", "pdf"])
    def test_the_access_matrix(self, api, personas, company_a, who, status, kind):
        with time_machine.travel(AFTER_JUNE, tick=False):
            response = api(personas[who]).get(report_url(company_a, kind=kind))
        assert response.status_code == status, response.content[:200]
        if status != 200:
            assert response["Content-Type"] == "application/json"
            assert response.json()["detail"]

    def test_anonymous_is_refused(self, api, company_a):
        assert api().get(report_url(company_a)).status_code in (401, 403)

    def test_a_deactivated_contact_gets_404(self, api, contact_a, company_a):
        contact_a.contact.is_active = False
        contact_a.contact.save()
        assert api(contact_a).get(report_url(company_a)).status_code == 404


@pytest.mark.parametrize(("month", "message"), [
    ("", "YYYY-MM"), ("2026-13", "YYYY-MM"), ("2026-6", "YYYY-MM"), ("june", "YYYY-MM"),
    ("1999-12", "2000"), ("2026-08", "has not started yet"),
])
def test_a_bad_month_is_a_400_naming_it(api, tam, company_a, month, message):
    with time_machine.travel(AFTER_JUNE, tick=False):
        response = api(tam).get(report_url(company_a, month=month, kind="pdf"))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["errors"]["month"][0]


def test_an_unknown_format_is_a_400(api, tam, company_a):
    response = api(tam).get(report_url(company_a, kind="xlsx"))
    assert response.status_code == 400
    assert "json, csv or pdf" in response.json()["detail"]


def test_the_month_follows_the_company_clock(api, tam):
    """At 20:00 on 31 July in São Paulo it is already August in UTC; August has not started
    for the company."""
    company = CompanyFactory(tam=tam, timezone="America/Sao_Paulo")
    with time_machine.travel(datetime(2026, 8, 1, 1, 0, tzinfo=UTC), tick=False):
        assert api(tam).get(report_url(company, "2026-08")).status_code == 400
        assert api(tam).get(report_url(company, "2026-07")).status_code == 200


# --- CSV -------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_ticket_of_the_month(api, contact_a, june, company_a):
    with time_machine.travel(AFTER_JUNE, tick=False):
        response = api(contact_a).get(report_url(company_a, kind="csv"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="service-review-company-a-2026-06.csv"')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == ("number,subject,severity,created,due,first_response,sla_state,"
                        "updates_missed,status,resolved")
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == [june[k].number for k in "BCDEGF"]
    b = rows[0]
    assert b[2:8] == ["2", "2026-06-01T00:00:00-03:00", "2026-06-01T04:00:00-03:00",
                      "2026-06-01T01:00:00-03:00", "met", "0"]
    assert rows[1][6] == "met_late"
    assert rows[5][5:8] == ["", "breached", "0"]  # F: no response, breached, none missed
    # A subject a spreadsheet would run as a formula is defused.
    assert "'=HYPERLINK(\"\"http://x\"\")" in lines[4]


def test_the_csv_is_streamed_in_chunks(api, tam, june, company_a, monkeypatch):
    monkeypatch.setattr(csvexport, "CHUNK", 2)
    with time_machine.travel(AFTER_JUNE, tick=False):
        response = api(tam).get(report_url(company_a, kind="csv"))
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 3  # the header, then six rows two at a time
    assert sum(chunk.count(b"\n") for chunk in chunks) == 7


def test_the_csv_costs_the_same_queries_for_any_number_of_tickets(api, tam, june, company_a,
                                                                  contact_a):
    def queries() -> tuple[int, list[str]]:
        with time_machine.travel(AFTER_JUNE, tick=False), \
                CaptureQueriesContext(connection) as captured:
            response = api(tam).get(report_url(company_a, kind="csv"))
            rows = b"".join(response.streaming_content).count(b"\n") - 1
        return rows, [q["sql"][:30] for q in captured.captured_queries]

    rows, few = queries()
    for day in range(2, 28):
        filed(contact_a, local(6, day, 12), 3)
    more_rows, more = queries()
    assert (rows, more_rows) == (6, 32)
    # the company (access check), then the month's tickets through one cursor
    assert few == more
    assert len(few) == 2


# --- PDF -------------------------------------------------------------------------------------


def test_the_pdf_is_the_printable_review(api, contact_a, june, company_a):
    with time_machine.travel(AFTER_JUNE, tick=False):
        response = api(contact_a).get(report_url(company_a, kind="pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="service-review-company-a-2026-06.pdf"')
    pages, text = pdf_text(response.content)
    assert pages == 3
    assert "Service review" in text
    assert "Company A" in text
    assert "June 2026" in text
    assert company_a.tam.full_name in text
    assert "60.0 %" in text
    assert june["C"].number in text
    assert june["E"].number in text
    assert june["F"].number not in text  # breached in July
    assert "Upgrade to 12.1" in text
    assert "Churn risk" not in text  # an internal note never reaches the customer


def test_the_pdf_is_in_the_readers_language(api, contact_a, june, company_a):
    with time_machine.travel(AFTER_JUNE, tick=False):
        response = api(contact_a).get(report_url(company_a, kind="pdf"),
                                      HTTP_ACCEPT_LANGUAGE="pt-br")
    _pages, text = pdf_text(response.content)
    assert "Revisão de serviço" in text
    assert "Junho de 2026" in text
    assert "60,0 %" in text


def test_the_json_report_costs_the_same_queries_for_10_or_60_tickets(
    api, tam, company_a, contact_a, engineer, django_assert_num_queries
):
    def fill(n: int) -> None:
        for i in range(n):
            ticket = filed(contact_a, local(6, i % 28 + 1, 9), i % 4 + 1)
            if i % 3:
                answered(ticket, engineer, local(6, i % 28 + 1, 9, 20))

    client = api(tam)
    fill(10)
    # user (token/session auth is forced), company, then month_report's ten (update
    # compliance, SPEC §12, is one of them now that the cadence is recorded).
    with time_machine.travel(AFTER_JUNE, tick=False), django_assert_num_queries(11):
        client.get(report_url(company_a))
    fill(50)
    with time_machine.travel(AFTER_JUNE, tick=False), django_assert_num_queries(11):
        client.get(report_url(company_a))


def test_an_account_without_a_tam_or_tickets_still_has_a_review(api, admin):
    company = CompanyFactory(tam=None)
    ContactFactory(company=company)
    response = api(admin).get(report_url(company, month=f"{timezone.localdate():%Y-%m}",
                                         kind="pdf"))
    assert response.status_code == 200
    _pages, text = pdf_text(response.content)
    assert "None assigned" in text
    assert "No SLA breach this month." in text


def test_the_month_in_progress_is_always_listed(company_a):
    """Even when the clock reads a time before the account's creation (a clock set back)."""
    assert available_months(company_a, local(1, 15, 9)) == [date(2026, 1, 1)]
