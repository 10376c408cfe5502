"""Waves of concurrent contact changes on one company (defect 4 of the issue "Nothing lost,
nothing late"): adds, and deactivations and reactivations of the same contacts at the same
moment (the lock-order deadlock of the issue needs both on one contact),
through gunicorn. Never a 5xx, and the eight-contact limit never exceeded, sampled
continuously from the database while the waves run."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from accounts.models import Contact
from accounts.services import token_for
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.faults.http import call, post_json
from tests.smtp_fault_server import free_port

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_mixed_waves_never_5xx_and_never_exceed_the_limit(portal, reference_data, scale,
                                                           report):
    port = free_port()
    portal.gunicorn(port, workers=3, threads=4)
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    token = token_for(admin).key
    company = CompanyFactory(name="Wave Corp")
    limit = company.plan.contact_limit
    contacts = [ContactFactory(company=company) for _ in range(limit)]
    Contact.objects.filter(pk__in=[c.pk for c in contacts[limit // 2:]]).update(is_active=False)
    listing = call(port, "GET", f"/api/v1/companies/{company.pk}/contacts/?page_size=100",
                   token=token).json()
    ids = [row["id"] for row in listing["results"]]
    base = f"/api/v1/companies/{company.pk}/contacts/"

    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    samples: list[int] = []
    sampling = threading.Event()
    lock = threading.Lock()
    rng = random.Random(19)

    def sample() -> None:
        try:
            while not sampling.is_set():
                samples.append(Contact.objects.filter(company=company, is_active=True).count())
                sampling.wait(0.01)
        finally:
            connection.close()

    def act(kind: str, n: int, contact_id: int, barrier: threading.Barrier) -> None:
        barrier.wait(timeout=30)
        if kind == "add":
            answer = post_json(port, base, {
                "email": f"wave{n}@wave.example", "full_name": f"Wave {n}",
                "password": "a-long-enough-password-19"}, token=token)
            if answer.status == 201:
                with lock:
                    ids.append(answer.json()["id"])
        else:
            answer = post_json(port, f"{base}{contact_id}/", {"is_active": kind == "reactivate"},
                               token=token, method="PATCH")
        with lock:
            statuses[answer.status] += 1
            if answer.status >= 500 or answer.status == 0:
                server_errors.append(
                    f"{kind}: {answer.status} {answer.error} {answer.body[:300]!r}")

    sampler = threading.Thread(target=sample)
    sampler.start()
    size, n = scale.int("wave_size"), 0
    try:
        for _wave in range(scale.int("contact_waves")):
            # A third adds; the rest deactivate and reactivate the same two contacts at once.
            barrier = threading.Barrier(size)
            targets = rng.sample(ids, 2)
            threads = []
            for i in range(size):
                kind = ("add", "deactivate", "reactivate")[i % 3]
                threads.append(threading.Thread(target=act, args=(kind, n, targets[i % 2],
                                                                  barrier)))
                n += 1
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            samples.append(Contact.objects.filter(company=company, is_active=True).count())
    finally:
        sampling.set()
        sampler.join(timeout=30)

    figures = {
        "waves": scale.int("contact_waves"), "requests": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": len(server_errors), "limit": limit,
        "samples": len(samples), "max_active_sampled": max(samples),
    }
    report(**figures)
    assert server_errors == [], (server_errors[:5], portal.log("gunicorn")[-3000:])
    assert set(statuses) <= {200, 201, 409}, figures
    assert max(samples) <= limit, figures
    assert statuses[201] + statuses[200] > 0, figures
    assert statuses[409] > 0, figures  # the waves did reach the limit
