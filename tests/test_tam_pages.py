"""The TAM pages, /tam/ and /tam/accounts/<id>/ (SPEC §6, §8 pages): the portfolio's order and
health lines, access, the exact figures of a known history on the dashboard, the chart's data
and its table, proactive notes (written by the account's TAM, shared ones read by contacts on
their ticket list), and flat query budgets."""

import json
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from accounts.models import Plan, ProactiveNote
from sla.jobs import flag_breaches
from tests import test_dashboards
from tests.factories import CompanyFactory, ContactFactory, UserFactory, file_ticket
from tickets.models import SignatureRequest, SignatureStatus
from tickets.tam.dashboards import dashboard_for
from tickets.tam.views import Health, duration_text, health_of, license_text

pytestmark = pytest.mark.django_db

#: Company A's history with exact expected figures (compliance 83.3 % / 66.7 %, breaches 2 / 4,
#: S1 median 25 min …), shared with the dashboard tests so both check the same numbers.
known = test_dashboards.known
history = test_dashboards.history
NOW = test_dashboards.NOW

PORTFOLIO = "/tam/"


def account_url(company) -> str:
    return f"/tam/accounts/{company.pk}/"


def notes_url(company) -> str:
    return f"/tam/accounts/{company.pk}/notes/"


def get(client, user, url):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(url)


