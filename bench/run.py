"""Benchmark of the support portal at a realistic size, against django-helpdesk.

    make bench                                   # = .venv/bin/python bench/run.py (100k tickets)
    .venv/bin/python bench/run.py --tickets 10000 [--open N] [--companies 200] [--duration 10]
                                  [--connections 8] [--workers 5] [--keep-db] [--reuse-db]
                                  [--no-helpdesk] [--profile]

1. (Re)creates the PostgreSQL database ``support_portal_bench`` on 127.0.0.1, migrates it in a
   subprocess and seeds it with bulk inserts / COPY (bench/seed.py), then ``VACUUM ANALYZE``.
2. Times the SLA breach job (``sla.services.scan``) in-process on the whole data set, with
   nothing due and with 1,000 tickets due (bench/breach.py).
3. Starts the portal under gunicorn as in production (sync workers, DEBUG off) on a free
   loopback port; signs in as an engineer (API token, session) and as a customer contact (API
   token, for ticket creation).
4. Loads every endpoint with wrk (bench/load.py): 1 connection for latency, N connections for
   throughput, a bounded duration each; then the same requests in-process (Django test
   ``Client``) with every SQL statement timed, for the queries per request and the database
   share; then the PostgreSQL floor, ``EXPLAIN (ANALYZE)`` of the exact SQL each request ran.
5. Installs django-helpdesk from PyPI into ``bench/.helpdesk-venv``, seeds ``helpdesk_bench``
   with the same number of tickets on the same server, serves it the same way, and measures
   its closest equivalents the same way (bench/reference.py, bench/helpdesk_tool.py).
6. Prints the tables (ours, theirs, ours ÷ theirs, floors, breach job, budgets) and writes
   everything to ``bench/results/bench-<timestamp>.json``.

Only 127.0.0.1 is contacted. Every load run is bounded in time. Both gunicorns are always
stopped; both databases are dropped unless ``--keep-db``. See bench/README.md and
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import warnings
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, OpenerDirector, ProxyHandler, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load as loadgen  # noqa: E402
from bench import reference  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DB_NAME = "support_portal_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_URL = "redis://127.0.0.1:6379/7"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0  # seconds, per urllib request
START_TIMEOUT = 60.0  # seconds for gunicorn to answer /healthz
MIGRATE_TIMEOUT = 600
#: A run whose single-connection latency run completes fewer requests than this is retimed
#: sequentially (up to SLOW_REQUESTS requests) and gets no throughput run.
SLOW_REQUESTS = 5

# The budgets of the issue, for 100,000 tickets on 2 cores.
BUDGETS = [
    # (label, endpoint key, measure, limit, "max" or "min")
    ("queue page median", "queue_page", "median_ms", 50.0, "max"),
    ("queue API median", "queue_api", "median_ms", 50.0, "max"),
    ("ticket creation throughput", "create", "rps", 150.0, "min"),
    ("TAM dashboard (API) median", "dashboard_api", "median_ms", 100.0, "max"),
    ("TAM dashboard (page) median", "dashboard_page", "median_ms", 100.0, "max"),
    ("breach job, nothing due", "breach_idle", "median_ms", 50.0, "max"),
]

TICKET_BODY = json.dumps({
    "subject": "Agent stops updating after the {n}th signature download",
    "description": "Since this morning the agent stops updating. Logs are available on request.",
    "severity": 0,
    "product": "Endpoint Security",
    "product_version": "13.0",
}).replace('"severity": 0', '"severity": {severity}')


@dataclass(frozen=True)
class Endpoint:
    key: str  # a stable id: pairs and budgets refer to it
    name: str
    path: str
    #: "api" (engineer token), "contact" (a customer contact's token), "page" (engineer session)
    kind: str
    method: str = "GET"
    #: JSON body template for POST: ``{severity}`` and ``{n}`` vary per request.
    body: str | None = None
    #: Extra request headers, e.g. the htmx poll's ``HX-Request``.
    headers: tuple[tuple[str, str], ...] = ()

    def wsgi_headers(self) -> dict[str, str]:
        return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers}


@dataclass
class Timing:
    """Sequential urllib timings (the fallback without wrk, and for very slow endpoints)."""

    n: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    rps: float

    @classmethod
    def of(cls, samples: list[float], wall: float) -> Timing:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return cls(n=len(samples), median_ms=_ms(statistics.median(ordered)), p95_ms=_ms(p95),
                   min_ms=_ms(ordered[0]), max_ms=_ms(ordered[-1]),
                   rps=round(len(samples) / wall, 1))


@dataclass
class Result:
    endpoint: Endpoint
    latency: loadgen.LoadResult | None = None  # wrk, 1 connection
    load: loadgen.LoadResult | None = None  # wrk, N connections
    sequential: Timing | None = None  # urllib, one request after the other
    bytes: int = 0
    rows_total: int | None = None
    inproc_median_ms: float | None = None
    db_ms_median: float | None = None
    db_share: float | None = None
    queries_per_request: float | None = None
    floor_queue_ms: float | None = None
    floor_all_ms: float | None = None
    planning_ms: float | None = None
    notes: list[str] = field(default_factory=list)
    sql: list[dict[str, Any]] = field(default_factory=list)
    queue_plan: Any = None

    @property
    def median_ms(self) -> float | None:
        if self.latency and self.latency.requests >= SLOW_REQUESTS:
            return self.latency.median_ms
        return self.sequential.median_ms if self.sequential else None

    @property
    def p95_ms(self) -> float | None:
        if self.latency and self.latency.requests >= SLOW_REQUESTS:
            return self.latency.p95_ms
        return self.sequential.p95_ms if self.sequential else None

    @property
    def rps(self) -> float | None:
        """Throughput: wrk with N connections, else sequential."""
        if self.load:
            return self.load.rps
        return self.sequential.rps if self.sequential else None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "endpoint"}
        out["endpoint"] = asdict(self.endpoint)
        out["median_ms"], out["p95_ms"], out["rps"] = self.median_ms, self.p95_ms, self.rps
        return out


def cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Databases ---------------------------------------------------------------------------------


def database_url() -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"


def _admin_connection() -> Any:
    import psycopg2

    conn = psycopg2.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5
    )
    conn.autocommit = True
    return conn


def recreate_database(name: str = DB_NAME) -> None:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def database_exists(name: str = DB_NAME) -> bool:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def drop_database(name: str = DB_NAME) -> None:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def database_size(name: str) -> str:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name])
            return str(cursor.fetchone()[0])
    finally:
        conn.close()


def app_env(secret_key: str) -> dict[str, str]:
    """The production-shaped environment of the portal, pointed at the bench database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "support_portal.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_MANIFEST": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=MIGRATE_TIMEOUT,
    )


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    # No collectstatic in a checkout (STATIC_MANIFEST=false): whitenoise's note is noise here.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


