"""Identity flows in a real browser (Debian's Chromium, headless, through Selenium, as in
``test_dashboard_browser``): password reset by e-mail, TOTP enrolment and sign-in with a code,
a recovery code used once, company SSO through a real local OpenID Connect provider (a named
contact gets in; an unknown address is refused and creates nothing) — and on every page of
these flows and the main pages, no Content-Security-Policy violation."""

import re
import time

import pytest
from django.core import mail

from accounts.audit import Action, AuditEntry
from accounts.models import Role, User
from tests.factories import PASSWORD, UserFactory, totp_code
from tests.test_dashboard_browser import driver, sign_in  # noqa: F401 - the shared browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT = 15
#: Installed in every document before any of its scripts: collects CSP violations.
COLLECT_CSP = ("window.__csp = [];document.addEventListener('securitypolicyviolation', e => "
               "window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + "
               "(e.sourceFile || '') + ':' + e.lineNumber));")


@pytest.fixture
def browser(driver):  # noqa: F811 - the fixture imported above
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_CSP})
    driver.csp_seen = []
    yield driver
    assert not driver.csp_seen, driver.csp_seen


def visit(browser, url: str) -> None:
    browser.get(url)
    check_csp(browser)


def check_csp(browser) -> None:
    """Violations reported by the page, and CSP refusals in the console, so far."""
    browser.csp_seen += browser.execute_script("return window.__csp || []")
    browser.csp_seen += [e["message"] for e in browser.get_log("browser")
                         if "Content Security Policy" in e["message"]]


def wait_for(browser, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css)), message=f"no {css}")


def fill(browser, css: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.CSS_SELECTOR, css)
    field.clear()
    field.send_keys(value)


