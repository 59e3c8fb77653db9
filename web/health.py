"""`/healthz`: is this process able to serve? Checks every database and the cache."""

import logging
import uuid

from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_databases() -> dict[str, str]:
    results = {}
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:
            logger.warning("healthz: database %s unreachable: %s", alias, exc)
            results[f"database:{alias}"] = f"error: {exc.__class__.__name__}"
        else:
            results[f"database:{alias}"] = "ok"
    return results


def check_caches() -> dict[str, str]:
    results = {}
    for alias in caches:
        key = f"healthz:{uuid.uuid4().hex}"
        try:
            cache = caches[alias]
            cache.set(key, "1", timeout=10)
            ok = cache.get(key) == "1"
            cache.delete(key)
        except Exception as exc:
            logger.warning("healthz: cache %s unreachable: %s", alias, exc)
            results[f"cache:{alias}"] = f"error: {exc.__class__.__name__}"
        else:
            results[f"cache:{alias}"] = "ok" if ok else "error: value not kept"
    return results


@never_cache
@require_GET
def healthz(request):
    checks = {**check_databases(), **check_caches()}
    failing = sorted(name for name, result in checks.items() if result != "ok")
    status = 503 if failing else 200
    body = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=status)