# --- Gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def portal_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "support_portal.wsgi:application",
            "--workers", str(workers), "--bind", f"{HOST}:{port}"]


@contextmanager
def gunicorn(command_for: Any, env: dict[str, str], log_path: Path, cwd: Path,
             workers: int) -> Iterator[str]:
    port = free_port()
    command = command_for(port, workers)
    log(f"starting: {' '.join(str(c) for c in command[1:])}")
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://{HOST}:{port}"
            _wait_healthy(base, proc, log_path)
            yield base
        finally:
            _stop(proc)
            log(f"gunicorn stopped (exit {proc.returncode})")


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    opener = build_opener(ProxyHandler({}))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{_tail(log_path)}")
        try:
            with opener.open(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer /healthz in {START_TIMEOUT:.0f}s:\n{_tail(log_path)}"
    )


def settle(base: str, limit: float = 120.0) -> None:
    """Wait until the server answers /healthz quickly several times in a row: requests wrk
    abandoned at the end of a run must not be served during the next one."""
    opener = build_opener(ProxyHandler({}))
    deadline = time.monotonic() + limit
    fast = 0
    while fast < 5 and time.monotonic() < deadline:
        started = time.perf_counter()
        with suppress(OSError), opener.open(f"{base}/healthz", timeout=limit):
            pass
        fast = fast + 1 if time.perf_counter() - started < 0.05 else 0
        time.sleep(0.05)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we started (start_new_session)
        proc.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --- HTTP client (standard library only) ------------------------------------------------------


