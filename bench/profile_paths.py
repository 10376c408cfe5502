"""Profiles of the hot paths, in-process, on a seeded bench database (``--db``, e.g. the one
``bench/sla_jobs.py --keep-db`` leaves): ticket creation through the API and through the
portal's form, the queue page and its htmx poll. For each: the median time and the queries of
``--requests`` requests (after a warm-up; wall clock and this process's CPU time), and a
pyinstrument HTML flame graph of them (and the same as text) under ``bench/results/``
(``--label`` names the files: before, after).

    .venv/bin/python bench/profile_paths.py --label before [--only create_api,queue_page]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402

BODY = {"subject": "Agent stops updating after signature download {n}",
        "description": "Since this morning the agent stops updating. Logs on request.",
        "product": "Endpoint Security", "product_version": "13.0"}


def _paths(client_for: Any) -> dict[str, Any]:
    from accounts.models import Contact

    contact = (Contact.objects.filter(is_active=True, user__is_active=True,
                                      company__plan__code="enhanced")
               .select_related("user").order_by("pk").first())
    assert contact is not None
    api = client_for(None)
    answer = api.post("/api/v1/auth/token/", {"email": contact.user.email,
                                              "password": "bench-only-password-2026"},
                      content_type="application/json")
    token = answer.json()["token"]
    api.cookies.clear()  # an API client sends its token, not the session the sign-in left
    portal = client_for(contact.user)
    engineer = client_for("engineer")

    def create_api(i: int) -> Any:
        body = {k: v.format(n=i) for k, v in BODY.items()} | {"severity": i % 4 + 1}
        return api.post("/api/v1/tickets/", body, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")

    def create_form(i: int) -> Any:
        body = {k: v.format(n=i) for k, v in BODY.items()} | {"severity": i % 4 + 1,
                                                              "kind": "incident"}
        return portal.post("/tickets/new/", body)

    return {
        "create_api": (create_api, 201),
        "create_form": (create_form, 302),
        "queue_page": (lambda i: engineer.get("/queue/"), 200),
        "queue_poll": (lambda i: engineer.get("/queue/", HTTP_HX_REQUEST="true"), 200),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="In-process profiles of the hot paths")
    parser.add_argument("--db", default="support_portal_bench_sla")
    parser.add_argument("--label", default="profile")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed rounds per path (the median of their medians is printed)")
    parser.add_argument("--only", default="", help="comma-separated paths")
    args = parser.parse_args(argv)

    infra.DB_NAME = args.db
    env = infra.app_env(secrets.token_urlsafe(40))
    infra.setup_django(env)
    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    from accounts.models import User
    from bench.seed_accounts import ENGINEER_EMAIL

    def client_for(who: Any) -> Client:
        client = Client(HTTP_HOST=infra.HOST)
        if who == "engineer":
            who = User.objects.get(email=ENGINEER_EMAIL)
        if who is not None:
            client.force_login(who, backend="django.contrib.auth.backends.ModelBackend")
        return client

    paths = _paths(client_for)
    chosen = [p for p in (args.only.split(",") if args.only else paths) if p]
    infra.RESULTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(10**9))
    for name in chosen:
        call, status = paths[name]
        for _ in range(args.warmup):
            assert call(next(counter)).status_code == status
        queries: list[int] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any,
                  queries: list[int] = queries) -> Any:
            queries[-1] += 1
            return execute(sql, params, many, context)

        medians, cpu_medians = [], []
        for _ in range(args.rounds):
            times, cpu = [], []
            for _ in range(args.requests):
                queries.append(0)
                started, started_cpu = time.perf_counter(), time.process_time()
                with connection.execute_wrapper(count):
                    response = call(next(counter))
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                assert response.status_code == status, (name, response.status_code)
            medians.append(statistics.median(times))
            cpu_medians.append(statistics.median(cpu))
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.requests):
            call(next(counter))
        profiler.stop()
        out = infra.RESULTS / f"flame-{args.label}-{name}.html"
        out.write_text(profiler.output_html())
        out.with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False))
        print(json.dumps({"path": name, "label": args.label,
                          "median_ms": round(statistics.median(medians) * 1000, 2),
                          "round_medians_ms": [round(m * 1000, 2) for m in medians],
                          # This process's CPU time (not PostgreSQL's): steadier than the
                          # wall clock on a busy machine.
                          "cpu_median_ms": round(statistics.median(cpu_medians) * 1000, 2),
                          "queries": statistics.median(queries), "flame_graph": str(out)}),
              flush=True)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
