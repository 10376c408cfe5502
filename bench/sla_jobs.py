"""Only the SLA jobs (bench/breach.py), on a database of their own, for quick before/after runs:

    .venv/bin/python bench/sla_jobs.py --tickets 100000 --keep-db   # seed, measure, keep it
    .venv/bin/python bench/sla_jobs.py --reuse-db                   # measure again

Prints the figures as JSON: the scan with nothing due, the breach job with ``--due`` tickets
due at once, and the update-cadence job with ``--due`` updates overdue at once.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

# Run as a script: the checkout on the path, for ``bench`` and the portal's own packages.
_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The SLA jobs with many tickets due at once")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--due-runs", type=int, default=3)
    parser.add_argument("--idle-runs", type=int, default=20)
    parser.add_argument("--db", default="support_portal_bench_sla")
    parser.add_argument("--redis-url", default=infra.REDIS_URL)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)

    infra.DB_NAME = args.db  # infra's helpers (database_url, app_env) follow it
    infra.REDIS_URL = args.redis_url
    env = infra.app_env(secrets.token_urlsafe(40))
    created = False
    try:
        if not args.reuse_db:
            infra.recreate_database(args.db)
            created = True
            infra.migrate(env)
        infra.setup_django(env)
        from django.db import connection

        from bench import breach

        if created:
            from bench.seed import seed

            seed(tickets=args.tickets, open_tickets=args.tickets // 10,
                 companies=args.companies)
        steps = {
            "idle": lambda: breach.measure_idle(args.idle_runs),
            "breach_due": lambda: breach.measure_due(args.due, args.due_runs, args.redis_url),
            "updates_due": lambda: breach.measure_updates_due(args.due, args.due_runs,
                                                              args.redis_url),
        }
        for name, step in steps.items():
            load = round(os.getloadavg()[0], 2)
            print(json.dumps({name: step(), "load_average_1min_before": load}), flush=True)
        connection.close()
    finally:
        if created and not args.keep_db:
            infra.drop_database(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
