"""Accessibility, checked in a real browser: axe-core (vendored from its npm package in
static/js/, served by the portal itself, no CDN) runs on the main pages of each role, in English
and Brazilian Portuguese, and any WCAG 2.x A/AA violation fails the test with what and where.

Also in the browser: a refused reply brings its error summary into view with the focus on it,
and the open ticket page shows a reply written elsewhere without a reload.

Debian's Chromium through its chromedriver, as in ``test_dashboard_browser`` (installed by
`make test` and `.ci/run`; this test fails, never skips, without it).
"""

import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.test_dashboard_browser import WAIT_SECONDS, busy_account, driver, sign_in
from tickets import services
from tickets.models import DatabaseRelease
from tickets.signatures import services as signatures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["busy_account", "driver"]  # fixtures, used by name

#: What each role's main pages are, with ``{ticket}``, ``{company}`` and ``{request}``.
PAGES = {
    "contact": ["/tickets/", "/tickets/{ticket}/", "/tickets/new/", "/signature-requests/",
                "/signature-requests/{request}/", "/accounts/profile/"],
    "engineer": ["/queue/", "/tickets/{ticket}/", "/tickets/", "/tickets/phone/"],
    "tam": ["/tam/", "/tam/accounts/{company}/", "/tam/accounts/{company}/contacts/"],
    "expert": ["/signature-requests/", "/signature-requests/{request}/",
               "/signature-requests/releases/"],
    "admin": ["/tickets/", "/audit/"],
}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RESULTS = Path("/tmp/axe-results.json")  # noqa: S108 - a summary for a person to read


def run_axe(browser) -> list[dict]:
    """Load axe from the portal's static files into the page and run the WCAG A/AA rules."""
    browser.execute_script(
        "var s = document.createElement('script'); s.src = arguments[0];"
        "document.head.appendChild(s);", f"{settings.STATIC_URL}js/axe.min.js")
    browser.set_script_timeout(WAIT_SECONDS)
    result = browser.execute_async_script("""
        var done = arguments[arguments.length - 1], tags = arguments[0], tries = 0;
        (function wait() {
          if (window.axe) {
            axe.run(document, {runOnly: {type: 'tag', values: tags}})
              .then(function (r) { done({violations: r.violations, passes: r.passes.length}); })
              .catch(function (e) { done({error: String(e)}); });
          } else if (tries++ < 100) { setTimeout(wait, 50); }
          else { done({error: 'axe did not load'}); }
        })();""", WCAG)
    assert "error" not in result, result.get("error")
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(
            f"      {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}"
            for node in v["nodes"][:5])
        for v in violations)


@pytest.fixture
def world(busy_account, contact_a, engineer, expert, tam, admin):
    release = DatabaseRelease.objects.create(version="2026.12.01.01")
    request = signatures.signature_request_create(
        requester=contact_a, type="false_positive", product="Endpoint Security",
        product_version="12.1", database_version=release.version,
        description="Our build tool is detected.", sha256="a" * 64)
    ticket = busy_account.tickets.order_by("-pk").first()
    services.comment_add(ticket=ticket, author=engineer, body="Please send the logs.")
    services.comment_add(ticket=ticket, author=engineer, body="Driver suspected.", internal=True)
    return {"company": busy_account.pk, "ticket": ticket.pk, "request": request.pk,
            "users": {"contact": contact_a, "engineer": engineer, "tam": tam,
                      "expert": expert, "admin": admin}}


def test_the_main_pages_of_each_role_have_no_wcag_violations(driver, live_server, world):
    found: dict[str, list] = {}
    summary: dict[str, int] = {}
    for role, paths in PAGES.items():
        user = world["users"][role]
        for language in ("en", "pt-br"):
            user.language = language
            user.save(update_fields=["language"])
            sign_in(driver, live_server, user)
            driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                               "path": "/"})
            for path in paths:
                address = path.format(**world)
                driver.get(f"{live_server.url}{address}")
                assert "/accounts/login/" not in driver.current_url, (role, address)
                violations = run_axe(driver)
                summary[f"{role} {language} {address}"] = len(violations)
                if violations:
                    found[f"{role} {language} {address}"] = violations
    RESULTS.write_text(json.dumps(summary, indent=1))
    assert not found, "WCAG A/AA violations:\n" + "\n".join(
        f"{page}:\n{describe(v)}" for page, v in found.items())
    assert len(summary) == 2 * sum(len(p) for p in PAGES.values())


def test_a_refused_reply_brings_its_errors_into_view(driver, live_server, world):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    sign_in(driver, live_server, world["users"]["contact"])
    driver.get(f"{live_server.url}/tickets/{world['ticket']}/")
    driver.find_element(By.CSS_SELECTOR, "form.reply-form button[type=submit]").click()
    box = WebDriverWait(driver, WAIT_SECONDS).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".error-box[role=alert]")))
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.activeElement") == box,
        message="the error summary never got the focus, "
                + driver.execute_script("return document.activeElement.outerHTML.slice(0, 90)"))
    top = driver.execute_script("return arguments[0].getBoundingClientRect().top", box)
    height = driver.execute_script("return window.innerHeight")
    assert 0 <= top < height, "the error summary is out of sight"


def test_the_ticket_page_shows_a_reply_without_a_reload(driver, live_server, world):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    sign_in(driver, live_server, world["users"]["contact"])
    driver.get(f"{live_server.url}/tickets/{world['ticket']}/")
    driver.execute_script("window.notReloaded = true")
    ticket = world["users"]["contact"].requested_tickets.get(pk=world["ticket"])
    services.comment_add(ticket=ticket, author=world["users"]["engineer"],
                         body="Fixed in build 12.1.7, please update.")
    WebDriverWait(driver, 25).until(
        ec.text_to_be_present_in_element((By.ID, "timeline"), "Fixed in build 12.1.7"),
        message="the reply did not appear on the open page")
    assert driver.execute_script("return window.notReloaded") is True
    assert "Driver suspected" not in driver.find_element(By.ID, "timeline").text
