"""The signed JSON POST of a page to the SMS/voice gateway (``PAGING_WEBHOOK_URL``).

The body is signed with HMAC-SHA256 under ``PAGING_WEBHOOK_SECRET``; the header
``X-Portal-Signature: sha256=<hex>`` carries it and ``X-Portal-Timestamp`` the send time (it is
part of the body too, so a receiver can refuse replays). Delivery is outbox-style: each page's
call is claimed with a conditional UPDATE (a claim older than ``stale_claim`` is from a worker
that died and is taken back), retried with exponential backoff on a failure or a non-2xx
answer, and marked failed after ``PAGING_WEBHOOK_MAX_ATTEMPTS``. A receiver should treat
``page.id`` as an idempotency key: a worker killed between the call and recording it calls
again.
"""

import hashlib
import hmac
import json
import logging
import random
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tickets.models import WEBHOOK_PENDING, Page

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Portal-Signature"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str, secret: str) -> bool:
    """What a gateway does with our call: recompute and compare in constant time."""
    return hmac.compare_digest(sign(body, secret), header or "")


def stale_claim() -> timedelta:
    return timedelta(seconds=4 * settings.PAGING_WEBHOOK_TIMEOUT)


def retry_delay(attempts: int) -> timedelta:
    base = settings.PAGING_WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(base, 3600) * random.uniform(0.5, 1.0))  # noqa: S311


def _due(now: datetime) -> Q:
    return WEBHOOK_PENDING & Q(webhook_next_at__lte=now) & (
        Q(webhook_claimed_at__isnull=True) | Q(webhook_claimed_at__lt=now - stale_claim()))


def payload(page: Page, now: datetime) -> dict[str, Any]:
    ticket = page.ticket
    return {
        "page": {"id": page.pk, "level": page.level, "created_at": page.created_at.isoformat()},
        "ticket": {"id": ticket.pk, "number": ticket.number, "severity": ticket.severity,
                   "subject": ticket.subject, "company": ticket.company.name,
                   "url": f"{settings.PORTAL_URL.rstrip('/')}/tickets/{ticket.pk}/"},
        "to": {"id": page.user.pk, "name": page.user.full_name, "email": page.user.email,
               "phone": getattr(page.user, "phone", "") or ""},
        "sent_at": now.isoformat(),
    }


def _post(body: bytes, timestamp: str) -> None:
    request = urllib.request.Request(  # noqa: S310 (the operator's configured https/http URL)
        settings.PAGING_WEBHOOK_URL, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "support-portal-paging",
                 SIGNATURE_HEADER: sign(body, settings.PAGING_WEBHOOK_SECRET),
                 "X-Portal-Timestamp": timestamp})
    with urllib.request.urlopen(request, timeout=settings.PAGING_WEBHOOK_TIMEOUT):  # noqa: S310
        pass  # any 2xx; urllib raises HTTPError for the rest


def deliver_one(pk: int) -> bool:
    """Claim and call one page's webhook. True when delivered."""
    now = timezone.now()
    if not Page.objects.filter(_due(now), pk=pk).update(webhook_claimed_at=now,
                                                        webhook_attempts=F("webhook_attempts") + 1):
        return False  # another worker has it, or it is done
    page = Page.objects.select_related("ticket__company", "user").get(pk=pk)
    body = json.dumps(payload(page, now), separators=(",", ":")).encode()
    try:
        _post(body, now.isoformat())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(exc)[:1000]
        if page.webhook_attempts >= settings.PAGING_WEBHOOK_MAX_ATTEMPTS:
            log.error("paging webhook for page %s failed for good: %s", pk, error)
            Page.objects.filter(pk=pk).update(webhook_failed_at=timezone.now(),
                                              webhook_claimed_at=None, webhook_last_error=error)
        else:
            log.warning("paging webhook for page %s failed (attempt %s): %s", pk,
                        page.webhook_attempts, error)
            Page.objects.filter(pk=pk).update(
                webhook_claimed_at=None, webhook_last_error=error,
                webhook_next_at=timezone.now() + retry_delay(page.webhook_attempts))
        return False
    Page.objects.filter(pk=pk).update(webhook_delivered_at=timezone.now(),
                                      webhook_claimed_at=None)
    return True


def deliver_due(batch: int = 100) -> int:
    """Every webhook call due now (new pages, retries whose time came)."""
    if not settings.PAGING_WEBHOOK_URL:
        return 0
    ids = list(Page.objects.filter(_due(timezone.now())).order_by("webhook_next_at")
               .values_list("pk", flat=True)[:batch])
    return sum(deliver_one(pk) for pk in ids)
