"""HTTP load over loopback with ``wrk`` (Debian package), bounded in time.

Each measurement is two wrk runs against one URL:

* **latency**: 1 connection, 1 thread, ``duration`` seconds: what a single user sees (median,
  p95, p99, and the sequential requests per second);
* **throughput**: ``connections`` connections on 2 threads, ``duration`` seconds: requests per
  second with every gunicorn worker busy.

A Lua script sets the method, headers and body (for POST, a JSON body whose severity cycles
1–4) and prints wrk's own statistics as one JSON line in ``done()``. wrk counts a non-2xx/3xx
answer as an error; any error, or a run that completed no request, is reported as such.

Only 127.0.0.1 is contacted: callers pass ``http://127.0.0.1:<port>`` URLs. If wrk is missing
and cannot be installed (``apt-get install -y wrk`` as root), :func:`wrk_path` returns ``None``
and the caller falls back to sequential urllib timings, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK_TIMEOUT = "30s"  # per request, inside wrk
APT_TIMEOUT = 300  # seconds for apt-get update + install


@dataclass
class LoadResult:
    """wrk's figures for one run. Times in milliseconds."""

    connections: int
    duration_s: float
    requests: int
    rps: float
    median_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: int  # connect + read + write + timeout + non-2xx/3xx status
    status_errors: int
    bytes_per_request: int

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.errors == 0


def wrk_path(install: bool = True, log: Any = print) -> str | None:
    """The wrk binary; installed from Debian when missing and we are root."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() != 0:
        log("wrk is not installed and this is not root: falling back to sequential urllib")
        return None
    log("wrk is missing: apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=APT_TIMEOUT,
                       capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env,
                       timeout=APT_TIMEOUT, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        log(f"could not install wrk ({exc}): falling back to sequential urllib")
        return None
    return shutil.which("wrk")


def _lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # also a valid Lua string literal


LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  local n = summary.requests
  local function p(q) if n > 0 then return latency:percentile(q) / 1000 end return -1 end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50": %.3f, "p95": %.3f, '
    .. '"p99": %.3f, "max": %.3f}\\n',
    n, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    p(50), p(95), p(99), (n > 0) and latency.max / 1000 or -1))
end
"""


def lua_script(method: str, headers: dict[str, str], body_template: str | None) -> str:
    """``body_template`` may contain ``{severity}`` and ``{n}``: filled per request in Lua."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    for key, value in headers.items():
        lines.append(f"wrk.headers[{_lua_string(key)}] = {_lua_string(value)}")
    if body_template is None:
        lines.append("request = function() return wrk.format() end")
    else:
        template = _lua_string(body_template)
        lines.append("local counter = 0")
        lines.append(
            "request = function()\n"
            "  counter = counter + 1\n"
            f"  local body = string.gsub({template}, '{{severity}}', tostring(counter % 4 + 1))\n"
            "  body = string.gsub(body, '{n}', tostring(counter))\n"
            "  return wrk.format(nil, nil, nil, body)\n"
            "end"
        )
    lines.append(LUA_DONE)
    return "\n".join(lines)


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body_template: str | None = None,
    connections: int = 1,
    threads: int = 1,
    duration: float = 10.0,
) -> LoadResult:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the load generator only targets http://127.0.0.1")
    script = lua_script(method, headers or {}, body_template)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = Path(handle.name)
    try:
        completed = subprocess.run(
            [wrk, "-t", str(min(threads, connections)), "-c", str(connections),
             "-d", f"{duration:g}s", "--timeout", WRK_TIMEOUT, "-s", str(script_path), url],
            capture_output=True, text=True, timeout=duration + 60, check=False,
        )
    finally:
        script_path.unlink(missing_ok=True)
    line = next((x for x in reversed(completed.stdout.splitlines()) if x.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {url}: {completed.stdout}{completed.stderr}")
    data = json.loads(line)
    n = int(data["requests"])
    seconds = data["duration_us"] / 1e6
    errors = sum(int(data[k]) for k in ("connect", "read", "write", "status", "timeout"))

    def ms(key: str) -> float | None:
        return round(float(data[key]), 2) if n > 0 and data[key] >= 0 else None

    return LoadResult(
        connections=connections,
        duration_s=round(seconds, 2),
        requests=n,
        rps=round(n / seconds, 1) if seconds else 0.0,
        median_ms=ms("p50"),
        p95_ms=ms("p95"),
        p99_ms=ms("p99"),
        max_ms=ms("max"),
        errors=errors,
        status_errors=int(data["status"]),
        bytes_per_request=int(data["bytes"] / n) if n else 0,
    )
