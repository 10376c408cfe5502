"""The django-helpdesk side of the benchmark: seeding and in-process probes.

Runs inside django-helpdesk's own virtual environment (``bench/.helpdesk-venv``) with the
minimal project that ``bench/reference.py`` writes to ``bench/.helpdesk-project``
(``DJANGO_SETTINGS_MODULE=hdbench.settings``). It imports nothing from the portal.

    python bench/helpdesk_tool.py seed --tickets 100000 --open 10000 --companies 200
    python bench/helpdesk_tool.py probe '<json list of endpoints>'

Each command prints one JSON object as its last line.

The seed mirrors the portal's (bench/seed.py) in size and shape: the same number of tickets
over the last 180 days, the same number open (90 % "open", 10 % "reopened"), three follow-ups
per ticket (two public, one internal), one submitter e-mail per customer contact (200
companies × 8), 8 staff engineers and an admin, one queue per product (6). Tickets and
follow-ups are streamed with PostgreSQL COPY, then ``VACUUM ANALYZE``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PASSWORD = "bench-only-password-2026"  # noqa: S105 - throwaway database
ENGINEERS = 8
CONTACTS_PER_COMPANY = 8
HISTORY_DAYS = 180
CHUNK = 50_000
PRODUCTS = ["Endpoint Security", "Mail Gateway", "Security Center", "File Server Protection",
            "Mobile Security", "Cloud Workload Protection"]
SUBJECTS = ["Servers crash after the latest update", "Quarantine fills the system disk",
            "Console shows a stale device list", "Mail gateway rejects signed messages",
            "Scheduled scan misses network shares", "Agent install fails on Windows Server",
            "High CPU usage during real-time scanning", "Update server returns HTTP 503",
            "Cannot activate the new licence key", "Detections missing from the weekly report"]
LOREM = ("Observed on several endpoints since this morning. The event log shows the service "
         "restarting every few minutes and users report that the machines become unresponsive. "
         "We rolled back one machine and the problem disappeared there. Logs from two affected "
         "hosts are available on request. Please advise on a workaround until a fix ships. ")
#: Severity 1–4 of the portal's seed as helpdesk priorities 1–4 (5 = "very low" unused).
PRIORITY_WEIGHTS = {1: 5, 2: 20, 3: 45, 4: 30}
DUE_HOURS = {1: 1, 2: 4, 3: 8, 4: 24}


def setup() -> None:
    project = os.environ.get("HELPDESK_PROJECT")
    if project and project not in sys.path:
        sys.path.insert(0, project)
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
    import django

    django.setup()


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from copyrows import copy_rows  # bench/copyrows.py; BENCH_DIR is on sys.path after setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket, UserSettings
    from rest_framework.authtoken.models import Token

    rng = random.Random(args.seed_value)
    now = timezone.now()
    started = time.perf_counter()
    password = make_password(PASSWORD)
    with transaction.atomic():
        staff = User.objects.bulk_create(
            [User(username=f"engineer{i}", email=f"engineer{i}@bench.example", is_staff=True,
                  first_name="Engineer", last_name=str(i), password=password)
             for i in range(1, ENGINEERS + 1)]
            + [User(username="admin", email="admin@bench.example", is_staff=True,
                    is_superuser=True, password=password)]
        )
        UserSettings.objects.bulk_create([UserSettings(user=u) for u in staff])
        engineers = [u.pk for u in staff if not u.is_superuser]
        queues = Queue.objects.bulk_create(
            [Queue(title=p, slug=p.lower().replace(" ", "-")[:50],
                   email_address="support@bench.example", allow_public_submission=True)
             for p in PRODUCTS]
        )
        contacts = [f"contact{n + 1}.c{c + 1}@bench.example"
                    for c in range(args.companies) for n in range(CONTACTS_PER_COMPANY)]

        total, open_count = args.tickets, min(args.open, args.tickets)
        closed_count = total - open_count
        closed_ages = sorted((rng.uniform(2, HISTORY_DAYS) for _ in range(closed_count)),
                             reverse=True)
        priorities = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()),
                                 k=total)
        ticket_cols = ["id", "title", "queue_id", "created", "modified", "submitter_email",
                       "assigned_to_id", "status", "on_hold", "description", "resolution",
                       "priority", "due_date", "secret_key"]
        follow_cols = ["ticket_id", "date", "title", "comment", "public", "user_id",
                       "new_status"]
        tickets: list[tuple[Any, ...]] = []
        follows: list[tuple[Any, ...]] = []
        counts = {"tickets": 0, "followups": 0}

        def flush() -> None:
            counts["tickets"] += copy_rows(Ticket, ticket_cols, tickets)
            counts["followups"] += copy_rows(FollowUp, follow_cols, follows)
            tickets.clear()
            follows.clear()

        for i in range(total):
            pk = i + 1
            is_open = i >= closed_count
            if is_open:
                age = min(timedelta(days=60), timedelta(days=rng.expovariate(1 / 8)))
                created = now - max(age, timedelta(minutes=5))
                status = 2 if rng.random() < 0.1 else 1
                assignee = rng.choice(engineers) if rng.random() < 0.75 else None
                end = now
            else:
                created = now - timedelta(days=closed_ages[i])
                status = 4 if rng.random() < 0.9 else 3
                assignee = rng.choice(engineers)
                end = min(created + timedelta(hours=rng.uniform(2, 240)), now)
            priority = priorities[i]
            submitter = rng.choice(contacts)
            times = sorted(created + (end - created) * rng.uniform(0.05, 1.0) for _ in range(3))
            author = assignee or rng.choice(engineers)
            follows.append((pk, times[0], "Comment", "Thanks for the report. We are "
                            "reproducing it in our lab.", True, author, None))
            follows.append((pk, times[1], "Comment", "Looks like the known scanner driver "
                            "issue; checking the build.", False, author, None))
            follows.append((pk, times[2], "Resolved" if not is_open else "Comment",
                            "A fix is scheduled; a workaround is in the knowledge base.", True,
                            author, None if is_open else 3))
            subject = rng.choice(SUBJECTS)
            tickets.append((
                pk, subject, rng.choice(queues).pk, created, times[2], submitter, assignee,
                status, False, f"{subject}. {LOREM[: rng.randint(120, 600)]}",
                None if is_open else "Fixed in the latest update.", priority,
                created + timedelta(hours=DUE_HOURS[priority]),
                f"{rng.getrandbits(128):032x}",
            ))
            if len(tickets) >= CHUNK:
                flush()
        if tickets:
            flush()
        with connection.cursor() as cursor:
            for table in (Ticket._meta.db_table, FollowUp._meta.db_table):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    engineer = User.objects.get(username="engineer1")
    token = Token.objects.create(user=engineer).key
    session = SessionStore()
    session[SESSION_KEY] = str(engineer.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = engineer.get_session_auth_hash()
    session.create()
    ticket_id = (Ticket.objects.filter(status=1).order_by("-pk").values_list("pk", flat=True)
                 .first())
    return {
        **counts,
        "open": open_count,
        "queues": len(queues),
        "seconds": round(time.perf_counter() - started, 2),
        "token": token,
        "session": session.session_key,
        "queue_id": queues[0].pk,
        "ticket_id": ticket_id,
        "engineer_id": engineer.pk,
    }


def probe(spec: list[dict[str, Any]], n: int, warmup: int, max_seconds: float) -> list[Any]:
    """The same in-process probe as the portal's (bench/probe.py) for each endpoint."""
    from django.contrib.auth.models import User
    from django.test import Client
    from probe import measure

    out = []
    engineer = User.objects.get(username="engineer1")
    for endpoint in spec:
        client = Client(HTTP_HOST="127.0.0.1")
        headers: dict[str, str] = {}
        if endpoint["kind"] == "api":
            headers["HTTP_AUTHORIZATION"] = f"Token {endpoint['token']}"
        else:
            client.force_login(engineer, backend="django.contrib.auth.backends.ModelBackend")
        template = endpoint.get("body")
        result = measure(
            client, endpoint["method"], endpoint["path"], headers=headers,
            body=(lambda i, t=template: t.replace("{severity}", str(i % 4 + 1))
                  .replace("{n}", str(i))) if template else None,
            n=n, warmup=warmup, max_seconds=max_seconds,
            expect=(201,) if endpoint["method"] == "POST" else (200,),
        )
        result.pop("statements")
        out.append({"name": endpoint["name"], **result})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--tickets", type=int, required=True)
    s.add_argument("--open", type=int, required=True)
    s.add_argument("--companies", type=int, default=200)
    s.add_argument("--seed-value", type=int, default=20260101)
    p = sub.add_parser("probe")
    p.add_argument("spec")
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--max-seconds", type=float, default=30.0)
    args = parser.parse_args()
    setup()
    if args.command == "seed":
        result: Any = seed(args)
    else:
        result = probe(json.loads(args.spec), args.requests, args.warmup, args.max_seconds)
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
