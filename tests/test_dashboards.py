"""TAM dashboards: every figure from a known history, the portfolio's risk order, access and
a flat query cost (SPEC §6)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Plan
from sla.jobs import flag_breaches
from tests.factories import CompanyFactory, ContactFactory, file_ticket
from tickets import services
from tickets.models import Ticket
from tickets.tam.dashboards import dashboard_for, portfolio_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)  # a Tuesday


def history(requester, engineer, *, days_ago: float, severity: int,
            answer_after: timedelta | None, status: str | None = None) -> Ticket:
    """A ticket filed ``days_ago`` before NOW, answered ``answer_after`` later (or never)."""
    filed = NOW - timedelta(days=days_ago)
    with time_machine.travel(filed, tick=False):
        ticket = file_ticket(requester, severity=severity)
    if answer_after is not None:
        with time_machine.travel(filed + answer_after, tick=False):
            services.comment_add(ticket=ticket, author=engineer, body="Answer")
    if status:
        services.ticket_change(ticket=ticket, actor=engineer, status=status)
    return ticket


@pytest.fixture
def known(contact_a, engineer, company_a):
    """Company A's history (enhanced: S1 30 min, S2 4 h, S3 6 h, S4 8 h)."""
    c = contact_a
    m = timedelta(minutes=1)
    # Responded within the last 30 days (with the waiting S2 below): 5 in time, 1 late
    history(c, engineer, days_ago=2, severity=1, answer_after=10 * m, status="resolved")
    history(c, engineer, days_ago=5, severity=1, answer_after=20 * m, status="resolved")
    history(c, engineer, days_ago=10, severity=1, answer_after=40 * m, status="resolved")  # late
    history(c, engineer, days_ago=12, severity=2, answer_after=60 * m)
    history(c, engineer, days_ago=20, severity=3, answer_after=120 * m)
    # Responded 30-90 days ago: 1 in time (exactly at the deadline), 2 late
    history(c, engineer, days_ago=40, severity=1, answer_after=30 * m, status="resolved")
    history(c, engineer, days_ago=50, severity=2, answer_after=300 * m, status="resolved")
    history(c, engineer, days_ago=60, severity=2, answer_after=500 * m, status="resolved")
    # Older than 90 days: outside every window.
    history(c, engineer, days_ago=120, severity=1, answer_after=90 * m, status="resolved")
    # Open and unanswered: one S1 breached 1 day ago, one S4 on track, one S2 waiting.
    history(c, engineer, days_ago=1, severity=1, answer_after=None)
    history(c, engineer, days_ago=0.01, severity=4, answer_after=None)
    waiting = history(c, engineer, days_ago=3, severity=2, answer_after=30 * m)
    services.ticket_change(ticket=waiting, actor=engineer, status="waiting_on_customer")
    # The breach job ran over the whole history (late answers were breached before replying).
    with time_machine.travel(NOW, tick=False):
        for t in Ticket.objects.filter(first_response_at__gt=F_due()):
            Ticket.objects.filter(pk=t.pk).update(response_breached_at=t.response_due_at)
        flag_breaches(NOW)
    return company_a


def F_due():
    from django.db.models import F

    return F("response_due_at")


def test_it_computes_compliance_and_breaches_exactly(known):
    d = dashboard_for(known, NOW)
    assert (d.responded_30d, d.responded_90d) == (6, 9)
    # 30 d: S1 10 min, S1 20 min, S1 40 min (late), S2 60 min, S3 120 min, S2 30 min -> 5/6
    assert d.compliance_30d == 83.3
    # 90 d adds S1 30 min (in time), S2 300 min (late), S2 500 min (late) -> 6/9
    assert d.compliance_90d == 66.7
    # Breaches: the late S1 (10 d ago) + the unanswered S1 (1 d ago) in 30 d; + 2 late S2.
    assert d.breaches_30d == 2
    assert d.breaches_90d == 4


