"""Views outside the page tree: robots.txt, /favicon.ico and the site search."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from wagtail.models import Site

from home.site_search import MAX_QUERY_CHARS, query_words, search_suggestions, site_search

RESULTS_PER_PAGE = 10


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """What crawlers may visit, from ROBOTS_DISALLOW, and where the sitemap is."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in settings.ROBOTS_DISALLOW]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


FAVICON_CACHE_SECONDS = 24 * 60 * 60


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which feed readers and old browsers ask for without reading the page,
    sent to the icon's static file. Not permanent: the file's hashed name changes with it."""
    response = HttpResponseRedirect(static("icons/favicon.ico"))
    patch_cache_control(response, public=True, max_age=FAVICON_CACHE_SECONDS)
    return response


@require_GET
def site_search_view(request: HttpRequest) -> TemplateResponse:
    """/search/?q=: the site's pages, glossary terms and the program."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]
    site = Site.find_for_request(request)
    hits = site_search(query=query, site=site)
    results = Paginator(hits, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "query": query,
        "words": query_words(query=query),
        "results": results,
        "hit_count": len(hits),
        "suggestions": [] if hits else search_suggestions(site=site),
    }
    return TemplateResponse(request, "home/search_results.html", context)
