"""HTTP client for the benchmark (standard library only): a urllib opener with a cookie jar
and no proxy, and the two ways of signing in (API token, session)."""

from __future__ import annotations

import json
import re
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


def api_token(base: str, email: str, password: str) -> str:
    http = Http(base)
    body = json.dumps({"email": email, "password": password}).encode()
    status, _url, content = http.request(
        "/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    if status != 200:
        raise RuntimeError(f"token request failed: {status} {content[:300]!r}")
    return str(json.loads(content)["token"])


def session_login(base: str, email: str, password: str) -> Http:
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
    status, _url, content = http.request(
        "/accounts/login/",
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base}/accounts/login/",
        },
    )
    if status != 200 or not http.cookie("sessionid"):
        raise RuntimeError(f"sign-in failed: {status} {content[:300]!r}")
    return http