def test_it_counts_open_tickets_by_severity_and_status(known):
    d = dashboard_for(known, NOW)
    # open: S2 (12 d, answered), S3 (20 d, answered), S1 unanswered, S4 unanswered, S2 waiting
    assert d.open_by_severity == {"1": 1, "2": 2, "3": 1, "4": 1}
    assert d.open_by_status == {"new": 2, "open": 2, "waiting_on_customer": 1}


def test_it_computes_median_and_p90_first_response_per_severity(known):
    stats = dashboard_for(known, NOW).first_response
    # S1 within 90 d: 10, 20, 30, 40 min -> median 25 min; p90 = 30 + 0.7*(40-30) = 37 min
    assert stats["1"] == {"count": 4, "median_seconds": 25 * 60, "p90_seconds": 37 * 60}
    # S2: 30, 60, 300, 500 min -> median 180 min; p90 = 300 + 0.7*200 = 440 min
    assert stats["2"] == {"count": 4, "median_seconds": 180 * 60, "p90_seconds": 440 * 60}
    assert stats["3"] == {"count": 1, "median_seconds": 7200, "p90_seconds": 7200}
    assert stats["4"] == {"count": 0, "median_seconds": None, "p90_seconds": None}


def test_it_reports_the_weekly_trend(known):
    weekly = dashboard_for(known, NOW).weekly
    assert len(weekly) == 12
    assert weekly[-1]["week"] == "2026-06-29"  # the Monday of NOW's week
    this_week = weekly[-1]
    # Filed since Monday 29 June: the S1 1 d ago (29 Jun 12:00) and the S4 just now.
    assert this_week["filed"] == 2
    # Answered this week: the S1 filed 2 d ago (28 Jun) was answered on 28 Jun -> last week.
    assert (this_week["responded"], this_week["compliance"]) == (0, None)
    last_week = weekly[-2]  # 22-28 June: S1 2 d ago, S2 waiting 3 d ago, S1 5 d ago
    assert (last_week["filed"], last_week["responded"], last_week["met"]) == (3, 3, 3)
    assert last_week["compliance"] == 100.0
    assert sum(w["filed"] for w in weekly) == 11  # everything but the 120-day-old ticket


def test_no_responses_means_null_compliance(api, tam, company_a):
    data = api(tam).get(f"/api/v1/companies/{company_a.pk}/dashboard/").json()
    assert data["compliance_30d"] is None
    assert data["compliance_90d"] is None
    assert data["breaches_30d"] == 0


def test_the_api_carries_the_same_figures(api, tam, known):
    with time_machine.travel(NOW, tick=False):
        data = api(tam).get(f"/api/v1/companies/{known.pk}/dashboard/").json()
    assert data["contacts"]["active"] == 1
    assert data["contacts"]["limit"] == 8
    assert data["open_by_severity"] == {"1": 1, "2": 2, "3": 1, "4": 1}
    assert data["compliance_30d"] == 83.3
    assert data["compliance_90d"] == 66.7
    assert data["breaches_30d"] == 2
    assert data["first_response_90d"]["1"]["median_seconds"] == 1500


class TestAccess:
    def url(self, company) -> str:
        return f"/api/v1/companies/{company.pk}/dashboard/"

    @pytest.mark.parametrize("who", ["tam", "admin"])
    def test_the_accounts_tam_and_admins_see_it(self, api, personas, company_a, who):
        assert api(personas[who]).get(self.url(company_a)).status_code == 200

    def test_an_engineer_gets_403(self, api, engineer, company_a):
        assert api(engineer).get(self.url(company_a)).status_code == 403

    def test_another_tam_gets_404(self, api, other_tam, company_a):
        assert api(other_tam).get(self.url(company_a)).status_code == 404

    def test_contacts_and_experts_are_refused(self, api, contact_a, contact_b, expert,
                                              company_a):
        assert api(contact_a).get(self.url(company_a)).status_code == 403
        assert api(contact_b).get(self.url(company_a)).status_code == 404
        assert api(expert).get(self.url(company_a)).status_code == 403


