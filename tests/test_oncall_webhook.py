"""The signed webhook call of a page (SPEC §11) against a real local HTTP receiver: the HMAC a
gateway verifies, the retry after a refused attempt (backoff), giving up after the last
attempt, and never calling twice for one page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory, file_ticket
from tests.webhook_receiver import webhook_receiver
from tickets.models import Page, Rotation, RotationMember
from tickets.oncall import webhooks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]
SECRET = "s3cret-of-the-gateway"


@pytest.fixture
def paged(settings, contact_a):
    def file(url):
        settings.PAGING_WEBHOOK_URL, settings.PAGING_WEBHOOK_SECRET = url, SECRET
        settings.PAGING_WEBHOOK_RETRY_BASE_SECONDS = 10
        user = UserFactory(full_name="Ana Souza")
        rotation = Rotation.objects.create(name="P", level=1, shift_hours=8,
                                           starts_at=timezone.now() - timedelta(hours=1))
        RotationMember.objects.create(rotation=rotation, user=user, position=0)
        return Page.objects.get(ticket=file_ticket(contact_a, severity=1))
    return file


def test_the_signature_is_an_hmac_of_the_body():
    body = b'{"page":{"id":1}}'
    header = webhooks.sign(body, SECRET)
    assert header.startswith("sha256=")
    assert webhooks.verify(body, header, SECRET)
    assert not webhooks.verify(body + b" ", header, SECRET)
    assert not webhooks.verify(body, header, "another secret")


def test_a_refused_call_is_retried_after_a_backoff_and_delivered_once(paged):
    with webhook_receiver(SECRET) as (calls, url):
        page = paged(url)
        assert page.webhook_next_at is not None
        assert webhooks.deliver_due() == 0  # the receiver answers 500 the first time
        page.refresh_from_db()
        assert page.webhook_attempts == 1
        assert "500" in page.webhook_last_error
        assert timezone.now() + timedelta(seconds=4) < page.webhook_next_at
        assert webhooks.deliver_due() == 0  # not due yet
        Page.objects.filter(pk=page.pk).update(webhook_next_at=timezone.now())
        assert webhooks.deliver_due() == 1
        assert webhooks.deliver_due() == 0
    page.refresh_from_db()
    assert page.webhook_delivered_at is not None
    assert calls.bad_signatures == 0
    assert dict(calls.accepted) == {page.pk: 1}
    body = calls.bodies[0]
    assert body["ticket"]["number"] == page.ticket.number
    assert body["to"]["name"] == "Ana Souza"
    assert body["page"]["level"] == 1


def test_it_gives_up_after_the_last_attempt(paged, settings):
    settings.PAGING_WEBHOOK_MAX_ATTEMPTS = 2
    page = paged("http://127.0.0.1:9/nothing-listens-here")
    assert webhooks.deliver_due() == 0
    Page.objects.filter(pk=page.pk).update(webhook_next_at=timezone.now())
    assert webhooks.deliver_due() == 0
    page.refresh_from_db()
    assert page.webhook_attempts == 2
    assert page.webhook_failed_at is not None
    Page.objects.filter(pk=page.pk).update(webhook_next_at=timezone.now())
    assert webhooks.deliver_due() == 0
    assert Page.objects.get(pk=page.pk).webhook_attempts == 2


def test_no_call_without_a_configured_gateway(settings, contact_a):
    settings.PAGING_WEBHOOK_URL = ""
    user = UserFactory()
    rotation = Rotation.objects.create(name="P", level=1, shift_hours=8,
                                       starts_at=timezone.now() - timedelta(hours=1))
    RotationMember.objects.create(rotation=rotation, user=user, position=0)
    page = Page.objects.get(ticket=file_ticket(contact_a, severity=1))
    assert page.webhook_next_at is None
    assert webhooks.deliver_due() == 0
