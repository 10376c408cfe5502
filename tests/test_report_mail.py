"""The monthly review by e-mail (SPEC §15): which month is due where, who receives it, exactly
once under repeated and concurrent runs, and the PDF that delivery attaches, sent through a real
SMTP server."""

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction

from accounts.models import Company
from tests.factories import CompanyFactory, ContactFactory
from tests.report_history import june_history, local
from tests.smtp_sink import pdf_attachments, smtp_sink
from tests.test_reports import pdf_text
from tickets.models import OutboundEmail, ReportDelivery
from tickets.notifications.delivery import deliver_outbox
from tickets.reports.services import _claim_and_write, due_reviews, monthly_reviews_send

#: 23:30 on 30 June in São Paulo, 14:30 on 1 July in Auckland.
MOMENT = datetime(2026, 7, 1, 2, 30, tzinfo=UTC)
JUNE = date(2026, 6, 1)
#: Just past 00:00 on 1 July in São Paulo.
AFTER = local(7, 1, 0, 5)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def account(company_a, tam):
    """Company A in São Paulo since January, with three contacts: one opted in (reads
    Portuguese), one not, one opted in but deactivated."""
    Company.objects.filter(pk=company_a.pk).update(timezone="America/Sao_Paulo",
                                                   created_at=LONG_AGO)
    company_a.refresh_from_db()
    opted = ContactFactory(company=company_a, user__monthly_report_opt_in=True,
                           user__language="pt-br").user
    ContactFactory(company=company_a)
    gone = ContactFactory(company=company_a, user__monthly_report_opt_in=True, is_active=False)
    return {"company": company_a, "tam": tam, "opted": opted, "gone": gone.user}


def report_emails(company):
    return OutboundEmail.objects.filter(report_company=company).order_by("pk")


@pytest.mark.django_db
def test_each_account_is_due_on_the_1st_of_its_own_clock():
    sao_paulo = CompanyFactory(timezone="America/Sao_Paulo")
    auckland = CompanyFactory(timezone="Pacific/Auckland")
    Company.objects.update(created_at=LONG_AGO)
    due = {d.company.pk: d.month for d in due_reviews(MOMENT)}
    assert due[sao_paulo.pk] == date(2026, 5, 1)  # still 30 June there
    assert due[auckland.pk] == JUNE
    due = {d.company.pk: d.month for d in due_reviews(MOMENT + timedelta(minutes=30))}
    assert due[sao_paulo.pk] == JUNE  # 00:00 on 1 July in São Paulo


@pytest.mark.django_db
def test_an_account_created_after_the_month_ended_has_no_review_yet():
    company = CompanyFactory(timezone="America/Sao_Paulo")
    Company.objects.filter(pk=company.pk).update(created_at=AFTER)
    assert company.pk not in {d.company.pk for d in due_reviews(AFTER + timedelta(hours=1))}


@pytest.mark.django_db
def test_it_writes_one_email_per_recipient_and_never_again(account):
    company, tam, opted = account["company"], account["tam"], account["opted"]
    assert monthly_reviews_send(AFTER) == 2
    emails = list(report_emails(company))
    assert {(e.to, e.language, e.report_month) for e in emails} == {
        (tam.email, "en", JUNE), (opted.email, "pt-br", JUNE)}
    by_to = {e.to: e for e in emails}
    assert by_to[tam.email].subject == "Service review of Company A: June 2026"
    assert by_to[opted.email].subject == "Revisão de serviço de Company A: Junho de 2026"
    assert "/reports/" in by_to[opted.email].body
    assert f"/tam/accounts/{company.pk}/#reports" in by_to[tam.email].body
    assert ReportDelivery.objects.filter(company=company, month=JUNE).count() == 2

    # Every later run of the month: nothing more.
    assert monthly_reviews_send(AFTER + timedelta(hours=1)) == 0
    assert monthly_reviews_send(AFTER + timedelta(days=9)) == 0
    # A contact who opts in later gets the latest review at the next run, once.
    late = ContactFactory(company=company, user__monthly_report_opt_in=True).user
    assert monthly_reviews_send(AFTER + timedelta(days=10)) == 1
    assert report_emails(company).filter(to=late.email).count() == 1
    assert monthly_reviews_send(AFTER + timedelta(days=11)) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_a_recipient_claimed_by_another_run_is_not_sent_twice(account):
    """The claim and the e-mail are one transaction: while one run holds the TAM's claim, a
    second run blocks on it, and once the first commits it gives up on the TAM."""
    company, tam = account["company"], account["tam"]
    held, release = threading.Event(), threading.Event()
    written: list[int] = []

    def first_run() -> None:
        try:
            with transaction.atomic():
                assert _claim_and_write(company, JUNE, tam)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def second_run() -> None:
        try:
            written.append(monthly_reviews_send(AFTER))
        finally:
            connection.close()

    first = threading.Thread(target=first_run)
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=second_run)
    second.start()
    time.sleep(1.0)
    assert second.is_alive(), "the second run should wait on the TAM's claim"
    release.set()
    first.join(10)
    second.join(10)
    assert written == [1]  # only the opted-in contact: the TAM was the first run's
    assert report_emails(company).count() == 2
    assert sorted(ReportDelivery.objects.values_list("recipient_id", flat=True)) == sorted(
        [tam.pk, account["opted"].pk])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_runs_at_once_send_each_review_once(account):
    start = threading.Barrier(2)
    written: list[int] = []

    def run() -> None:
        try:
            start.wait(10)
            written.append(monthly_reviews_send(AFTER))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(written) == 2
    assert report_emails(account["company"]).count() == 2
    assert ReportDelivery.objects.count() == 2


@pytest.mark.django_db
def test_delivery_attaches_the_pdf_in_the_readers_language(account, contact_a, engineer,
                                                           settings):
    company, tam, opted = account["company"], account["tam"], account["opted"]
    june_history(company, contact_a, engineer, tam)
    OutboundEmail.objects.update(sent_at=AFTER)  # the tickets' own e-mails are not under test
    monthly_reviews_send(AFTER)
    with smtp_sink() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        assert deliver_outbox() == 2
        assert sink.wait_for(2, timeout=10)
    messages = {m["To"]: m for m in sink.messages}
    assert set(messages) == {tam.email, opted.email}
    for to, title, compliance in [(tam.email, "Service review", "60.0 %"),
                                  (opted.email, "Revisão de serviço", "60,0 %")]:
        [(name, content)] = pdf_attachments(messages[to])
        assert name == "service-review-company-a-2026-06.pdf"
        pages, text = pdf_text(content)
        assert pages == 3
        assert title in text
        assert compliance in text
        assert "Churn risk" not in text
    assert report_emails(company).filter(sent_at__isnull=True).count() == 0
