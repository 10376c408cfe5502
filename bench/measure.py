"""Measurement over HTTP: what an endpoint is, the figures kept for it, and how they are taken
(wrk through bench/load.py: 1 connection for latency, N for throughput; sequential urllib
requests without wrk or for very slow endpoints)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import load as loadgen
from bench.infra import log, settle
from bench.webclient import Http

#: A run whose single-connection latency run completes fewer requests than this is retimed
#: sequentially (up to SLOW_REQUESTS requests) and gets no throughput run.
SLOW_REQUESTS = 5


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass(frozen=True)
class Endpoint:
    key: str  # a stable id: pairs and budgets refer to it
    name: str
    path: str
    #: "api" (engineer token), "contact" (a customer contact's token), "page" (engineer
    #: session), "tam_api" / "tam_page" (the account's own TAM: dashboards are theirs, SPEC §8)
    kind: str
    method: str = "GET"
    #: JSON body template for POST: ``{severity}`` and ``{n}`` vary per request.
    body: str | None = None
    #: Extra request headers, e.g. the htmx poll's ``HX-Request``.
    headers: tuple[tuple[str, str], ...] = ()

    def wsgi_headers(self) -> dict[str, str]:
        return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers}


@dataclass
class Timing:
    """Sequential urllib timings (the fallback without wrk, and for very slow endpoints)."""

    n: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    rps: float

    @classmethod
    def of(cls, samples: list[float], wall: float) -> Timing:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return cls(n=len(samples), median_ms=ms(statistics.median(ordered)), p95_ms=ms(p95),
                   min_ms=ms(ordered[0]), max_ms=ms(ordered[-1]),
                   rps=round(len(samples) / wall, 1))


@dataclass
class Result:
    endpoint: Endpoint
    latency: loadgen.LoadResult | None = None  # wrk, 1 connection
    load: loadgen.LoadResult | None = None  # wrk, N connections
    sequential: Timing | None = None  # urllib, one request after the other
    bytes: int = 0
    rows_total: int | None = None
    inproc_median_ms: float | None = None
    db_ms_median: float | None = None
    db_share: float | None = None
    queries_per_request: float | None = None
    floor_queue_ms: float | None = None
    floor_all_ms: float | None = None
    planning_ms: float | None = None
    notes: list[str] = field(default_factory=list)
    sql: list[dict[str, Any]] = field(default_factory=list)
    queue_plan: Any = None

    @property
    def median_ms(self) -> float | None:
        if self.latency and self.latency.requests >= SLOW_REQUESTS:
            return self.latency.median_ms
        return self.sequential.median_ms if self.sequential else None

    @property
    def p95_ms(self) -> float | None:
        if self.latency and self.latency.requests >= SLOW_REQUESTS:
            return self.latency.p95_ms
        return self.sequential.p95_ms if self.sequential else None

    @property
    def rps(self) -> float | None:
        """Throughput: wrk with N connections, else sequential."""
        if self.load:
            return self.load.rps
        return self.sequential.rps if self.sequential else None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "endpoint"}
        out["endpoint"] = asdict(self.endpoint)
        out["median_ms"], out["p95_ms"], out["rps"] = self.median_ms, self.p95_ms, self.rps
        return out


def request_body(endpoint: Endpoint, i: int) -> bytes | None:
    if endpoint.body is None:
        return None
    return endpoint.body.replace("{severity}", str(i % 4 + 1)).replace("{n}", str(i)).encode()


def check_once(base: str, endpoint: Endpoint, headers: dict[str, str]) -> tuple[int, int | None]:
    """One request by urllib: the answer must be 200 (201 for POST) at the same URL. Returns
    the body size and, for an API list, its ``count``."""
    status, url, body = Http(base).request(endpoint.path, data=request_body(endpoint, 0),
                                           headers=headers)
    expected = 201 if endpoint.method == "POST" else 200
    if status != expected or (endpoint.method == "GET" and not url.endswith(endpoint.path)):
        raise RuntimeError(f"{endpoint.method} {endpoint.path}: HTTP {status} at {url} "
                           f"{body[:300]!r}")
    rows = None
    if not endpoint.kind.endswith("page") and endpoint.method == "GET":
        with suppress(ValueError, AttributeError):
            count = json.loads(body).get("count")
            rows = int(count) if count is not None else None
    return len(body), rows


def measure_sequential(base: str, endpoint: Endpoint, headers: dict[str, str], n: int,
                       warmup: int, max_seconds: float = 120.0) -> Timing:
    """Sequential urllib requests (each a new connection, as gunicorn's sync workers close
    it), bounded by ``max_seconds``."""
    http = Http(base)
    expected = 201 if endpoint.method == "POST" else 200

    def one(i: int) -> float:
        started = time.perf_counter()
        status, _url, _body_bytes = http.request(endpoint.path, data=request_body(endpoint, i),
                                                 headers=headers)
        if status != expected:
            raise RuntimeError(f"{endpoint.path}: HTTP {status}")
        return time.perf_counter() - started

    for i in range(warmup):
        one(i)
    samples: list[float] = []
    started = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    for i in range(n):
        samples.append(one(warmup + i))
        if time.monotonic() > deadline:
            break
    return Timing.of(samples, time.perf_counter() - started)


def measure_http(base: str, result: Result, headers: dict[str, str], args: argparse.Namespace,
                 wrk: str | None) -> None:
    endpoint = result.endpoint
    result.bytes, result.rows_total = check_once(base, endpoint, headers)
    if wrk is None:
        log(f"HTTP {endpoint.method} {endpoint.path}: {args.requests} sequential (urllib)")
        result.sequential = measure_sequential(base, endpoint, headers, args.requests,
                                               args.warmup)
        return
    url = base + endpoint.path
    common = {"method": endpoint.method, "headers": headers, "body_template": endpoint.body,
              "duration": args.duration}
    log(f"wrk {endpoint.method} {endpoint.path}: {args.duration:g} s × 1 connection, then "
        f"{args.duration:g} s × {args.connections}")
    # Warm-up: a short single-connection run, not recorded.
    loadgen.run_wrk(wrk, url, **{**common, "duration": min(2.0, args.duration)})
    settle(base)
    result.latency = loadgen.run_wrk(wrk, url, connections=1, threads=1, **common)
    settle(base)
    if result.latency.requests < SLOW_REQUESTS:
        result.notes.append(
            f"only {result.latency.requests} requests completed in {args.duration:g} s: "
            f"latency from up to {SLOW_REQUESTS} sequential requests, no throughput run"
        )
        result.sequential = measure_sequential(base, endpoint, headers, SLOW_REQUESTS, 0)
        settle(base)
        return
    result.load = loadgen.run_wrk(wrk, url, connections=args.connections, threads=2, **common)
    settle(base)
    for run in (result.latency, result.load):
        if run.errors:
            result.notes.append(f"wrk c={run.connections}: {run.errors} errors "
                                f"({run.status_errors} non-2xx/3xx answers)")
