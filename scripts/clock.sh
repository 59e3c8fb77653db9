#!/usr/bin/env bash
# The clock process: periodic jobs, once a minute. Each job is safe to run twice at once.
set -uo pipefail
cd "$(dirname "$0")/.."
INTERVAL="${CLOCK_INTERVAL_SECONDS:-60}"
while true; do
  # Publish and unpublish pages whose scheduled time has come.
  python manage.py publish_scheduled || echo "clock: publish_scheduled failed" >&2
  # Charge due installments, retry, reconcile, remind, suspend (safe if two overlap).
  python manage.py billing_run || echo "clock: billing_run failed" >&2
  sleep "$INTERVAL"
done
