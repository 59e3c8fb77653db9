#!/usr/bin/env bash
# `manage.py check --deploy` with production settings and dummy secrets: must print no warning.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY="${SECRET_KEY:-dummy-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-shop.example.com}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export AWS_STORAGE_BUCKET_NAME="${AWS_STORAGE_BUCKET_NAME:-public-media}"
export AWS_PRIVATE_BUCKET_NAME="${AWS_PRIVATE_BUCKET_NAME:-program-files}"
# One load balancer in front, said explicitly (production refuses to guess).
export TRUSTED_PROXY_COUNT="${TRUSTED_PROXY_COUNT:-1}"
# Stripe's test mode, said explicitly; random placeholders (the site's own are refused).
random_part() { .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))'; }
export STRIPE_TEST_MODE="${STRIPE_TEST_MODE:-true}"
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_$(random_part)}"
export STRIPE_PUBLISHABLE_KEY="${STRIPE_PUBLISHABLE_KEY:-pk_test_$(random_part)}"
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_$(random_part)}"
# Emails through a provider (django-anymail), with its webhook's secret.
export EMAIL_PROVIDER="${EMAIL_PROVIDER:-postmark}"
export ANYMAIL_POSTMARK_SERVER_TOKEN="${ANYMAIL_POSTMARK_SERVER_TOKEN:-$(random_part)}"
export ANYMAIL_WEBHOOK_SECRET="${ANYMAIL_WEBHOOK_SECRET:-events:$(random_part)}"
.venv/bin/python manage.py check --deploy --fail-level WARNING