def text(html: str) -> str:
    """The visible text of a page's main part, whitespace collapsed."""
    main = html[html.find("<main") : html.find("</main>")]
    main = re.sub(r"<script\b.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main))).strip()


def portfolio_rows(html: str) -> list[tuple[str, str, str]]:
    """(company name, health line, contacts used) per row, in page order."""
    rows = re.findall(
        r'<tr class="account-row health-row-(\w+)" data-company="\d+">(.*?)</tr>', html, re.S
    )
    result = []
    for _tone, body in rows:
        name = re.search(r'<a href="/tam/accounts/\d+/">([^<]*)</a>', body).group(1)
        health = re.search(r'<span class="health health-\w+">([^<]*)</span>', body).group(1)
        used = re.search(r'<span class="contacts-used">([^<]*)</span>', body).group(1)
        result.append((unescape(name), unescape(health), used))
    return result


def cell(html: str, row_attr: str, css: str) -> str:
    """The text of ``<td class="css">`` in the row carrying ``row_attr``."""
    row = re.search(rf"<tr {row_attr}>(.*?)</tr>", html, re.S)
    assert row, row_attr
    match = re.search(rf'<td class="{css}">([^<]*)</td>', row.group(1))
    assert match, row.group(1)
    return unescape(match.group(1))


# --- The portfolio ------------------------------------------------------------------------


@pytest.fixture
def portfolio(tam, engineer, other_tam):
    """Three accounts of ``tam`` (burning, expiring, calm) and one of another TAM."""
    calm = CompanyFactory(name="Calm Co", tam=tam)
    expiring = CompanyFactory(
        name="Expiring Co", tam=tam, license_valid_until=NOW.date() + timedelta(days=30)
    )
    burning = CompanyFactory(name="Burning Co", tam=tam)
    CompanyFactory(name="Someone Else's", tam=other_tam)
    contact = ContactFactory(company=burning).user
    ContactFactory(company=calm)
    ContactFactory(company=calm)
    history(contact, engineer, days_ago=1, severity=1, answer_after=None)  # breached, open S1
    history(contact, engineer, days_ago=0.001, severity=2, answer_after=None)  # open S2
    with time_machine.travel(NOW, tick=False):
        flag_breaches(NOW)
    return {"calm": calm, "expiring": expiring, "burning": burning}


def test_it_lists_the_tams_accounts_riskiest_first_with_a_health_line(client, tam, portfolio):
    response = get(client, tam, PORTFOLIO)
    assert response.status_code == 200
    html = response.content.decode()
    assert portfolio_rows(html) == [
        # 3 x 1 breach + 2 x 2 open S1/S2 = 7
        (
            "Burning Co",
            "1 breach in 30 days · 1 overdue for a first response · 2 open S1/S2",
            "1 / 8",
        ),
        # the license ending within 60 days alone = 5
        ("Expiring Co", "license ends in 30 days", "0 / 8"),
        ("Calm Co", "Nothing at risk", "2 / 8"),
    ]
    assert "Someone Else" not in html
    assert "health-row-danger" in html
    assert "health-row-warn" in html
    assert f'href="/tam/accounts/{portfolio["burning"].pk}/"' in html
    assert "Enhanced Premium Support" in text(html)  # the plan


def test_it_shows_admins_every_account(client, personas, portfolio):
    html = get(client, personas["admin"], PORTFOLIO).content.decode()
    names = [name for name, _health, _used in portfolio_rows(html)]
    assert names[:2] == ["Burning Co", "Expiring Co"]
    # (the personas bring Company A and B along)
    assert set(names) == {
        "Burning Co",
        "Expiring Co",
        "Calm Co",
        "Someone Else's",
        "Company A",
        "Company B",
    }
    assert "All accounts" in html
    assert '<th scope="col">TAM</th>' in html


@pytest.mark.parametrize("who", ["contact_a", "expert"])
def test_it_refuses_the_portfolio_to_contacts_and_experts(client, personas, who):
    assert get(client, personas[who], PORTFOLIO).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, company_a):
    for url in (PORTFOLIO, account_url(company_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/tam/")


def test_the_portfolio_costs_the_same_queries_for_3_or_20_accounts(
    client, tam, portfolio, django_assert_num_queries
):
    client.force_login(tam)
    # session, user, the portfolio (companies with plan, TAM, contacts and risk subqueries)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(3):
        assert len(portfolio_rows(client.get(PORTFOLIO).content.decode())) == 3
    for i in range(17):
        company = CompanyFactory(name=f"More Co {i:02}", tam=tam)
        ContactFactory(company=company)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(3):
        assert len(portfolio_rows(client.get(PORTFOLIO).content.decode())) == 20


class _Row:
    """A stand-in for a ``portfolio_for`` row (the health line reads only annotations)."""

    def __init__(self, **figures):
        defaults = {
            "breaches_30d": 0,
            "breached_open": 0,
            "at_risk_now": 0,
            "open_high": 0,
            "license_days_left": 365,
            "has_signature_in_flight": False,
        }
        self.__dict__.update(defaults | figures)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({}, Health("ok", [])),
        (
            {"breaches_30d": 2, "at_risk_now": 1, "open_high": 3, "license_days_left": 45},
            Health(
                "danger",
                [
                    "2 breaches in 30 days",
                    "1 at risk now",
                    "3 open S1/S2",
                    "license ends in 45 days",
                ],
            ),
        ),
        ({"license_days_left": 61}, Health("ok", [])),
        ({"license_days_left": 60}, Health("warn", ["license ends in 60 days"])),
        ({"license_days_left": 0}, Health("warn", ["license ends today"])),
        ({"license_days_left": -1}, Health("danger", ["license ended 1 day ago"])),
        ({"has_signature_in_flight": True}, Health("ok", ["signature change in progress"])),
    ],
)
def test_it_words_the_health_line(figures, expected):
    assert health_of(_Row(**figures)) == expected


def test_it_words_durations_like_the_queue():
    assert duration_text(None) == "—"
    assert duration_text(25 * 60) == "25 min"
    assert duration_text(3 * 3600 + 10 * 60) == "3 h 10 min"
    assert license_text(1) == "license ends in 1 day"


# --- Access to an account's dashboard ------------------------------------------------------


@pytest.mark.parametrize("who", ["tam", "admin"])
def test_the_accounts_tam_and_admins_open_the_dashboard(client, personas, company_a, who):
    assert get(client, personas[who], account_url(company_a)).status_code == 200


def test_engineers_do_not_open_account_dashboards(client, engineer, company_a):
    assert get(client, engineer, account_url(company_a)).status_code == 403
    assert get(client, engineer, PORTFOLIO).status_code == 403


def test_another_tams_account_is_404(client, other_tam, company_a):
    assert get(client, other_tam, account_url(company_a)).status_code == 404
    assert get(client, other_tam, "/tam/accounts/999999/").status_code == 404


