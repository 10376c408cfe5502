"""Benchmark of the engineers' priority queue (SPEC §5): the API and the staff page.

    .venv/bin/python bench/run.py [--tickets 100000] [--open 10000] [--companies 200]
                                  [--requests 200] [--warmup 20] [--keep-db] [--reuse-db]

1. (Re)creates the PostgreSQL database ``support_portal_bench`` on 127.0.0.1, migrates it in a
   subprocess and seeds it with bulk inserts / COPY, then ``VACUUM ANALYZE``.
2. Starts the portal under gunicorn as in production (2 sync workers, DEBUG off) on a free
   loopback port and waits for ``/healthz``.
3. Signs in as an engineer: an API token for the API, a session (login form + CSRF) for the page.
4. Times N sequential requests per endpoint over loopback after a warm-up; then the same N
   requests in-process (Django test ``Client``) with every SQL statement timed through
   ``connection.execute_wrapper``, for the database share and queries per request; then the
   PostgreSQL floor, ``EXPLAIN (ANALYZE, FORMAT JSON)`` of the exact SQL each request ran.
5. Prints tables and writes ``bench/results/queue-<timestamp>.json``.

Only 127.0.0.1 is contacted. Gunicorn is always stopped; the database is dropped unless
``--keep-db``. See bench/README.md.
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
from collections.abc import Callable, Iterator
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
RESULTS = Path(__file__).resolve().parent / "results"
DB_NAME = "support_portal_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_URL = "redis://127.0.0.1:6379/7"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0  # seconds, per HTTP request
START_TIMEOUT = 60.0  # seconds for gunicorn to answer /healthz
MIGRATE_TIMEOUT = 600


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    kind: str  # "api" (token) or "page" (session)
    #: Extra request headers, e.g. the htmx poll's ``HX-Request``.
    headers: tuple[tuple[str, str], ...] = ()

    def wsgi_headers(self) -> dict[str, str]:
        return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers}


HTMX = (("HX-Request", "true"),)
ENDPOINTS = [
    Endpoint("api  /api/v1/queue/", "/api/v1/queue/", "api"),
    Endpoint("api  /api/v1/queue/?severity=1", "/api/v1/queue/?severity=1", "api"),
    Endpoint("page /queue/", "/queue/", "page"),
    Endpoint("page /queue/?severity=1", "/queue/?severity=1", "page"),
    # The page refreshes its results every 30 s with an htmx GET of the same URL (partial).
    Endpoint("page /queue/ htmx poll", "/queue/", "page", HTMX),
]


@dataclass
class Timing:
    n: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    rps: float  # sequential requests per second over the whole loop

    @classmethod
    def of(cls, samples: list[float], wall: float) -> Timing:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return cls(
            n=len(samples),
            median_ms=_ms(statistics.median(ordered)),
            p95_ms=_ms(p95),
            min_ms=_ms(ordered[0]),
            max_ms=_ms(ordered[-1]),
            rps=round(len(samples) / wall, 1),
        )


@dataclass
class Result:
    endpoint: Endpoint
    http: Timing | None = None
    bytes: int = 0
    rows_total: int | None = None
    inproc: Timing | None = None
    db_ms_median: float | None = None
    db_share: float | None = None
    queries_per_request: float | None = None
    floor_queue_ms: float | None = None
    floor_all_ms: float | None = None
    planning_ms: float | None = None
    sql: list[dict[str, Any]] = field(default_factory=list)
    queue_plan: Any = None


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Database ----------------------------------------------------------------------------------


def database_url() -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"


def _admin_connection() -> Any:
    import psycopg2

    conn = psycopg2.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5
    )
    conn.autocommit = True
    return conn


def recreate_database() -> None:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()


def database_exists() -> bool:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def drop_database() -> None:
    conn = _admin_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
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
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "support_portal.wsgi:application",
        "--workers",
        "2",
        "--bind",
        f"{HOST}:{port}",
    ]
    log(f"starting: {' '.join(command[1:])}")
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
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


def measure_http(
    http: Http, endpoint: Endpoint, headers: dict[str, str], n: int, warmup: int
) -> tuple[Timing, int, int | None]:
    def one() -> tuple[float, bytes]:
        started = time.perf_counter()
        status, url, body = http.request(endpoint.path, headers=headers)
        elapsed = time.perf_counter() - started
        if status != 200 or not url.endswith(endpoint.path):
            raise RuntimeError(f"{endpoint.path}: HTTP {status} at {url}")
        return elapsed, body

    for _ in range(warmup):
        one()
    samples: list[float] = []
    body = b""
    loop_started = time.perf_counter()
    for _ in range(n):
        elapsed, body = one()
        samples.append(elapsed)
    wall = time.perf_counter() - loop_started
    rows = None
    if endpoint.kind == "api":
        count = json.loads(body).get("count")  # lists carry a count; the dashboard does not
        rows = int(count) if count is not None else None
    return Timing.of(samples, wall), len(body), rows


# --- In-process: database share, queries, PostgreSQL floor ------------------------------------


def page_exists(path: str = "/queue/") -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def measure_inprocess(
    endpoint: Endpoint, user: Any, token: str, n: int, warmup: int
) -> dict[str, Any]:
    """Same requests through Django's full stack (test Client, no network, no gunicorn), with
    every SQL statement timed by ``connection.execute_wrapper``."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    headers = endpoint.wsgi_headers()
    if endpoint.kind == "api":
        headers["HTTP_AUTHORIZATION"] = f"Token {token}"
    else:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    current: list[tuple[str, Any, float]] = []

    def timer(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            current.append((sql, params, time.perf_counter() - started))

    totals: list[float] = []
    db_times: list[float] = []
    query_counts: list[int] = []
    last: list[tuple[str, Any, float]] = []
    with connection.execute_wrapper(timer):
        for i in range(warmup + n):
            current.clear()
            started = time.perf_counter()
            response = client.get(endpoint.path, **headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"in-process {endpoint.path}: {response.status_code}")
            if i >= warmup:
                totals.append(elapsed)
                db_times.append(sum(t for _s, _p, t in current))
                query_counts.append(len(current))
                last = list(current)
    wall = sum(totals)
    return {
        "timing": Timing.of(totals, wall),
        "db_ms_median": _ms(statistics.median(db_times)),
        "db_share": round(sum(db_times) / sum(totals), 3),
        "queries_per_request": statistics.mean(query_counts),
        "statements": last,
    }


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
    """The queue page's row query: tickets, ordered, limited (not the COUNT)."""
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


def profile_inprocess(
    endpoints: list[Endpoint], user: Any, token: str, out_dir: Path, stamp: str, n: int = 20
) -> list[str]:
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
        if endpoint.kind == "api":
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        else:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.get(endpoint.path, **headers)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(n):
            client.get(endpoint.path, **headers)
        profiler.stop()
        slug = re.sub(r"[^a-z0-9]+", "-", endpoint.name.lower()).strip("-")
        path = out_dir / f"profile-{stamp}-{slug}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        paths.append(str(path))
    return paths


# --- Report ------------------------------------------------------------------------------------


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}{suffix}"
    return f"{value}{suffix}"


