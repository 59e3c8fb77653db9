"""Views outside the page tree: robots.txt and the site search."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
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
