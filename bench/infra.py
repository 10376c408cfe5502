"""The machinery around the measurements: the PostgreSQL databases, the portal's environment
(production settings, pointed at the bench database), gunicorn processes, and the machine (CPU
model, load average, the log line).

Standard library only at import time (psycopg2 and Django are imported when first needed).
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.request import ProxyHandler, build_opener

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DB_NAME = "support_portal_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_URL = "redis://127.0.0.1:6379/7"
HOST = "127.0.0.1"
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktMjAyNi0wMDAwMDA="  # Fernet key, bench databases only
START_TIMEOUT = 60.0  # seconds for gunicorn to answer /healthz
MIGRATE_TIMEOUT = 600


def cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


#: The 1-minute load average at named moments of the run (for the report).
LOAD_AVERAGES: dict[str, float] = {}


def note_load(when: str) -> None:
    LOAD_AVERAGES[when] = round(os.getloadavg()[0], 2)


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
            # A fixed key for the secrets stored in the bench databases (the staff's TOTP
            # seeds): a database kept with --keep-db is readable by the next run's new
            # SECRET_KEY (--reuse-db). Throwaway databases only.
            "FIELD_ENCRYPTION_KEYS": BENCH_FIELD_KEY,
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
