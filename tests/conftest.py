"""Shared fixtures: personas for every role and API clients signed in as them.

Personas: ``contact_a`` of ``company_a`` (whose TAM is ``tam``), ``contact_b`` of ``company_b``
(TAM ``other_tam``), ``engineer``, ``expert``, ``admin``.
"""

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import CompanyFactory, ContactFactory, UserFactory

_SEEDS = ("accounts.migrations.0002_seed_plans", "sla.migrations.0002_seed_policies",
          "sla.migrations.0003_update_interval",
          "tickets.migrations.0010_cadence_incidents_verification")


def seed_reference_data() -> None:
    """The plans, SLA policies (with their update intervals) and the signature-request policy
    of the data migrations (idempotent)."""
    for module in _SEEDS:
        importlib.import_module(module).seed(apps, None)


def _reseed_after_flush(sender, **kwargs) -> None:
    if sender.name == "sla":  # once per flush, after every app's tables are empty
        seed_reference_data()


@pytest.fixture(scope="session", autouse=True)
def _keep_reference_data_after_flush():
    """A transactional test ends with a flush that empties the seeded plans and SLA policies
    too; put them back so the tests after it see the same reference data as a fresh
    database."""
    post_migrate.connect(_reseed_after_flush, dispatch_uid="tests-reseed-reference-data")
    yield
    post_migrate.disconnect(dispatch_uid="tests-reseed-reference-data")


@pytest.fixture
def reference_data(django_db_blocker):
    with django_db_blocker.unblock():
        seed_reference_data()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters live in the (Redis) cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers cost ~100 ms a password by design; tests need not pay it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def engineer(db):
    return UserFactory(role=Role.ENGINEER)


@pytest.fixture
def expert(db):
    return UserFactory(role=Role.EXPERT)


@pytest.fixture
def tam(db):
    return UserFactory(role=Role.TAM)


@pytest.fixture
def other_tam(db):
    return UserFactory(role=Role.TAM)


@pytest.fixture
def company_a(tam):
    return CompanyFactory(name="Company A", tam=tam)


@pytest.fixture
def company_b(other_tam):
    return CompanyFactory(name="Company B", tam=other_tam)


@pytest.fixture
def contact_a(company_a):
    return ContactFactory(company=company_a).user


@pytest.fixture
def contact_b(company_b):
    return ContactFactory(company=company_b).user


@pytest.fixture
def api():
    """``api(user)`` gives an API client signed in as ``user`` (``None``: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def personas(admin, engineer, tam, other_tam, expert, contact_a, contact_b):
    return {
        "admin": admin, "engineer": engineer, "tam": tam, "other_tam": other_tam,
        "expert": expert, "contact_a": contact_a, "contact_b": contact_b,
    }


@pytest.fixture
def oidc():
    """A real OpenID Connect provider on 127.0.0.1 (``tests/oidc_provider.py``)."""
    from tests.oidc_provider import Provider

    provider = Provider().start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_company(company_a, oidc):
    """Company A signing in through ``oidc`` (configured through the service, secret
    encrypted)."""
    from accounts import services

    return services.company_update(company=company_a, sso_issuer=oidc.issuer,
                                   sso_client_id=oidc.client_id,
                                   sso_client_secret=oidc.client_secret)
