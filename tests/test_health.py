"""Liveness and readiness against the real PostgreSQL and Redis."""

import pytest
from celery import current_app

pytestmark = pytest.mark.django_db


def test_it_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_ready_with_database_and_broker(client):
    assert current_app.conf.broker_url.startswith("redis://")
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_it_is_not_ready_when_the_broker_is_down(client, monkeypatch):
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    # Celery prefers the CELERY_BROKER_URL environment variable over its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    monkeypatch.setattr(current_app.conf, "broker_url", dead)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