_LOAD: dict[str, float] = {}


def note_load(when: str) -> None:
    _LOAD[when] = round(os.getloadavg()[0], 2)


def report_load() -> dict[str, float]:
    return {"start": _LOAD.get("start", -1.0), "end": _LOAD.get("end", -1.0)}


def print_tables(
    results: list[Result], args: argparse.Namespace, seed_info: dict[str, Any], page_missing: bool
) -> str:
    lines: list[str] = []
    add = lines.append
    add("")
    add(
        f"Queue benchmark — {args.tickets:,} tickets ({args.open:,} open), "
        f"{args.companies} companies; {args.requests} sequential requests per endpoint "
        f"after {args.warmup} warm-up; gunicorn 2 sync workers; {os.cpu_count()} CPUs"
    )
    if seed_info:
        seconds = seed_info.get("seconds", {})
        steps = ", ".join(f"{k} {v} s" for k, v in seconds.items() if k != "total")
        add(
            f"Seeding: {seconds.get('total', '?')} s ({steps}); {seed_info['tickets']:,} tickets, "
            f"{seed_info['comments']:,} comments, {seed_info['events']:,} events, "
            f"{seed_info['breached']:,} breached"
        )
    load = report_load()
    add(
        f"Load average (1 min) at start {load['start']}, at end {load['end']} — other processes "
        "on the machine add noise"
    )
    add("")
    add("HTTP over loopback (gunicorn, production settings)")
    head = (
        f"{'endpoint':<36} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} {'req/s':>7} "
        f"{'bytes':>8} {'rows':>7}"
    )
    add(head)
    add("-" * len(head))
    for r in results:
        h = r.http
        if h is None:
            add(f"{r.endpoint.name:<36} {'(not measured)':>8}")
            continue
        add(
            f"{r.endpoint.name:<36} {h.median_ms:>6.2f}ms {h.p95_ms:>6.2f}ms {h.min_ms:>6.2f}ms "
            f"{h.max_ms:>6.2f}ms {h.rps:>7.1f} {r.bytes:>8} {_fmt(r.rows_total):>7}"
        )
    add("")
    add(
        "Where the time goes (in-process Django test Client, same requests, SQL timed per "
        "statement)"
    )
    head = (
        f"{'endpoint':<36} {'median':>8} {'db/req':>8} {'db %':>6} {'queries':>7} "
        f"{'PG floor':>9} {'floor all':>9} {'HTTP med ÷ floor':>16}"
    )
    add(head)
    add("-" * len(head))
    for r in results:
        if r.inproc is None:
            continue
        ratio = (
            f"{r.http.median_ms / r.floor_queue_ms:.1f}×" if r.http and r.floor_queue_ms else "—"
        )
        add(
            f"{r.endpoint.name:<36} {r.inproc.median_ms:>6.2f}ms {_fmt(r.db_ms_median, 'ms'):>8} "
            f"{(r.db_share or 0) * 100:>5.1f}% {_fmt(r.queries_per_request):>7} "
            f"{_fmt(r.floor_queue_ms, 'ms'):>9} {_fmt(r.floor_all_ms, 'ms'):>9} {ratio:>16}"
        )
    add("")
    add(
        "PG floor = EXPLAIN ANALYZE Execution Time of the queue's row query (median of 7, warm);"
        " floor all = sum over every SELECT of the request."
    )
    if page_missing:
        add("The staff page /queue/ does not exist in support_portal/urls.py yet: not measured.")
    for r in results:
        if r.queue_plan:
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
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--keep-db", action="store_true", help=f"keep {DB_NAME} afterwards")
    parser.add_argument("--dashboard", action="store_true",
                        help="also measure the TAM dashboard of the account with most tickets")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help=f"use an existing {DB_NAME} (from --keep-db) as is, no seeding",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write pyinstrument profiles (needs pyinstrument)",
    )
    args = parser.parse_args(argv)
    for name in ("tickets", "companies", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.open < 0 or args.open > args.tickets or args.warmup < 0:
        parser.error("--open must be between 0 and --tickets; --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    env = app_env(secrets.token_urlsafe(50))
    report: dict[str, Any] = {
        "started_at": stamp,
        "args": vars(args),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }
    seed_info: dict[str, Any] = {}
    created = False
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
            seed_info = asdict(info)
            log(
                f"seeded {info.tickets:,} tickets, {info.comments:,} comments, "
                f"{info.events:,} events in {info.seconds['total']} s {info.seconds}"
            )
        report["seed"] = seed_info

        from django.db import connection

        from accounts.models import User
        from bench.seed import BENCH_PASSWORD, ENGINEER_EMAIL

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            report["machine"]["postgresql"] = cursor.fetchone()[0]
        engineer = User.objects.get(email=ENGINEER_EMAIL)
        has_page = page_exists("/queue/")
        endpoints = [e for e in ENDPOINTS if e.kind == "api" or has_page]
        if args.dashboard:
            # The TAM dashboard of the account with the most tickets (SPEC §6).
            from django.db.models import Count

            from accounts.models import Company

            busiest = Company.objects.annotate(n=Count("tickets")).order_by("-n").first()
            assert busiest is not None
            log(f"dashboard of {busiest.name}: {busiest.n:,} tickets")  # type: ignore[attr-defined]
            report["dashboard_company_tickets"] = busiest.n  # type: ignore[attr-defined]
            endpoints += [
                Endpoint("api  /api/v1/companies/{id}/dashboard/",
                         f"/api/v1/companies/{busiest.pk}/dashboard/", "api"),
                Endpoint("page /tam/accounts/{id}/", f"/tam/accounts/{busiest.pk}/", "page"),
            ]
        results = {e.name: Result(e) for e in endpoints}

        note_load("start")
        with gunicorn(env, RESULTS / f"gunicorn-{stamp}.log") as base:
            token = api_token(base, ENGINEER_EMAIL, BENCH_PASSWORD)
            session = session_login(base, ENGINEER_EMAIL, BENCH_PASSWORD) if has_page else None
            for endpoint in endpoints:
                if endpoint.kind == "api":
                    http = Http(base)
                    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
                else:
                    assert session is not None
                    http, headers = session, {}
                headers.update(endpoint.headers)
                log(f"HTTP {endpoint.path}: {args.warmup} warm-up + {args.requests} timed")
                timing, size, rows = measure_http(
                    http, endpoint, headers, args.requests, args.warmup
                )
                result = results[endpoint.name]
                result.http, result.bytes, result.rows_total = timing, size, rows

        for endpoint in endpoints:
            log(f"in-process {endpoint.path}: {args.warmup} warm-up + {args.requests} timed")
            measured = measure_inprocess(endpoint, engineer, token, args.requests, args.warmup)
            result = results[endpoint.name]
            result.inproc = measured["timing"]
            result.db_ms_median = measured["db_ms_median"]
            result.db_share = measured["db_share"]
            result.queries_per_request = measured["queries_per_request"]
            floors = explain(measured["statements"])
            result.floor_queue_ms = floors["floor_queue_ms"]
            result.planning_ms = floors["planning_queue_ms"]
            result.floor_all_ms = floors["floor_all_ms"]
            result.sql = floors["statements"]
            result.queue_plan = floors["queue_plan"]

        if args.profile:
            report["profiles"] = profile_inprocess(endpoints, engineer, token, RESULTS, stamp)

        note_load("end")
        report["load_average_1min"] = report_load()
        ordered = [results[e.name] for e in endpoints]
        report["table"] = print_tables(ordered, args, seed_info, not has_page)
        report["results"] = [
            {
                **{k: v for k, v in asdict(r).items() if k not in {"endpoint"}},
                "endpoint": asdict(r.endpoint),
                "ratio_http_median_to_floor": (
                    round(r.http.median_ms / r.floor_queue_ms, 1)
                    if r.http and r.floor_queue_ms
                    else None
                ),
            }
            for r in ordered
        ]
        report["page_measured"] = has_page
        out = RESULTS / f"queue-{stamp}.json"
        out.write_text(json.dumps(report, indent=2, default=str))
        log(f"results written to {out.relative_to(ROOT)}")
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        if created and not args.keep_db:
            drop_database()
            log(f"dropped {DB_NAME}")
        elif created or args.reuse_db:
            log(f"kept {DB_NAME} ({database_url()})")


if __name__ == "__main__":
    sys.exit(main())
