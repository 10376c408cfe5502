"""Redis down during ticket creation (defect 3 of the issue "Nothing lost, nothing late").

gunicorn serves the API while clients file tickets without pause; the private Redis (broker
and cache) is killed for ``REDIS_OUTAGE_SECONDS`` and started again empty, as a crashed broker
comes back. No filing fails, and every acknowledgement is delivered within 2 minutes of Redis
returning: beat's sweep finds the outbox rows whose nudge was lost and drains them at full
speed.
"""

import statistics
import threading
import time

import pytest

from accounts.services import token_for
from tests.faults.conftest import wait_until
from tests.faults.http import post_json
from tests.smtp_fault_server import free_port
from tickets.models import EventKind, OutboundEmail

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

DELIVERED_WITHIN = 120.0  # seconds after Redis returns
CLIENTS = 3


def test_no_filing_fails_and_every_acknowledgement_goes_out_after_redis_returns(
    portal, smtp, redis_server, people, scale, report
):
    port = free_port()
    portal.gunicorn(port, workers=2, threads=2)
    portal.worker("worker-sla", "sla", concurrency=1)
    portal.worker("worker-mail", "mail,celery", concurrency=2)
    portal.beat()
    tokens = [token_for(c).key for c in people["contacts"]]

    results: list[tuple[float, int, int | None, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            answer = post_json(port, "/api/v1/tickets/", {
                "subject": f"Filed by client {n} #{i}", "description": "Scanner stops.",
                "severity": 2}, token=tokens[(n + i) % len(tokens)])
            body = answer.json() if answer.status == 201 else None
            with lock:
                results.append((time.time(), answer.status, body and body["id"],
                                answer.error or ("" if answer.status == 201
                                                 else answer.body[:200].decode(errors="replace"))))
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        redis_server.stop()
        t_down = time.time()
        time.sleep(scale.redis_outage_seconds)
        redis_server.start()
        t_up = time.time()
        time.sleep(3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    ids = [r[2] for r in results if r[1] == 201]
    acks = OutboundEmail.objects.filter(ticket_id__in=ids, event__kind=EventKind.CREATED)
    delivered = wait_until(lambda: not acks.filter(sent_at__isnull=True).exists(),
                           DELIVERED_WITHIN + 30, interval=0.5)
    by_id = {m.message_id: m.at for m in smtp.received()}
    during = [r for r in results if t_down <= r[0] <= t_up]
    waited = [by_id.get(f"<ts-{r[2]}@portal.example.com>", float("inf")) - t_up
              for r in results if r[1] == 201 and r[0] <= t_up]
    waited = [w for w in waited if w > 0] or [0.0]
    failures = [r for r in results if r[1] != 201]
    figures = {
        "redis_outage_seconds": scale.redis_outage_seconds,
        "filings": len(results), "filings_during_outage": len(during),
        "failed_filings": len(failures), "acknowledgements": acks.count(),
        "acknowledgements_delivered": acks.filter(sent_at__isnull=False).count(),
        "last_ack_after_redis_returned_s": round(max(waited), 1),
        "median_ack_after_redis_returned_s": round(statistics.median(waited), 1),
    }
    report(**figures)
    assert not failures, failures[:5]
    assert len(during) > 0
    assert delivered, (figures, portal.log("worker-mail")[-3000:], portal.log("beat")[-2000:])
    assert max(waited) <= DELIVERED_WITHIN, figures
