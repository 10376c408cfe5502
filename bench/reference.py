"""django-helpdesk, installed from PyPI into its own virtual environment, as the reference.

``prepare()`` makes ``bench/.helpdesk-venv`` (``pip install django-helpdesk==VERSION gunicorn
psycopg2-binary``, once), writes a minimal Django project to ``bench/.helpdesk-project``
(settings with the apps django-helpdesk needs, its REST API on, token and session
authentication, production-like: ``DEBUG`` off, persistent connections as ours), creates the
database ``helpdesk_bench`` on the same PostgreSQL server, migrates it and seeds it with
``bench/helpdesk_tool.py`` (COPY). ``serve()`` runs it under gunicorn the way the portal runs.
Both folders are ignored by git; none of django-helpdesk's code is in this repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".helpdesk-venv"
PROJECT = BENCH / ".helpdesk-project"
PYTHON = VENV / "bin" / "python"
#: The newest django-helpdesk on PyPI when this was written; it runs on Python 3.11 and
#: Django 5.2 (``pip index versions django-helpdesk``). Override with HELPDESK_VERSION.
VERSION = os.environ.get("HELPDESK_VERSION", "2.6.1")
DB_NAME = "helpdesk_bench"
PIP_TIMEOUT = 900

SETTINGS = '''"""django-helpdesk for the benchmark (written by bench/reference.py)."""
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.debug",
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ.get("HELPDESK_DB", "helpdesk_bench"),
    "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432",
    "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
LOGIN_URL = "helpdesk:login"
# E-mails are composed as usual and dropped at the last step (no SMTP server here).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams
HELPDESK_API_ENABLED = True
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
'''

URLS = '''from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
    path("admin/", admin.site.urls),
    path("healthz", lambda request: HttpResponse("ok")),
]
'''

WSGI = '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
'''


def installed_version() -> str | None:
    if not PYTHON.exists():
        return None
    result = subprocess.run(
        [str(PYTHON), "-c", "from importlib.metadata import version; "
         "print(version('django-helpdesk'))"],
        capture_output=True, text=True, check=False,
    )
    return result.stdout.strip() or None


def ensure_venv(log: Any) -> str:
    current = installed_version()
    if current == VERSION:
        return current
    if not PYTHON.exists():
        log(f"creating {VENV.relative_to(BENCH.parent)}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    log(f"pip install django-helpdesk=={VERSION} gunicorn psycopg2-binary (helpdesk venv)")
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"django-helpdesk=={VERSION}", "gunicorn", "psycopg2-binary"],
        check=True, timeout=PIP_TIMEOUT,
    )
    version = installed_version()
    if version is None:
        raise RuntimeError("django-helpdesk did not install")
    return version


def write_project() -> None:
    package = PROJECT / "hdbench"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS)
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)


def env(secret_key: str) -> dict[str, str]:
    drop = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"}
    out = {k: v for k, v in os.environ.items() if k not in drop}
    out.update({
        "DJANGO_SETTINGS_MODULE": "hdbench.settings",
        "PYTHONPATH": str(PROJECT),
        "HELPDESK_PROJECT": str(PROJECT),
        "HELPDESK_DB": DB_NAME,
        "SECRET_KEY": secret_key,
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return out


def run_tool(environ: dict[str, str], *args: str, timeout: float = 3600) -> Any:
    completed = subprocess.run(
        [str(PYTHON), str(BENCH / "helpdesk_tool.py"), *args],
        cwd=PROJECT, env=environ, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"helpdesk_tool {args[0]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def prepare(environ: dict[str, str], tickets: int, open_tickets: int, companies: int,
            log: Any) -> dict[str, Any]:
    """Migrate and seed a fresh ``helpdesk_bench`` (the caller created the database)."""
    write_project()
    subprocess.run([str(PYTHON), "-m", "django", "migrate", "--noinput", "-v", "0"],
                   cwd=PROJECT, env=environ, check=True, timeout=900)
    log(f"helpdesk: migrated; seeding {tickets:,} tickets")
    return dict(run_tool(environ, "seed", "--tickets", str(tickets), "--open",
                         str(open_tickets), "--companies", str(companies)))


def gunicorn_command(port: int, workers: int) -> list[str]:
    return [str(PYTHON), "-m", "gunicorn", "hdbench.wsgi:application", "--workers",
            str(workers), "--bind", f"127.0.0.1:{port}"]


def probe(environ: dict[str, str], spec: list[dict[str, Any]], requests: int, warmup: int,
          max_seconds: float) -> list[dict[str, Any]]:
    return list(run_tool(environ, "probe", json.dumps(spec), "--requests", str(requests),
                         "--warmup", str(warmup), "--max-seconds", str(max_seconds),
                         timeout=max_seconds * (len(spec) + 2) * 4 + 600))


if __name__ == "__main__":  # manual: make the venv only
    print(ensure_venv(print), file=sys.stderr)
