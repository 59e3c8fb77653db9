"""The glossary reads pages, blocks, the site search and the API need, each in as few
queries as the page allows."""

from collections.abc import Iterable

from django.http import HttpRequest
from wagtail.models import Site

from home.content_changes import SITE, content_memo
from home.glossary.letters import glossary_entry_url, glossary_is_split
from home.models.glossary import GlossaryPage, GlossaryTerm


def glossary_term_url(glossary_url: str, term: GlossaryTerm) -> str:
    """The address of a term's entry: on the glossary page, or on its letter's page."""
    return glossary_entry_url(
        glossary_url, term, split=glossary_is_split(GlossaryTerm.objects.cached())
    )


def glossary_term_links(
    request: HttpRequest | None, terms: Iterable[GlossaryTerm | None]
) -> list[tuple[GlossaryTerm, str]]:
    """Each term with the address of its entry ("" when the site has no live glossary page);
    terms deleted since they were chosen are left out."""
    glossary_url = glossary_page_url(request) if request is not None else None
    return [
        (term, glossary_term_url(glossary_url, term) if glossary_url else "")
        for term in terms
        if term
    ]


def glossary_page_url(request_or_site: HttpRequest | Site | None) -> str | None:
    """The address of the live glossary page of the request's site, or None if it has none.

    The address is relative when the glossary is on the site the reader is on. Worked out
    once per process, site and host until the content changes.
    """
    if isinstance(request_or_site, Site) or request_or_site is None:
        request, site = None, request_or_site
    else:
        request, site = request_or_site, Site.find_for_request(request_or_site)
    memo = content_memo(SITE, request)
    key = ("glossary-url", site.pk if site else None, request.get_host() if request else None)
    if key not in memo:
        memo[key] = _glossary_page_url(request, site)
    return memo[key]


def _glossary_page_url(request: HttpRequest | None, site: Site | None) -> str | None:
    pages = GlossaryPage.objects.live().public()
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    page = pages.order_by("path").first()
    if page is None:
        return None
    return page.get_url(request=request, current_site=site)
