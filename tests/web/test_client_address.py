"""The visitor's address behind load balancers: only our own proxies' entries count."""

import pytest

from tests.support.processes import run_python
from web.client_address import behind_proxies


def seen_address(proxy_count: int, *, remote: str, forwarded: str | None) -> str:
    seen = {}

    def app(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        start_response("200 OK", [])
        return [b""]

    environ = {"REMOTE_ADDR": remote, "REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    behind_proxies(app, proxy_count)(environ, lambda status, headers: None)
    return seen["address"]


def test_without_proxies_the_header_is_ignored():
    # Straight from the internet, anybody can send the header: it must change nothing.
    assert seen_address(0, remote="203.0.113.7", forwarded="198.51.100.1") == "203.0.113.7"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # The visitor made up the first entry; the load balancer appended the real one.
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    ],
)
def test_behind_load_balancers_the_entry_they_added_is_the_visitor(count, forwarded, expected):
    assert seen_address(count, remote="10.0.0.1", forwarded=forwarded) == expected


def test_behind_a_load_balancer_without_the_header_the_peer_is_kept():
    assert seen_address(1, remote="10.0.0.1", forwarded=None) == "10.0.0.1"


def test_the_web_process_reads_the_count_from_the_environment():
    code = "import config.wsgi as w; print(type(w.application).__name__)"
    settings = {"DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    one = run_python(code, TRUSTED_PROXY_COUNT="1", **settings)
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == "ProxyFix"
    none = run_python(code, **settings)
    assert none.returncode == 0, none.stderr
    assert none.stdout.strip() == "WSGIHandler"
