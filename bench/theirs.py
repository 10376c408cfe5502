"""Their side: django-helpdesk's closest equivalents of our endpoints, and its run: its own
virtual environment, database and seed (bench/reference.py), served and measured the same way.
"""

from __future__ import annotations

import argparse
import json
import secrets
from base64 import b64encode
from typing import Any

from bench import reference
from bench.infra import RESULTS, database_size, gunicorn, log, note_load, recreate_database
from bench.measure import Endpoint, Result, measure_http

#: (short label, our endpoint key, their closest equivalent's key)
PAIRS = [
    ("queue page ↔ ticket-list data feed", "queue_page", "hd_feed"),
    ("queue API ↔ ticket API list (open)", "queue_api", "hd_api_list"),
    ("ticket page ↔ ticket page", "ticket_page", "hd_ticket_page"),
    ("ticket creation (API) ↔ same", "create", "hd_create"),
    ("TAM dashboard page ↔ dashboard page", "dashboard_page", "hd_dashboard"),
]


def their_endpoints(info: dict[str, Any]) -> list[Endpoint]:
    query = {"filtering": {"status__in": [1, 2]}, "sorting": "created", "search_string": "",
             "sortreverse": False}
    encoded = b64encode(json.dumps(query).encode()).decode()
    body = json.dumps({
        "queue": info["queue_id"], "title": "Agent stops updating after the {n}th download",
        "description": "Since this morning the agent stops updating. Logs are available on "
                       "request.",
        "submitter_email": "contact1.c1@bench.example", "priority": 0,
    }).replace('"priority": 0', '"priority": {severity}')
    return [
        Endpoint("hd_feed", "page GET /helpdesk/datatables_ticket_list/… (25 rows)",
                 f"/helpdesk/datatables_ticket_list/{encoded}?draw=1&start=0&length=25",
                 "page"),
        Endpoint("hd_api_list", "api  GET /helpdesk/api/tickets/?status=1,2",
                 "/helpdesk/api/tickets/?status=1,2", "api"),
        Endpoint("hd_ticket_page", "page GET /helpdesk/tickets/{id}/",
                 f"/helpdesk/tickets/{info['ticket_id']}/", "page"),
        Endpoint("hd_dashboard", "page GET /helpdesk/dashboard/", "/helpdesk/dashboard/", "page"),
        Endpoint("hd_create", "api  POST /helpdesk/api/tickets/", "/helpdesk/api/tickets/", "api",
                 method="POST", body=body),
    ]


def run_theirs(args: argparse.Namespace, stamp: str, wrk: str | None,
               report: dict[str, Any]) -> list[Result]:
    version = reference.ensure_venv(log)
    report["helpdesk_version"] = version
    environ = reference.env(secrets.token_urlsafe(50))
    log(f"recreating database {reference.DB_NAME}; django-helpdesk {version}")
    recreate_database(reference.DB_NAME)
    info = reference.prepare(environ, args.tickets, args.open, args.companies, log)
    report["helpdesk_seed"] = {k: v for k, v in info.items() if k not in {"token", "session"}}
    report["helpdesk_db_size"] = database_size(reference.DB_NAME)
    log(f"helpdesk: seeded {info['tickets']:,} tickets, {info['followups']:,} follow-ups in "
        f"{info['seconds']} s")
    endpoints = their_endpoints(info)
    results = {e.key: Result(e) for e in endpoints}
    note_load("theirs_start")

    def in_process(batch: list[Endpoint]) -> None:
        log("helpdesk: in-process " + ", ".join(f"{e.method} {e.path[:40]}" for e in batch))
        spec = [{"name": e.key, "method": e.method, "path": e.path, "kind": e.kind,
                 "token": info["token"], "body": e.body} for e in batch]
        for measured in reference.probe(environ, spec, args.requests, args.warmup, 30.0):
            result = results[measured["name"]]
            result.inproc_median_ms = measured["median_ms"]
            result.db_ms_median = measured["db_ms_median"]
            result.db_share = measured["db_share"]
            result.queries_per_request = measured["queries_per_request"]
            if measured["n"] < args.requests:
                result.notes.append(f"in-process: {measured['n']} requests (30 s limit)")

    with gunicorn(reference.gunicorn_command, environ, RESULTS / f"gunicorn-helpdesk-{stamp}.log",
                  reference.PROJECT, args.workers) as base:

        def over_http(endpoint: Endpoint) -> None:
            if endpoint.kind == "page":
                headers = {"Cookie": f"sessionid={info['session']}"}
            else:
                headers = {"Authorization": f"Token {info['token']}",
                           "Accept": "application/json"}
            if endpoint.body is not None:
                headers["Content-Type"] = "application/json"
            measure_http(base, results[endpoint.key], headers, args, wrk)

        reads = [e for e in endpoints if e.method == "GET"]
        writes = [e for e in endpoints if e.method != "GET"]
        for endpoint in reads:
            over_http(endpoint)
        in_process(reads)
        for endpoint in writes:
            over_http(endpoint)
        in_process(writes)
    note_load("theirs_end")
    return [results[e.key] for e in endpoints]
