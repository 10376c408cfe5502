"""A bare HTTP client for the fault suite: raw bytes in, status and JSON out, and a network
error reported as status 0 instead of raised (a load loop counts it)."""

import http.client
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    body: bytes
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def call(port: int, method: str, path: str, body: bytes | None = None, *, token: str = "",
         content_type: str = "application/json", timeout: float = 30.0) -> Answer:
    headers = {"Host": "127.0.0.1", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        headers["Content-Type"] = content_type
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, b"", f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def post_json(port: int, path: str, payload: Any, *, token: str, method: str = "POST") -> Answer:
    return call(port, method, path, json.dumps(payload).encode(), token=token)
