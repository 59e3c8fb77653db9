#!/usr/bin/env bash
# Local run on embedded defaults: SQLite, local files, the Stripe stand-in, demo content.
# Called by `make run` once the virtual environment exists. Safe to run again: it reuses
# the database and never overwrites what the author has edited.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
STRIPE_PORT="${STRIPE_STANDIN_PORT:-8420}"
export STRIPE_API_BASE="${STRIPE_API_BASE:-http://127.0.0.1:${STRIPE_PORT}}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"

mkdir -p var
"$PY" manage.py migrate --noinput
"$PY" manage.py load_demo_content
"$PY" manage.py create_local_admin

standin_pid=""
cleanup() { [ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
if "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', $STRIPE_PORT)) == 0 else 1)"; then
  echo "Stripe stand-in: already listening on 127.0.0.1:${STRIPE_PORT}"
else
  "$PY" scripts/stripe_standin.py --port "$STRIPE_PORT" &
  standin_pid=$!
  echo "Stripe stand-in: http://127.0.0.1:${STRIPE_PORT} (pid ${standin_pid})"
fi
# The stand-in sends payment_intent.* events to the site's webhook, signed with the local secret.
"$PY" - "$STRIPE_PORT" <<'PYEOF'
import socket, sys, time, urllib.parse, urllib.request
port = int(sys.argv[1])
for _ in range(50):
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            break
    time.sleep(0.1)
data = urllib.parse.urlencode({
    "url": "http://127.0.0.1:8000/shop/stripe/webhook/",
    "secret": "whsec_local_standin",
}).encode()
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/_config/webhooks/local-site", data=data,
    headers={"Authorization": "Bearer sk_test_local_standin"},
)
urllib.request.urlopen(request, timeout=5).read()
print("Stripe stand-in: webhooks go to http://127.0.0.1:8000/shop/stripe/webhook/")
PYEOF

echo "Site: http://127.0.0.1:8000/   CMS: http://127.0.0.1:8000/cms/   Shop: http://127.0.0.1:8000/shop/"
"$PY" manage.py runserver 127.0.0.1:8000
