"""Secrets kept in the database, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The keys come from the environment (``FIELD_ENCRYPTION_KEYS``: the first encrypts, every key
decrypts, so a new key can be put first and the old one kept until rotation is done). Unset,
one key is derived from ``SECRET_KEY``.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(f"accounts.crypto:{secret_key}".encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(text: str) -> str:
    """``fernet:<token>``; the empty string stays empty (nothing to hide)."""
    if not text:
        return ""
    return PREFIX + _current().encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    """The clear text of :func:`encrypt`'s answer. A value stored before encryption was
    turned on (no prefix) is returned as it is."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _current().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise ValueError("A stored secret does not decrypt with FIELD_ENCRYPTION_KEYS.") from None
