"""A real HTTP server on a free local port standing in for the SMS/voice gateway of paging
(SPEC §11): it checks each call's HMAC-SHA256 signature (``X-Portal-Signature``) as a gateway
integrator would, answers **500 to the first attempt of every page** (so a test proves the
retry), and counts what it accepted per page id."""

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.mail_server import free_port


class Calls:
    def __init__(self, secret: str, fail_first: bool = True) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.attempts: Counter[int] = Counter()  # every call with a valid signature, per page
        self.accepted: Counter[int] = Counter()  # answered 2xx, per page
        self.bad_signatures = 0
        self.bodies: list[dict] = []
        self.lock = threading.Lock()


def _handler(calls: Calls) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = "sha256=" + hmac.new(calls.secret.encode(), body,
                                            hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Portal-Signature", "")):
                with calls.lock:
                    calls.bad_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            data = json.loads(body)
            page = int(data["page"]["id"])
            with calls.lock:
                calls.attempts[page] += 1
                first = calls.attempts[page] == 1
                if not (first and calls.fail_first):
                    calls.accepted[page] += 1
                    calls.bodies.append(data)
            self.send_response(500 if first and calls.fail_first else 204)
            self.end_headers()

    return Handler


@contextmanager
def webhook_receiver(secret: str, fail_first: bool = True) -> Iterator[tuple[Calls, str]]:
    calls = Calls(secret, fail_first)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(calls))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield calls, f"http://127.0.0.1:{server.server_address[1]}/page"
    finally:
        server.shutdown()
        server.server_close()
