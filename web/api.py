"""What every read endpoint under /api/ shares: limit/offset pages in Wagtail's shape,
JSON errors with a message, anonymous throttling, and HTTP caching (Cache-Control, ETag)."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import exception_handler

from web.client_address import client_ip

# Query parameters every list accepts besides its filters.
PAGING_PARAMETERS = ("limit", "offset")


class ItemIdConverter:
    """An item's id in an address: digits that fit every database's integers; anything else
    is left to the JSON 404 for unknown addresses."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class BadQueryParameter(APIException):
    status_code = 400
    default_detail = "A query parameter is not valid."
    default_code = "bad_query_parameter"


class ErrorSerializer(serializers.Serializer):
    """Every error answer: what went wrong, in a sentence."""

    message = serializers.CharField()


def api_exception_handler(exc, context):
    """DRF's error answers, reshaped to Wagtail's API convention: {"message": "..."}."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    if detail is None:
        detail = response.data
    response.data = {"message": detail if isinstance(detail, str) else str(detail)}
    return response


def query_int(*, request, name: str, default: int, minimum: int, maximum: int | None = None):
    """A whole-number query parameter, or a 400 answer naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQueryParameter(f"{name} must be a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        limits = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise BadQueryParameter(f"{name} must be {limits}")
    return value


class ItemsPagination(BasePagination):
    """Wagtail's list shape: {"meta": {"total_count": n}, "items": [...]}, via limit/offset."""

    default_limit = 20
    max_limit = 50
    # Far past any list we have, and small enough for every database's integers.
    max_offset = 100_000

    def paginate_queryset(self, queryset, request, view=None):
        self.limit = query_int(
            request=request,
            name="limit",
            default=self.default_limit,
            minimum=1,
            maximum=self.max_limit,
        )
        self.offset = query_int(
            request=request, name="offset", default=0, minimum=0, maximum=self.max_offset
        )
        self.total_count = queryset.count() if hasattr(queryset, "count") else len(queryset)
        return list(queryset[self.offset : self.offset + self.limit])

    def get_paginated_response(self, data):
        return Response({"meta": {"total_count": self.total_count}, "items": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["meta", "items"],
            "properties": {
                "meta": {
                    "type": "object",
                    "required": ["total_count"],
                    "properties": {"total_count": {"type": "integer", "minimum": 0}},
                },
                "items": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"How many items to return (at most {self.max_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "How many items to skip.",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
            },
        ]


class ExactFieldFilter(BaseFilterBackend):
    """Filters named in the view's ``filter_fields`` (exact match); any other parameter is
    refused, so a misspelt filter never silently returns everything."""

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "filter_fields", {})
        allowed = {*PAGING_PARAMETERS, *fields}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise BadQueryParameter(
                f"query parameter is not an operation or a recognised field: {', '.join(unknown)}"
            )
        for name in fields:
            value = request.query_params.get(name)
            if value is None:
                continue
            if "\x00" in value:
                # PostgreSQL cannot compare text holding a NUL character.
                raise BadQueryParameter(f"{name} must not contain a NUL character")
            queryset = queryset.filter(**{name: value})
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
            for name, description in getattr(view, "filter_fields", {}).items()
        ]


class AnonymousApiThrottle(AnonRateThrottle):
    """Anonymous requests per address, at API_ANON_THROTTLE_RATE (read on every request so
    the rate can be changed without a restart of the settings module).

    The address is the site's own reading (web.client_address), never the whole
    X-Forwarded-For header, which a visitor can vary to start a fresh count."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE

    def get_ident(self, request):
        return client_ip(request) or "unknown"


class ApiCacheMiddleware:
    """Successful GET answers under /api/ may be cached for API_CACHE_SECONDS and carry an
    ETag, so a client asking again with If-None-Match gets 304 and no body.

    Only requests without a session are marked public: a signed-in reader (or one who
    entered a page password) may see pages others cannot, so those answers stay private.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
            return response
        if response.status_code != 200 or response.streaming:
            return response
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, max_age=0)
        else:
            patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
        if not response.has_header("ETag"):
            set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)


def schema_endpoints_ours(endpoints, **kwargs):
    """The OpenAPI document covers our own endpoints; Wagtail's /api/v2/ documents itself."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith("/api/") and not endpoint[0].startswith("/api/v2/")
    ]


def api_not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404, not the site's HTML page."""
    return JsonResponse({"message": "There is nothing at this address."}, status=404)
