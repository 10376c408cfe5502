"""Printing the account dashboard (SPEC §6, §15 "a print stylesheet for the dashboard"): Chromium
prints the page to PDF as a person's browser would, and the printout carries the figures, the
chart and the notes, but no navigation, language switch, note form or download buttons.

The browser is Debian's Chromium through its chromedriver, as in ``test_dashboard_browser``
(installed by `make test` and `.ci/run`; this test fails, never skips, without it).
"""

import base64
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from accounts.models import ProactiveNote
from tests.test_dashboard_browser import WAIT_SECONDS, busy_account, driver, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["busy_account", "driver"]  # fixtures, used by name

PRINTOUT = Path("/tmp/tam-dashboard-print.pdf")  # noqa: S108 - a file for a person to look at


def test_the_dashboard_prints_without_the_portal_around_it(driver, live_server, tam,
                                                           busy_account):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    ProactiveNote.objects.create(company=busy_account, author=tam, title="Rollout of 12.1",
                                 body="Branch offices next.", shared=True)
    sign_in(driver, live_server, tam)
    driver.get(f"{live_server.url}/tam/accounts/{busy_account.pk}/")
    WebDriverWait(driver, WAIT_SECONDS).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'canvas[data-chart-ready="true"]')),
        message="the chart script never marked the canvas ready",
    )
    # On screen the portal is all there.
    screen = driver.find_element(By.TAG_NAME, "body").text
    assert "Sign out" in screen
    assert "Add the note" in screen
    assert "PDF review" in screen

    options = PrintOptions()
    options.background = True
    pdf = base64.b64decode(driver.print_page(options))
    PRINTOUT.write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    printed = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))

    assert busy_account.name in printed
    for kept in ("SLA compliance, 30 days", "Weekly trend, last 12 weeks", "Rollout of 12.1",
                 "Named contacts"):
        assert kept in printed, kept
    for gone in ("Sign out", "Log a phone call", "Brazilian Portuguese", "Add the note",
                 "Share with the customer", "PDF review", "Priority line, 24/7"):
        assert gone not in printed, gone
    # The chart is printed (Chromium prints a canvas as an image).
    assert sum(len(page.images) for page in reader.pages) >= 1
