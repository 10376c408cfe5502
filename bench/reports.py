"""The monthly report's CSV at scale (SPEC §15): time and peak memory of the streamed response
for one account's month of N tickets (default 20,000).

    .venv/bin/python bench/reports.py [--tickets 20000] [--runs 3] [--keep-db]

1. (Re)creates the PostgreSQL database ``support_portal_bench_reports`` on 127.0.0.1, migrates
   it in a subprocess and seeds one account with N tickets filed in the previous month and N/10
   in the month before (COPY, bench/copyrows.py), then ``VACUUM ANALYZE``.
2. In process (Django's test client, the real view and queries): the whole CSV consumed from
   the streamed response, timed; then again under ``tracemalloc`` for the peak of Python
   allocations while streaming, for the big month and the small one (flat memory shows as the
   same peak for 10× the rows).
3. Over HTTP under gunicorn (one sync worker, production settings, an API token): time to the
   first byte and to the last, and the worker's resident memory sampled every 10 ms during the
   transfer, against its level before.
4. Drops the database (unless ``--keep-db``) and prints the figures as JSON.

``measure(tickets, runs)`` is the function ``make bench`` calls; this file's ``main`` is its
own command line. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import ProxyHandler, Request, build_opener

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402

DB_NAME = "support_portal_bench_reports"
SUBJECTS = ["Scanner stops on file servers", "=Formula-looking subject", "Agent update fails",
            "Mail gateway rejects signed messages", "Need an export of audit events"]


def _month_bounds(today: date) -> tuple[date, date]:
    """The previous month and the one before it (first days)."""
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    before = (previous - timedelta(days=1)).replace(day=1)
    return previous, before


def seed(tickets: int) -> dict[str, Any]:
    """One account (UTC) with ``tickets`` tickets in the previous month and a tenth of that in
    the month before; returns the ids and months the measurements need."""
    from allauth.mfa.models import Authenticator
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from accounts import crypto
    from accounts.models import Company, Contact, Plan, Role, User
    from bench.copyrows import copy_rows, reset_sequence
    from bench.seed_accounts import BENCH_TOTP_SECRET
    from tickets.models import Ticket

    rng = random.Random(20260601)
    big, small = _month_bounds(datetime.now(UTC).date())
    with transaction.atomic():
        tam = User.objects.create_user("tam@bench.example", "bench-password-0", role=Role.TAM,
                                       full_name="Bench TAM", mfa_enabled=True)
        # Staff must use two-factor sign-in (SPEC §14): the TAM is enrolled, as in bench.seed.
        Authenticator.objects.create(user=tam, type=Authenticator.Type.TOTP,
                                     data={"secret": crypto.encrypt(BENCH_TOTP_SECRET)})
        plan = Plan.objects.get(code="enhanced")
        company = Company.objects.create(
            name="Bench Bank", license="plus", plan=plan, tam=tam, timezone="UTC",
            license_valid_until=datetime.now(UTC).date() + timedelta(days=365))
        contact = User.objects.create_user("contact@bench.example", "bench-password-0",
                                           role=Role.CONTACT, full_name="Bench Contact")
        Contact.objects.create(user=contact, company=company)
        token = Token.objects.create(user=tam).key
        columns = ["company_id", "requester_id", "subject", "description", "severity", "kind",
                   "channel", "status", "product", "product_version", "plan_id",
                   "priority_tier", "created_at", "updated_at", "response_due_at",
                   "response_warn_at", "first_response_at", "response_breached_at",
                   "resolved_at"]
        targets = {1: 30, 2: 240, 3: 360, 4: 480}

        def rows(month: date, count: int) -> Any:
            start = datetime(month.year, month.month, 1, tzinfo=UTC)
            span = (start + timedelta(days=32)).replace(day=1) - start
            for _ in range(count):
                created = start + span * rng.random()
                severity = rng.choice((1, 2, 3, 4))
                due = created + timedelta(minutes=targets[severity])
                first = created + timedelta(minutes=targets[severity] * rng.uniform(0.1, 1.3))
                yield (company.pk, contact.pk, rng.choice(SUBJECTS), "Bench ticket.", severity,
                       "incident", "portal", "resolved", "Endpoint Security", "12.1",
                       plan.pk, plan.priority_tier, created, created, due,
                       created + (due - created) * 0.75, first, due if first > due else None,
                       first + timedelta(hours=5))

        copy_rows(Ticket, columns, rows(big, tickets))
        copy_rows(Ticket, columns, rows(small, max(tickets // 10, 1)))
        reset_sequence(Ticket)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"company": company.pk, "tam": tam.pk, "token": token,
            "big": f"{big:%Y-%m}", "small": f"{small:%Y-%m}"}


def _url(ids: dict[str, Any], month: str) -> str:
    return f"/api/v1/companies/{ids['company']}/report/?month={month}&format=csv"


def measure_in_process(ids: dict[str, Any], runs: int) -> dict[str, Any]:
    """The view and its queries through Django's test client, no network."""
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST=infra.HOST)
    client.force_login(User.objects.get(pk=ids["tam"]))

    def consume(month: str) -> tuple[int, int]:
        response = client.get(_url(ids, month))
        if response.status_code != 200:
            raise RuntimeError(f"the CSV answered {response.status_code}")
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        return size, lines - 1

    consume(ids["small"])  # warm-up: imports, connection, plans
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        size, rows = consume(ids["big"])
        seconds.append(time.perf_counter() - started)
    peaks = {}
    for label in ("small", "big"):
        tracemalloc.start()
        tracemalloc.reset_peak()
        consume(ids[label])
        peaks[label] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "rows": rows, "bytes": size,
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_runs": [round(s, 3) for s in seconds],
        "rows_per_second": round(rows / statistics.median(seconds)),
        "python_peak_mb_big_month": round(peaks["big"] / 2**20, 2),
        "python_peak_mb_small_month": round(peaks["small"] / 2**20, 2),
    }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def measure_http(ids: dict[str, Any], env: dict[str, str], runs: int) -> dict[str, Any]:
    """The CSV over HTTP from gunicorn (one sync worker), read 64 KiB at a time."""
    opener = build_opener(ProxyHandler({}))
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-reports-gunicorn.log"  # noqa: S108
    with infra.gunicorn(infra.portal_command, env, log_path, infra.ROOT, workers=1) as base:
        master = int(Path(f"/proc/{_gunicorn_master(base)}").name)
        worker = _worker_pid(master)

        def fetch(month: str) -> tuple[float, float, int, int]:
            request = Request(base + _url(ids, month),  # noqa: S310 - loopback only
                              headers={"Authorization": f"Token {ids['token']}"})
            peak = [0]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_kb(worker))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            started = time.perf_counter()
            sampler.start()
            size = 0
            with opener.open(request, timeout=300) as response:
                first = response.read(1)
                ttfb = time.perf_counter() - started
                size = len(first)
                while chunk := response.read(65536):
                    size += len(chunk)
            total = time.perf_counter() - started
            done.set()
            sampler.join()
            return ttfb, total, size, peak[0]

        fetch(ids["small"])
        fetch(ids["small"])  # the worker's modules, connection and caches are warm
        baseline = _rss_kb(worker)
        results = [fetch(ids["big"]) for _ in range(runs)]
        after = _rss_kb(worker)
    return {
        "workers": 1,
        "ttfb_ms_median": round(statistics.median(r[0] for r in results) * 1000, 1),
        "seconds_median": round(statistics.median(r[1] for r in results), 3),
        "bytes": results[0][2],
        "worker_rss_mb_before": round(baseline / 1024, 1),
        "worker_rss_mb_peak_during": round(max(r[3] for r in results) / 1024, 1),
        "worker_rss_mb_growth": round((max(r[3] for r in results) - baseline) / 1024, 1),
        "worker_rss_mb_after": round(after / 1024, 1),
    }


