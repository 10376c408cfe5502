"""The fan-out of a major-incident update (SPEC §13): how long one update takes to reach N
linked tickets (default 1,000) as public replies, with one e-mail per requester.

    .venv/bin/python bench/incidents.py [--tickets 1000] [--batch 50] [--workers 2]
                                        [--redis-url redis://127.0.0.1:6379/7] [--keep-db]

1. (Re)creates the PostgreSQL database ``support_portal_bench_incidents`` on 127.0.0.1,
   migrates it in a subprocess and seeds N requesters (companies of eight named contacts), one
   open severity-1 ticket each, all linked to one incident.
2. **Posting** (what the staff member's request does): ``incident_post_update`` — the update,
   the incident's status and one delivery row per linked ticket in one transaction, timed.
3. **In process**: ``services.fan_out`` posts that first update to every ticket, batch after
   batch (``--batch`` tickets per transaction), timed, with its query count: per ticket the
   public reply, its first response and update cadence, the delivery mark, the requester's
   claimed e-mail, bell and outbox rows. The broker nudges are counted, not sent.
4. **Real workers**: a second update is posted and ``--workers`` Celery worker processes
   (prefork, against ``--redis-url``, e-mail to Django's in-memory backend) fan it out; the
   time from the post until every reply is posted and every e-mail is handed to the mail
   backend.
5. Drops the database (unless ``--keep-db``) and prints the figures as JSON.

``measure(...)`` is the function ``make bench`` calls; ``main`` is this file's command line.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402

DB_NAME = "support_portal_bench_incidents"
CONTACTS_PER_COMPANY = 8
WORKER_TIMEOUT = 900.0


def seed(tickets: int) -> dict[str, int]:
    """``tickets`` requesters in companies of eight, one open ticket each, all linked to one
    incident; returns the ids the measurements need."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Company, Contact, LicenseType, Plan, Role, User
    from tickets.incidents import services
    from tickets.models import IncidentLink, Ticket

    now = timezone.now()
    with transaction.atomic():
        engineer = User.objects.create_user("engineer@bench.example", "bench-password-0",
                                            role=Role.ENGINEER, full_name="Bench Engineer")
        plan = Plan.objects.get(code="enhanced")
        companies = Company.objects.bulk_create([
            Company(name=f"Bench Customer {i:05d}", license=LicenseType.PLUS, plan=plan,
                    license_valid_until=now.date() + timedelta(days=365))
            for i in range((tickets + CONTACTS_PER_COMPANY - 1) // CONTACTS_PER_COMPANY)
        ])
        password = make_password("bench-password-0")
        users = User.objects.bulk_create([
            User(email=f"requester{i:06d}@bench.example", full_name=f"Requester {i:06d}",
                 role=Role.CONTACT, password=password)
            for i in range(tickets)
        ], batch_size=2000)
        Contact.objects.bulk_create([
            Contact(user=user, company=companies[i // CONTACTS_PER_COMPANY])
            for i, user in enumerate(users)
        ], batch_size=2000)
        rows = Ticket.objects.bulk_create([
            Ticket(company=companies[i // CONTACTS_PER_COMPANY], requester=user, plan=plan,
                   priority_tier=plan.priority_tier, subject="Outlook is quarantined",
                   description="Since the morning update.", severity=1,
                   product="Endpoint Security", created_at=now,
                   response_due_at=now + timedelta(minutes=30),
                   response_warn_at=now + timedelta(minutes=22, seconds=30))
            for i, user in enumerate(users)
        ], batch_size=2000)
        incident = services.incident_create(
            actor=engineer, title="Release blocks Outlook", severity=1,
            description="A signature of the morning release detects outlook.exe.",
            product="Endpoint Security")
        IncidentLink.objects.bulk_create(
            [IncidentLink(incident=incident, ticket=t, linked_by=engineer) for t in rows],
            batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"engineer": engineer.pk, "incident": incident.pk}


def _post(ids: dict[str, int], body: str) -> tuple[int, float]:
    from accounts.models import User
    from tickets.incidents import services
    from tickets.models import Incident

    started = time.perf_counter()
    update = services.incident_post_update(
        incident=Incident.objects.get(pk=ids["incident"]),
        author=User.objects.get(pk=ids["engineer"]), body=body)
    return update.pk, time.perf_counter() - started


def measure_in_process(ids: dict[str, int], tickets: int) -> dict[str, Any]:
    from django.db import connection

    from support_portal.kernel import queueing
    from tickets.incidents import services
    from tickets.models import IncidentNotice

    nudges: list[str] = []
    real_enqueue = queueing._try_enqueue
    queueing._try_enqueue = lambda task, args: nudges.append(task)  # type: ignore[assignment]
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    try:
        update_id, post_seconds = _post(ids, "First update: we are rolling the release back.")
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            posted = services.fan_out(update_id)
            seconds = time.perf_counter() - started
    finally:
        queueing._try_enqueue = real_enqueue  # type: ignore[assignment]
    if posted != tickets:
        raise RuntimeError(f"the fan-out posted {posted} of {tickets}")
    return {
        "post_seconds": round(post_seconds, 3),
        "fan_out_seconds": round(seconds, 2),
        "tickets_per_second": round(tickets / seconds),
        "queries": queries,
        "queries_per_ticket": round(queries / tickets, 1),
        "emails_claimed": IncidentNotice.objects.filter(update_id=update_id).count(),
        "broker_nudges": len(nudges),
    }


def measure_workers(ids: dict[str, int], tickets: int, env: dict[str, str], workers: int,
                    batch: int) -> dict[str, Any]:
    from django.utils import timezone

    from tickets.models import IncidentDelivery, OutboundEmail

    worker_env = {**env, "EMAIL_URL": "memorymail://", "INCIDENT_FANOUT_BATCH": str(batch),
                  "INCIDENT_SWEEP_SECONDS": "5", "SLA_SCAN_SECONDS": "3600",
                  "PORTAL_VAR_DIR": str(Path(os.environ.get("TMPDIR", "/tmp"))  # noqa: S108
                                        / "bench-incidents-var")}
    Path(worker_env["PORTAL_VAR_DIR"]).mkdir(exist_ok=True)
    log_path = Path(worker_env["PORTAL_VAR_DIR"]) / "worker.log"
    subprocess.run([sys.executable, "-m", "celery", "-A", "support_portal", "purge", "-f"],
                   cwd=infra.ROOT, env=worker_env, check=True, capture_output=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
             "--concurrency", str(workers), "--loglevel", "WARNING", "--without-mingle",
             "--without-gossip", "--hostname", f"bench-incidents-{os.getpid()}@%h"],
            cwd=infra.ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            time.sleep(8)  # the worker and its beat are up before the clock starts
            # The first update's e-mails were measured in process: out of this count.
            OutboundEmail.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())
            posted_at = timezone.now()
            update_id, _ = _post(ids, "Second update: the rollback is being published.")
            started = time.perf_counter()
            replies = emails = None
            while time.perf_counter() - started < WORKER_TIMEOUT:
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker died: {log_path.read_text()[-3000:]}")
                if replies is None and not IncidentDelivery.objects.filter(
                        update_id=update_id, delivered_at__isnull=True).exists():
                    replies = time.perf_counter() - started
                sent = OutboundEmail.objects.filter(created_at__gte=posted_at,
                                                    sent_at__isnull=False).count()
                if replies is not None and sent >= tickets:
                    emails = time.perf_counter() - started
                    break
                time.sleep(0.2)
            if replies is None or emails is None:
                raise RuntimeError(f"not done in {WORKER_TIMEOUT:.0f} s")
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=60)
    return {
        "workers": workers, "batch": batch,
        "all_replies_posted_seconds": round(replies, 2),
        "all_emails_sent_seconds": round(emails, 2),
        "tickets_per_second": round(tickets / replies),
    }


def measure(tickets: int = 1000, batch: int = 50, workers: int = 2,
            redis_url: str | None = None, keep_db: bool = False) -> dict[str, Any]:
    """Create, seed, measure and drop ``support_portal_bench_incidents``; returns the
    figures."""
    infra.DB_NAME = DB_NAME  # infra's helpers (database_url, app_env) follow it
    if redis_url:
        infra.REDIS_URL = redis_url
    env = infra.app_env(secrets.token_urlsafe(40))
    env["INCIDENT_FANOUT_BATCH"] = str(batch)
    infra.log(f"incidents bench: one update to {tickets} linked tickets, database {DB_NAME}")
    infra.recreate_database(DB_NAME)
    try:
        infra.migrate(env)
        infra.setup_django(env)
        started = time.perf_counter()
        ids = seed(tickets)
        infra.log(f"seeded in {time.perf_counter() - started:.1f} s")
        in_process = measure_in_process(ids, tickets)
        infra.log(f"in process: {in_process}")
        real = measure_workers(ids, tickets, env, workers, batch)
        infra.log(f"real workers: {real}")
        from django.db import connection

        connection.close()
    finally:
        if not keep_db:
            infra.drop_database(DB_NAME)
    return {"what": "major-incident update fanned out to every linked ticket",
            "tickets": tickets, "in_process": in_process, "celery_workers": real,
            "machine": {"cpu": infra.cpu_model(), "cores": os.cpu_count(),
                        "load_1min": round(os.getloadavg()[0], 2)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="tickets per transaction")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis-url", default=None,
                        help=f"broker of the worker measurement (default {infra.REDIS_URL})")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.tickets, args.batch, args.workers, args.redis_url,
                             args.keep_db), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
