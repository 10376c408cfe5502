"""The report: the tables (ours, theirs, ours ÷ theirs, PostgreSQL floor, breach job) and the
budgets, as printed at the end of a run and stored in the JSON results."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench.infra import LOAD_AVERAGES
from bench.inprocess import plan_summary
from bench.measure import SLOW_REQUESTS, Result
from bench.theirs import PAIRS

# The budgets of the issue, for 100,000 tickets on 2 cores.
BUDGETS = [
    # (label, endpoint key, measure, limit, "max" or "min")
    ("queue page median", "queue_page", "median_ms", 50.0, "max"),
    ("queue API median", "queue_api", "median_ms", 50.0, "max"),
    ("ticket creation throughput", "create", "rps", 150.0, "min"),
    ("TAM dashboard (API) median", "dashboard_api", "median_ms", 100.0, "max"),
    ("TAM dashboard (page) median", "dashboard_page", "median_ms", 100.0, "max"),
    ("breach job, nothing due", "breach_idle", "median_ms", 50.0, "max"),
]


def _fmt(value: Any, suffix: str = "", width: int = 0) -> str:
    if value is None:
        text = "—"
    elif isinstance(value, float):
        text = f"{value:.2f}{suffix}" if abs(value) < 1000 else f"{value:,.0f}{suffix}"
    else:
        text = f"{value}{suffix}"
    return text.rjust(width)


def _rps(value: float | None, width: int) -> str:
    return ("—" if value is None else f"{value:,.1f}").rjust(width)


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "—"
    return f"{ours / theirs:.2f}"


def endpoint_table(title: str, results: list[Result], connections: int) -> list[str]:
    lines = [title]
    head = (f"{'endpoint':<44} {'median':>9} {'p95':>9} {'req/s c=1':>9} "
            f"{f'req/s c={connections}':>10} {'queries':>7} {'db %':>5} {'bytes':>7}")
    lines += [head, "-" * len(head)]
    notes: list[str] = []
    for r in results:
        c1 = r.latency.rps if r.latency and r.latency.requests >= SLOW_REQUESTS else (
            r.sequential.rps if r.sequential else None)
        mark = "*" if r.notes else " "
        lines.append(
            f"{r.endpoint.name[:43]:<43}{mark} {_fmt(r.median_ms, 'ms', 9)} "
            f"{_fmt(r.p95_ms, 'ms', 9)} {_rps(c1, 9)} "
            f"{_rps(r.load.rps if r.load else None, 10)} "
            f"{_fmt(r.queries_per_request, '', 7)} "
            f"{_fmt(round(r.db_share * 100) if r.db_share is not None else None, '', 5)} "
            f"{r.bytes:>7}"
        )
        notes += [f"  * {r.endpoint.name.strip()}: {n}" for n in r.notes]
    return lines + notes


def build_report(ours: list[Result], theirs: list[Result], args: argparse.Namespace,
                 report: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    seed_info = report.get("seed") or {}
    add("")
    add(f"Support portal benchmark — {args.tickets:,} tickets ({args.open:,} open), "
        f"{args.companies} companies × 8 contacts, 3 comments per ticket; "
        f"{os.cpu_count()} CPUs; {report['started_at']}")
    if seed_info:
        seconds = seed_info.get("seconds", {})
        add(f"Seeding (ours): {seconds.get('total', '?')} s; {seed_info['tickets']:,} tickets, "
            f"{seed_info['comments']:,} comments, {seed_info['events']:,} events, "
            f"{seed_info['breached']:,} breached; database {report.get('db_size', '?')}")
    if report.get("helpdesk_seed"):
        hd = report["helpdesk_seed"]
        add(f"Seeding (django-helpdesk {report.get('helpdesk_version')}): {hd['seconds']} s; "
            f"{hd['tickets']:,} tickets, {hd['followups']:,} follow-ups, {hd['queues']} queues;"
            f" database {report.get('helpdesk_db_size', '?')}")
    machine = report["machine"]
    add(f"Machine: {machine.get('cpu', '?')}, {machine['cpus']} CPUs; PostgreSQL "
        f"{machine.get('postgresql', '?')}; Python {machine['python']}; "
        f"Django {machine.get('django', '?')}")
    add("Load average (1 min): " + ", ".join(f"{k} {v}" for k, v in LOAD_AVERAGES.items()))
    tool = report.get("load_generator")
    if tool:
        add(f"Load generator: {tool}; {args.duration:g} s per run, latency with 1 connection, "
            f"throughput with {args.connections}; gunicorn {args.workers} sync workers for "
            "both apps; production settings (DEBUG off)")
    else:
        add(f"Load generator: none (no wrk): {args.requests} sequential urllib requests per "
            f"endpoint, no throughput figures; gunicorn {args.workers} sync workers for both "
            "apps; production settings (DEBUG off)")
    add("queries and db % from the same requests in-process (Django test Client, SQL timed).")
    add("")
    lines += endpoint_table("Ours (support portal)", ours, args.connections)
    if theirs:
        add("")
        lines += endpoint_table(f"django-helpdesk {report.get('helpdesk_version')} (PyPI)",
                                theirs, args.connections)
        add("")
        add("Ours ÷ theirs (median: below 1 = we answer faster; req/s and queries: ours over "
            "theirs)")
        head = (f"{'pair (ours ↔ theirs)':<38} {'median ours':>11} {'theirs':>10} "
                f"{'ratio':>6} {'req/s ours':>10} {'theirs':>8} {'ratio':>6} {'queries':>8}")
        add(head)
        add("-" * len(head))
        by_key = {r.endpoint.key: r for r in [*ours, *theirs]}
        for label, our_key, their_key in PAIRS:
            o, t = by_key.get(our_key), by_key.get(their_key)
            if o is None or t is None:
                continue
            add(f"{label:<38} {_fmt(o.median_ms, 'ms', 11)} {_fmt(t.median_ms, 'ms', 10)} "
                f"{_ratio(o.median_ms, t.median_ms):>6} {_rps(o.rps, 10)} "
                f"{_rps(t.rps, 8)} {_ratio(o.rps, t.rps):>6} "
                f"{_ratio(o.queries_per_request, t.queries_per_request):>8}")
        add(f"req/s = throughput with {args.connections} connections; queries = queries per "
            "request, ours ÷ theirs")
    add("")
    add("Physical floor: PostgreSQL's own time for the queue query (EXPLAIN ANALYZE Execution "
        "Time, warm, median of 7)")
    head = (f"{'endpoint':<40} {'HTTP med':>9} {'in-proc':>9} {'db/req':>8} {'PG floor':>9} "
            f"{'floor all':>9} {'HTTP ÷ floor':>12}")
    add(head)
    add("-" * len(head))
    for r in ours:
        if r.floor_queue_ms is None:
            continue
        ratio = f"{r.median_ms / r.floor_queue_ms:.1f}×" if r.median_ms else "—"
        add(f"{r.endpoint.name[:40]:<40} {_fmt(r.median_ms, 'ms', 9)} "
            f"{_fmt(r.inproc_median_ms, 'ms', 9)} {_fmt(r.db_ms_median, 'ms', 8)} "
            f"{_fmt(r.floor_queue_ms, 'ms', 9)} {_fmt(r.floor_all_ms, 'ms', 9)} {ratio:>12}")
    add("floor all = every SELECT of the request; HTTP ÷ floor = what our own code (Python, "
        "serialisation, HTTP) adds on top of the database")
    idle, due = report.get("breach_idle"), report.get("breach_due")
    if idle:
        add("")
        add("SLA breach job (sla.jobs.scan: warnings + breaches), in-process, whole data set")
        add(f"  nothing due: median {idle['median_ms']} ms, p95 {idle['p95_ms']} ms, min "
            f"{idle['min_ms']} ms over {idle['runs']} runs; {idle['queries']:g} queries per run;"
            f" flagged per run: {sorted(set(idle['flagged']))}")
    if due and "median_ms" in due:
        add(f"  {due['due']:,} due:  median {due['median_ms']:,} ms (min {due['min_ms']:,}, max "
            f"{due['max_ms']:,}) over {due['runs']} runs = {due['per_ticket_ms']} ms per ticket;"
            f" {due['queries']:,.0f} queries per run; flagged {due['flagged']}")
    elif due:
        add(f"  due: skipped ({due.get('skipped')})")
    add("")
    add(f"Budgets ({args.tickets:,} tickets on this machine; the issue sets them for 100,000)")
    by_key = {r.endpoint.key: r for r in ours}
    verdicts = []
    for label, key, measure, limit, kind in BUDGETS:
        if key == "breach_idle":
            value = idle["median_ms"] if idle else None
        else:
            r = by_key.get(key)
            # Throughput needs the concurrent wrk run; a sequential rate is not a throughput.
            value = None if r is None or (measure == "rps" and r.load is None) else (
                getattr(r, measure))
        sign = "≤" if kind == "max" else "≥"
        unit = " ms" if measure == "median_ms" else " req/s"
        met = value is not None and (value <= limit if kind == "max" else value >= limit)
        verdicts.append({"budget": label, "value": value, "limit": limit, "met": met})
        verdict = "met" if met else ("not measured" if value is None else "MISSED")
        add(f"  {label:<32} {sign} {limit:g}{unit:<7} {_fmt(value, unit).strip():>14}   "
            f"{verdict}")
    report["budgets"] = verdicts
    plans = [r for r in ours if r.queue_plan and r.endpoint.key == "queue_api"]
    for r in plans:
        add("")
        add(f"Plan of the queue query for {r.endpoint.name.strip()}:")
        lines.extend("  " + line for line in plan_summary(r.queue_plan))
    text = "\n".join(lines)
    print(text, flush=True)
    return text
