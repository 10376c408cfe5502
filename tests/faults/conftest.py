"""The fault suite (issue "Nothing lost, nothing late"): real servers stopped, started and
killed under load, durations scaled by the environment.

``FAULTS_SCALE=ci`` (the default, what ``make test`` and CI run) keeps each scenario to well
under a minute; ``FAULTS_SCALE=full`` runs the full-length scenarios (a 15-minute SMTP outage,
60 s without Redis, 50 waves, 1,000 hostile requests): ``bench/faults/run.sh``. Any single
figure can be overridden with its own variable (``FAULTS_SMTP_OUTAGE_SECONDS``, …). With
``FAULTS_REPORT_DIR`` set, each scenario writes its figures there as JSON.
"""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.db import connection

from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.faults.servers import PrivateRedis, Processes, test_database_url
from tests.smtp_fault_server import SmtpSink

#: name: (ci, full)
SCALES: dict[str, tuple[float, float]] = {
    "SMTP_OUTAGE_SECONDS": (20, 900),
    "QUEUED_TASKS": (1200, 1200),
    "TICKETS_PER_SECOND": (3, 1),
    "SLA_TICKETS": (15, 120),
    "SLA_SCAN_SECONDS": (3, 15),
    "EMAIL_SWEEP_SECONDS": (2, 20),
    "EMAIL_TIMEOUT": (2, 30),
    "REDIS_OUTAGE_SECONDS": (10, 60),
    "CONTACT_WAVES": (10, 50),
    "WAVE_SIZE": (12, 15),
    "HOSTILE_REQUESTS": (300, 1000),
}


@dataclass(frozen=True)
class Scale:
    name: str

    def __getattr__(self, key: str) -> float:
        ci, full = SCALES[key.upper()]
        default = full if self.name == "full" else ci
        return float(os.environ.get(f"FAULTS_{key.upper()}", default))

    def int(self, key: str) -> int:
        return int(getattr(self, key))


@pytest.fixture(scope="session")
def scale() -> Scale:
    name = os.environ.get("FAULTS_SCALE", "ci")
    assert name in ("ci", "full"), name
    return Scale(name)


@pytest.fixture
def report(request, scale):
    """``report(**figures)``: printed, and written to FAULTS_REPORT_DIR as JSON."""

    def write(**figures: Any) -> None:
        figures = {"scenario": request.node.name, "scale": scale.name, **figures}
        print("FIGURES", json.dumps(figures))
        folder = os.environ.get("FAULTS_REPORT_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / f"{request.node.name}.json").write_text(json.dumps(figures, indent=1))

    return write


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def _forget_broker_connections(app) -> None:
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def portal(tmp_path, redis_server, smtp, scale):
    """Environment of the portal's processes (and of this process's after-commit nudges):
    the test database, the private Redis as broker (db 0) and cache (db 1), the SMTP sink."""
    assert connection.vendor == "postgresql"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": redis_server.url(1),
        "CELERY_BROKER_URL": redis_server.url(0),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": str(scale.int("email_timeout")),
        "EMAIL_SWEEP_SECONDS": str(scale.email_sweep_seconds),
        "EMAIL_RETRY_BASE_SECONDS": "1" if scale.name == "ci" else "30",
        "SLA_SCAN_SECONDS": str(scale.sla_scan_seconds),
        "PORTAL_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "support_portal.settings",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    app = current_app._get_current_object()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CELERY_BROKER_URL", env["CELERY_BROKER_URL"])
        patch.setitem(app.conf, "broker_url", env["CELERY_BROKER_URL"])
        _forget_broker_connections(app)
        processes = Processes(tmp_path, env)
        try:
            yield processes
        finally:
            processes.stop_all()
    _forget_broker_connections(app)


@pytest.fixture
def people(reference_data):
    """A TAM, three engineers and a company of contacts."""
    tam = UserFactory(role="tam")
    engineers = [UserFactory(role="engineer") for _ in range(3)]
    company = CompanyFactory(tam=tam)
    contacts = [ContactFactory(company=company).user for _ in range(6)]
    return {"tam": tam, "engineers": engineers, "company": company, "contacts": contacts}


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
