"""On call in a real browser (Debian's Chromium through Selenium, as the other browser tests):
the ``/oncall/`` page for an administrator (the next two weeks, rotations, an override), the
contact's ticket page saying who acknowledged, and the one-click link of a page's e-mail
confirmed with its button (no sign-in, CSRF). Screenshots at desktop and phone width, English
and Brazilian Portuguese; no page violates the Content-Security-Policy."""

import base64
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.factories import UserFactory, file_ticket
from tests.test_dashboard_browser import driver  # noqa: F401 - the shared browser
from tests.test_identity_browser import COLLECT_CSP, wait_for
from tests.test_informed_browser import MARK_LOADED, SIZES, switch_to
from tests.test_informed_browser import visit as visit_settled
from tickets import services
from tickets.models import OutboundEmail, Override, Page, Rotation, RotationMember, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]
SHOTS = Path(os.environ.get("ONCALL_SHOTS", "/tmp/oncall-screenshots"))  # noqa: S108


@pytest.fixture
def web(driver):  # noqa: F811 - the fixture imported above
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_CSP})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": MARK_LOADED})
    driver.csp_seen = []
    yield driver
    assert not driver.csp_seen, driver.csp_seen


def shoot(web, name: str) -> None:
    size = web.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = web.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def both(web, live_server, user, url: str, name: str, expect: tuple[str, str]) -> None:
    for language, marker in zip(("en", "pt-br"), expect, strict=True):
        switch_to(web, live_server, user, language)
        for size, (width, height) in SIZES.items():
            web.set_window_size(width, height)
            visit_settled(web, f"{live_server.url}{url}")
            assert marker in web.page_source, (language, marker)
            shoot(web, f"{name}-{language}-{size}")
    web.set_window_size(*SIZES["desktop"])


def test_the_rota_the_customer_view_and_the_one_click_link(web, live_server, admin, contact_a,
                                                          tam):
    primary = UserFactory(role=Role.ENGINEER, full_name="Ana Souza")
    second = UserFactory(role=Role.ENGINEER, full_name="Bruno Lima")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    for level, members, hours in ((1, [primary, second], 12), (2, [tam], 24 * 7)):
        rotation = Rotation.objects.create(name=f"Level {level}", level=level,
                                           starts_at=start, shift_hours=hours)
        for i, member in enumerate(members):
            RotationMember.objects.create(rotation=rotation, user=member, position=i)
    Override.objects.create(user=second, level=1, starts_at=start + timedelta(days=2),
                            ends_at=start + timedelta(days=2, hours=6), created_by=admin)

    both(web, live_server, admin, "/oncall/", "oncall", ("The next two weeks",
                                                         "As próximas duas semanas"))

    acked = file_ticket(contact_a, severity=1, subject="Every endpoint quarantines Outlook")
    services.ticket_change(ticket=acked, actor=primary, assignee=primary)
    both(web, live_server, contact_a, f"/tickets/{acked.pk}/", "ticket-acknowledged",
         ("Ana Souza acknowledged at", "Ana Souza confirmou às"))

    waiting = file_ticket(contact_a, severity=1, subject="Scans stopped on every server")
    both(web, live_server, contact_a, f"/tickets/{waiting.pk}/", "ticket-paged",
         ("has not acknowledged yet", "ainda não confirmou"))

    # The e-mail's link, opened signed out: confirm, then the button acknowledges.
    body = OutboundEmail.objects.get(ticket=waiting, to=primary.email).body
    link = re.search(r"https?://[^/\s]+(/oncall/ack/[^/\s]+/)", body).group(1)
    web.delete_all_cookies()
    for size, (width, height) in SIZES.items():
        web.set_window_size(width, height)
        web.get(f"{live_server.url}{link}")
        wait_for(web, "main form button[type=submit]")
        shoot(web, f"ack-link-en-{size}")
    assert Page.objects.get(ticket=waiting).acknowledged_at is None
    web.find_element("css selector", "main form button[type=submit]").click()
    wait_for(web, "main h1")
    assert "Page acknowledged" in web.page_source
    assert Ticket.objects.get(pk=waiting.pk).paging_acked_by == primary
    assert Page.objects.get(ticket=waiting).acknowledged_by == primary
