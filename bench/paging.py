"""On-call paging (SPEC §11): how long from a severity-1 filing's commit until the on-call
engineer's page e-mail is handed to the SMTP server and the signed webhook call reaches the
gateway, and what paging costs ticket creation.

    .venv/bin/python bench/paging.py [--tickets 100] [--duration 10] [--connections 4]
                                     [--workers 3] [--redis-url redis://127.0.0.1:6379/7]
                                     [--keep-db]

1. (Re)creates ``support_portal_bench_paging`` on 127.0.0.1, migrates it in a subprocess and
   seeds one premium account (a contact), the on-call engineer (a level-1 rotation), a
   secondary and the account's TAM.
2. Starts, on free loopback ports, an SMTP sink and a webhook receiver (both timestamp what
   they receive, the receiver checks the HMAC), the portal under gunicorn (production settings)
   and one Celery worker with its beat, as in production.
3. **Latency**: files ``--tickets`` severity-1 tickets one after the other through the API
   (a quarter of a second apart); for each, the time from the filing's answer (the request
   returns right after its transaction commits: a slight overestimate of the commit time, so
   the latencies are if anything understated by a few ms) until the page's e-mail reached the
   SMTP sink, and until the webhook call reached the receiver. Median, p95, max.
4. **Throughput**: ticket creation (``POST /api/v1/tickets/``) with ``--connections``
   concurrent clients for ``--duration`` s each: severity 1 with the rota (pages one
   person), severity 1 with no rota (pages everyone: the level-3 fan-out), severity 2 (no
   paging, the baseline).
5. Stops everything, drops the database (unless ``--keep-db``), prints JSON.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402
from bench.webclient import Http, api_token  # noqa: E402

DB_NAME = "support_portal_bench_paging"
PASSWORD = "bench-password-0"  # noqa: S105 (a throwaway bench database)
SECRET = "bench-gateway-secret"  # noqa: S105
ON_CALL = "oncall@bench.example"
WAIT = 120.0


def seed() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts import services
    from accounts.models import Company, LicenseType, Plan, Role, User
    from tickets.models import Rotation, RotationMember

    now = timezone.now()
    tam = User.objects.create_user("tam@bench.example", PASSWORD, role=Role.TAM,
                                   full_name="Bench TAM")
    company = services.company_create(
        name="Bench Premium", license=LicenseType.PLUS, plan=Plan.objects.get(code="enhanced"),
        tam=tam, timezone="UTC", license_valid_until=now.date() + timedelta(days=365))
    services.contact_create(company=company, email="contact@bench.example",
                            full_name="Bench Contact", password=PASSWORD, phone="+1 555 0100")
    assert Company.objects.count() == 1
    for level, address in ((1, ON_CALL), (2, "secondary@bench.example")):
        user = User.objects.create_user(address, PASSWORD, role=Role.ENGINEER,
                                        full_name=f"Level {level}")
        rotation = Rotation.objects.create(name=f"L{level}", level=level, shift_hours=24 * 7,
                                           starts_at=now - timedelta(days=1))
        RotationMember.objects.create(rotation=rotation, user=user, position=0)


class Sinks:
    """The SMTP sink and the webhook receiver, timestamping what arrives (monotonic clock)."""

    def __init__(self) -> None:
        self.mail: dict[str, float] = {}  # ticket number -> first page e-mail to ON_CALL
        self.hooks: dict[str, float] = {}  # ticket number -> first webhook call
        self.bad_signatures = 0
        self.lock = threading.Lock()


def start_sinks(sinks: Sinks) -> tuple[Any, Any, int, str]:
    import hashlib
    import hmac
    import socketserver
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.mail_server import free_port

    class Smtp(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())
            self.wfile.flush()

        def handle(self) -> None:
            self.reply("220 bench ESMTP")
            rcpts: list[str] = []
            while line := self.rfile.readline():
                verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 bench")
                elif verb == "MAIL":
                    rcpts = []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 go on")
                    raw = b""
                    while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        raw += data
                    arrived = time.monotonic()
                    subject = str(email.message_from_bytes(
                        raw, policy=email.policy.default)["Subject"] or "")
                    found = re.search(r"\[(TS-\d+)\]", subject)
                    if found and ON_CALL in rcpts and "Page" in subject:
                        with sinks.lock:
                            sinks.mail.setdefault(found.group(1), arrived)
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 OK")

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            arrived = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Portal-Signature", "")):
                with sinks.lock:
                    sinks.bad_signatures += 1
                self.send_response(401)
            else:
                number = json.loads(body)["ticket"]["number"]
                with sinks.lock:
                    sinks.hooks.setdefault(number, arrived)
                self.send_response(204)
            self.end_headers()

    class Threading(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    smtp = Threading(("127.0.0.1", free_port()), Smtp)
    hook = ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    hook.daemon_threads = True
    for server in (smtp, hook):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return smtp, hook, smtp.server_address[1], f"http://127.0.0.1:{hook.server_address[1]}/"


def file_ticket(base: str, token: str, severity: int) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"subject": "Every endpoint quarantines Outlook", "severity": severity,
                       "description": "Since the 06:00 database update."}).encode()
    status, _url, content = Http(base).request(
        "/api/v1/tickets/", data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    return status, json.loads(content) if content else {}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ms = [v * 1000 for v in values]
    return {"count": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(percentile(ms, 0.95), 1), "max_ms": round(max(ms), 1)}


def measure_latency(base: str, token: str, sinks: Sinks, tickets: int) -> dict[str, Any]:
    answered: dict[str, float] = {}
    for _ in range(tickets):
        status, body = file_ticket(base, token, 1)
        if status != 201:
            raise RuntimeError(f"filing answered {status}: {body}")
        answered[body["number"]] = time.monotonic()
        time.sleep(0.25)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with sinks.lock:
            if all(n in sinks.mail and n in sinks.hooks for n in answered):
                break
        time.sleep(0.2)
    with sinks.lock:
        mail = [sinks.mail[n] - t for n, t in answered.items() if n in sinks.mail]
        hooks = [sinks.hooks[n] - t for n, t in answered.items() if n in sinks.hooks]
    return {"email_handed_to_smtp": summary(mail), "webhook_delivered": summary(hooks),
            "bad_signatures": sinks.bad_signatures}


def throughput(base: str, token: str, severity: int, duration: float,
               connections: int) -> dict[str, Any]:
    done = [0] * connections
    failed = [0] * connections
    stop = time.monotonic() + duration

    def client(i: int) -> None:
        while time.monotonic() < stop:
            status, _ = file_ticket(base, token, severity)
            if status == 201:
                done[i] += 1
            else:
                failed[i] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"requests_per_second": round(sum(done) / elapsed, 1), "created": sum(done),
            "failed": sum(failed), "seconds": round(elapsed, 1)}


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    var = Path(env["PORTAL_VAR_DIR"])
    var.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "celery", "-A", "support_portal", "purge", "-f"],
                   cwd=infra.ROOT, env=env, check=True, capture_output=True)
    log = (var / "worker.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
         "--concurrency", "2", "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
         "--hostname", f"bench-paging-{os.getpid()}@%h"],
        cwd=infra.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def measure(tickets: int = 100, duration: float = 10.0, connections: int = 4, workers: int = 3,
            redis_url: str | None = None, keep_db: bool = False) -> dict[str, Any]:
    infra.DB_NAME = DB_NAME
    if redis_url:
        infra.REDIS_URL = redis_url
    env = infra.app_env(secrets.token_urlsafe(40))
    sinks = Sinks()
    smtp, hook, smtp_port, hook_url = start_sinks(sinks)
    env.update({"EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "PAGING_WEBHOOK_URL": hook_url,
                "PAGING_WEBHOOK_SECRET": SECRET, "EMAIL_SWEEP_SECONDS": "5",
                "PAGING_WEBHOOK_SWEEP_SECONDS": "5", "SLA_SCAN_SECONDS": "5",
                "PORTAL_VAR_DIR": str(Path(os.environ.get("TMPDIR", "/tmp"))  # noqa: S108
                                      / "bench-paging-var")})
    infra.log(f"paging bench: {tickets} severity-1 filings, database {DB_NAME}")
    infra.recreate_database(DB_NAME)
    worker = None
    try:
        infra.migrate(env)
        infra.setup_django(env)
        seed()
        from django.db import connection

        connection.close()
        worker = start_worker(env)
        log_path = Path(env["PORTAL_VAR_DIR"]) / "gunicorn.log"
        with infra.gunicorn(infra.portal_command, env, log_path, infra.ROOT, workers) as base:
            token = api_token(base, "contact@bench.example", PASSWORD)
            time.sleep(5)  # the worker and its beat are up
            latency = measure_latency(base, token, sinks, tickets)
            infra.log(f"latency: {latency}")
            with_rota = throughput(base, token, 1, duration, connections)
            from tickets.models import Rotation

            Rotation.objects.all().delete()
            connection.close()
            without_rota = throughput(base, token, 1, duration, connections)
            baseline = throughput(base, token, 2, duration, connections)
            infra.log(f"creation: rota {with_rota}, no rota {without_rota}, S2 {baseline}")
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        smtp.shutdown()
        hook.shutdown()
        if not keep_db:
            infra.drop_database(DB_NAME)
    return {"what": "on-call paging: filing's commit → page e-mail at SMTP / webhook at gateway",
            "tickets": tickets, "latency": latency,
            "ticket_creation": {"connections": connections, "gunicorn_workers": workers,
                                "severity_1_with_rota": with_rota,
                                "severity_1_without_rota_pages_everyone": without_rota,
                                "severity_2_no_paging": baseline},
            "machine": {"cpu": infra.cpu_model(), "cores": os.cpu_count(),
                        "load_1min": round(os.getloadavg()[0], 2)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--redis-url", default=None,
                        help=f"cache and broker (default {infra.REDIS_URL})")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.tickets, args.duration, args.connections, args.workers,
                             args.redis_url, args.keep_db), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
