"""The eight-contact limit holds when many requests race for the last slots (SPEC §2)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Contact, Role
from tests.factories import CompanyFactory, UserFactory

THREADS = 24


@pytest.mark.django_db(transaction=True)
def test_it_ends_with_exactly_eight_active_contacts_under_24_concurrent_requests():
    assert connection.vendor == "postgresql", "this test proves PostgreSQL row locking"
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    company = CompanyFactory(name="Racing Corp")
    url = f"/api/v1/companies/{company.pk}/contacts/"
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def add(i: int) -> None:
        client = APIClient()
        client.force_authenticate(admin)
        try:
            barrier.wait(timeout=30)
            response = client.post(url, {
                "email": f"racer{i}@racing.example", "full_name": f"Racer {i}",
                "password": "a-long-enough-password",
            }, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    statuses = sorted(status for status, _ in results)
    assert len(results) == THREADS
    assert statuses.count(201) == 8, statuses
    assert statuses.count(409) == THREADS - 8, statuses
    for status, body in results:
        if status == 409:
            assert "at most 8 active named contacts" in body["detail"]
    assert Contact.objects.filter(company=company, is_active=True).count() == 8
    # A refused request leaves no user behind either.
    assert Contact.objects.filter(company=company).count() == 8
    assert UserFactory._meta.model.objects.filter(email__startswith="racer").count() == 8
