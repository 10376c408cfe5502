"""Lock contention never reaches the client as a 500 (issue "Nothing lost, nothing late",
defect 4): the kernel's ``retry_on_conflict`` runs a transaction again after PostgreSQL aborts
it for a deadlock, and contact changes lock the company row first, then the contact, so the
mixed add/deactivate/reactivate race of the issue no longer deadlocks at all."""

import contextlib
import logging
import threading

import pytest
from django.db import OperationalError, connection, transaction

from accounts import services
from accounts.models import Company, Contact, Role
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.transactions import is_retryable, retry_on_conflict
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_threads(*targets):
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def _crossed_locks(first: int, second: int, barrier: threading.Barrier, runs: list[str],
                   label: str) -> None:
    """Lock ``first`` then ``second``: with the other thread in the opposite order, one of
    the two is a deadlock victim the first time round."""
    runs.append(label)
    Company.objects.select_for_update().get(pk=first)
    if len(runs) <= 2:
        barrier.wait(timeout=10)
    Company.objects.select_for_update().get(pk=second)


def test_a_deadlock_victim_fails_without_the_retry(reference_data):
    a, b = CompanyFactory(), CompanyFactory()
    barrier = threading.Barrier(2)
    runs: list[str] = []
    errors = _run_in_threads(
        lambda: transaction.atomic(_crossed_locks)(a.pk, b.pk, barrier, runs, "ab"),
        lambda: transaction.atomic(_crossed_locks)(b.pk, a.pk, barrier, runs, "ba"),
    )
    assert len(errors) == 1, errors
    assert isinstance(errors[0], OperationalError), errors
    assert is_retryable(errors[0])
    assert "deadlock detected" in str(errors[0])


def test_retry_on_conflict_runs_the_deadlock_victim_again(reference_data):
    a, b = CompanyFactory(), CompanyFactory()
    barrier = threading.Barrier(2)
    runs: list[str] = []
    locked = retry_on_conflict(_crossed_locks)
    errors = _run_in_threads(lambda: locked(a.pk, b.pk, barrier, runs, "ab"),
                             lambda: locked(b.pk, a.pk, barrier, runs, "ba"))
    assert errors == []
    assert len(runs) == 3  # both, and the victim once more


def test_retry_on_conflict_answers_a_conflict_when_contention_outlasts_it(reference_data):
    calls = []

    @retry_on_conflict
    def always_deadlocked() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; "
                           "END $$")

    with pytest.raises(ConflictError, match="try again"):
        always_deadlocked()
    assert len(calls) == 4


def test_mixed_contact_changes_on_one_company_never_deadlock(reference_data, caplog):
    company = CompanyFactory()
    admin = UserFactory(role=Role.ADMIN)
    assert admin.pk
    contacts = [ContactFactory(company=company) for _ in range(6)]
    for contact in contacts[:3]:
        services.contact_update(contact=contact, is_active=False)
    rounds = 10
    barrier = threading.Barrier(3 + 2 * len(contacts))

    def add(i: int):
        def run():
            barrier.wait(timeout=30)
            for r in range(rounds):
                with contextlib.suppress(ConflictError):
                    services.contact_create(company=company, email=f"race{i}-{r}@example.com",
                                            full_name="Racer", password="a-long-enough-pass")
        return run

    def toggle(contact: Contact, active: bool):
        """One side only deactivates the contact, the other only reactivates it."""
        def run():
            barrier.wait(timeout=30)
            for _ in range(rounds):
                with contextlib.suppress(ConflictError):
                    services.contact_update(contact=Contact.objects.get(pk=contact.pk),
                                            is_active=active)
        return run

    with caplog.at_level(logging.WARNING, logger="support_portal.kernel.transactions"):
        errors = _run_in_threads(*[add(i) for i in range(3)],
                                 *[toggle(c, active) for c in contacts for active in (True, False)])
    assert errors == []
    # The lock order alone prevents the deadlock: not even a retry was needed.
    assert "deadlock" not in caplog.text
    assert Contact.objects.filter(company=company, is_active=True).count() <= 8
