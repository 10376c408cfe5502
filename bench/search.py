"""How fast is ticket search (SPEC §16) at scale? ``measure_search`` answers on a database of its
own, ``support_portal_bench_search``: created, migrated, seeded with COPY (``bench.seed``: the
accounts, tickets, comments and internal notes of ``make bench``), given realistic text, measured
and dropped.

The text: ``bench.seed`` writes a few fixed subjects and one description for every ticket,
under which any word would match every ticket. Here subjects, descriptions and comments are
rewritten in SQL from a vocabulary whose word frequencies fall off like natural language's
(a few words in most tickets, most words in few), and the index is rebuilt once.

Measured, in-process through the portal's own selectors (``visible_tickets`` then
``search_tickets``), the way ``GET /api/v1/tickets/?q=`` answers: the first page (25 rows,
ranked) and the count, for a one-word and a two-word query, as a contact (their company's
tickets, public comments) and as staff (every ticket, internal notes too): median and p95 of
``--runs`` runs after a warm-up, the number of matches, and ``EXPLAIN ANALYZE`` of the page query
(it shows the GIN index).

    .venv/bin/python bench/search.py --tickets 100000      # ~2 minutes on 2 cores
    .venv/bin/python bench/search.py --tickets 1000000 --keep
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import infra

DB_NAME = "support_portal_bench_search"
PAGE = 25
#: Common support words first (rank 1 is the most frequent), then a long tail of rarer ones.
COMMON = [
    "update", "server", "agent", "scan", "error", "console", "policy", "license", "endpoint",
    "users", "machine", "log", "network", "service", "install", "report", "windows", "mail",
    "gateway", "firewall", "database", "signature", "detection", "proxy", "certificate",
    "backup", "restart", "crash", "memory", "cpu", "disk", "timeout", "connection", "export",
    "import", "schedule", "remote", "office", "cluster", "linux", "macos", "mobile",
    "atualização", "servidor", "erro", "licença", "rede", "usuários", "relatório", "instalação",
]
TAIL = 4000
#: The measured queries, placed in the vocabulary at ranks that put them in about 1 % and 4 %
#: of tickets (each ticket draws about 90 words: subject, description, three comments).
ONE_WORD = "quarantine"
TWO_WORDS = "quarantine driver"
PLACED = {1000: "quarantine", 300: "driver"}


def _vocabulary() -> list[str]:
    words = COMMON + [f"term{n:04d}" for n in range(TAIL)]
    for rank, word in sorted(PLACED.items()):
        words.insert(rank, word)
    return words


def rewrite_text() -> None:
    """Subjects (5 words), descriptions (40) and comments (15) drawn with a Zipf-like skew
    (rank = n · u³ for uniform u), in SQL, then the search index rebuilt once."""
    from django.db import connection

    words = _vocabulary()
    with connection.cursor() as cursor:
        # The vocabulary as an array constant: one array subscript per word drawn.
        cursor.execute("""
            CREATE OR REPLACE FUNCTION pg_temp.bench_text(n int, salt bigint) RETURNS text
            LANGUAGE sql VOLATILE AS $$
              SELECT string_agg((%s::text[])[1 + floor(%s * power(random(), 3))::int], ' ')
              FROM generate_series(1, n) g WHERE salt IS NOT NULL
            $$""".replace("%s::text[]", "'{" + ",".join(words) + "}'::text[]", 1)
                       .replace("%s", str(len(words)), 1))
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE tickets_ticket SET subject = left(pg_temp.bench_text(5, id), 200),"
                       " description = pg_temp.bench_text(40, id)")
        cursor.execute("UPDATE tickets_comment SET body = pg_temp.bench_text(15, id)")
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("SELECT tickets_search_rebuild()")
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        cursor.execute("VACUUM ANALYZE tickets_comment")
        cursor.execute("VACUUM ANALYZE tickets_ticketsearch")


def _time(user: Any, text: str, runs: int) -> dict[str, Any]:
    from tickets.access import visible_tickets
    from tickets.search import search_tickets

    def once() -> tuple[float, int]:
        started = time.perf_counter()
        found = search_tickets(user, visible_tickets(user), text)
        rows = list(found[:PAGE])
        count = found.count()
        elapsed = (time.perf_counter() - started) * 1000
        assert len(rows) == min(PAGE, count)
        return elapsed, count

    for _ in range(3):
        once()
    timings, count = [], 0
    for _ in range(runs):
        ms, count = once()
        timings.append(ms)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    found = search_tickets(user, visible_tickets(user), text)
    plan = found[:PAGE].explain(analyze=True)
    return {"query": text, "matches": count, "runs": runs,
            "median_ms": round(statistics.median(timings), 1), "p95_ms": round(p95, 1),
            "gin_index_used": "_gin" in plan, "plan": plan}


def measure_search(*, tickets: int, companies: int = 200, runs: int = 30,
                   keep: bool = False) -> dict[str, Any]:
    """Create, seed and measure ``support_portal_bench_search``; drop it unless ``keep``."""
    env = infra.app_env(secrets.token_urlsafe(50))
    env["DATABASE_URL"] = f"postgres://{infra.PG_USER}@{infra.PG_HOST}:{infra.PG_PORT}/{DB_NAME}"
    report: dict[str, Any] = {"tickets": tickets, "companies": companies,
                              "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    infra.log(f"recreating database {DB_NAME}")
    infra.recreate_database(DB_NAME)
    try:
        infra.migrate(env)
        infra.setup_django(env)
        from bench.seed import seed

        started = time.perf_counter()
        info = seed(tickets=tickets, open_tickets=max(1, tickets // 20), companies=companies)
        report["seed_seconds"] = info.seconds
        infra.log(f"seeded {info.tickets:,} tickets and {info.comments:,} comments; "
                  "writing realistic text")
        mark = time.perf_counter()
        rewrite_text()
        report["text_and_index_seconds"] = round(time.perf_counter() - mark, 1)
        report["seconds_total_setup"] = round(time.perf_counter() - started, 1)
        report["db_size"] = infra.database_size(DB_NAME)

        from django.db.models import Count

        from accounts.models import Contact, Role, User

        busiest = (Contact.objects.active().values("company_id")
                   .annotate(n=Count("company__tickets")).order_by("-n").first())
        assert busiest is not None
        contact = Contact.objects.active().select_related("user").filter(
            company_id=busiest["company_id"]).first()
        assert contact is not None
        staff = User.objects.filter(role=Role.ENGINEER, is_active=True).first()
        from tickets.models import Ticket

        report["contact_company_tickets"] = Ticket.objects.filter(
            company_id=busiest["company_id"]).count()
        results = {}
        for who, user in (("contact", contact.user), ("staff", staff)):
            for label, text in (("one_word", ONE_WORD), ("two_words", TWO_WORDS)):
                results[f"{who}_{label}"] = _time(user, text, runs)
                r = results[f"{who}_{label}"]
                infra.log(f"{who:7} {text!r:22} {r['matches']:>7,} matches  median "
                          f"{r['median_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                          f"GIN {'yes' if r['gin_index_used'] else 'NO'}")
        report["results"] = results
    finally:
        if not keep:
            from django.db import connections

            connections.close_all()
            infra.drop_database(DB_NAME)
            infra.log(f"dropped {DB_NAME}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the report (JSON) here; default bench/results/")
    args = parser.parse_args(argv)
    report = measure_search(tickets=args.tickets, companies=args.companies, runs=args.runs,
                            keep=args.keep)
    infra.RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or infra.RESULTS / f"search-{args.tickets}.json"
    out.write_text(json.dumps(report, indent=2))
    infra.log(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
