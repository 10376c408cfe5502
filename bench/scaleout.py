"""Scale-out: the same load against one and against two portal instances, behind a local nginx
reverse proxy, on one PostgreSQL and one Redis (``make bench-scaleout``).

* **one**: nginx → one gunicorn (``--workers`` processes), one Celery worker;
* **two**: nginx → two gunicorn instances (``--workers`` each, round robin), two Celery workers.

Both modes go through the same nginx, so the proxy's cost is in both figures. On a database of
its own (``support_portal_bench_scaleout``, seeded by ``bench.seed``) it measures, with wrk at
``--connections`` connections for ``--duration`` seconds each:

* ``GET /api/v1/queue/`` as an engineer (API token);
* ``GET /queue/`` as the same engineer, with **one** session signed in through nginx: the
  session works on whichever instance answers (no sticky sessions);
* ``POST /api/v1/tickets/`` as a contact (the acknowledgement e-mails go to a local SMTP sink
  through the Celery workers); then the time from the end of that load until the workers have
  delivered every e-mail it created (the outbox drained).

nginx's access log names the instance that answered each request, so the split between the two
is measured, not assumed. nginx and wrk come from Debian (installed when missing and root).

    .venv/bin/python bench/scaleout.py [--tickets 20000] [--workers 2] [--connections 8]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import infra
from bench.load import run_wrk, wrk_path
from bench.ours import TICKET_BODY
from bench.webclient import api_token, session_login

DB_NAME = "support_portal_bench_scaleout"
DRAIN_LIMIT_S = 600.0

NGINX_CONF = """\
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$upstream_addr $status';
  access_log {dir}/access.log upstream;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream portal {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 30m;
    location / {{
      proxy_pass http://portal;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 60s;
    }}
  }}
}}
"""


def nginx_path() -> str:
    """nginx from Debian, installed when missing and we are root."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("scale-out: nginx is not installed (apt-get install nginx-light)")
    infra.log("nginx is missing: apt-get install -y nginx-light")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, env=env,
                   capture_output=True)
    return shutil.which("nginx") or "/usr/sbin/nginx"


