"""Shared fixtures: personas for every role and API clients signed in as them.

Personas: ``contact_a`` of ``company_a`` (whose TAM is ``tam``), ``contact_b`` of ``company_b``
(TAM ``other_tam``), ``engineer``, ``expert``, ``admin``.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import CompanyFactory, ContactFactory, UserFactory


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
