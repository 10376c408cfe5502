"""The monthly review from real Celery workers and beats (SPEC §15): exactly once per (company,
month, recipient) with two beats running at once.

Nothing here calls the reports code. The account is committed to the test database; two worker
processes, each with its own embedded beat (``-B``) scanning every second, are started against
the real Redis broker, that database and a real SMTP server (aiosmtpd); the test only watches
the SMTP server and the database. Two beats is the misconfiguration the README warns about; it
must still send each review once.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Company, Role
from support_portal.celery import app
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.smtp_sink import pdf_attachments, smtp_sink
from tests.test_celery_worker import ROOT, _stop, _test_database_url
from tests.test_reports import pdf_text
from tickets.models import OutboundEmail, ReportDelivery
from tickets.reports.selectors import current_month, previous_month

DEADLINE = 90.0
#: After both e-mails arrived, the beats keep scanning this long (several runs each).
AFTERWARDS = 6.0


def _worker(name: str, env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
         "--pool", "solo", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--hostname", f"{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_beats_send_each_monthly_review_once_in_real_workers(tmp_path):
    assert connection.vendor == "postgresql"
    tam = UserFactory(role=Role.TAM)
    company = CompanyFactory(tam=tam, timezone="Pacific/Auckland")
    Company.objects.filter(pk=company.pk).update(created_at=timezone.now() - timedelta(days=90))
    opted = ContactFactory(company=company, user__monthly_report_opt_in=True).user
    ContactFactory(company=company)  # did not ask for it
    month = previous_month(current_month(company))

    app.control.purge()
    workers, logs = [], []
    with smtp_sink() as (sink, port):
        base = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CONN_MAX_AGE": "0",
            "MONTHLY_REVIEW_SCAN_SECONDS": "1",
            "SLA_SCAN_SECONDS": "3600",
            "DJANGO_SETTINGS_MODULE": "support_portal.settings",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
        ok = False
        try:
            for name in ("reports-a", "reports-b"):
                var = tmp_path / name  # each beat keeps its own schedule file
                var.mkdir()
                log_path = tmp_path / f"{name}.log"
                logs.append(log_path)
                workers.append(_worker(name, {**base, "PORTAL_VAR_DIR": str(var)},
                                       log_path.open("wb")))
            started = time.monotonic()
            arrived = sink.wait_for(2, timeout=DEADLINE)
            elapsed = time.monotonic() - started
            assert all(w.poll() is None for w in workers), "a worker died"
            assert arrived, f"the reviews did not arrive within {DEADLINE:.0f} s"
            print(f"both reviews arrived {elapsed:.1f} s after the workers started")
            time.sleep(AFTERWARDS)
            ok = True
        finally:
            for worker in workers:
                _stop(worker)
            if not ok:
                for log_path in logs:
                    print(log_path.read_text(errors="replace")[-6000:])

    outputs = [log_path.read_text(errors="replace") for log_path in logs]
    for output in outputs:  # both beats really ran the job, more than once
        assert output.count("Sending due task monthly-reviews") >= 3, output[-3000:]
    assert sorted(sink.recipients) == sorted([tam.email, opted.email])
    assert len(sink.messages) == 2
    for message in sink.messages:
        [(name, content)] = pdf_attachments(message)
        assert name.endswith(f"-{month:%Y-%m}.pdf")
        _pages, text = pdf_text(content)
        assert company.name in text
    assert ReportDelivery.objects.filter(company=company, month=month).count() == 2
    emails = OutboundEmail.objects.filter(report_company=company)
    assert emails.count() == 2
    assert all(e.sent_at is not None for e in emails)
