"""Fast, reproducible seed data for the queue benchmark.

Small tables (users, companies, contacts) go through ``bulk_create`` (bench/seed_accounts.py);
tickets, comments and timeline events are generated in chunks (bench/seed_tickets.py) and
streamed with PostgreSQL ``COPY`` (bench/copyrows.py, psycopg2 ``copy_expert``). Every user
gets the same precomputed password hash, so 1,600 contacts cost one PBKDF2 run, not 1,600.
``seed()`` runs both in one transaction, with a fixed random seed, and times each step.

Import only after ``django.setup()``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from bench.copyrows import copy_rows, reset_sequence
from bench.seed_accounts import seed_accounts
from bench.seed_tickets import COMMENT_COLUMNS, EVENT_COLUMNS, TICKET_COLUMNS, build_tickets
from tickets.models import Comment, Ticket, TicketEvent


@dataclass
class SeedReport:
    companies: int = 0
    users: int = 0
    contacts: int = 0
    tickets: int = 0
    open_tickets: int = 0
    unanswered_open: int = 0
    breached: int = 0
    comments: int = 0
    events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def seed(
    *, tickets: int, open_tickets: int, companies: int, seed_value: int = 20260101
) -> SeedReport:
    """Fill an empty, migrated database. Returns counts and timings."""
    rng = random.Random(seed_value)
    now = timezone.now()
    report = SeedReport()
    started = time.perf_counter()
    with transaction.atomic():
        # Row triggers off while COPY loads (the search index's would update one row per
        # comment); the index is then built in one pass below.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        accounts = seed_accounts(rng, companies, now)
        report.seconds["accounts"] = round(time.perf_counter() - started, 2)

        counts: dict[str, int] = {}
        generate = copy_tickets = copy_others = 0.0
        chunks = build_tickets(rng, now, tickets, open_tickets, accounts, counts)
        while True:
            mark = time.perf_counter()
            chunk = next(chunks, None)
            generate += time.perf_counter() - mark
            if chunk is None:
                break
            ticket_rows, comment_rows, event_rows = chunk
            mark = time.perf_counter()
            report.tickets += copy_rows(Ticket, TICKET_COLUMNS, ticket_rows)
            copy_tickets += time.perf_counter() - mark
            mark = time.perf_counter()
            report.comments += copy_rows(Comment, COMMENT_COLUMNS, comment_rows)
            report.events += copy_rows(TicketEvent, EVENT_COLUMNS, event_rows)
            copy_others += time.perf_counter() - mark
        report.seconds["generate_rows"] = round(generate, 2)
        report.seconds["copy_tickets"] = round(copy_tickets, 2)
        report.seconds["copy_comments_events"] = round(copy_others, 2)
        for model in (Ticket, Comment, TicketEvent):
            reset_sequence(model)
        mark = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute("SELECT tickets_search_rebuild()")
        report.seconds["search_index"] = round(time.perf_counter() - mark, 2)

    mark = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    report.seconds["vacuum_analyze"] = round(time.perf_counter() - mark, 2)
    report.seconds["total"] = round(time.perf_counter() - started, 2)

    report.companies = len(accounts["companies"])
    report.users = accounts["users"]
    report.contacts = accounts["contact_count"]
    report.open_tickets = counts["open"]
    report.unanswered_open = counts["unanswered"]
    report.breached = counts["breached"]
    return report
