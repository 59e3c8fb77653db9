"""moto's S3 server for the tests, and a client for it."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import ROOT
from tests.support.processes import free_port, wait_for_port

S3_TEST_BUCKET = "backcare-test"
S3_TEST_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_TEST_CREDENTIALS)


@contextmanager
def moto_server_running() -> Iterator[tuple[subprocess.Popen, str]]:
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


def moto_reset(endpoint: str) -> None:
    """Forget every bucket and object the moto server holds."""
    import urllib.request

    urllib.request.urlopen(  # noqa: S310 (our own loopback stand-in)
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
