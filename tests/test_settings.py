"""Configuration comes only from the environment; production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG_VARS = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
               "SECURE_SSL_REDIRECT", "STATIC_MANIFEST", "PORTAL_VAR_DIR")


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update(env)
    return subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True,
        text=True, timeout=120, check=False,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_passes_the_deployment_checks_with_production_values():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY="x7#Qp2!vZ9kL0mN4bR8sT1wY6cF3hJ5dG-production-like-secret",
        ALLOWED_HOSTS="support.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/support_portal",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_defaults_need_no_server(tmp_path):
    script = ("from django.conf import settings as s; "
              "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_BROKER_URL); "
              "print(s.CACHES['default']['BACKEND'])")
    result = run_manage("shell", "-v", "0", "-c", script, DEBUG="true",
                        PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    engine, broker, cache = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert cache.endswith("LocMemCache")


@pytest.mark.slow_subprocess
def test_the_demo_comes_up_on_sqlite_and_a_demo_contact_can_sign_in(tmp_path):
    env = {"DEBUG": "true", "PORTAL_VAR_DIR": str(tmp_path)}
    assert run_manage("migrate", "--noinput", "-v", "0", **env).returncode == 0
    seeded = run_manage("seed_demo", **env)
    assert seeded.returncode == 0, seeded.stderr
    assert "alice@northwind.example" in seeded.stdout
    sign_in = (
        "from django.test import Client; c = Client(); "
        "r = c.post('/accounts/login/', {'username': 'alice@northwind.example', "
        "'password': 'support-demo-2026'}, follow=True); "
        "print(r.status_code, 'Northwind Bank' in r.content.decode())"
    )
    result = run_manage("shell", "-v", "0", "-c", sign_in, ALLOWED_HOSTS="testserver", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "True"]
    assert (tmp_path / "portal.sqlite3").exists()
