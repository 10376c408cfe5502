"""The engineers' queue page, /queue/: the order of SPEC §5 exactly as ``queue_for`` gives it,
the time-left texts and their colours, filters in the query string (kept by pagination and the
htmx poll), the htmx partial, access, bad input, a flat query budget, and pt-BR."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from tests import test_queue
from tests.factories import file_ticket
from tickets import services
from tickets.models import Ticket
from tickets.presentation import format_duration
from tickets.queue.presentation import deadline_for, time_left_text
from tickets.queue.selectors import queue_for

pytestmark = pytest.mark.django_db

#: The SPEC §5 fixture of the API tests: both tiers, every severity, breached, at risk, on
#: track and responded tickets, filed between T0 - 500 min and T0 + 95 min.
mixed_queue = test_queue.mixed_queue
NOW = test_queue.NOW
QUEUE = "/queue/"

ROW = re.compile(
    r'<tr class="queue-row due-row-(?P<tone>\w+)" data-ticket="(?P<pk>\d+)">'
    r"(?P<body>.*?)</tr>",
    re.S,
)


def rows(html: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in ROW.finditer(html)]


def subjects(html: str) -> list[str]:
    pks = [int(row["pk"]) for row in rows(html)]
    by_pk = Ticket.objects.in_bulk(pks)
    return [by_pk[pk].subject for pk in pks]


def row_of(html: str, subject: str) -> dict[str, str]:
    pk = str(Ticket.objects.get(subject=subject).pk)
    return next(row for row in rows(html) if row["pk"] == pk)


def due_text(row: dict[str, str]) -> str:
    match = re.search(r'<span class="due due-\w+"[^>]*>([^<]*)</span>', row["body"])
    assert match, row["body"]
    return match.group(1)


def get(client, user, params=None, **headers):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(QUEUE, params or {}, **headers)


# --- The time-left text: pure ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (25 * 60, "in 25 min"),
        (3 * 3600 + 10 * 60, "in 3 h 10 min"),
        (3 * 3600 + 10 * 60 + 59, "in 3 h 10 min"),  # rounds down: never promises more time
        (3 * 3600, "in 3 h"),
        (60, "in 1 min"),
        (1, "in less than 1 min"),  # one second before the deadline
        (0, "breached less than 1 min ago"),  # exactly at it: breached, as sla_state says
        (-1, "breached less than 1 min ago"),
        (-(2 * 3600 + 40 * 60), "breached 2 h 40 min ago"),
        (26 * 3600 + 5 * 60, "in 1 day 2 h"),
        (-48 * 3600, "breached 2 days ago"),
    ],
)
def test_it_says_how_long_is_left_or_since_when_it_is_breached(seconds, text):
    with translation.override("en"):
        assert time_left_text(seconds) == text


def test_it_says_it_in_portuguese():
    with translation.override("pt-br"):
        assert time_left_text(3 * 3600 + 10 * 60) == "em 3 h 10 min"
        assert time_left_text(-(2 * 3600 + 40 * 60)) == "estourado há 2 h 40 min"
        assert format_duration(2 * 86400) == "2 dias"
        assert format_duration(86400) == "1 dia"
        assert format_duration(30) == "menos de 1 min"


def _ticket(**fields) -> Ticket:
    due = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    values = {"response_due_at": due, "response_warn_at": due - timedelta(hours=1)} | fields
    return Ticket(**values)


def test_it_tells_responded_tickets_apart_without_a_clock():
    now = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    met = deadline_for(_ticket(first_response_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC)), now)
    late = deadline_for(_ticket(first_response_at=datetime(2026, 3, 2, 12, 30, tzinfo=UTC)), now)
    with translation.override("en"):
        assert (met.tone, str(met.text)) == ("responded", "responded")
        assert (late.tone, str(late.text)) == ("responded", "responded late")


def test_it_keeps_a_recorded_breach_red_when_the_deadline_moved_later():
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with translation.override("en"):
        moved = deadline_for(_ticket(response_breached_at=now - timedelta(hours=1)), now)
        assert (moved.tone, moved.text) == ("breached", "breached; now due in 2 h")
        at_risk = deadline_for(_ticket(), datetime(2026, 3, 2, 11, 30, tzinfo=UTC))
        assert (at_risk.tone, at_risk.text) == ("at_risk", "in 30 min")


# --- The page --------------------------------------------------------------------------------


def test_it_shows_the_rows_in_exactly_the_queue_order(client, engineer, mixed_queue):
    response = get(client, engineer)
    assert response.status_code == 200
    html = response.content.decode()
    assert subjects(html) == mixed_queue
    expected = list(queue_for(engineer, None, NOW).values_list("pk", flat=True))
    assert [int(row["pk"]) for row in rows(html)] == expected


def test_it_shows_the_time_left_and_its_colour(client, engineer, mixed_queue):
    html = get(client, engineer).content.decode()
    expected = {
        "e-breached-s2": ("breached", "breached 2 h 40 min ago"),  # due T0-60, now T0+100
        "s-breached-s1": ("breached", "breached 3 h ago"),
        "e-on-track-s1": ("on_track", "in 25 min"),  # due T0+125
        "e-on-track-s4": ("on_track", "in 7 h 50 min"),  # due T0+570
        "e-at-risk-s3": ("at_risk", "in 1 h"),  # due T0+160, warned at +70
        "e-responded-s1": ("responded", "responded"),
    }
    for subject, (tone, text) in expected.items():
        row = row_of(html, subject)
        assert (row["tone"], due_text(row)) == (tone, text), subject
        assert f'class="due due-{tone}"' in row["body"]
    assert "At risk" in row_of(html, "e-at-risk-s3")["body"]  # not told by colour alone


def test_it_shows_every_column_of_a_row(client, engineer, mixed_queue):
    ticket = Ticket.objects.get(subject="e-breached-s2")
    html = get(client, engineer).content.decode()
    body = row_of(html, "e-breached-s2")["body"]
    assert f'href="/tickets/{ticket.pk}/"' in body
    assert ticket.number in body
    assert ticket.company.name in body
    assert re.search(r'<span class="plan-badge plan-enhanced"[^>]*>Enhanced</span>', body)
    assert '<span class="sev-badge sev-2">2 – High</span>' in body
    assert ticket.requester.full_name in body
    assert "Unassigned" in body
    assert "New" in body
    standard = row_of(html, "s-breached-s1")["body"]
    assert re.search(r'<span class="plan-badge plan-standard"[^>]*>Standard</span>', standard)


def test_it_shows_the_assignee_and_offers_take_only_when_unassigned(client, engineer, mixed_queue):
    ticket = Ticket.objects.get(subject="e-tie-s2")
    services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
    html = get(client, engineer).content.decode()
    taken = row_of(html, "e-tie-s2")["body"]
    assert engineer.full_name in taken
    assert "Unassigned" not in taken
    assert "/take/" not in taken
    free = row_of(html, "e-tie-s3")["body"]
    pk = Ticket.objects.get(subject="e-tie-s3").pk
    assert f'action="/tickets/{pk}/take/"' in free
    assert 'name="csrfmiddlewaretoken"' in free


def test_it_links_to_logging_a_phone_call(client, engineer):
    html = get(client, engineer).content.decode()
    assert 'href="/tickets/phone/"' in html
    assert 'href="/queue/" aria-current="page"' in html  # the nav link


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"severity": "1"}, ["e-breached-s1", "e-on-track-s1", "e-responded-s1", "s-breached-s1"]),
        ({"q": "tie"}, ["e-tie-s2", "e-tie-s3"]),
        ({"q": "RESPONDED-S3"}, ["e-responded-s3-old", "e-responded-s3-new"]),
        ({"status": "resolved"}, ["e-resolved"]),
    ],
)
def test_it_filters(client, engineer, mixed_queue, params, expected):
    html = get(client, engineer, params).content.decode()
    assert subjects(html) == expected


def test_it_finds_a_ticket_by_its_number(client, engineer, mixed_queue):
    ticket = Ticket.objects.get(subject="e-tie-s3")
    assert subjects(get(client, engineer, {"q": ticket.number}).content.decode()) == ["e-tie-s3"]
    assert subjects(get(client, engineer, {"q": str(ticket.pk)}).content.decode()) == ["e-tie-s3"]


def test_it_filters_mine_and_unassigned(client, engineer, mixed_queue):
    mine = ["e-at-risk-s3", "s-responded-s2"]
    for subject in mine:
        services.ticket_change(
            ticket=Ticket.objects.get(subject=subject), actor=engineer, assignee=engineer
        )
    assert subjects(get(client, engineer, {"assignee": "mine"}).content.decode()) == mine
    unassigned = subjects(get(client, engineer, {"assignee": "unassigned"}).content.decode())
    assert unassigned == [s for s in mixed_queue if s not in mine]
    assert subjects(get(client, engineer, {"assignee": "anyone"}).content.decode()) == mixed_queue


def test_it_filters_by_company_and_kind_and_shows_them_selected(
    client, engineer, mixed_queue, company_a
):
    html = get(
        client, engineer, {"company": str(company_a.pk), "kind": "incident"}
    ).content.decode()
    assert subjects(html) == [s for s in mixed_queue if s.startswith("e-")]
    assert f'<option value="{company_a.pk}" selected>Company A</option>' in html
    assert '<option value="incident" selected>' in html
    assert subjects(get(client, engineer, {"kind": "service_request"}).content.decode()) == []


def test_it_keeps_the_filters_in_the_pagination_and_poll_links(client, engineer, contact_a):
    for n in range(52):
        file_ticket(contact_a, severity=1, subject=f"Disk full {n}")
    file_ticket(contact_a, severity=2, subject="Disk full, but high")
    file_ticket(contact_a, severity=1, subject="Something else")
    params = {"severity": "1", "assignee": "unassigned", "q": "disk full"}

    first = get(client, engineer, params).content.decode()
    assert len(rows(first)) == 50
    assert "52 tickets" in first
    query = "severity=1&amp;assignee=unassigned&amp;q=disk+full"
    assert f'<a rel="next" href="/queue/?{query}&amp;page=2">' in first
    assert f'hx-get="/queue/?{query}"' in first
    assert 'value="disk full"' in first  # the form shows the filters in use

    second = get(client, engineer, params | {"page": "2"}).content.decode()
    assert len(rows(second)) == 2
    assert f'<a rel="prev" href="/queue/?{query}">' in second
    assert f'hx-get="/queue/?{query}&amp;page=2"' in second
    assert "Page 2 of 2" in second
    # An impossible page number shows the last page rather than failing.
    assert len(rows(get(client, engineer, params | {"page": "99"}).content.decode())) == 2


def test_it_answers_an_htmx_poll_with_only_the_results(client, engineer, mixed_queue):
    response = get(client, engineer, {"q": "tie"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="queue-results"')
    assert "<html" not in html
    assert 'name="severity"' not in html  # no filter form
    assert subjects(html) == ["e-tie-s2", "e-tie-s3"]
    assert 'hx-get="/queue/?q=tie"' in html
    assert "HX-Request" in response["Vary"]


def test_the_full_page_polls_itself_with_a_local_htmx(client, engineer):
    html = get(client, engineer).content.decode()
    assert '<script src="/static/js/htmx.min.js" defer></script>' in html
    assert 'hx-trigger="every 30s"' in html
    assert 'hx-swap="outerHTML"' in html
    assert not re.search(r"<script[^>]+src=\"(https?:)?//", html)  # no CDN
    assert 'href="/queue/">Refresh now</a>' in html  # and a manual refresh without JS
    assert 'class="skip-link" href="#queue-results"' in html
    vendored = Path(settings.BASE_DIR, "static/js/htmx.min.js").read_text()
    assert vendored.startswith("/*! htmx 2.")
    assert "Zero-Clause BSD" in vendored.splitlines()[0]


def test_it_forbids_contacts(client, contact_a):
    assert get(client, contact_a).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(QUEUE, {"severity": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/queue/%3Fseverity%3D1"


def test_it_reloads_the_page_when_a_poll_finds_the_session_ended(client):
    response = client.get(QUEUE, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


def test_it_explains_bad_filters_and_applies_the_good_ones(client, engineer, mixed_queue):
    response = get(
        client, engineer, {"severity": "9", "assignee": "bob", "company": "acme", "q": "tie"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters were not understood and are not applied" in html
    assert "Severity: Ensure this value is less than or equal to 4." in html
    assert "Assignee: &quot;bob&quot; is not a valid choice." in html
    assert "Company: A valid integer is required." in html
    assert subjects(html) == ["e-tie-s2", "e-tie-s3"]
    assert 'hx-get="/queue/?q=tie"' in html  # the poll drops what was refused


def test_it_costs_the_same_queries_for_5_or_50_tickets(
    client, engineer, contact_a, django_assert_num_queries
):
    client.force_login(engineer)
    for _ in range(5):
        file_ticket(contact_a)
    # 1 session, 2 the signed-in user, 3 count of the queue, 4 the page of tickets joined with
    # company, plan, requester and assignee, 5 the companies of the company filter.
    with django_assert_num_queries(5):
        assert len(rows(client.get(QUEUE).content.decode())) == 5
    for _ in range(45):
        file_ticket(contact_a)
    with django_assert_num_queries(5):
        assert len(rows(client.get(QUEUE).content.decode())) == 50
    # The htmx poll skips the filter form, so it saves the companies query.
    with django_assert_num_queries(4):
        assert len(rows(client.get(QUEUE, HTTP_HX_REQUEST="true").content.decode())) == 50


def test_it_speaks_brazilian_portuguese(client, engineer, mixed_queue):
    response = get(client, engineer, HTTP_ACCEPT_LANGUAGE="pt-br")
    html = response.content.decode()
    for header in (
        "Número",
        "Primeira resposta",
        "Severidade",
        "Assunto",
        "Empresa",
        "Solicitante",
        "Responsável",
        "Situação",
    ):
        assert f'<th scope="col">{header}</th>' in html, header
    assert "Fila de prioridade" in html
    assert "estourado há 2 h 40 min" in html
    assert "em 25 min" in html
    assert "Sem responsável" in html
    assert re.search(r'class="plan-badge plan-enhanced"[^>]*>Avançado</span>', html)


def test_a_row_says_everything_in_the_viewers_language_with_addresses_built_once(
    client, engineer, mixed_queue
):
    """The row's texts are worked out in Python once per page (``queue_rows``); what the row
    says is the same as when the template worked each out."""
    ticket = Ticket.objects.get(subject="e-tie-s3")
    Ticket.objects.filter(pk=ticket.pk).update(updates_missed=2)
    for language, missed, plan, take in (("en", "2 missed", "Plan", "Take"),
                                         ("pt-br", "2 perdidas", "Plano", "Assumir")):
        html = get(client, engineer, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        body = row_of(html, "e-tie-s3")["body"]
        assert f'href="/tickets/{ticket.pk}/"' in body
        assert '<span class="updates-missed" title="' in body
        assert f">{missed}</span>" in body
        with translation.override(language):
            assert f'title="{plan}: {ticket.plan.label}"' in body
        assert f'action="/tickets/{ticket.pk}/take/"' in body
        assert '<input type="hidden" name="next" value="/queue/">' in body
        assert f">{take}<span" in body
        with translation.override(language):
            assert f'title="{deadline_for(ticket, NOW).state_label} · ' in body
    # Every take button carries the CSRF field (one token for the page's rows).
    takes = [row["body"] for row in rows(html) if 'class="q-take"' in row["body"]]
    assert len(takes) > 1
    assert all(re.search(r'name="csrfmiddlewaretoken" value="\w+"', body) for body in takes)


def test_the_rows_escape_what_customers_and_staff_typed(client, engineer, contact_a):
    """The rows are rendered by Jinja2 (templates/jinja2/queue/_rows.html): autoescaped like
    every Django template, whatever a subject, a company or a person's name holds."""
    hostile = '<script>alert("x")</script> & \'quoted\''
    ticket = file_ticket(contact_a, subject=hostile)
    ticket.company.name = 'Acme <b>"Bold"</b>'
    ticket.company.save(update_fields=["name"])
    contact_a.full_name = "<img src=x onerror=alert(1)>"
    contact_a.save(update_fields=["full_name"])
    html = get(client, engineer).content.decode()
    row = re.search(rf'<tr class="queue-row[^"]*" data-ticket="{ticket.pk}">(.*?)</tr>', html,
                    re.S)
    assert row is not None
    body = row.group(1)
    for raw in ("<script>", "<b>", "<img"):
        assert raw not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;" in body
    assert "Acme &lt;b&gt;&#34;Bold&#34;&lt;/b&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # The take form keeps its one CSRF field, not an escaped copy of it.
    assert body.count('<input type="hidden" name="csrfmiddlewaretoken"') == 1
