"""The SLA breach job (``sla.jobs.scan``) on the whole bench database, in-process.

* **nothing due**: one ``scan()`` first (it flags whatever crossed its deadline since the seed,
  as the beat job would every minute), then the median of ``runs`` timed ``scan()`` calls;
  each reports how many tickets it flagged (normally 0).
* **1,000 due**: ``due`` open, unanswered, unflagged tickets (all of them if there are fewer)
  get a first-response deadline one minute in the past (and their warning point before it,
  already raised), then one timed
  ``scan()`` flags them all: per ticket the conditional UPDATE, the ``sla_breach`` event, the
  bell and e-mail rows for every engineer, the assignee and the TAM, and the after-commit
  Celery nudge to Redis, as in production. Afterwards everything is put back exactly: the
  tickets' SLA columns restored, the new events, notifications and outbox rows deleted, and
  the nudges removed from the bench's own Redis database. Repeated ``due_runs`` times; the
  median is reported.

Import only after ``django.setup()``.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sla import jobs
from tickets.models import AWAITING_BREACH, Notification, OutboundEmail, Ticket, TicketEvent


def _max_id(model: Any) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


#: The split of the last timed run: this process's CPU time, and the wall time spent waiting
#: on SQL statements (PostgreSQL's share; on a busy machine the steadier figure is the CPU).
LAST_SPLIT: dict[str, float] = {}


def _query_count(fn: Any) -> tuple[float, int, Any]:
    count = 0
    in_sql = 0.0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count, in_sql
        count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_sql += time.perf_counter() - started

    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        elapsed = time.perf_counter() - started
        # The commit happens inside ``fn`` (one transaction per batch) and is counted in SQL.
        LAST_SPLIT.update(cpu_ms=round((time.process_time() - cpu) * 1000, 1),
                          sql_ms=round(in_sql * 1000, 1))
    return elapsed, count, result


def measure_idle(runs: int) -> dict[str, Any]:
    jobs.scan()  # catch up with whatever became due since the seed
    times, flagged, queries = [], [], []
    for _ in range(runs):
        elapsed, count, result = _query_count(jobs.scan)
        times.append(elapsed)
        queries.append(count)
        flagged.append(sum(result.values()))
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(sorted(times)[max(0, round(0.95 * runs) - 1)] * 1000, 2),
        "min_ms": round(min(times) * 1000, 2),
        "queries": statistics.median(queries),
        "flagged": flagged,
    }


def _purge_redis_nudges(redis_url: str) -> None:
    """Delete the Celery queue of the bench's own Redis database (no worker reads it)."""
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        client.delete("celery")
        client.close()
    except Exception:  # noqa: S110 - best effort; the bench database is thrown away anyway
        pass


def measure_due(due: int, runs: int, redis_url: str) -> dict[str, Any]:
    times: list[float] = []
    queries: list[int] = []
    flagged: list[int] = []
    written: list[dict[str, int]] = []
    splits: list[dict[str, float]] = []
    for _ in range(runs):
        jobs.scan()  # untimed: whatever became due by itself is not part of the measure
        now = timezone.now()
        candidates = list(
            Ticket.objects.filter(AWAITING_BREACH, response_due_at__gt=now)
            .order_by("pk")
            .values_list("pk", "response_due_at", "response_warn_at", "response_warned_at")[:due]
        )
        if not candidates:
            return {"skipped": "no unanswered ticket is still ahead of its deadline"}
        ids = [c[0] for c in candidates]
        marks = {m: _max_id(m) for m in (TicketEvent, Notification, OutboundEmail)}
        past = now - timedelta(minutes=1)
        Ticket.objects.filter(pk__in=ids).update(
            response_due_at=past, response_warn_at=past - timedelta(minutes=5),
            response_warned_at=past - timedelta(minutes=5),
        )
        try:
            elapsed, count, result = _query_count(jobs.scan)
            splits.append(dict(LAST_SPLIT))
            written.append({m.__name__: m.objects.filter(pk__gt=mark).count()
                            for m, mark in marks.items()})
        finally:
            with transaction.atomic():
                for pk, due_at, warn_at, warned_at in candidates:
                    Ticket.objects.filter(pk=pk).update(
                        response_due_at=due_at, response_warn_at=warn_at,
                        response_warned_at=warned_at, response_breached_at=None,
                    )
                for model, mark in marks.items():
                    model.objects.filter(pk__gt=mark).delete()
            _purge_redis_nudges(redis_url)
        times.append(elapsed)
        queries.append(count)
        flagged.append(sum(result.values()))
    # A small data set may have fewer unanswered tickets than asked for: all of them then.
    due = len(candidates)
    return {
        "runs": runs,
        "due": due,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "min_ms": round(min(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
        "per_ticket_ms": round(statistics.median(times) * 1000 / due, 3),
        "queries": statistics.median(queries),
        "flagged": flagged,
        "rows_written": written,
        "cpu_ms_median": statistics.median(x["cpu_ms"] for x in splits),
        "sql_ms_median": statistics.median(x["sql_ms"] for x in splits),
    }


def measure_updates_due(due: int, runs: int, redis_url: str) -> dict[str, Any]:
    """The update-cadence job (``sla.updates.flag_missed_updates``) with ``due`` open, answered
    tickets whose next customer update was due a minute ago: per ticket the conditional claim,
    the record of the missed interval, the ``update_overdue`` event, the bell and e-mail for
    the assignee and the TAM. Put back afterwards like :func:`measure_due`."""
    from sla import updates
    from tickets.models import Status, UpdateInterval

    times: list[float] = []
    queries: list[int] = []
    flagged: list[int] = []
    written: list[dict[str, int]] = []
    splits: list[dict[str, float]] = []
    candidates: list[Any] = []
    for _ in range(runs):
        updates.flag_missed_updates()
        now = timezone.now()
        # Enhanced plan, severities 1-3: the policies with an update interval.
        candidates = list(
            Ticket.objects.filter(status=Status.OPEN, first_response_at__isnull=False,
                                  plan__code="enhanced", severity__lte=3)
            .order_by("pk").values_list("pk", "update_due_at", "updates_missed")[:due]
        )
        if not candidates:
            return {"skipped": "no open, answered ticket of the enhanced plan"}
        ids = [c[0] for c in candidates]
        marks = {m: _max_id(m) for m in (TicketEvent, Notification, OutboundEmail,
                                         UpdateInterval)}
        Ticket.objects.filter(pk__in=ids).update(update_due_at=now - timedelta(minutes=1))
        try:
            elapsed, count, result = _query_count(lambda at=now: updates.flag_missed_updates(at))
            splits.append(dict(LAST_SPLIT))
            written.append({m.__name__: m.objects.filter(pk__gt=mark).count()
                            for m, mark in marks.items()})
        finally:
            with transaction.atomic():
                for pk, due_at, missed in candidates:
                    Ticket.objects.filter(pk=pk).update(update_due_at=due_at,
                                                        updates_missed=missed)
                for model, mark in marks.items():
                    model.objects.filter(pk__gt=mark).delete()
            _purge_redis_nudges(redis_url)
        times.append(elapsed)
        queries.append(count)
        flagged.append(result)
    return {
        "runs": runs,
        "due": len(candidates),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "min_ms": round(min(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
        "per_ticket_ms": round(statistics.median(times) * 1000 / len(candidates), 3),
        "queries": statistics.median(queries),
        "flagged": flagged,
        "rows_written": written,
        "cpu_ms_median": statistics.median(x["cpu_ms"] for x in splits),
        "sql_ms_median": statistics.median(x["sql_ms"] for x in splits),
    }

