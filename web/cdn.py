"""Which CDN stands in front of the site, read from the environment by the settings.

Kept apart from ``web.page_cache_purges``, which needs Wagtail's models: the settings read this
module before any app is loaded.
"""

HTTP_BACKEND = "wagtail.contrib.frontend_cache.backends.HTTPBackend"
CLOUDFLARE_BACKEND = "wagtail.contrib.frontend_cache.backends.CloudflareBackend"
CLOUDFRONT_BACKEND = "wagtail.contrib.frontend_cache.backends.CloudfrontBackend"


def frontend_cache_from_env(env) -> dict:
    """``WAGTAILFRONTENDCACHE`` from the environment; empty (no CDN) by default.

    - ``FRONTEND_CACHE_PURGE_URL``: a cache that takes HTTP PURGE requests (Varnish, nginx).
    - ``CLOUDFLARE_API_TOKEN`` with ``CLOUDFLARE_ZONE_ID``.
    - ``CLOUDFRONT_DISTRIBUTION_ID`` (AWS credentials as boto3 finds them).
    """
    backends = {}
    purge_url = env("FRONTEND_CACHE_PURGE_URL", default="")
    if purge_url:
        backends["purge_url"] = {"BACKEND": HTTP_BACKEND, "LOCATION": purge_url}
    cloudflare_token = env("CLOUDFLARE_API_TOKEN", default="")
    if cloudflare_token:
        backends["cloudflare"] = {
            "BACKEND": CLOUDFLARE_BACKEND,
            "BEARER_TOKEN": cloudflare_token,
            "ZONEID": env("CLOUDFLARE_ZONE_ID"),
        }
    distribution = env("CLOUDFRONT_DISTRIBUTION_ID", default="")
    if distribution:
        backends["cloudfront"] = {
            "BACKEND": CLOUDFRONT_BACKEND,
            "DISTRIBUTION_ID": distribution,
        }
    return backends