def submit(browser, css: str = "main form button[type=submit]") -> None:
    """Click and wait for the next page to load (the old document goes stale)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, WAIT).until(ec.staleness_of(old), message="the page did not change")
    wait_for(browser, "body")
    check_csp(browser)


def sign_in_with_password(browser, live_server, email: str, password: str = PASSWORD) -> None:
    visit(browser, f"{live_server.url}/accounts/login/")
    fill(browser, "#id_login", email)
    fill(browser, "#id_password", password)
    submit(browser)


def sign_out(browser) -> None:
    submit(browser, "header form.inline button[type=submit]")


def path_of(browser) -> str:
    return re.sub(r"^https?://[^/]+", "", browser.current_url)


def test_password_reset_by_email(browser, live_server, contact_a):
    from selenium.webdriver.common.by import By

    visit(browser, f"{live_server.url}/accounts/login/")
    browser.find_element(By.LINK_TEXT, "Forgot your password?").click()
    check_csp(browser)
    fill(browser, "input[name=email]", contact_a.email)
    submit(browser)
    assert "/accounts/password_reset/done/" in browser.current_url
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password_reset/key/\S+/)",
                     mail.outbox[0].body).group(1)
    visit(browser, live_server.url + link)
    new = "browser-chosen-password-2026"
    fill(browser, "input[name=password1]", new)
    fill(browser, "input[name=password2]", new)
    submit(browser)
    sign_in_with_password(browser, live_server, contact_a.email, new)
    assert path_of(browser) == "/", browser.page_source[:500]
    assert contact_a.full_name in browser.page_source
    # The link was single-use.
    visit(browser, live_server.url + link)
    assert "password1" not in browser.page_source


def test_totp_enrolment_then_sign_in_with_a_code(browser, live_server):
    from selenium.webdriver.common.by import By

    engineer = UserFactory(role=Role.ENGINEER, mfa=False)
    sign_in_with_password(browser, live_server, engineer.email)
    # A staff member without two-factor sign-in is sent to enrol, whatever they open.
    assert path_of(browser) == "/accounts/2fa/totp/activate/"
    visit(browser, f"{live_server.url}/queue/")
    assert path_of(browser) == "/accounts/2fa/totp/activate/"
    wait_for(browser, "img[src^='data:image/svg+xml']")  # the QR code
    secret = browser.find_element(By.ID, "authenticator_secret").get_attribute("value")
    fill(browser, "input[name=code]", totp_code(secret, at=time.time() - 30))
    submit(browser)
    main = browser.find_element(By.TAG_NAME, "main").text
    assert path_of(browser) == "/accounts/2fa/recovery-codes/", main
    codes = re.findall(r"\b\d{8}\b", browser.find_element(By.ID, "recovery_codes").text)
    assert len(codes) == 10
    engineer.refresh_from_db()
    assert engineer.mfa_enabled
    sign_out(browser)

    sign_in_with_password(browser, live_server, engineer.email)
    assert path_of(browser) == "/accounts/2fa/authenticate/"
    fill(browser, "input[name=code]", "000000")
    submit(browser)
    assert "Incorrect code" in browser.page_source
    fill(browser, "input[name=code]", totp_code(secret))
    submit(browser)
    assert path_of(browser) == "/queue/"
    assert AuditEntry.objects.filter(action=Action.MFA_ENROLLED, actor=engineer).exists()


def test_a_recovery_code_works_once(browser, live_server, engineer):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes(Authenticator.objects.get(user=engineer, type="recovery_codes")
                         ).get_unused_codes()[0]
    sign_in_with_password(browser, live_server, engineer.email)
    fill(browser, "input[name=code]", code)
    submit(browser)
    assert path_of(browser) == "/queue/"
    sign_out(browser)
    sign_in_with_password(browser, live_server, engineer.email)
    fill(browser, "input[name=code]", code)
    submit(browser)
    assert path_of(browser) == "/accounts/2fa/authenticate/"
    assert "Incorrect code" in browser.page_source


def test_sso_round_trip_for_a_named_contact(browser, live_server, contact_a, sso_company, oidc):
    from selenium.webdriver.common.by import By

    oidc.identity = {"sub": "idp-contact-a", "email": contact_a.email, "email_verified": True}
    visit(browser, f"{live_server.url}/accounts/login/")
    browser.find_element(By.ID, "sso-link").click()
    check_csp(browser)
    fill(browser, "#id_sso_email", contact_a.email)
    submit(browser)  # -> the IdP (another origin) -> /accounts/sso/callback/ -> home
    wait_for(browser, "a.who")
    assert path_of(browser) == "/"
    assert contact_a.full_name in browser.find_element(By.CSS_SELECTOR, "a.who").text
    assert oidc.token_requests == 1
    assert oidc.authorizations[0]["code_challenge_method"] == "S256"


def test_sso_refuses_an_unknown_address_and_creates_nothing(browser, live_server, contact_a,
                                                           sso_company, oidc):
    users = User.objects.count()
    stranger = "stranger@" + contact_a.email.split("@")[1]
    oidc.identity = {"sub": "idp-stranger", "email": stranger, "email_verified": True}
    visit(browser, f"{live_server.url}/accounts/sso/?email={stranger}")
    wait_for(browser, "p.error")
    assert "is not an active named support contact of Company A" in browser.page_source
    assert "/accounts/sso/callback/" in browser.current_url
    assert User.objects.count() == users
    assert not User.objects.filter(email=stranger).exists()
    visit(browser, f"{live_server.url}/")
    assert path_of(browser).startswith("/accounts/login/")


def test_the_main_pages_have_no_csp_violation(browser, live_server, contact_a, engineer, tam,
                                              admin, company_a):
    """Swagger UI and the TAM chart work under the policy, and no page reports a violation."""
    from tests.factories import file_ticket

    ticket = file_ticket(contact_a)
    sign_in(browser, live_server, contact_a)
    for path in ("/", "/tickets/new/", f"/tickets/{ticket.pk}/", "/signature-requests/",
                 "/accounts/profile/", "/notifications/"):
        visit(browser, live_server.url + path)
    browser.delete_all_cookies()
    sign_in(browser, live_server, engineer)
    for path in ("/queue/", f"/tickets/{ticket.pk}/", "/tickets/phone/"):
        visit(browser, live_server.url + path)
    visit(browser, f"{live_server.url}/api/docs/")
    wait_for(browser, ".swagger-ui .info .title")  # Swagger UI rendered from its own script
    check_csp(browser)
    browser.delete_all_cookies()
    sign_in(browser, live_server, tam)
    visit(browser, f"{live_server.url}/tam/accounts/{company_a.pk}/")
    wait_for(browser, 'canvas[data-chart-ready="true"]')  # the chart drew
    visit(browser, f"{live_server.url}/audit/")
    # The language switch (a script, no longer an inline handler) still works.
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "lang-select")).select_by_value("pt-br")
    wait_for(browser, "html[lang='pt-br']")
    check_csp(browser)
    browser.delete_all_cookies()
    sign_in(browser, live_server, admin)
    visit(browser, f"{live_server.url}/admin/")
    check_csp(browser)
