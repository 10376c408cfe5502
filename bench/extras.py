"""The benches of the paths added after the main table, run by ``make bench`` after it (each
in a child process, on a database of its own that it creates and drops), their figures
printed beside the main table:

* full-text search (bench/search.py): first page and count, one and two words, as a contact
  and as staff, at ``--tickets``;
* the monthly report's streamed CSV (bench/reports.py): a month of ``--report-tickets``;
* a major-incident update fanned out to ``--incident-tickets`` linked tickets
  (bench/incidents.py): in process, and by two Celery workers;
* on-call paging (bench/paging.py): from the filing's commit to the page's e-mail at an SMTP
  server and its signed webhook at a gateway, over 100 severity-1 tickets, and ticket creation
  with and without a rota.

``--no-extras`` skips them. A bench that fails is reported as failed; the main table stands.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.infra import ROOT, log

TIMEOUT = 3600  # seconds for each child bench


def _last_json(stdout: str) -> dict[str, Any]:
    """The JSON object a bench prints last (after its log lines)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))  # type: ignore[no-any-return]


def _run(name: str, command: list[str], read: Any) -> dict[str, Any]:
    log(f"extra bench {name}: {' '.join(command[1:])}")
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              timeout=TIMEOUT, check=True)
        return {"ok": True, "figures": read(done.stdout)}
    except (subprocess.SubprocessError, ValueError, OSError) as exc:
        tail = getattr(exc, "stderr", "") or ""
        log(f"extra bench {name} failed: {exc}\n{tail[-2000:]}")
        return {"ok": False, "error": str(exc)}


def run_extras(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    python = sys.executable
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "search.json"
        results["search"] = _run(
            "search", [python, "bench/search.py", "--tickets", str(args.tickets), "--out",
                       str(out)],
            lambda _stdout: json.loads(out.read_text()))
    results["reports"] = _run(
        "reports", [python, "bench/reports.py", "--tickets", str(args.report_tickets)],
        _last_json)
    results["incidents"] = _run(
        "incidents", [python, "bench/incidents.py", "--tickets", str(args.incident_tickets)],
        _last_json)
    results["paging"] = _run("paging", [python, "bench/paging.py", "--tickets", "100"],
                             _last_json)
    return results


def extras_table(results: dict[str, dict[str, Any]]) -> list[str]:
    """The lines printed beside the main table."""
    lines = ["", "Further paths (each on a database of its own; bench/extras.py)",
             f"{'path':58} {'figure':>30}", "-" * 89]

    def row(path: str, figure: str) -> None:
        lines.append(f"{path:58} {figure:>30}")

    search = results.get("search", {})
    if search.get("ok"):
        figures = search["figures"]
        for key, result in figures.get("results", {}).items():
            who, _, words = key.partition("_")
            row(f"search ?q= {words.replace('_', ' ')} as {who} ({figures['tickets']:,} tickets)",
                f"median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms")
    else:
        row("search", f"failed: {search.get('error', 'not run')}"[:30])
    reports = results.get("reports", {})
    if reports.get("ok"):
        figures = reports["figures"]
        http = figures.get("http_gunicorn", {})
        row(f"report CSV, a month of {figures['tickets_in_month']:,} tickets, gunicorn",
            f"first byte {http.get('ttfb_ms_median')} ms, all {http.get('seconds_median')} s")
        row("  … worker memory growth while streaming",
            f"{http.get('worker_rss_mb_growth')} MB")
    else:
        row("report CSV", f"failed: {reports.get('error', 'not run')}"[:30])
    incidents = results.get("incidents", {})
    if incidents.get("ok"):
        figures = incidents["figures"]
        inproc, workers = figures.get("in_process", {}), figures.get("celery_workers", {})
        row(f"incident update to {figures['tickets']:,} tickets: posting it",
            f"{inproc.get('post_seconds')} s")
        row("  … fan-out in process", f"{inproc.get('fan_out_seconds')} s, "
            f"{inproc.get('queries_per_ticket')} q/ticket")
        row(f"  … fan-out by {workers.get('workers')} Celery workers: replies / e-mails",
            f"{workers.get('all_replies_posted_seconds')} s / "
            f"{workers.get('all_emails_sent_seconds')} s")
    else:
        row("incident fan-out", f"failed: {incidents.get('error', 'not run')}"[:30])
    paging = results.get("paging", {})
    if paging.get("ok"):
        figures = paging["figures"]
        for key, label in (("email_handed_to_smtp", "e-mail at SMTP"),
                           ("webhook_delivered", "webhook at gateway")):
            result = figures["latency"].get(key, {})
            row(f"paging, {figures['tickets']} S1 filings: commit → {label}",
                f"median {result.get('median_ms')} ms, p95 {result.get('p95_ms')} ms")
        creation = figures["ticket_creation"]
        row(f"  … S1 filing req/s ({creation['connections']} conn.): rota / none / S2",
            " / ".join(str(creation[k]["requests_per_second"]) for k in (
                "severity_1_with_rota", "severity_1_without_rota_pages_everyone",
                "severity_2_no_paging")))
    else:
        row("on-call paging", f"failed: {paging.get('error', 'not run')}"[:30])
    return lines