def test_contacts_and_experts_are_refused(client, contact_a, contact_b, expert, company_a):
    assert get(client, contact_a, account_url(company_a)).status_code == 403
    assert get(client, expert, account_url(company_a)).status_code == 403
    # Another company's contact cannot even learn that the account exists.
    assert get(client, contact_b, account_url(company_a)).status_code == 404


# --- The figures ----------------------------------------------------------------------------


def test_the_dashboard_shows_the_exact_figures_of_a_known_history(client, tam, known):
    response = get(client, tam, account_url(known))
    assert response.status_code == 200
    html = response.content.decode()
    page = text(html)
    # Compliance (responded in time / responded): 5 of 6 over 30 days, 6 of 9 over 90 days.
    assert '<p class="tile-value" id="compliance-30d">83.3 %</p>' in html
    assert '<p class="tile-value" id="compliance-90d">66.7 %</p>' in html
    assert "6 tickets responded" in page
    assert "9 tickets responded" in page
    assert '<p class="tile-value" id="breaches-30d">2</p>' in html
    assert '<p class="tile-value" id="breaches-90d">4</p>' in html
    assert '<p class="tile-value" id="open-total">5</p>' in html
    # Named contacts used, with names and last activity.
    assert '<p class="tile-value" id="contacts-used">1 / 8</p>' in html
    contact = known.contacts.get().user
    assert contact.full_name in page
    assert '<span class="last-activity">never</span>' in html
    # Time to first response per severity, last 90 days.
    assert (cell(html, 'data-severity="1"', "median"), cell(html, 'data-severity="1"', "p90")) == (
        "25 min",
        "37 min",
    )
    assert (cell(html, 'data-severity="2"', "median"), cell(html, 'data-severity="2"', "p90")) == (
        "3 h",
        "7 h 20 min",
    )
    assert cell(html, 'data-severity="3"', "median") == "2 h"
    assert cell(html, 'data-severity="4"', "median") == "—"
    # Open tickets by severity and by status.
    open_sev = re.search(r'<table class="data open-by-severity">(.*?)</table>', html, re.S).group(1)
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", open_sev)] == [1, 2, 1, 1]
    open_st = re.search(r'<table class="data open-by-status">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'data-status="(\w+)">.*?<td>(\d+)</td>', open_st) == [
        ("new", "2"),
        ("open", "2"),
        ("waiting_on_customer", "1"),
    ]
    # License and plan.
    assert "Enhanced Premium Support" in page
    assert "The license ends soon." not in page


