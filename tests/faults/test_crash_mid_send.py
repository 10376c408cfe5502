"""A worker killed between the SMTP send and recording it (defect 6 of the issue "Nothing lost,
nothing late"). The SMTP server accepts the message and holds back its answer; the worker is
``kill -9``'d while it waits. The row stays claimed only for the stale-claim window (4 SMTP
timeouts, not 10 minutes); a new worker then sends it again with the same Message-ID, so the
customer's mail client threads the rare duplicate as one message."""

import time

import pytest

from tests.factories import file_ticket
from tests.faults.conftest import wait_until
from tickets.models import OutboundEmail

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_a_send_cut_short_by_a_crash_is_retried_after_the_stale_window_with_one_message_id(
    portal, smtp, people, scale, report
):
    smtp.delay = 600  # accepted, never acknowledged while this worker lives
    portal.worker("worker-mail", "mail,celery", concurrency=1)
    portal.beat()
    ticket = file_ticket(people["contacts"][0])
    assert wait_until(lambda: len(smtp.received()) == 1, 60), portal.log("worker-mail")[-3000:]
    row = OutboundEmail.objects.get(ticket=ticket)
    assert row.claimed_at is not None
    assert row.sent_at is None

    portal.kill("worker-mail")
    killed_at = time.time()
    smtp.delay = 0
    portal.worker("worker-mail-2", "mail,celery", concurrency=1)
    window = 4 * scale.email_timeout
    resent = wait_until(lambda: OutboundEmail.objects.filter(pk=row.pk, sent_at__isnull=False)
                        .exists(), window + 60)
    resent_after = time.time() - killed_at
    copies = smtp.received()
    row.refresh_from_db()
    figures = {"stale_claim_window_s": window, "resent_after_kill_s": round(resent_after, 1),
               "copies_received": len(copies),
               "distinct_message_ids": len({m.message_id for m in copies}),
               "attempts": row.attempts}
    report(**figures)
    assert resent, (figures, portal.log("worker-mail-2")[-3000:])
    assert resent_after <= window + scale.email_sweep_seconds + 10, figures
    assert len(copies) == 2, figures
    assert len({m.message_id for m in copies}) == 1, figures
    assert copies[0].message_id == f"<ts-{ticket.pk}@portal.example.com>"
