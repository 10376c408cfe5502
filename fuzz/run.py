"""Fuzz the API against its own OpenAPI schema (SPEC §8): ``make fuzz``, run by ``.ci/run``.

1. creates a fresh PostgreSQL database (``<DATABASE_URL's name>_fuzz``), migrates it and seeds
   a small fixture (``fuzz/seed.py``);
2. starts the portal under gunicorn on a free loopback port, production settings;
3. signs in as a contact, an engineer and an administrator through ``POST /api/v1/auth/token/``
   (staff with the current code of their authenticator, computed from the seeded secret);
4. runs ``schemathesis run --checks all`` against ``/api/v1/schema/`` as each of them, the
   contact first and the administrator last, each bounded by ``--max-examples`` (the seed
   survives: staff cannot be deactivated through the API, and ``fuzz/hooks.py`` never lets
   the fuzzed contact's own id into a contact path);
5. stops gunicorn, drops the database, and exits non-zero on any failure.

Options: ``--max-examples N`` (default 5), ``--roles contact,engineer,admin``, ``--keep``
(leave the database for a look afterwards).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/support_portal"
ROLES = ("contact", "engineer", "admin")


def totp_now(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): the code an authenticator app shows."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fuzz_database_url() -> tuple[str, str, str]:
    """(the fuzz database's URL, its name, the URL of the server's ``postgres`` database)."""
    base = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DB))
    name = f"{base.path.lstrip('/') or 'support_portal'}_fuzz_{os.getpid()}"
    return (urlunsplit(base._replace(path=f"/{name}")), name,
            urlunsplit(base._replace(path="/postgres")))


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if not drop_only:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("fuzz: gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"fuzz: the portal did not answer {url} within {timeout:.0f} s")


def token(base: str, email: str, password: str, totp_secret: str) -> str:
    body: dict[str, str] = {"email": email, "password": password}
    if totp_secret:
        # A code is accepted once; wait for a fresh time step if this one is nearly over.
        if 30 - time.time() % 30 < 2:
            time.sleep(2.5)
        body["otp"] = totp_now(totp_secret)
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.load(answer)["token"])


def schemathesis_command(base: str, key: str, max_examples: int, seed: int) -> list[str]:
    return [
        str(BIN / "schemathesis"), "--no-color", "run", f"{base}/api/v1/schema/",
        "--checks", "all",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--workers", "1",
        "--request-timeout", "30",
        "--generation-database", "none",
        "-H", f"Authorization: Token {key}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    roles = [r for r in args.roles.split(",") if r]
    started = time.monotonic()

    url, name, admin_url = fuzz_database_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "EMAIL_URL": "dummymail://",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DEBUG", None)
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")

    print(f"fuzz: database {name}", flush=True)
    recreate_database(admin_url, name)
    python = str(BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    seeding = subprocess.run([python, "fuzz/seed.py"], cwd=ROOT, env=env, check=False,
                             capture_output=True, text=True)
    if seeding.returncode != 0:
        sys.stderr.write(seeding.stdout + seeding.stderr)
        raise SystemExit("fuzz: seeding failed")
    seeded = json.loads(seeding.stdout.strip().splitlines()[-1])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "support_portal.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    failed: list[str] = []
    try:
        wait_until_up(f"{base}/healthz", server)
        keys = {role: token(base, seeded["users"][role]["email"], seeded["password"],
                            seeded["users"][role]["totp_secret"]) for role in roles}
        schema_file = Path(tempfile.mkdtemp(prefix="fuzz-")) / "schema.json"
        fetch = urllib.request.Request(
            f"{base}/api/v1/schema/?format=json",
            headers={"Authorization": f"Token {keys[roles[-1]]}"})
        with urllib.request.urlopen(fetch, timeout=30) as answer:
            schema_file.write_bytes(answer.read())
        hooks_env = {**env, "SCHEMATHESIS_HOOKS": "fuzz.hooks", "FUZZ_BASE": base,
                     "FUZZ_SEED": json.dumps(seeded), "FUZZ_SCHEMA": str(schema_file)}
        # One role after the other, the administrator last (it may change the accounts the
        # others use); two fuzzers side by side are slower on two cores, not faster.
        for role in roles:
            print(f"\nfuzz: schemathesis as {role}", flush=True)
            at = time.monotonic()
            command = schemathesis_command(base, keys[role], args.max_examples, args.seed)
            done = subprocess.run(command, cwd=ROOT, env={**hooks_env, "FUZZ_ROLE": role},
                                  check=False)
            print(f"fuzz: {role}: exit {done.returncode} after {time.monotonic() - at:.0f} s",
                  flush=True)
            if done.returncode != 0:
                failed.append(role)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)
    print(f"\nfuzz: {len(roles) - len(failed)} of {len(roles)} roles passed in "
          f"{time.monotonic() - started:.0f} s" + (f"; failed: {', '.join(failed)}"
                                                   if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
