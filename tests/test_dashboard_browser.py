"""The account dashboard's weekly chart in a real browser: Debian's Chromium, headless, driven by
Selenium against pytest-django's live server. Checks that the vendored Chart.js loads from our
own static files, that tam-dashboard.js draws 12 weeks × 2 series from the json_script data, and
that the pixels on screen are really a chart (not a blank canvas).

The browser is a requirement of the suite, not an option: `make test` and `.ci/run` install
Chromium and its driver when they are missing, and this test fails (never skips) without them.
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.utils import timezone

from sla.jobs import flag_breaches
from tests.factories import ContactFactory, file_ticket
from tickets import services
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/tam-dashboard.png")  # noqa: S108 - a file for a person to look at
WAIT_SECONDS = 15
#: The colours of static/js/tam-dashboard.js: the bars (tickets filed) and the line
#: (compliance).
BAR_RGB = (0x6D, 0x9E, 0xF0)
LINE_RGB = (0x0B, 0x6B, 0x4F)


@pytest.fixture
def driver():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(
            f"The browser test needs {' and '.join(missing)}: install Debian's packages with "
            "`apt-get install chromium chromium-driver` (`make test` and `.ci/run` do it).",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never run, so nothing is downloaded.
    service = Service(executable_path=str(CHROMEDRIVER))
    try:
        browser = webdriver.Chrome(service=service, options=options)
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start through {CHROMEDRIVER}: {exc.msg}", pytrace=False)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


@pytest.fixture
def busy_account(company_a, contact_a, engineer):
    """Company A with five weeks of tickets: a few a week, most answered in time."""
    now = timezone.now()
    plan = [  # (days ago, severity, minutes to the first response or None)
        (1, 1, 10),
        (2, 2, 60),
        (3, 1, 45),
        (8, 1, 20),
        (9, 3, 100),
        (10, 2, 500),
        (11, 1, 5),
        (15, 2, 30),
        (16, 1, 50),
        (22, 1, 15),
        (23, 2, 90),
        (24, 4, 60),
        (25, 1, 25),
        (30, 3, 200),
        (31, 1, None),
    ]
    for days_ago, severity, answer_after in plan:
        filed = now - timedelta(days=days_ago, hours=2)
        with time_machine.travel(filed, tick=False):
            ticket = file_ticket(contact_a, severity=severity)
        if answer_after is not None:
            with time_machine.travel(filed + timedelta(minutes=answer_after), tick=False):
                services.comment_add(ticket=ticket, author=engineer, body="Answer")
    # The breach job's record: late answers were breached at their deadline, and the
    # unanswered one is breached now.
    Ticket.objects.filter(company=company_a, first_response_at__gt=F("response_due_at")).update(
        response_breached_at=F("response_due_at")
    )
    flag_breaches(now)
    ContactFactory(company=company_a)
    return company_a


def sign_in(browser, live_server, user) -> None:
    """A real session for ``user``, its cookie handed to the browser (no password typed)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser.get(f"{live_server.url}/healthz")  # cookies can only be set for a loaded origin
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": session,
            "path": "/",
            "secure": False,
            "httpOnly": True,
        }
    )


def count_pixels(
    png: bytes, box: tuple[int, int, int, int], rgb: tuple[int, int, int], tolerance: int = 24
) -> int:
    from PIL import Image

    data = Image.open(io.BytesIO(png)).convert("RGB").crop(box).tobytes()
    r, g, b = rgb
    return sum(
        1
        for i in range(0, len(data), 3)
        if abs(data[i] - r) <= tolerance
        and abs(data[i + 1] - g) <= tolerance
        and abs(data[i + 2] - b) <= tolerance
    )


def test_it_draws_the_weekly_chart_in_chromium(driver, live_server, tam, busy_account):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    sign_in(driver, live_server, tam)
    driver.get(f"{live_server.url}/tam/accounts/{busy_account.pk}/")
    assert busy_account.name in driver.find_element(By.TAG_NAME, "h1").text, driver.page_source

    canvas = WebDriverWait(driver, WAIT_SECONDS).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'canvas[data-chart-ready="true"]')),
        message="the chart script never marked the canvas ready",
    )
    # 12 weeks, each a bar (tickets filed) and a point of the line (compliance).
    assert canvas.get_attribute("data-points") == "24"
    # Once the chart is drawn the table of the same figures folds away (still one click off).
    assert driver.find_element(By.CSS_SELECTOR, "details.chart-table").get_attribute("open") is None

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom, window.devicePixelRatio];",
        canvas,
    )
    left, top, right, bottom, ratio = rect
    # The chart box has its size.
    assert right - left > 300, rect
    assert bottom - top > 200, rect
    png = driver.get_screenshot_as_png()
    SCREENSHOT.write_bytes(png)
    box = tuple(round(v * ratio) for v in (left, top, right, bottom))
    bar_pixels = count_pixels(png, box, BAR_RGB)
    line_pixels = count_pixels(png, box, LINE_RGB)
    assert bar_pixels > 1500, f"only {bar_pixels} bar-coloured pixels: is the chart blank?"
    assert line_pixels > 150, f"only {line_pixels} line-coloured pixels: no compliance line?"

    errors = [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]
    assert not errors, errors