def test_the_chart_data_is_the_dashboards_weekly_trend_and_has_a_table(client, tam, known):
    html = get(client, tam, account_url(known)).content.decode()
    data = re.search(r'<script id="weekly-data" type="application/json">(.*?)</script>', html, re.S)
    assert data, "the chart data is embedded with json_script"
    weekly = json.loads(data.group(1))
    expected = dashboard_for(known, NOW).weekly
    assert [{k: w[k] for k in expected[0]} for w in weekly] == expected
    assert [w["label"] for w in weekly][-2:] == ["June 22", "June 29"]
    assert 'id="weekly-chart"' in html
    assert 'data-label-filed="Tickets filed"' in html
    # The table fallback: 12 weeks, open until the script has drawn the chart.
    assert '<details class="chart-table" open>' in html
    assert len(re.findall(r'<tr data-week="\d{4}-\d\d-\d\d">', html)) == 12
    last_week = re.search(r'<tr data-week="2026-06-22">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", last_week) == ["3", "3", "3", "100.0 %"]


def test_the_chart_library_is_served_locally_and_no_script_is_inline(client, tam, known):
    html = get(client, tam, account_url(known)).content.decode()
    assert '<script src="/static/js/chart.umd.js" defer></script>' in html
    assert '<script src="/static/js/tam-dashboard.js" defer></script>' in html
    assert not re.search(r"<script[^>]+src=\"(https?:)?//", html)  # no CDN
    for tag in re.findall(r"<script\b[^>]*>", html):
        # Every script is a file, or data (json_script) that browsers never run.
        assert "src=" in tag or 'type="application/json"' in tag, tag
    js = Path(settings.BASE_DIR, "static/js")
    vendored = (js / "chart.umd.js").read_text()
    assert vendored.startswith("/*!\n * Chart.js v4.")
    assert "Released under the MIT License" in vendored[:300]
    assert "Permission is hereby granted" in (js / "chart.LICENSE.txt").read_text()


def test_no_responses_show_a_dash_not_zero(client, tam, company_a):
    page = text(get(client, tam, account_url(company_a)).content.decode())
    assert "SLA compliance, 30 days — no responses yet" in page
    assert "SLA compliance, 90 days — no responses yet" in page
    assert "0.0 %" not in page


@pytest.mark.parametrize(
    ("days", "warning", "shown"),
    [
        (90, False, "license ends in 90 days"),
        (60, True, "The license ends soon."),
        (-3, True, "The license is not valid."),
    ],
)
def test_it_warns_about_a_license_ending_within_60_days_or_ended(client, tam, days, warning, shown):
    company = CompanyFactory(tam=tam, license_valid_until=NOW.date() + timedelta(days=days))
    html = get(client, tam, account_url(company)).content.decode()
    assert shown in text(html)
    assert ("license-alert" in html) is warning
    assert ('class="license-badge license-warning"' in html) is warning


def test_the_standard_plan_shows_its_own_limit(client, admin):
    company = CompanyFactory(license="standard", plan=Plan.objects.get(code="standard"))
    ContactFactory(company=company)
    html = get(client, admin, account_url(company)).content.decode()
    assert '<p class="tile-value" id="contacts-used">1 / 4</p>' in html


def test_it_links_the_signature_requests_in_flight(client, tam, company_a, contact_a):
    def signature(status):
        ticket = file_ticket(contact_a, kind="signature_change")
        return SignatureRequest.objects.create(
            ticket=ticket,
            type="false_positive",
            database_version="2026.06.29.01",
            sha256="a" * 64,
            status=status,
        )

    received = signature(SignatureStatus.RECEIVED)
    analysed = signature(SignatureStatus.IN_ANALYSIS)
    decided = signature(SignatureStatus.REJECTED)
    html = get(client, tam, account_url(company_a)).content.decode()
    assert f'href="/signature-requests/{received.pk}/"' in html
    assert f'href="/signature-requests/{analysed.pk}/"' in html
    assert f'href="/signature-requests/{decided.pk}/"' not in html


def test_the_page_costs_the_same_queries_for_10_or_100_tickets(
    client, tam, company_a, contact_a, engineer, django_assert_num_queries
):
    def fill(n: int) -> None:
        for i in range(n):
            history(
                contact_a,
                engineer,
                days_ago=i % 80 + 1,
                severity=i % 4 + 1,
                answer_after=timedelta(minutes=15) if i % 3 else None,
            )

    client.force_login(tam)
    fill(10)
    ProactiveNote.objects.create(company=company_a, author=tam, title="t", body="b")
    # session, user, the company (access_company_dashboard: plan, TAM, contact count), then
    # dashboard_for's ten: contacts, open counts, SLA counts, percentiles, weekly filed,
    # weekly answered, signature requests in flight, notes (with authors), update compliance
    # (SPEC §12), time to acknowledge pages (SPEC §11); and the reports card's months (the
    # account's first ticket)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(14):
        assert client.get(account_url(company_a)).status_code == 200
    fill(90)
    ContactFactory(company=company_a)
    ProactiveNote.objects.create(company=company_a, author=tam, title="t2", body="b2")
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(14):
        assert client.get(account_url(company_a)).status_code == 200


# --- Proactive notes ------------------------------------------------------------------------


def post_note(client, user, company, **fields):
    data = {
        "title": "Upgrade to 12.2",
        "body": "Fixes the scanner stops.",
        "follow_up_on": "",
        **fields,
    }
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.post(notes_url(company), data)


def test_the_tam_writes_notes_and_contacts_read_only_the_shared_ones(
    client, tam, company_a, contact_a, contact_b
):
    response = post_note(
        client,
        tam,
        company_a,
        title="Plan the 12.2 upgrade",
        body="The scanner fix ships in 12.2.\nWe can help.",
        follow_up_on="2026-07-15",
        shared="on",
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tam/accounts/{company_a.pk}/#notes"
    assert (
        post_note(
            client, tam, company_a, title="Churn risk", body="Unhappy with S2 times."
        ).status_code
        == 302
    )

    shared, internal = (
        ProactiveNote.objects.get(title="Plan the 12.2 upgrade"),
        ProactiveNote.objects.get(title="Churn risk"),
    )
    assert (shared.shared, shared.author, str(shared.follow_up_on)) == (True, tam, "2026-07-15")
    assert (internal.shared, internal.follow_up_on) == (False, None)

    with time_machine.travel(NOW, tick=False):
        page = client.get(account_url(company_a)).content.decode()
    assert "Note “Churn risk” added (internal)." in page  # the message after the redirect
    notes = re.findall(
        r'<li class="note( note-shared)?" data-note="\d+">.*?<h3 class="note-title">'
        r"([^<]*)</h3>",
        page,
        re.S,
    )
    assert notes == [("", "Churn risk"), (" note-shared", "Plan the 12.2 upgrade")]
    assert "Shared with the customer" in page
    assert "Internal" in page
    assert "July 15, 2026" in page  # the follow-up date

    tickets = text(get(client, contact_a, "/tickets/").content.decode())
    assert "Notes from your Technical Account Manager" in tickets
    assert "Plan the 12.2 upgrade" in tickets
    assert "We can help." in tickets
    assert "Churn risk" not in tickets
    assert "Unhappy" not in tickets
    other = text(get(client, contact_b, "/tickets/").content.decode())
    assert "Plan the 12.2 upgrade" not in other
    assert "Notes from your Technical Account Manager" not in other


def test_contacts_see_the_latest_five_shared_notes(client, tam, company_a, contact_a):
    for i in range(7):
        with time_machine.travel(NOW + timedelta(minutes=i), tick=False):
            ProactiveNote.objects.create(
                company=company_a, author=tam, title=f"Shared {i}", body="b", shared=True
            )
    html = get(client, contact_a, "/tickets/").content.decode()
    titles = re.findall(r'<h4 class="note-title">([^<]*)</h4>', html)
    assert titles == ["Shared 6", "Shared 5", "Shared 4", "Shared 3", "Shared 2"]


def test_bad_note_input_is_shown_on_the_page(client, tam, company_a):
    response = post_note(client, tam, company_a, title="   ", body="", follow_up_on="someday")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the errors below." in html
    assert html.count("This field is required.") == 2
    assert "Enter a valid date." in html
    assert 'name="follow_up_on" value="someday"' in html  # the input is kept
    assert not ProactiveNote.objects.exists()


def test_an_admin_writes_notes_too(client, admin, company_a):
    assert post_note(client, admin, company_a).status_code == 302
    assert ProactiveNote.objects.get().author == admin


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("other_tam", 404),  # another TAM's account does not exist for them
        ("engineer", 403),  # account pages are for the account's TAM and admins
        ("expert", 403),
        ("contact_a", 403),
        ("contact_b", 404),
    ],
)
def test_only_the_accounts_tam_or_an_admin_posts_notes(client, personas, company_a, who, status):
    assert post_note(client, personas[who], company_a).status_code == status
    assert not ProactiveNote.objects.exists()


def test_the_form_is_there_for_those_who_may_write(client, admin, tam, company_a):
    form = f'action="{notes_url(company_a)}#note-form"'
    assert form in get(client, admin, account_url(company_a)).content.decode()
    assert form in get(client, tam, account_url(company_a)).content.decode()


def test_notes_only_take_posts(client, tam, company_a):
    assert get(client, tam, notes_url(company_a)).status_code == 405


def test_a_deactivated_contact_is_shown_struck_through_with_their_last_activity(
    client, tam, company_a
):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        person = UserFactory(role="contact", full_name="Dora Active")
        ContactFactory(company=company_a, user=person)
        client.force_login(person)  # sets last_login
    ContactFactory(
        company=company_a, is_active=False, user=UserFactory(role="contact", full_name="Ed Gone")
    )
    html = get(client, tam, account_url(company_a)).content.decode()
    assert '<p class="tile-value" id="contacts-used">1 / 8</p>' in html
    assert "Dora Active" in html
    assert "Ed Gone" in html
    assert '<li class="inactive">' in html
    # Dora's last sign-in, in the one format of lists (issue #16: one format per context).
    assert "Jun 27, 2026" in html
