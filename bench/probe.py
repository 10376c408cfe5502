"""In-process timing of one endpoint through Django's full stack (test ``Client``, no network,
no gunicorn), with every SQL statement timed by ``connection.execute_wrapper``.

Depends on Django only, so both the portal's bench and the django-helpdesk side
(``bench/helpdesk_tool.py``, run in its own virtual environment) use it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def measure(
    client: Any,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Callable[[int], str] | None = None,
    n: int = 100,
    warmup: int = 10,
    max_seconds: float = 30.0,
    expect: tuple[int, ...] = (200,),
) -> dict[str, Any]:
    """``n`` timed requests after ``warmup`` (fewer if ``max_seconds`` runs out, at least 1).
    ``body(i)`` gives the i-th JSON body for a POST. Returns the timing, the database time and
    the queries per request, and the statements of the last request."""
    from django.db import connection

    current: list[tuple[str, Any, float]] = []

    def timer(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            current.append((sql, params, time.perf_counter() - started))

    totals: list[float] = []
    db_times: list[float] = []
    query_counts: list[int] = []
    last: list[tuple[str, Any, float]] = []
    extra = dict(headers or {})
    deadline = time.monotonic() + max_seconds
    with connection.execute_wrapper(timer):
        for i in range(warmup + n):
            current.clear()
            started = time.perf_counter()
            if method == "POST":
                response = client.post(path, data=body(i) if body else "",
                                       content_type="application/json", **extra)
            else:
                response = client.get(path, **extra)
            elapsed = time.perf_counter() - started
            if response.status_code not in expect:
                raise RuntimeError(
                    f"in-process {method} {path}: {response.status_code} "
                    f"{response.content[:300]!r}"
                )
            if i >= warmup or (not totals and time.monotonic() > deadline):
                totals.append(elapsed)
                db_times.append(sum(t for _s, _p, t in current))
                query_counts.append(len(current))
                last = list(current)
            if totals and time.monotonic() > deadline:
                break
    ordered = sorted(totals)
    return {
        "n": len(totals),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
                        * 1000, 2),
        "db_ms_median": round(statistics.median(db_times) * 1000, 2),
        "db_share": round(sum(db_times) / sum(totals), 3),
        "queries_per_request": round(statistics.mean(query_counts), 1),
        "statements": last,
    }
