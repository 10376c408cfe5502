"""Benchmark of the support portal at a realistic size, against django-helpdesk.

    make bench                                   # = .venv/bin/python bench/run.py (100k tickets)
    .venv/bin/python bench/run.py --tickets 10000 [--open N] [--companies 200] [--duration 10]
                                  [--connections 8] [--workers 5] [--keep-db] [--reuse-db]
                                  [--no-helpdesk] [--profile]

1. (Re)creates the PostgreSQL database ``support_portal_bench`` on 127.0.0.1, migrates it in a
   subprocess (bench/infra.py) and seeds it with bulk inserts / COPY (bench/seed.py, with
   bench/seed_accounts.py and bench/seed_tickets.py), then ``VACUUM ANALYZE``.
2. Times the SLA breach job (``sla.jobs.scan``) in-process on the whole data set, with
   nothing due and with 1,000 tickets due (bench/breach.py).
3. Starts the portal under gunicorn as in production (sync workers, DEBUG off) on a free
   loopback port (bench/infra.py); signs in as an engineer (API token, session) and as a
   customer contact (API token, for ticket creation) (bench/webclient.py).
4. Loads every endpoint (bench/ours.py) with wrk (bench/measure.py, bench/load.py): 1 connection
   for latency, N connections for throughput, a bounded duration each; then the same requests
   in-process (Django test ``Client``) with every SQL statement timed, for the queries per
   request and the database share; then the PostgreSQL floor, ``EXPLAIN (ANALYZE)`` of the
   exact SQL each request ran (bench/inprocess.py, bench/probe.py).
5. Installs django-helpdesk from PyPI into ``bench/.helpdesk-venv``, seeds ``helpdesk_bench``
   with the same number of tickets on the same server, serves it the same way, and measures
   its closest equivalents the same way (bench/theirs.py, bench/reference.py,
   bench/helpdesk_tool.py).
6. Runs the benches of the further paths, each on a database of its own (full-text search,
   the report CSV, the incident fan-out; bench/extras.py), unless ``--no-extras``.
7. Prints the tables (ours, theirs, ours ÷ theirs, floors, breach job, budgets; bench/report.py)
   with the further paths beside them, and writes everything to
   ``bench/results/bench-<timestamp>.json``.

This module is the command line: the options, the order of the steps above, the JSON results
and the clean-up. Only 127.0.0.1 is contacted. Every load run is bounded in time. Both
gunicorns are always stopped; both databases are dropped unless ``--keep-db``. See
bench/README.md (every module of the bench, one line each) and docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script: the checkout on the path, for ``bench`` and the portal's own packages.
_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import load as loadgen  # noqa: E402
from bench import reference  # noqa: E402
from bench.extras import extras_table, run_extras  # noqa: E402
from bench.infra import (  # noqa: E402
    DB_NAME,
    LOAD_AVERAGES,
    PG_HOST,
    RESULTS,
    ROOT,
    app_env,
    cpu_model,
    database_exists,
    database_size,
    drop_database,
    log,
    migrate,
    note_load,
    recreate_database,
    setup_django,
)
from bench.measure import Result  # noqa: E402
from bench.ours import run_ours  # noqa: E402
from bench.report import build_report  # noqa: E402
from bench.theirs import run_theirs  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=None,
                        help="open tickets (default: 10 %% of --tickets)")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per wrk run (each endpoint: 1 + 2 runs)")
    parser.add_argument("--connections", type=int, default=8,
                        help="wrk connections for the throughput run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn sync workers (default 2 × CPUs + 1)")
    parser.add_argument("--requests", type=int, default=100,
                        help="in-process requests per endpoint (and urllib without wrk)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed in-process requests")
    parser.add_argument("--breach-runs", type=int, default=20)
    parser.add_argument("--due", type=int, default=1000, help="tickets due in the breach run")
    parser.add_argument("--due-runs", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true", help="keep both databases afterwards")
    parser.add_argument("--reuse-db", action="store_true",
                        help=f"use an existing {DB_NAME} (from --keep-db) as is, no seeding")
    parser.add_argument("--no-helpdesk", action="store_true",
                        help="skip the django-helpdesk comparison")
    parser.add_argument("--no-wrk", action="store_true",
                        help="sequential urllib timings instead of wrk")
    parser.add_argument("--dashboard", action="store_true",
                        help="(kept for old command lines: the dashboard is always measured)")
    parser.add_argument("--profile", action="store_true",
                        help="also write pyinstrument profiles (needs pyinstrument)")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the further paths (search, report CSV, incident fan-out)")
    parser.add_argument("--report-tickets", type=int, default=20_000,
                        help="tickets in the month of the report CSV bench")
    parser.add_argument("--incident-tickets", type=int, default=1000,
                        help="tickets linked to the incident of the fan-out bench")
    args = parser.parse_args(argv)
    if args.open is None:
        args.open = args.tickets // 10
    for name in ("tickets", "companies", "requests", "connections", "workers", "breach_runs",
                 "due_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.open < 0 or args.open > args.tickets or args.warmup < 0 or args.duration <= 0:
        parser.error("--open must be between 0 and --tickets; --warmup ≥ 0; --duration > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    env = app_env(secrets.token_urlsafe(50))
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "args": vars(args),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }
    note_load("start")
    wrk = None if args.no_wrk else loadgen.wrk_path(log=log)
    if wrk:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True,
                                 check=False).stdout.split(" Copyright")[0].strip()
        report["load_generator"] = version
    else:
        log("no wrk: HTTP timings are sequential urllib requests (no throughput under load)")
    created = created_theirs = False
    try:
        if args.reuse_db:
            if not database_exists():
                raise SystemExit(f"--reuse-db: {DB_NAME} does not exist (run once with --keep-db)")
            log(f"reusing {DB_NAME} as is")
            setup_django(env)
        else:
            log(f"recreating database {DB_NAME} on {PG_HOST}")
            recreate_database()
            created = True
            started = time.perf_counter()
            migrate(env)
            log(f"migrated in {time.perf_counter() - started:.1f} s; seeding")
            setup_django(env)
            from bench.seed import seed

            info = seed(tickets=args.tickets, open_tickets=args.open, companies=args.companies)
            report["seed"] = asdict(info)
            log(f"seeded {info.tickets:,} tickets, {info.comments:,} comments, "
                f"{info.events:,} events in {info.seconds['total']} s {info.seconds}")
        report["db_size"] = database_size(DB_NAME)

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            report["machine"]["postgresql"] = cursor.fetchone()[0].split(" ")[0]
        import django

        report["machine"]["django"] = django.get_version()
        report["machine"]["cpu"] = cpu_model()

        ours = run_ours(args, env, stamp, wrk, report)
        theirs: list[Result] = []
        if not args.no_helpdesk:
            created_theirs = True
            theirs = run_theirs(args, stamp, wrk, report)
        if not args.no_extras:
            report["extras"] = run_extras(args)
        note_load("end")
        report["load_average_1min"] = dict(LOAD_AVERAGES)
        report["table"] = build_report(ours, theirs, args, report)
        if "extras" in report:
            extra = "\n".join(extras_table(report["extras"]))
            print(extra, flush=True)
            report["table"] += "\n" + extra
        report["ours"] = [r.as_dict() for r in ours]
        report["theirs"] = [r.as_dict() for r in theirs]
        out = RESULTS / f"bench-{stamp}.json"
        out.write_text(json.dumps(report, indent=2, default=str))
        log(f"results written to {out.relative_to(ROOT)}")
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        if args.keep_db:
            log(f"kept {DB_NAME}" + (f" and {reference.DB_NAME}" if created_theirs else ""))
        else:
            if created:
                drop_database()
                log(f"dropped {DB_NAME}")
            if created_theirs:
                drop_database(reference.DB_NAME)
                log(f"dropped {reference.DB_NAME}")


if __name__ == "__main__":
    sys.exit(main())
