"""Local processes for the tests: free loopback ports, a clean environment, a fresh Python,
`manage.py` commands and the Stripe stand-in."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support import ROOT
from tests.support.warm_python import warm_python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


# Variables a developer's shell may carry that would change what a subprocess loads.
_MACHINE_SPECIFIC = (
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_PRIVATE_BUCKET_NAME",
    "ALLOW_SHARED_MEDIA_BUCKET",
    "TRUSTED_PROXY_COUNT",
    "AWS_S3_ENDPOINT_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_TEST_MODE",
    "EMAIL_URL",
    "ANYMAIL_WEBHOOK_SECRET",
    "MAILGUN_WEBHOOK_SIGNING_KEY",
    "TEST_USE_REDIS",
    "SENTRY_DSN",
    "CSP_REPORT_ONLY",
    "CSP_REPORT_URI",
)


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _MACHINE_SPECIFIC}
    env.update(overrides)
    return env


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python code in a new process at the project root with the given env: a child of a
    warm process that has the libraries imported (tests/support/warm_python.py)."""
    return warm_python().run(code, clean_env(**env), timeout=120)


def python_printed_json(code: str, **env: str):
    """Run ``code`` as `run_python` does; it must succeed, and the last line it prints is
    JSON (what a case reports of the settings or the request it made)."""
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def manage(*args: str, env: dict) -> None:
    """Run a `manage.py` command in its own process; raises when it fails."""
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


@contextmanager
def stripe_standin_running() -> Iterator[str]:
    """The local Stripe stand-in on a free loopback port: its URL, stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
