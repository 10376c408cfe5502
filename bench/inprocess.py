"""In-process measurement of our endpoints (Django test ``Client``, no network): queries per
request and the database share (bench/probe.py), the PostgreSQL floor (``EXPLAIN ANALYZE`` of
the exact SQL a request ran) and, with ``--profile``, pyinstrument profiles.

Django is imported when first needed (after ``setup_django``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path
from typing import Any

from bench.infra import HOST, log
from bench.measure import Endpoint, Result, ms, request_body


def measure_inprocess(result: Result, users: dict[str, Any], tokens: dict[str, str],
                      args: argparse.Namespace) -> list[tuple[str, Any, float]]:
    """The same requests through Django's full stack (test Client, no network, no gunicorn)."""
    from django.test import Client

    from bench.probe import measure

    endpoint = result.endpoint
    client = Client(HTTP_HOST=HOST)
    headers = endpoint.wsgi_headers()
    if endpoint.kind.endswith("page"):
        client.force_login(users["tam" if endpoint.kind == "tam_page" else "engineer"],
                           backend="django.contrib.auth.backends.ModelBackend")
    else:
        headers["HTTP_AUTHORIZATION"] = f"Token {tokens[endpoint.kind]}"
    measured = measure(
        client, endpoint.method, endpoint.path, headers=headers,
        body=(
            (lambda i: (request_body(endpoint, 10_000 + i) or b"").decode())
            if endpoint.body else None
        ),
        n=args.requests, warmup=args.warmup, max_seconds=60.0,
        expect=(201,) if endpoint.method == "POST" else (200,),
    )
    result.inproc_median_ms = measured["median_ms"]
    result.db_ms_median = measured["db_ms_median"]
    result.db_share = measured["db_share"]
    result.queries_per_request = measured["queries_per_request"]
    return list(measured["statements"])


def explain(statements: list[tuple[str, Any, float]], repeat: int = 7) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, FORMAT JSON) every SELECT a request ran, with its exact parameters;
    the median Execution Time over ``repeat`` runs (warm cache) is the PostgreSQL floor."""
    from django.db import connection

    out: list[dict[str, Any]] = []
    queue_plan = None
    with connection.cursor() as cursor:
        for sql, params, took in statements:
            literal = cursor.mogrify(sql, params).decode()
            entry: dict[str, Any] = {"sql": redact(literal), "django_ms": ms(took)}
            if literal.lstrip().upper().startswith("SELECT"):
                runs, plans = [], []
                for _ in range(repeat):
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + literal)
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    plans.append(plan)
                    runs.append((plan[0]["Execution Time"], plan[0]["Planning Time"]))
                entry["execution_ms"] = round(statistics.median(r[0] for r in runs), 3)
                entry["planning_ms"] = round(statistics.median(r[1] for r in runs), 3)
                entry["is_queue"] = is_queue_sql(literal)
                if entry["is_queue"]:
                    queue_plan = plans[-1]
            out.append(entry)
    queue = [e for e in out if e.get("is_queue")]
    return {
        "statements": out,
        "floor_queue_ms": queue[0]["execution_ms"] if queue else None,
        "planning_queue_ms": queue[0]["planning_ms"] if queue else None,
        "floor_all_ms": round(sum(e.get("execution_ms", 0) for e in out), 3),
        "queue_plan": queue_plan,
    }


_SECRETS = re.compile(r'("(?:key|session_key)" = )\'[^\']*\'')


def redact(sql: str) -> str:
    """The SQL as stored in the results, without the bench token or session key."""
    return _SECRETS.sub(r"\1'<redacted>'", sql)


def is_queue_sql(sql: str) -> bool:
    """The queue's row query: tickets, ordered, limited (not the COUNT)."""
    text = sql.upper()
    return (
        'FROM "TICKETS_TICKET"' in text
        and "ORDER BY" in text
        and "LIMIT" in text
        and "COUNT(" not in text.split("FROM", 1)[0]
    )


def plan_summary(plan: Any) -> list[str]:
    """One line per plan node: type, relation/index, actual rows and time."""
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        label = node["Node Type"]
        for key in ("Relation Name", "Index Name"):
            if key in node:
                label += f" {node[key]}"
        if "Sort Method" in node:
            label += f" ({node['Sort Method']}, {node.get('Sort Space Used', '?')} kB)"
        lines.append(
            f"{'  ' * depth}{label}: rows={node.get('Actual Rows')} "
            f"time={node.get('Actual Total Time')} ms"
        )
        for child in node.get("Plans", []):
            walk(child, depth + 1)

    if plan:
        walk(plan[0]["Plan"], 0)
    return lines


def profile_inprocess(endpoints: list[Endpoint], users: dict[str, Any], tokens: dict[str, str],
                      out_dir: Path, stamp: str, n: int = 20) -> list[str]:
    """Optional (``--profile``): a pyinstrument profile of ``n`` in-process requests each."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        log("--profile needs pyinstrument in the virtualenv; skipped")
        return []
    from django.test import Client

    paths = []
    for endpoint in endpoints:
        client = Client(HTTP_HOST=HOST)
        headers = endpoint.wsgi_headers()
        if endpoint.kind.endswith("page"):
            client.force_login(users["tam" if endpoint.kind == "tam_page" else "engineer"],
                               backend="django.contrib.auth.backends.ModelBackend")
        else:
            headers["HTTP_AUTHORIZATION"] = f"Token {tokens[endpoint.kind]}"

        def call(i: int, client: Any = client, headers: dict[str, str] = headers,
                 endpoint: Endpoint = endpoint) -> None:
            if endpoint.method == "POST":
                client.post(endpoint.path,
                            data=(request_body(endpoint, 20_000 + i) or b"").decode(),
                            content_type="application/json", **headers)
            else:
                client.get(endpoint.path, **headers)

        call(0)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for i in range(n):
            call(i + 1)
        profiler.stop()
        slug = re.sub(r"[^a-z0-9]+", "-", endpoint.name.lower()).strip("-")
        path = out_dir / f"profile-{stamp}-{slug}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        paths.append(str(path))
    return paths
