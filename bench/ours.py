"""Our side: the portal's endpoints (read from the seeded data set), the breach job, and the
run under gunicorn: sign-in, every endpoint over HTTP, then in-process with its SQL explained.

Django is imported when first needed (after ``setup_django``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench.infra import REDIS_URL, RESULTS, ROOT, gunicorn, log, note_load, portal_command
from bench.inprocess import explain, measure_inprocess, profile_inprocess
from bench.measure import Endpoint, Result, measure_http
from bench.webclient import api_token, session_login

TICKET_BODY = json.dumps({
    "subject": "Agent stops updating after the {n}th signature download",
    "description": "Since this morning the agent stops updating. Logs are available on request.",
    "severity": 0,
    "product": "Endpoint Security",
    "product_version": "13.0",
}).replace('"severity": 0', '"severity": {severity}')


def our_endpoints(has_page: bool) -> tuple[list[Endpoint], dict[str, Any]]:
    """The endpoints, and the objects they are about (ticket, company, contact)."""
    from django.db.models import Count

    from accounts.models import Company, Contact
    from tickets.models import OPEN_STATUSES, Ticket

    busiest = Company.objects.annotate(n=Count("tickets")).order_by("-n", "pk").first()
    assert busiest is not None
    ticket = (Ticket.objects.filter(status__in=OPEN_STATUSES, first_response_at__isnull=False)
              .order_by("-pk").first()) or Ticket.objects.order_by("-pk").first()
    assert ticket is not None
    contact = (Contact.objects.filter(is_active=True, user__is_active=True,
                                      company__plan__code="enhanced")
               .select_related("user").order_by("pk").first())
    assert contact is not None
    htmx = (("HX-Request", "true"),)
    endpoints = [
        Endpoint("queue_api", "api  GET /api/v1/queue/", "/api/v1/queue/", "api"),
        Endpoint("queue_api_sev1", "api  GET /api/v1/queue/?severity=1",
                 "/api/v1/queue/?severity=1", "api"),
    ]
    if has_page:
        endpoints += [
            Endpoint("queue_page", "page GET /queue/", "/queue/", "page"),
            Endpoint("queue_page_sev1", "page GET /queue/?severity=1", "/queue/?severity=1",
                     "page"),
            # The page refreshes its results every 30 s with an htmx GET (partial).
            Endpoint("queue_poll", "page GET /queue/ htmx poll", "/queue/", "page", headers=htmx),
            Endpoint("ticket_page", "page GET /tickets/{id}/", f"/tickets/{ticket.pk}/", "page"),
        ]
    endpoints += [
        # The account's own TAM: dashboards are for the TAM and administrators (SPEC §8).
        Endpoint("dashboard_api", "api  GET /api/v1/companies/{id}/dashboard/",
                 f"/api/v1/companies/{busiest.pk}/dashboard/", "tam_api"),
        Endpoint("dashboard_page", "page GET /tam/accounts/{id}/", f"/tam/accounts/{busiest.pk}/",
                 "tam_page"),
        # Last: it adds tickets.
        Endpoint("create", "api  POST /api/v1/tickets/ (contact)", "/api/v1/tickets/", "contact",
                 method="POST", body=TICKET_BODY),
    ]
    about = {
        "dashboard_company": busiest.pk,
        "dashboard_company_tickets": busiest.n,  # type: ignore[attr-defined]
        "ticket": ticket.pk,
        "contact": contact.user.email,
        "tam": busiest.tam.email,
    }
    return endpoints, about


def page_exists(path: str = "/queue/") -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def run_ours(args: argparse.Namespace, env: dict[str, str], stamp: str, wrk: str | None,
             report: dict[str, Any]) -> list[Result]:
    from accounts.models import User
    from bench import breach
    from bench.seed_accounts import BENCH_PASSWORD, BENCH_TOTP_SECRET, ENGINEER_EMAIL

    has_page = page_exists("/queue/")
    endpoints, about = our_endpoints(has_page)
    report["ours_about"] = about
    log(f"dashboard of company {about['dashboard_company']} "
        f"({about['dashboard_company_tickets']:,} tickets); ticket page {about['ticket']}")

    log(f"breach job: {args.breach_runs} runs with nothing due")
    report["breach_idle"] = breach.measure_idle(args.breach_runs)
    log(f"breach job: {args.due} tickets due, {args.due_runs} runs")
    report["breach_due"] = breach.measure_due(args.due, args.due_runs, REDIS_URL)

    results = {e.key: Result(e) for e in endpoints}
    users = {"engineer": User.objects.get(email=ENGINEER_EMAIL),
             "tam": User.objects.get(email=about["tam"])}
    reads = [e for e in endpoints if e.method == "GET"]
    writes = [e for e in endpoints if e.method != "GET"]
    note_load("ours_start")
    with gunicorn(portal_command, env, RESULTS / f"gunicorn-{stamp}.log", ROOT,
                  args.workers) as base:
        tokens = {
            "api": api_token(base, ENGINEER_EMAIL, BENCH_PASSWORD, BENCH_TOTP_SECRET),
            "contact": api_token(base, about["contact"], BENCH_PASSWORD),
            "tam_api": api_token(base, about["tam"], BENCH_PASSWORD, BENCH_TOTP_SECRET),
        }
        session = (session_login(base, ENGINEER_EMAIL, BENCH_PASSWORD, BENCH_TOTP_SECRET)
                   if has_page else None)
        tam_session = session_login(base, about["tam"], BENCH_PASSWORD, BENCH_TOTP_SECRET)

        def over_http(endpoint: Endpoint) -> None:
            if endpoint.kind == "page":
                assert session is not None
                headers = {"Cookie": session.cookie_header()}
            elif endpoint.kind == "tam_page":
                headers = {"Cookie": tam_session.cookie_header()}
            else:
                headers = {"Authorization": f"Token {tokens[endpoint.kind]}",
                           "Accept": "application/json"}
            if endpoint.body is not None:
                headers["Content-Type"] = "application/json"
            headers.update(endpoint.headers)
            measure_http(base, results[endpoint.key], headers, args, wrk)

        def in_process(endpoint: Endpoint) -> None:
            log(f"in-process {endpoint.method} {endpoint.path}")
            result = results[endpoint.key]
            statements = measure_inprocess(result, users, tokens, args)
            if endpoint.method == "GET":
                floors = explain(statements)
                result.floor_queue_ms = floors["floor_queue_ms"]
                result.planning_ms = floors["planning_queue_ms"]
                result.floor_all_ms = floors["floor_all_ms"]
                result.sql = floors["statements"]
                result.queue_plan = floors["queue_plan"]

        # Reads first, over HTTP and in-process, on the data set as seeded; then the writes
        # (each adds tickets).
        for endpoint in reads:
            over_http(endpoint)
        for endpoint in reads:
            in_process(endpoint)
        for endpoint in writes:
            over_http(endpoint)
            in_process(endpoint)
    note_load("ours_end")
    if args.profile:
        report["profiles"] = profile_inprocess(endpoints, users, tokens, RESULTS, stamp)
    return [results[e.key] for e in endpoints]