def _gunicorn_master(base: str) -> int:
    """The pid of the gunicorn master listening on ``base``'s port (started by infra)."""
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (b"gunicorn" in b" ".join(cmdline) and f"{infra.HOST}:{port}".encode() in cmdline
                and (proc / "task" / proc.name / "children").read_text().strip()):
            return int(proc.name)
    raise RuntimeError("gunicorn master not found")


def measure(tickets: int = 20_000, runs: int = 3, keep_db: bool = False) -> dict[str, Any]:
    """Create, seed, measure and drop ``support_portal_bench_reports``; returns the figures."""
    infra.DB_NAME = DB_NAME  # infra's helpers (database_url, app_env) follow it
    env = infra.app_env(secrets.token_urlsafe(40))
    infra.log(f"reports bench: {tickets} tickets in one month, database {DB_NAME}")
    infra.recreate_database(DB_NAME)
    try:
        infra.migrate(env)
        infra.setup_django(env)
        started = time.perf_counter()
        ids = seed(tickets)
        infra.log(f"seeded in {time.perf_counter() - started:.1f} s")
        in_process = measure_in_process(ids, runs)
        infra.log(f"in process: {in_process}")
        http = measure_http(ids, env, runs)
        infra.log(f"over HTTP: {http}")
        from django.db import connection

        connection.close()
    finally:
        if not keep_db:
            infra.drop_database(DB_NAME)
    return {"what": "monthly report CSV, streamed", "tickets_in_month": tickets,
            "in_process": in_process, "http_gunicorn": http,
            "machine": {"cpu": infra.cpu_model(), "cores": os.cpu_count()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.tickets, args.runs, args.keep_db), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
