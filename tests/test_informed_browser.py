"""Keeping customers informed, in a real browser (Debian's Chromium through Selenium, as in
``test_dashboard_browser``).

The signature flow end to end: a contact files a request with a sample; the expert starts the
analysis (an automatic step notice: the clock keeps running), then writes a reply (it stops);
a staff download of the sample; the release; the customer answers "still detected", the
request goes back to analysis; a second release; the customer answers "fixed" and the request
is closed; the custody list shows the staff download; 30 days after closing the sample's bytes
are deleted and the page says so. Along the way, screenshots (desktop and phone, English and
Brazilian Portuguese) of the request page with the tracker, the verification form and the
custody list, and of a contact's ticket page under a major-incident banner; no page violates
the Content-Security-Policy.
"""

import base64
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from tests.factories import file_ticket
from tests.test_dashboard_browser import driver, sign_in  # noqa: F401 - the shared browser
from tests.test_identity_browser import COLLECT_CSP, check_csp, fill, wait_for
from tests.test_identity_browser import submit as submit_form
from tests.test_identity_browser import visit as load
from tests.test_signature_requests import EICAR
from tickets.incident_links import incident_link
from tickets.incidents import services as incidents
from tickets.models import Comment, DatabaseRelease, SignatureRequest, Status, Ticket
from tickets.signatures.custody import purge_samples

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Test-only: marks the banner's container once htmx has fetched it (whatever the answer).
MARK_LOADED = ("document.addEventListener('htmx:afterRequest', e => {"
               " if (e.target.id === 'incident-banner') e.target.dataset.loaded = 'yes'; });")
SHOTS = Path("/tmp/informed-screenshots")  # noqa: S108 - files for a person to look at
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def web(driver):  # noqa: F811 - the fixture imported above
    """The browser, failing the test on any Content-Security-Policy violation."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_CSP})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": MARK_LOADED})
    driver.csp_seen = []
    yield driver
    assert not driver.csp_seen, driver.csp_seen


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def settle(web) -> None:
    """Wait until htmx has loaded the page's fragments (the bell's badge, the incident banner)
    and has no request in flight, so what the test does next never races them."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(web, 15).until(lambda d: d.execute_script(
        "return !!window.htmx && !!document.getElementById('bell-count')"
        " && document.querySelectorAll('.htmx-request').length === 0"
        " && (!document.getElementById('incident-banner')"
        "     || document.getElementById('incident-banner').dataset.loaded === 'yes');"),
        message="htmx did not settle")


def visit(web, url: str) -> None:
    load(web, url)
    settle(web)


def submit(web, css: str = "main form button[type=submit]") -> None:
    submit_form(web, css)
    settle(web)


def switch_to(web, live_server, user, language: str = "en") -> None:
    web.delete_all_cookies()
    sign_in(web, live_server, user)
    web.add_cookie({"name": "django_language", "value": language, "path": "/"})


def text(web, css: str) -> str:
    from selenium.webdriver.common.by import By

    return web.find_element(By.CSS_SELECTOR, css).text


def full_page(web, name: str) -> Path:
    """A screenshot of the whole page at the window's width (Chromium's DevTools protocol)."""
    size = web.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = web.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def screenshots(web, live_server, user, url: str, name: str, expect: list[str],
                wait: str = "body") -> None:
    """The page for ``user`` at both sizes, in English and Brazilian Portuguese, once ``wait``
    is on it; each language must show its ``expect`` text (English, then Portuguese)."""
    for language, marker in zip(("en", "pt-br"), expect, strict=True):
        switch_to(web, live_server, user, language)
        for size, (width, height) in SIZES.items():
            web.set_window_size(width, height)
            visit(web, f"{live_server.url}{url}")
            wait_for(web, wait)
            assert marker in web.page_source, (language, marker)
            full_page(web, f"{name}-{language}-{size}")
    web.set_window_size(*SIZES["desktop"])