class Http:
    """A urllib opener with a cookie jar and no proxy: loopback only."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener: OpenerDirector = build_opener(ProxyHandler({}), HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        req = Request(self.base + path, data=data, headers=headers or {})  # noqa: S310 - http://127.0.0.1 only
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as resp:
                return resp.status, resp.url, resp.read()
        except HTTPError as exc:
            return exc.code, exc.url, exc.read()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def api_token(base: str, email: str, password: str) -> str:
    http = Http(base)
    body = json.dumps({"email": email, "password": password}).encode()
    status, _url, content = http.request(
        "/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    if status != 200:
        raise RuntimeError(f"token request failed: {status} {content[:300]!r}")
    return str(json.loads(content)["token"])


def session_login(base: str, email: str, password: str) -> Http:
    http = Http(base)
    status, _url, page = http.request("/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"login page: {status}, no CSRF token found")
    form = urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": email,
            "password": password,
            "next": "/",
        }
    ).encode()
    status, _url, content = http.request(
        "/accounts/login/",
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base}/accounts/login/",
        },
    )
    if status != 200 or not http.cookie("sessionid"):
        raise RuntimeError(f"sign-in failed: {status} {content[:300]!r}")
    return http


def _body(endpoint: Endpoint, i: int) -> bytes | None:
    if endpoint.body is None:
        return None
    return endpoint.body.replace("{severity}", str(i % 4 + 1)).replace("{n}", str(i)).encode()


def check_once(base: str, endpoint: Endpoint, headers: dict[str, str]) -> tuple[int, int | None]:
    """One request by urllib: the answer must be 200 (201 for POST) at the same URL. Returns
    the body size and, for an API list, its ``count``."""
    status, url, body = Http(base).request(endpoint.path, data=_body(endpoint, 0),
                                           headers=headers)
    expected = 201 if endpoint.method == "POST" else 200
    if status != expected or (endpoint.method == "GET" and not url.endswith(endpoint.path)):
        raise RuntimeError(f"{endpoint.method} {endpoint.path}: HTTP {status} at {url} "
                           f"{body[:300]!r}")
    rows = None
    if endpoint.kind != "page" and endpoint.method == "GET":
        with suppress(ValueError, AttributeError):
            count = json.loads(body).get("count")
            rows = int(count) if count is not None else None
    return len(body), rows


def measure_sequential(base: str, endpoint: Endpoint, headers: dict[str, str], n: int,
                       warmup: int, max_seconds: float = 120.0) -> Timing:
    """Sequential urllib requests (each a new connection, as gunicorn's sync workers close
    it), bounded by ``max_seconds``."""
    http = Http(base)
    expected = 201 if endpoint.method == "POST" else 200

    def one(i: int) -> float:
        started = time.perf_counter()
        status, _url, _body_bytes = http.request(endpoint.path, data=_body(endpoint, i),
                                                 headers=headers)
        if status != expected:
            raise RuntimeError(f"{endpoint.path}: HTTP {status}")
        return time.perf_counter() - started

    for i in range(warmup):
        one(i)
    samples: list[float] = []
    started = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    for i in range(n):
        samples.append(one(warmup + i))
        if time.monotonic() > deadline:
            break
    return Timing.of(samples, time.perf_counter() - started)


def measure_http(base: str, result: Result, headers: dict[str, str], args: argparse.Namespace,
                 wrk: str | None) -> None:
    endpoint = result.endpoint
    result.bytes, result.rows_total = check_once(base, endpoint, headers)
    if wrk is None:
        log(f"HTTP {endpoint.method} {endpoint.path}: {args.requests} sequential (urllib)")
        result.sequential = measure_sequential(base, endpoint, headers, args.requests,
                                               args.warmup)
        return
    url = base + endpoint.path
    common = {"method": endpoint.method, "headers": headers, "body_template": endpoint.body,
              "duration": args.duration}
    log(f"wrk {endpoint.method} {endpoint.path}: {args.duration:g} s × 1 connection, then "
        f"{args.duration:g} s × {args.connections}")
    # Warm-up: a short single-connection run, not recorded.
    loadgen.run_wrk(wrk, url, **{**common, "duration": min(2.0, args.duration)})
    settle(base)
    result.latency = loadgen.run_wrk(wrk, url, connections=1, threads=1, **common)
    settle(base)
    if result.latency.requests < SLOW_REQUESTS:
        result.notes.append(
            f"only {result.latency.requests} requests completed in {args.duration:g} s: "
            f"latency from up to {SLOW_REQUESTS} sequential requests, no throughput run"
        )
        result.sequential = measure_sequential(base, endpoint, headers, SLOW_REQUESTS, 0)
        settle(base)
        return
    result.load = loadgen.run_wrk(wrk, url, connections=args.connections, threads=2, **common)
    settle(base)
    for run in (result.latency, result.load):
        if run.errors:
            result.notes.append(f"wrk c={run.connections}: {run.errors} errors "
                                f"({run.status_errors} non-2xx/3xx answers)")


# --- In-process: database share, queries, PostgreSQL floor ------------------------------------


def measure_inprocess(result: Result, users: dict[str, Any], tokens: dict[str, str],
                      args: argparse.Namespace) -> list[tuple[str, Any, float]]:
    """The same requests through Django's full stack (test Client, no network, no gunicorn)."""
    from django.test import Client

    from bench.probe import measure

    endpoint = result.endpoint
    client = Client(HTTP_HOST=HOST)
    headers = endpoint.wsgi_headers()
    if endpoint.kind == "page":
        client.force_login(users["engineer"],
                           backend="django.contrib.auth.backends.ModelBackend")
    else:
        headers["HTTP_AUTHORIZATION"] = f"Token {tokens[endpoint.kind]}"
    measured = measure(
        client, endpoint.method, endpoint.path, headers=headers,
        body=(lambda i: (_body(endpoint, 10_000 + i) or b"").decode()) if endpoint.body else None,
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
            entry: dict[str, Any] = {"sql": redact(literal), "django_ms": _ms(took)}
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
        if endpoint.kind == "page":
            client.force_login(users["engineer"],
                               backend="django.contrib.auth.backends.ModelBackend")
        else:
            headers["HTTP_AUTHORIZATION"] = f"Token {tokens[endpoint.kind]}"

        def call(i: int, client: Any = client, headers: dict[str, str] = headers,
                 endpoint: Endpoint = endpoint) -> None:
            if endpoint.method == "POST":
                client.post(endpoint.path, data=(_body(endpoint, 20_000 + i) or b"").decode(),
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


# --- Our side ----------------------------------------------------------------------------------


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
        Endpoint("dashboard_api", "api  GET /api/v1/companies/{id}/dashboard/",
                 f"/api/v1/companies/{busiest.pk}/dashboard/", "api"),
        Endpoint("dashboard_page", "page GET /tam/accounts/{id}/", f"/tam/accounts/{busiest.pk}/",
                 "page"),
        # Last: it adds tickets.
        Endpoint("create", "api  POST /api/v1/tickets/ (contact)", "/api/v1/tickets/", "contact",
                 method="POST", body=TICKET_BODY),
    ]
    about = {
        "dashboard_company": busiest.pk,
        "dashboard_company_tickets": busiest.n,  # type: ignore[attr-defined]
        "ticket": ticket.pk,
        "contact": contact.user.email,
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
    from bench.seed import BENCH_PASSWORD, ENGINEER_EMAIL

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
    users = {"engineer": User.objects.get(email=ENGINEER_EMAIL)}
    reads = [e for e in endpoints if e.method == "GET"]
    writes = [e for e in endpoints if e.method != "GET"]
    note_load("ours_start")
    with gunicorn(portal_command, env, RESULTS / f"gunicorn-{stamp}.log", ROOT,
                  args.workers) as base:
        tokens = {
            "api": api_token(base, ENGINEER_EMAIL, BENCH_PASSWORD),
            "contact": api_token(base, about["contact"], BENCH_PASSWORD),
        }
        session = session_login(base, ENGINEER_EMAIL, BENCH_PASSWORD) if has_page else None

        def over_http(endpoint: Endpoint) -> None:
            if endpoint.kind == "page":
                assert session is not None
                headers = {"Cookie": session.cookie_header()}
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


# --- Their side (django-helpdesk) -------------------------------------------------------------

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


# --- Report ------------------------------------------------------------------------------------


def _fmt(value: Any, suffix: str = "", width: int = 0) -> str:
    if value is None:
        text = "—"
    elif isinstance(value, float):
        text = f"{value:.2f}{suffix}" if abs(value) < 1000 else f"{value:,.0f}{suffix}"
    else:
        text = f"{value}{suffix}"
    return text.rjust(width)


_LOAD: dict[str, float] = {}


def note_load(when: str) -> None:
    _LOAD[when] = round(os.getloadavg()[0], 2)


def _rps(value: float | None, width: int) -> str:
    return ("—" if value is None else f"{value:,.1f}").rjust(width)


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "—"
    return f"{ours / theirs:.2f}"


def endpoint_table(title: str, results: list[Result], connections: int) -> list[str]:
    lines = [title]
    head = (f"{'endpoint':<44} {'median':>9} {'p95':>9} {'req/s c=1':>9} "
            f"{f'req/s c={connections}':>10} {'queries':>7} {'db %':>5} {'bytes':>7}")
    lines += [head, "-" * len(head)]
    notes: list[str] = []
    for r in results:
        c1 = r.latency.rps if r.latency and r.latency.requests >= SLOW_REQUESTS else (
            r.sequential.rps if r.sequential else None)
        mark = "*" if r.notes else " "
        lines.append(
            f"{r.endpoint.name[:43]:<43}{mark} {_fmt(r.median_ms, 'ms', 9)} "
            f"{_fmt(r.p95_ms, 'ms', 9)} {_rps(c1, 9)} "
            f"{_rps(r.load.rps if r.load else None, 10)} "
            f"{_fmt(r.queries_per_request, '', 7)} "
            f"{_fmt(round(r.db_share * 100) if r.db_share is not None else None, '', 5)} "
            f"{r.bytes:>7}"
        )
        notes += [f"  * {r.endpoint.name.strip()}: {n}" for n in r.notes]
    return lines + notes


def build_report(ours: list[Result], theirs: list[Result], args: argparse.Namespace,
                 report: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    seed_info = report.get("seed") or {}
    add("")
    add(f"Support portal benchmark — {args.tickets:,} tickets ({args.open:,} open), "
        f"{args.companies} companies × 8 contacts, 3 comments per ticket; "
        f"{os.cpu_count()} CPUs; {report['started_at']}")
    if seed_info:
        seconds = seed_info.get("seconds", {})
        add(f"Seeding (ours): {seconds.get('total', '?')} s; {seed_info['tickets']:,} tickets, "
            f"{seed_info['comments']:,} comments, {seed_info['events']:,} events, "
            f"{seed_info['breached']:,} breached; database {report.get('db_size', '?')}")
    if report.get("helpdesk_seed"):
        hd = report["helpdesk_seed"]
        add(f"Seeding (django-helpdesk {report.get('helpdesk_version')}): {hd['seconds']} s; "
            f"{hd['tickets']:,} tickets, {hd['followups']:,} follow-ups, {hd['queues']} queues;"
            f" database {report.get('helpdesk_db_size', '?')}")
    machine = report["machine"]
    add(f"Machine: {machine.get('cpu', '?')}, {machine['cpus']} CPUs; PostgreSQL "
        f"{machine.get('postgresql', '?')}; Python {machine['python']}; "
        f"Django {machine.get('django', '?')}")
    add("Load average (1 min): " + ", ".join(f"{k} {v}" for k, v in _LOAD.items()))
    tool = report.get("load_generator")
    if tool:
        add(f"Load generator: {tool}; {args.duration:g} s per run, latency with 1 connection, "
            f"throughput with {args.connections}; gunicorn {args.workers} sync workers for "
            "both apps; production settings (DEBUG off)")
    else:
        add(f"Load generator: none (no wrk): {args.requests} sequential urllib requests per "
            f"endpoint, no throughput figures; gunicorn {args.workers} sync workers for both "
            "apps; production settings (DEBUG off)")
    add("queries and db % from the same requests in-process (Django test Client, SQL timed).")
    add("")
    lines += endpoint_table("Ours (support portal)", ours, args.connections)
    if theirs:
        add("")
        lines += endpoint_table(f"django-helpdesk {report.get('helpdesk_version')} (PyPI)",
                                theirs, args.connections)
        add("")
        add("Ours ÷ theirs (median: below 1 = we answer faster; req/s and queries: ours over "
            "theirs)")
        head = (f"{'pair (ours ↔ theirs)':<38} {'median ours':>11} {'theirs':>10} "
                f"{'ratio':>6} {'req/s ours':>10} {'theirs':>8} {'ratio':>6} {'queries':>8}")
        add(head)
        add("-" * len(head))
        by_key = {r.endpoint.key: r for r in [*ours, *theirs]}
        for label, our_key, their_key in PAIRS:
            o, t = by_key.get(our_key), by_key.get(their_key)
            if o is None or t is None:
                continue
            add(f"{label:<38} {_fmt(o.median_ms, 'ms', 11)} {_fmt(t.median_ms, 'ms', 10)} "
                f"{_ratio(o.median_ms, t.median_ms):>6} {_rps(o.rps, 10)} "
                f"{_rps(t.rps, 8)} {_ratio(o.rps, t.rps):>6} "
                f"{_ratio(o.queries_per_request, t.queries_per_request):>8}")
        add(f"req/s = throughput with {args.connections} connections; queries = queries per "
            "request, ours ÷ theirs")
    add("")
    add("Physical floor: PostgreSQL's own time for the queue query (EXPLAIN ANALYZE Execution "
        "Time, warm, median of 7)")
    head = (f"{'endpoint':<40} {'HTTP med':>9} {'in-proc':>9} {'db/req':>8} {'PG floor':>9} "
            f"{'floor all':>9} {'HTTP ÷ floor':>12}")
    add(head)
    add("-" * len(head))
    for r in ours:
        if r.floor_queue_ms is None:
            continue
        ratio = f"{r.median_ms / r.floor_queue_ms:.1f}×" if r.median_ms else "—"
        add(f"{r.endpoint.name[:40]:<40} {_fmt(r.median_ms, 'ms', 9)} "
            f"{_fmt(r.inproc_median_ms, 'ms', 9)} {_fmt(r.db_ms_median, 'ms', 8)} "
            f"{_fmt(r.floor_queue_ms, 'ms', 9)} {_fmt(r.floor_all_ms, 'ms', 9)} {ratio:>12}")
    add("floor all = every SELECT of the request; HTTP ÷ floor = what our own code (Python, "
        "serialisation, HTTP) adds on top of the database")
    idle, due = report.get("breach_idle"), report.get("breach_due")
    if idle:
        add("")
        add("SLA breach job (sla.services.scan: warnings + breaches), in-process, whole data set")
        add(f"  nothing due: median {idle['median_ms']} ms, p95 {idle['p95_ms']} ms, min "
            f"{idle['min_ms']} ms over {idle['runs']} runs; {idle['queries']:g} queries per run;"
            f" flagged per run: {sorted(set(idle['flagged']))}")
    if due and "median_ms" in due:
        add(f"  {due['due']:,} due:  median {due['median_ms']:,} ms (min {due['min_ms']:,}, max "
            f"{due['max_ms']:,}) over {due['runs']} runs = {due['per_ticket_ms']} ms per ticket;"
            f" {due['queries']:,.0f} queries per run; flagged {due['flagged']}")
    elif due:
        add(f"  due: skipped ({due.get('skipped')})")
    add("")
    add(f"Budgets ({args.tickets:,} tickets on this machine; the issue sets them for 100,000)")
    by_key = {r.endpoint.key: r for r in ours}
    verdicts = []
    for label, key, measure, limit, kind in BUDGETS:
        if key == "breach_idle":
            value = idle["median_ms"] if idle else None
        else:
            r = by_key.get(key)
            # Throughput needs the concurrent wrk run; a sequential rate is not a throughput.
            value = None if r is None or (measure == "rps" and r.load is None) else (
                getattr(r, measure))
        sign = "≤" if kind == "max" else "≥"
        unit = " ms" if measure == "median_ms" else " req/s"
        met = value is not None and (value <= limit if kind == "max" else value >= limit)
        verdicts.append({"budget": label, "value": value, "limit": limit, "met": met})
        verdict = "met" if met else ("not measured" if value is None else "MISSED")
        add(f"  {label:<32} {sign} {limit:g}{unit:<7} {_fmt(value, unit).strip():>14}   "
            f"{verdict}")
    report["budgets"] = verdicts
    plans = [r for r in ours if r.queue_plan and r.endpoint.key == "queue_api"]
    for r in plans:
        add("")
        add(f"Plan of the queue query for {r.endpoint.name.strip()}:")
        lines.extend("  " + line for line in plan_summary(r.queue_plan))
    text = "\n".join(lines)
    print(text, flush=True)
    return text


# --- Main --------------------------------------------------------------------------------------


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
        note_load("end")
        report["load_average_1min"] = dict(_LOAD)
        report["table"] = build_report(ours, theirs, args, report)
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
