"""HTTP client for the benchmark (standard library only): a urllib opener with a cookie jar
and no proxy, and the two ways of signing in (API token, session)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import struct
import time
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, OpenerDirector, ProxyHandler, Request, build_opener

REQUEST_TIMEOUT = 60.0  # seconds, per urllib request


class Http:
    """A urllib opener with a cookie jar and no proxy: loopback only."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener: OpenerDirector = build_opener(ProxyHandler({}), HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        req = Request(self.base + path, data=data, headers=headers or {})  # noqa: S310 - http://127.0.0.1 only
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as resp:
                return resp.status, resp.url, resp.read()
        except HTTPError as exc:
            return exc.code, exc.url, exc.read()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


# Each TOTP code is accepted once; the portal accepts the codes of the neighbouring 30-second
# steps too, so successive sign-ins of one user take the current, next and previous step's.
_STEP_OFFSETS = itertools.cycle((0, 1, -1))


def totp(secret: str, offset: int | None = None) -> str:
    """The authenticator-app code (RFC 6238, SHA-1, 6 digits, 30 s) for ``secret``."""
    step = int(time.time()) // 30 + (next(_STEP_OFFSETS) if offset is None else offset)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[start:start + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def api_token(base: str, email: str, password: str, otp_secret: str | None = None) -> str:
    http = Http(base)
    fields = {"email": email, "password": password}
    if otp_secret:
        fields["otp"] = totp(otp_secret)
    body = json.dumps(fields).encode()
    status, _url, content = http.request(
        "/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    if status != 200:
        raise RuntimeError(f"token request failed: {status} {content[:300]!r}")
    return str(json.loads(content)["token"])


def _csrf(page: bytes) -> str | None:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1).decode() if match else None


def session_login(base: str, email: str, password: str, otp_secret: str | None = None) -> Http:
    http = Http(base)
    status, _url, page = http.request("/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"login page: {status}, no CSRF token found")
    form = urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": email,
            "password": password,
            "next": "/",
        }
    ).encode()
    status, url, content = http.request(
        "/accounts/login/",
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base}/accounts/login/",
        },
    )
    if otp_secret and url.endswith("/accounts/2fa/authenticate/"):
        # The second step: the authenticator code.
        form = urlencode({"csrfmiddlewaretoken": _csrf(content) or "",
                          "code": totp(otp_secret)}).encode()
        status, url, content = http.request(
            "/accounts/2fa/authenticate/", data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"{base}/accounts/2fa/authenticate/"},
        )
    if status != 200 or url.endswith("/accounts/2fa/authenticate/") or not http.cookie(
            "sessionid"):
        raise RuntimeError(f"sign-in failed: {status} {content[:300]!r}")
    return http
