import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium, as every browser test launches it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Without this Chromium looks up outside hosts; the EXCLUDE keeps 127.0.0.1 working.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(autouse=True)
def fresh_content_version():
    """Each test starts from a new content version: rolling a test's rows back sends no
    signals, so pages kept under the old version would outlive the rows they came from."""
    from home.content_changes import content_version_forget

    content_version_forget()
    yield


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
    """Run Python code in a fresh interpreter at the project root with the given env."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def stripe_standin():
    """The local Stripe stand-in on its own loopback port, for the whole session."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


S3_TEST_BUCKET = "backcare-test"
S3_TEST_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_TEST_CREDENTIALS)


@contextmanager
def moto_server_running():
    """A moto S3 server on a free loopback port: (its process, its URL), stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on its own loopback port, for the whole session."""
    with moto_server_running() as (_, url):
        yield url


@pytest.fixture
def s3_bucket(s3_server):
    """An empty private bucket on the stand-in; returns its name."""
    import urllib.request

    urllib.request.urlopen(  # noqa: S310 (our own loopback stand-in)
        urllib.request.Request(f"{s3_server}/moto-api/reset", method="POST"), timeout=10
    ).close()
    s3_client(s3_server).create_bucket(Bucket=S3_TEST_BUCKET)
    return S3_TEST_BUCKET


@pytest.fixture
def s3_storages(settings, s3_server, s3_bucket):
    """Point both storages at the S3 stand-in, as AWS_STORAGE_BUCKET_NAME would."""
    settings.AWS_STORAGE_BUCKET_NAME = s3_bucket
    settings.AWS_PRIVATE_BUCKET_NAME = s3_bucket
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.AWS_ACCESS_KEY_ID = S3_TEST_CREDENTIALS["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = S3_TEST_CREDENTIALS["aws_secret_access_key"]
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.AWS_QUERYSTRING_EXPIRE = 300
    settings.AWS_S3_CUSTOM_DOMAIN = None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "media_config.storages.PublicMediaS3Storage"},
        "private": {"BACKEND": "media_config.storages.PrivateS3Storage"},
    }
    return s3_server
