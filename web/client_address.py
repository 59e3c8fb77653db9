"""The visitor's address when the site runs behind load balancers or proxies.

Each proxy appends the address it received the request from to ``X-Forwarded-For``; only
the entries added by our own proxies can be trusted. With ``TRUSTED_PROXY_COUNT = N`` (the
number of proxies in front of the web process, 0 when none), Werkzeug's ``ProxyFix`` puts
the address the outermost of them saw into ``REMOTE_ADDR``, so every part of the site (rate
limits, consent records, the download log) reads the same, unspoofable value from there.
"""

from django.core.exceptions import ImproperlyConfigured
from werkzeug.middleware.proxy_fix import ProxyFix


def proxy_count_setting(raw: str) -> int:
    """``TRUSTED_PROXY_COUNT`` as read from the environment: a whole number, 0 or more."""
    value = raw.strip()
    if not value.isdigit():
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_COUNT must be a whole number (0 or more): the number of proxies or "
            f"load balancers in front of the web processes, not {raw!r}."
        )
    return int(value)


def behind_proxies(application, proxy_count: int):
    """The WSGI application, reading the client's address through ``proxy_count`` proxies."""
    if proxy_count <= 0:
        return application
    return ProxyFix(application, x_for=proxy_count, x_proto=0, x_host=0, x_port=0, x_prefix=0)


def client_ip(request) -> str | None:
    """The visitor's address (see the module's text for proxies)."""
    return request.META.get("REMOTE_ADDR") or None