def transition(web, button: str, **fields: str) -> None:
    """Submit the expert-step form whose button says ``button``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    for css, value in fields.items():
        fill(web, css, value)
    form = next(f for f in web.find_elements(By.CSS_SELECTOR, ".sig-actions form")
                if button in f.text)
    old = web.find_element(By.TAG_NAME, "html")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(web, 15).until(ec.staleness_of(old))
    wait_for(web, "body")
    check_csp(web)
    settle(web)


def test_the_signature_flow_end_to_end(web, live_server, contact_a, expert, tmp_path):
    from selenium.webdriver.common.by import By

    DatabaseRelease.objects.create(version="2026.11.22.03",
                                   released_at=timezone.now() - timedelta(days=1))
    web.set_window_size(*SIZES["desktop"])

    # The contact files a request with the sample.
    switch_to(web, live_server, contact_a)
    visit(web, f"{live_server.url}/signature-requests/new/")
    web.find_element(By.CSS_SELECTOR, "input[value=false_positive]").click()
    fill(web, "#id_product", "Endpoint Security")
    fill(web, "#id_product_version", "12.1")
    fill(web, "#id_database_version", "2026.11.22.03")
    fill(web, "#id_description", "Our payroll tool is quarantined since this morning.")
    (tmp_path / "upload").mkdir()
    sample = tmp_path / "upload" / "payroll.exe"
    sample.write_bytes(EICAR)
    web.find_element(By.CSS_SELECTOR, "#id_sample").send_keys(str(sample))
    submit(web)
    request = SignatureRequest.objects.get()
    ticket = request.ticket
    assert web.current_url.endswith(f"/signature-requests/{request.pk}/")

    # The expert starts the analysis without words: an automatic notice, the clock runs on.
    switch_to(web, live_server, expert)
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    transition(web, "Start analysis")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    visit(web, f"{live_server.url}/tickets/{ticket.pk}/")
    assert "Automatic notice" in text(web, ".timeline")
    assert "In analysis by the expert group" in text(web, ".timeline")
    assert "in_analysis" not in text(web, ".timeline")
    assert text(web, ".sla-box .sla-state") == "On track"

    # Then a written reply: the first qualified response.
    fill(web, "#reply textarea", "We reproduced the detection; a fix is on its way.")
    submit(web, "#reply button[type=submit]")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert text(web, ".sla-box .sla-state") == "Met"

    # A staff download of the sample (the browser's own session), then the release.
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    status = web.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer().then(() => done(r.status)));",
        f"/api/v1/signature-requests/{request.pk}/sample/")
    assert status == 200
    transition(web, "Record expedited release",
               **{"#id_released_release_version": "2026.11.23.01"})
    assert "Fixed in an expedited release" in web.page_source

    # The request page as the customer sees it now: tracker, verification form, custody list.
    screenshots(web, live_server, contact_a, f"/signature-requests/{request.pk}/",
                "request-page", ["With release 2026.11.23.01 installed, is the problem fixed?",
                                 "Com a liberação 2026.11.23.01 instalada, o problema foi "
                                 "corrigido?"])

    # Still detected: back to the expert group with the note.
    switch_to(web, live_server, contact_a)
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    web.find_element(By.CSS_SELECTOR, "#id_confirm_fixed_1").click()
    fill(web, "#id_confirm_note", "Still quarantined as Trojan.Win32.Agent.")
    submit(web, "#verification button[type=submit]")
    assert "is back with the expert group" in web.page_source
    request.refresh_from_db()
    assert request.status == "in_analysis"
    assert [s.get_attribute("class") for s in web.find_elements(
        By.CSS_SELECTOR, ".tracker .step")] == ["step step-done", "step step-current",
                                                "step step-pending"]

    # A second release, and this time it is fixed: the request is closed.
    switch_to(web, live_server, expert)
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    transition(web, "Record expedited release",
               **{"#id_released_release_version": "2026.11.24.02",
                  "#id_released_message": "The detection is narrowed to the dropper."})
    switch_to(web, live_server, contact_a)
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    web.find_element(By.CSS_SELECTOR, "#id_confirm_fixed_0").click()
    submit(web, "#verification button[type=submit]")
    assert "the fix is confirmed" in web.page_source
    request.refresh_from_db()
    assert request.verification_state == "fixed"
    assert request.ticket.status == Status.CLOSED
    custody = text(web, ".custody-card")
    assert expert.full_name in custody
    assert "127.0.0.1" in custody

    # 30 days after closing, the sample's bytes go; the page says when.
    with time_machine.travel(request.ticket.closed_at + timedelta(days=30, seconds=1)):
        assert purge_samples() == 1
    visit(web, f"{live_server.url}/signature-requests/{request.pk}/")
    assert "The sample was deleted on" in text(web, ".sig-sample-card")
    assert request.sha256 in text(web, ".sig-sample-card")
    assert "Download the sample" not in web.page_source
    assert Comment.objects.filter(ticket=ticket, automatic=True).count() == 2


def test_the_contacts_ticket_page_under_an_incident_banner(web, live_server, contact_a,
                                                           engineer):
    from selenium.webdriver.common.by import By

    ticket = file_ticket(contact_a, subject="Outlook is quarantined", severity=1,
                         product="Endpoint Security")
    incident = incidents.incident_create(
        actor=engineer, title="Release 2026.11.30 blocks Outlook", severity=1,
        description="A signature of the morning release detects outlook.exe.",
        product="Endpoint Security")
    incident_link(incident=incident, ticket=ticket, actor=engineer)
    update = incidents.incident_post_update(
        incident=incident, author=engineer, status="identified",
        body="The faulty signature is identified; a corrected release is being tested.")
    incidents.fan_out(update.pk)
    screenshots(web, live_server, contact_a, f"/tickets/{ticket.pk}/", "incident-banner",
                ["Release 2026.11.30 blocks Outlook", "Incidente grave"],
                wait=".incident-banner")
    switch_to(web, live_server, contact_a)
    visit(web, f"{live_server.url}/tickets/{ticket.pk}/")
    banner = text(web, ".incident-banner")
    assert "Identified" in banner
    assert "corrected release is being tested" in banner

    # Filing about the same product: the page offers the incident, and the new request joins.
    visit(web, f"{live_server.url}/tickets/new/")
    fill(web, "#id_subject", "Outlook quarantined on the front desk too")
    web.find_element(By.CSS_SELECTOR, "#id_severity_1").click()
    fill(web, "#id_description", "Same as the others since this morning.")
    fill(web, "#id_product", "endpoint security")
    wait_for(web, f"#id_incident_{incident.pk}")
    time.sleep(1)  # past htmx's 500 ms delay after the last key: the offer is final
    settle(web)
    web.find_element(By.CSS_SELECTOR, f"#id_incident_{incident.pk}").click()
    full_page(web, "filing-offer-en-desktop")
    submit(web, "main form.ticket-form button[type=submit]")
    filed = Ticket.objects.get(subject="Outlook quarantined on the front desk too")
    assert filed.incident_link.incident == incident
    assert "It is linked to the major incident" in web.page_source