@contextmanager
def nginx(upstreams: list[str], workdir: Path) -> Iterator[tuple[str, Path]]:
    """nginx in the foreground on a free port, proxying round robin to ``upstreams``."""
    port = infra.free_port()
    conf = workdir / "nginx.conf"
    servers = "\n".join(f"    server {u.removeprefix('http://')};" for u in upstreams)
    conf.write_text(NGINX_CONF.format(
        user="user root;\n" if os.geteuid() == 0 else "", dir=workdir, servers=servers,
        port=port))
    proc = subprocess.Popen([nginx_path(), "-c", str(conf), "-p", str(workdir),
                             "-g", "daemon off;"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://{infra.HOST}:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                subprocess.run(["curl", "-fsS", "-o", "/dev/null", f"{base}/healthz"],
                               check=True, timeout=5, capture_output=True)
                break
            except subprocess.SubprocessError:
                if proc.poll() is not None:
                    raise RuntimeError((workdir / "error.log").read_text()) from None
                time.sleep(0.2)
        yield base, workdir / "access.log"
    finally:
        infra._stop(proc)


@contextmanager
def celery_worker(env: dict[str, str], name: str, log_path: Path) -> Iterator[None]:
    command = [sys.executable, "-m", "celery", "-A", "support_portal", "worker",
               "--queues", "sla,mail,celery", "--concurrency", "1", "--loglevel", "WARNING",
               "--without-mingle", "--without-gossip", "--hostname", f"{name}@%h"]
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(command, cwd=infra.ROOT, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield
        finally:
            infra._stop(proc)


def split(access_log: Path, mark: int) -> dict[str, int]:
    """Answers per instance in the access log after byte offset ``mark``."""
    with access_log.open("rb") as handle:
        handle.seek(mark)
        lines = handle.read().decode(errors="replace").splitlines()
    return dict(collections.Counter(line.split(" ")[0] for line in lines if line))


def pending_emails() -> int:
    from tickets.models import OutboundEmail

    return OutboundEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True).count()


def sign_in(base: str, contact_email: str) -> dict[str, str]:
    """Tokens and one session, taken once through nginx and used in both modes (an
    authenticator code is accepted once)."""
    from bench.seed_accounts import BENCH_PASSWORD, BENCH_TOTP_SECRET, ENGINEER_EMAIL

    return {
        "engineer": api_token(base, ENGINEER_EMAIL, BENCH_PASSWORD, BENCH_TOTP_SECRET),
        "contact": api_token(base, contact_email, BENCH_PASSWORD),
        "cookie": session_login(base, ENGINEER_EMAIL, BENCH_PASSWORD,
                                BENCH_TOTP_SECRET).cookie_header(),
    }


def measure_mode(instances: int, args: argparse.Namespace, env: dict[str, str], wrk: str,
                 contact_email: str, workdir: Path,
                 credentials: dict[str, str]) -> dict[str, Any]:

    result: dict[str, Any] = {"instances": instances, "gunicorn_workers_each": args.workers,
                              "celery_workers": instances}
    mode_dir = workdir / f"mode-{instances}"
    mode_dir.mkdir()
    with ExitStack() as stack:
        bases = [stack.enter_context(infra.gunicorn(
            infra.portal_command, env, mode_dir / f"gunicorn-{i}.log", infra.ROOT, args.workers))
            for i in range(instances)]
        for i in range(instances):
            stack.enter_context(celery_worker(env, f"scaleout-{instances}-{i}",
                                              mode_dir / f"celery-{i}.log"))
        base, access_log = stack.enter_context(nginx(bases, mode_dir))
        if not credentials:
            credentials.update(sign_in(base, contact_email))
        engineer, contact = credentials["engineer"], credentials["contact"]
        runs = {
            "queue_api": ("GET", "/api/v1/queue/", {"Authorization": f"Token {engineer}",
                                                    "Accept": "application/json"}, None),
            "queue_page": ("GET", "/queue/", {"Cookie": credentials["cookie"]}, None),
            "create_api": ("POST", "/api/v1/tickets/", {
                "Authorization": f"Token {contact}", "Accept": "application/json",
                "Content-Type": "application/json"}, TICKET_BODY),
        }
        for key, (method, path, headers, body) in runs.items():
            infra.settle(base)
            mark = access_log.stat().st_size if access_log.exists() else 0
            pending_before = pending_emails()
            load = run_wrk(wrk, base + path, method=method, headers=headers,
                           body_template=body, connections=args.connections,
                           threads=2, duration=args.duration)
            ended = time.monotonic()
            entry: dict[str, Any] = {
                "rps": load.rps, "median_ms": load.median_ms, "p99_ms": load.p99_ms,
                "requests": load.requests, "errors": load.errors,
                "answered_by": split(access_log, mark) if access_log.exists() else {},
            }
            if method == "POST":
                created = pending_emails() - pending_before
                while pending_emails() and time.monotonic() - ended < DRAIN_LIMIT_S:
                    time.sleep(0.2)
                entry["emails_pending_at_end"] = created
                entry["mail_drained_s"] = round(time.monotonic() - ended, 1)
                entry["emails_left"] = pending_emails()
            result[key] = entry
            infra.log(f"{instances} instance(s) {key:11} {load.rps:8.1f} req/s  median "
                      f"{load.median_ms} ms  p99 {load.p99_ms} ms  errors {load.errors}  "
                      f"split {entry['answered_by']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    wrk = wrk_path(log=infra.log)
    if wrk is None:
        raise SystemExit("scale-out: wrk is needed (apt-get install wrk)")
    nginx_path()
    from tests.smtp_fault_server import SmtpSink

    sink = SmtpSink().start()
    env = infra.app_env(secrets.token_urlsafe(50))
    env.update({
        "DATABASE_URL": f"postgres://{infra.PG_USER}@{infra.PG_HOST}:{infra.PG_PORT}/{DB_NAME}",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8",
        "AXES_PROXY_COUNT": "1",
    })
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "tickets": args.tickets,
        "cpu": infra.cpu_model(), "cores": os.cpu_count(), "connections": args.connections,
        "duration_s": args.duration, "load_before": os.getloadavg()[0]}
    infra.log(f"recreating database {DB_NAME}")
    infra.recreate_database(DB_NAME)
    try:
        infra.migrate(env)
        infra.setup_django(env)
        from bench.seed import seed

        seed(tickets=args.tickets, open_tickets=max(1, args.tickets // 20), companies=100)
        from accounts.models import Contact

        contact = (Contact.objects.active().filter(company__plan__code="enhanced")
                   .select_related("user").order_by("pk").first())
        assert contact is not None
        with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
            credentials: dict[str, str] = {}
            report["modes"] = [measure_mode(n, args, env, wrk, contact.user.email, Path(tmp),
                                            credentials) for n in (1, 2)]
    finally:
        sink.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            infra.drop_database(DB_NAME)
    report["load_after"] = os.getloadavg()[0]
    one, two = report["modes"]
    print("\nScale-out: one instance vs two behind nginx "
          f"({args.connections} connections, {args.duration:g} s each, {os.cpu_count()} cores)")
    print(f"{'path':12} {'one: req/s':>11} {'median':>8} {'two: req/s':>11} {'median':>8} "
          f"{'ratio':>6}  split (two)")
    for key in ("queue_api", "queue_page", "create_api"):
        a, b = one[key], two[key]
        ratio = b["rps"] / a["rps"] if a["rps"] else 0.0
        print(f"{key:12} {a['rps']:11.1f} {a['median_ms']:8} {b['rps']:11.1f} "
              f"{b['median_ms']:8} {ratio:5.2f}×  {sorted(b['answered_by'].values())}")
    for label, mode in (("one worker", one), ("two workers", two)):
        made = mode["create_api"]["emails_pending_at_end"]
        took = mode["create_api"]["mail_drained_s"]
        print(f"mail after the creation load, {label}: {made} e-mails waiting, all delivered "
              f"{took} s after the load ended" + (f" ({made / took:.1f}/s)" if took else ""))
    infra.RESULTS.mkdir(parents=True, exist_ok=True)
    out = infra.RESULTS / f"scaleout-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    out.write_text(json.dumps(report, indent=2))
    infra.log(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
