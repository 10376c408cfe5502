"""A small, real OpenID Connect provider for the tests: an HTTP server on 127.0.0.1 with a
fresh RSA key, serving discovery, JWKS, the authorization endpoint (it signs in whoever the test
says, without a form) and the token endpoint (client secret, PKCE S256 and redirect URI
checked; an RS256 id token carrying the nonce it was given).

Nothing is mocked: the portal talks to it over HTTP exactly as to a customer's IdP.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    claims: dict[str, Any]


@dataclass
class Provider:
    client_id: str = "portal-client"
    client_secret: str = "s3cret-of-the-portal"
    #: Who the IdP signs in at the next authorization request.
    identity: dict[str, Any] = field(default_factory=dict)
    #: Every authorization request's query, for the tests to inspect.
    authorizations: list[dict[str, str]] = field(default_factory=list)
    token_requests: int = 0
    #: Sign id tokens with this other key instead (a forged token).
    forge: bool = False
    grants: dict[str, Grant] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    @property
    def issuer(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": grant.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant.nonce, **grant.claims}
        key = self.other_key if self.forge else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def start(self) -> "Provider":
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, provider.jwks())
                if url.path == "/authorize":
                    return self._authorize(query)
                return self._json(404, {"error": "not_found"})

            def _authorize(self, query: dict[str, str]) -> None:
                provider.authorizations.append(query)
                if query.get("client_id") != provider.client_id or "openid" not in query.get(
                        "scope", "").split():
                    return self._json(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                provider.grants[code] = Grant(
                    client_id=query["client_id"], redirect_uri=query["redirect_uri"],
                    nonce=query.get("nonce", ""),
                    code_challenge=query.get("code_challenge", ""),
                    code_challenge_method=query.get("code_challenge_method", ""),
                    claims=dict(provider.identity),
                )
                answer = urlencode({"code": code, "state": query["state"]})
                back = f"{query['redirect_uri']}?{answer}"
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                provider.token_requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if client_id != provider.client_id or secret != provider.client_secret:
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.grants.pop(form.get("code", ""), None)
                if grant is None or form.get("grant_type") != "authorization_code":
                    return self._json(400, {"error": "invalid_grant"})
                if form.get("redirect_uri") != grant.redirect_uri:
                    return self._json(400, {"error": "invalid_grant", "error_description":
                                            "redirect_uri"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if grant.code_challenge_method != "S256" or challenge != grant.code_challenge:
                    return self._json(400, {"error": "invalid_grant", "error_description":
                                            "PKCE"})
                return self._json(200, {"access_token": secrets.token_urlsafe(24),
                                        "token_type": "Bearer", "expires_in": 300,
                                        "id_token": provider.id_token(grant)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