class TestNotes:
    def url(self, company) -> str:
        return f"/api/v1/companies/{company.pk}/notes/"

    def test_the_tam_writes_and_contacts_read_only_shared_notes(self, api, tam, contact_a,
                                                                 company_a):
        client = api(tam)
        assert client.post(self.url(company_a), {"title": "Upgrade plan", "body": "Move to 12.1",
                                                 "shared": True}).status_code == 201
        assert client.post(self.url(company_a), {"title": "Churn risk", "body": "Internal view",
                                                 "follow_up_on": "2026-12-01"}).status_code == 201
        titles = [n["title"] for n in api(contact_a).get(self.url(company_a)).json()["results"]]
        assert titles == ["Upgrade plan"]
        assert len(client.get(self.url(company_a)).json()["results"]) == 2

    @pytest.mark.parametrize("who", ["other_tam", "engineer", "contact_a", "expert"])
    def test_only_the_accounts_tam_or_an_admin_writes(self, api, personas, company_a, who):
        response = api(personas[who]).post(self.url(company_a), {"title": "x", "body": "y"})
        assert response.status_code in (403, 404)

    def test_a_contact_of_another_company_gets_404(self, api, contact_b, company_a):
        assert api(contact_b).get(self.url(company_a)).status_code == 404

    def test_bad_input_is_400(self, api, tam, company_a):
        response = api(tam).post(self.url(company_a), {"title": "", "body": "y",
                                                       "follow_up_on": "someday"})
        assert response.status_code == 400
        assert {"title", "follow_up_on"} <= set(response.json()["errors"])


def test_the_portfolio_is_riskiest_first(tam, engineer, other_tam, admin):
    calm = CompanyFactory(name="Calm Co", tam=tam)
    CompanyFactory(name="Expiring Co", tam=tam,
                              license_valid_until=NOW.date() + timedelta(days=30))
    burning = CompanyFactory(name="Burning Co", tam=tam)
    CompanyFactory(name="Someone Else's", tam=other_tam)
    contact = ContactFactory(company=burning).user
    history(contact, engineer, days_ago=1, severity=1, answer_after=None)  # breached, open S1
    history(contact, engineer, days_ago=0.001, severity=2, answer_after=None)  # open S2
    with time_machine.travel(NOW, tick=False):
        flag_breaches(NOW)
        rows = portfolio_for(tam, NOW)
    assert [c.name for c in rows] == ["Burning Co", "Expiring Co", "Calm Co"]
    burning_row = rows[0]
    # 3 x 1 breach + 2 x 2 open S1/S2 = 7; the expiring license alone = 5; calm = 0
    assert [c.risk_score for c in rows] == [7, 5, 0]
    assert burning_row.open_high == 2
    assert calm.pk in {c.pk for c in portfolio_for(admin, NOW)}
    assert portfolio_for(engineer, NOW) == []


def test_the_dashboard_costs_the_same_queries_for_10_or_200_tickets(
    tam, company_a, contact_a, engineer, django_assert_num_queries
):
    def fill(n: int) -> None:
        for i in range(n):
            history(contact_a, engineer, days_ago=i % 80 + 1, severity=i % 4 + 1,
                    answer_after=timedelta(minutes=15) if i % 3 else None)

    fill(10)
    # contacts, open counts, SLA counts, percentiles, weekly filed, weekly answered,
    # signature requests in flight, notes, update compliance (SPEC §12), time to acknowledge
    # on-call pages (SPEC §11)
    with django_assert_num_queries(10):
        dashboard_for(company_a, NOW)
    fill(190)
    with django_assert_num_queries(10):
        dashboard_for(company_a, NOW)


def test_the_standard_plan_limit_shows(api, admin):
    company = CompanyFactory(name="Std", license="standard",
                             plan=Plan.objects.get(code="standard"))
    ContactFactory(company=company)
    data = api(admin).get(f"/api/v1/companies/{company.pk}/dashboard/").json()
    assert data["contacts"] == {**data["contacts"], "active": 1, "limit": 4}
    assert data["license"]["plan"] == "standard"
