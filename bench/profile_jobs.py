"""A pyinstrument flame graph of the SLA jobs with ``--due`` tickets due at once (one run of
each: breach, then missed updates), on a seeded bench database (``--db``; see
bench/sla_jobs.py). Files: ``bench/results/flame-<label>-breach_job.html`` and
``…-updates_job.html`` (and ``.txt``).

    .venv/bin/python bench/profile_jobs.py --label after
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)

from bench import infra  # noqa: E402

SHOW_ALL = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Flame graphs of the SLA jobs")
    parser.add_argument("--db", default="support_portal_bench_sla")
    parser.add_argument("--label", default="profile")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--show-all", action="store_true", help="Django's frames too (text)")
    args = parser.parse_args(argv)
    global SHOW_ALL
    SHOW_ALL = args.show_all
    infra.DB_NAME = args.db
    infra.setup_django(infra.app_env(secrets.token_urlsafe(40)))
    from pyinstrument import Profiler

    from bench import breach

    def profiled(name: str, measure: Any) -> None:
        profiler = Profiler(interval=0.001)
        original = breach._query_count

        def wrapped(fn: Any) -> Any:
            profiler.start()
            try:
                return original(fn)
            finally:
                profiler.stop()

        breach._query_count = wrapped  # type: ignore[assignment]
        try:
            figures = measure()
        finally:
            breach._query_count = original  # type: ignore[assignment]
        out = infra.RESULTS / f"flame-{args.label}-{name}.html"
        out.write_text(profiler.output_html())
        out.with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=SHOW_ALL))
        print(name, figures.get("median_ms"), "ms,", figures.get("queries"), "queries;", out)

    infra.RESULTS.mkdir(parents=True, exist_ok=True)
    profiled("breach_job", lambda: breach.measure_due(args.due, 1, infra.REDIS_URL))
    profiled("updates_job", lambda: breach.measure_updates_due(args.due, 1, infra.REDIS_URL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
