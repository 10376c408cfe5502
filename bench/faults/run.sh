#!/usr/bin/env bash
# The fault suite at full length (docs/reliability.md): a 15-minute SMTP outage under load with
# 1,200 delivery tasks queued, Redis down 60 s during filing, 50 waves of contact changes,
# 1,000 hostile requests, a worker killed mid-send. About 25 minutes on 2 cores; run it once
# when the suite is green, never in CI (CI runs the same tests at FAULTS_SCALE=ci).
#
#   bench/faults/run.sh [pytest args]     # e.g. -k smtp
#
# Uses the same PostgreSQL as the tests (DATABASE_URL), starts its own Redis, SMTP server,
# workers, beat and gunicorn on free loopback ports, and writes the figures as JSON under
# bench/faults/results/<UTC timestamp>/ plus a Markdown table (summary.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="bench/faults/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
FAULTS_SCALE=full FAULTS_REPORT_DIR="$out" .venv/bin/pytest tests/faults -m faults -s \
  -p no:cacheprovider "$@" 2>&1 | tee "$out/pytest.log" | grep -E "FIGURES|passed|failed|Error"
.venv/bin/python bench/faults/summary.py "$out" | tee "$out/summary.md"
